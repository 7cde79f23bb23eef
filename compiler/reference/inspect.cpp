#include "reference/inspect.h"

#include <cstdio>
#include <sstream>

namespace mncc {
namespace {

using nlohmann::json;

const LayerKind kShareKinds[] = {LayerKind::Conv, LayerKind::Depthwise, LayerKind::Pointwise,
                                 LayerKind::FullyConnected};

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string dims(const json& a) {
    std::string s;
    for (size_t i = 0; i < a.size(); ++i) s += (i ? "x" : "") + std::to_string(a[i].get<int64_t>());
    return s;
}

}  // namespace

json inspect_json(const Graph& g) {
    json layers = json::array();
    int64_t total_ma = 0, total_params = 0;
    int64_t share_ma[4] = {0, 0, 0, 0}, share_params[4] = {0, 0, 0, 0};
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        if (n.op == Op::Input) continue;
        const LayerKind kind = layer_kind(g, n);
        const int64_t ma = node_mult_adds(g, n), params = node_params(n);
        total_ma += ma;
        total_params += params;
        for (int k = 0; k < 4; ++k)
            if (kind == kShareKinds[k]) {
                share_ma[k] += ma;
                share_params[k] += params;
            }
        layers.push_back({{"name", n.name},
                          {"kind", layer_kind_name(kind)},
                          {"op", op_name(n.op)},
                          {"input_shape", n.inputs.empty() ? Shape{} : g.node(n.inputs[0]).shape},
                          {"output_shape", n.shape},
                          {"kernel", {n.kernel_h, n.kernel_w}},
                          {"stride", {n.stride_h, n.stride_w}},
                          {"padding", padding_name(n.padding)},
                          {"pads", {n.pad_top, n.pad_bottom, n.pad_left, n.pad_right}},
                          {"activation", activation_name(n.activation)},
                          {"dtype", dtype_name(n.dtype)},
                          {"mult_adds", ma},
                          {"params", params}});
    }
    int64_t sum_ma = 0, sum_params = 0;
    for (int k = 0; k < 4; ++k) {
        sum_ma += share_ma[k];
        sum_params += share_params[k];
    }
    json shares = json::object();
    for (int k = 0; k < 4; ++k)
        shares[layer_kind_name(kShareKinds[k])] = {
            {"mult_adds_pct", sum_ma ? 100.0 * double(share_ma[k]) / double(sum_ma) : 0.0},
            {"params_pct", sum_params ? 100.0 * double(share_params[k]) / double(sum_params) : 0.0}};
    auto endpoint = [&](int id) {
        if (id < 0 || id >= static_cast<int>(g.nodes.size()))
            return json{{"name", ""}, {"shape", json::array()}, {"dtype", ""}};
        return json{{"name", g.node(id).name}, {"shape", g.node(id).shape}, {"dtype", dtype_name(g.node(id).dtype)}};
    };
    return {{"model", g.source_file},
            {"input", endpoint(g.input)},
            {"output", endpoint(g.output)},
            {"layers", layers},
            {"totals", {{"mult_adds", total_ma}, {"params", total_params}}},
            {"shares", shares}};
}

std::string inspect_table(const Graph& g) {
    const json j = inspect_json(g);
    std::ostringstream os;
    os << "model  " << j["model"].get<std::string>() << "\n"
       << "input  " << j["input"]["name"].get<std::string>() << " " << dims(j["input"]["shape"]) << " "
       << j["input"]["dtype"].get<std::string>() << "\n"
       << "output " << j["output"]["name"].get<std::string>() << " " << dims(j["output"]["shape"]) << " "
       << j["output"]["dtype"].get<std::string>() << "\n\n";
    char line[512];
    std::snprintf(line, sizeof line, "%-4s %-16s %-15s %-14s %-14s %-6s %-6s %-9s %-6s %12s %10s  %s\n", "#",
                  "kind", "op", "input", "output", "kernel", "stride", "pads", "act", "mult-adds", "params",
                  "name");
    os << line;
    int row = 0;
    for (const json& l : j["layers"]) {
        std::string pads;
        for (size_t i = 0; i < 4; ++i) pads += (i ? "," : "") + std::to_string(l["pads"][i].get<int>());
        std::snprintf(line, sizeof line, "%-4d %-16s %-15s %-14s %-14s %-6s %-6s %-9s %-6s %12lld %10lld  %s\n",
                      row++, l["kind"].get<std::string>().c_str(), l["op"].get<std::string>().c_str(),
                      dims(l["input_shape"]).c_str(), dims(l["output_shape"]).c_str(), dims(l["kernel"]).c_str(),
                      dims(l["stride"]).c_str(), pads.c_str(), l["activation"].get<std::string>().c_str(),
                      static_cast<long long>(l["mult_adds"].get<int64_t>()),
                      static_cast<long long>(l["params"].get<int64_t>()), l["name"].get<std::string>().c_str());
        os << line;
        if (l["dtype"] != "float32") {  // quantized layers: element type after the name
            os.seekp(-1, std::ios_base::cur);
            os << "  (" << l["dtype"].get<std::string>() << ")\n";
        }
    }
    os << "\ntotal  " << fmt("%.3f", double(j["totals"]["mult_adds"].get<int64_t>()) / 1e6) << " M mult-adds, "
       << fmt("%.3f", double(j["totals"]["params"].get<int64_t>()) / 1e6) << " M params\n\n";
    std::snprintf(line, sizeof line, "%-16s %10s %10s\n", "type", "mult-adds", "params");
    os << line;
    for (LayerKind k : kShareKinds) {
        const json& s = j["shares"][layer_kind_name(k)];
        std::snprintf(line, sizeof line, "%-16s %9.2f%% %9.2f%%\n", layer_kind_name(k),
                      s["mult_adds_pct"].get<double>(), s["params_pct"].get<double>());
        os << line;
    }
    return os.str();
}

}  // namespace mncc
