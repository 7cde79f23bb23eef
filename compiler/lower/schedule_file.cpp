#include "lower/schedule_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "schedules/arm64.h"
#include "support/error.h"

namespace mncc {

namespace {

using nlohmann::json;

const KernelKind kKinds[] = {KernelKind::Conv, KernelKind::Depthwise, KernelKind::Pointwise,
                             KernelKind::AvgPool, KernelKind::FullyConnected, KernelKind::Softmax};

[[noreturn]] void fail(const std::string& file, const std::string& why) {
    throw Error("compile: " + file + ": " + why);
}

const KernelKind* find_kind(const std::string& name) {
    const KernelKind* k =
        std::find_if(std::begin(kKinds), std::end(kKinds), [&](KernelKind x) { return kernel_kind_name(x) == name; });
    return k == std::end(kKinds) ? nullptr : k;
}

// `base` with the overrides of JSON object `j` (each knob declared for `kind`,
// each value one of its declared choices).
Knobs override(const std::string& file, const std::string& what, Knobs base, const json& j, bool arm, KernelKind kind) {
    if (!j.is_object()) fail(file, what + " is not a JSON object");
    const std::string at = what.empty() ? "" : what + ": ";   // per-kind files: the kind names the place
    const auto& space = knob_space_for(arm, kind);
    for (auto& [name, value] : j.items()) {
        auto d = std::find_if(space.begin(), space.end(), [&](const KnobDecl& x) { return x.name == name; });
        if (d == space.end()) fail(file, at + kernel_kind_name(kind) + " has no knob '" + name + "'");
        if (!value.is_number_integer() ||
            std::find(d->choices.begin(), d->choices.end(), value.get<int64_t>()) == d->choices.end())
            fail(file, at + kernel_kind_name(kind) + "." + name + " is not one of the declared values");
        base[name] = value.get<int>();
    }
    return base;
}

std::string str_field(const std::string& file, const json& j, const char* key) {
    if (!j.contains(key) || !j[key].is_string()) fail(file, std::string("missing string field '") + key + "'");
    return j[key].get<std::string>();
}

// The knobs of a file's entry (`what` names it), which must be for a layer of kind `kind`.
const Knobs& of_kind(const std::string& file, const std::pair<KernelKind, Knobs>& e, const std::string& what,
                     KernelKind kind) {
    if (e.first != kind)
        fail(file, "the entry for " + what + " is a " + kernel_kind_name(e.first) + ", the model's layer is a " +
                       kernel_kind_name(kind));
    return e.second;
}

}  // namespace

const std::vector<KnobDecl>& knob_space_for(bool arm, KernelKind k) { return arm ? arm64_knob_space(k) : x86_knob_space(k); }
Knobs default_knobs_for(bool arm, KernelKind k) { return arm ? arm64_default_knobs(k) : x86_default_knobs(k); }

const Knobs& ScheduleKnobs::knobs_for(int index, const std::string& name, KernelKind kind) const {
    if (auto it = by_index.find(index); it != by_index.end()) {
        if (auto nm = index_names.find(index); nm != index_names.end() && nm->second != name)
            fail(file, "the entry for layer " + std::to_string(index) + " is for '" + nm->second + "', the model's kernel " +
                           std::to_string(index) + " is '" + name +
                           "' (another model or fusion layout: fused kernels are named <depthwise>+<pointwise>); "
                           "run mncc tune again");
        return of_kind(file, it->second, "layer " + std::to_string(index) + " ('" + name + "')", kind);
    }
    return knobs_by_name(name, kind);
}

const Knobs& ScheduleKnobs::knobs_by_name(const std::string& name, KernelKind kind) const {
    if (auto it = by_name.find(name); it != by_name.end()) return of_kind(file, it->second, "'" + name + "'", kind);
    return by_kind.at(kind);
}

std::string fused_name(const Node& dw, const Node& pw) { return dw.name + "+" + pw.name; }

std::map<int, int> fused_pairs(const Graph& g, const ScheduleKnobs& knobs) {
    std::map<int, int> r;
    for (int id : g.topo_order()) {
        const Node& pw = g.node(id);
        const int dw = fusable_depthwise(g, pw);
        if (dw < 0) continue;
        const std::string both = fused_name(g.node(dw), pw);
        const Knobs& k = knobs.knobs_by_name(knobs.by_name.count(both) ? both : pw.name, KernelKind::Pointwise);
        if (x86_fuse(g, pw, k)) r[id] = dw;
    }
    return r;
}

ScheduleKnobs load_schedule_file(const std::string& file, bool arm, const ScheduleExpect& expect) {
    ScheduleKnobs r;
    r.file = file;
    for (KernelKind k : kKinds) r.by_kind[k] = default_knobs_for(arm, k);
    if (file.empty()) return r;
    std::ifstream f(file, std::ios::binary);
    if (!f) throw Error("compile: cannot read '" + file + "'");
    std::ostringstream ss;
    ss << f.rdbuf();
    const json j = json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail(file, "not a JSON object");
    if (!j.contains("mncc_schedule")) {   // per-kind overrides only
        for (auto& [kind, knobs] : j.items()) {
            const KernelKind* k = find_kind(kind);
            if (!k || !knobs.is_object()) fail(file, "unknown layer kind '" + kind + "'");
            r.by_kind[*k] = override(file, "", r.by_kind[*k], knobs, arm, *k);
        }
        return r;
    }
    if (j["mncc_schedule"] != 1) fail(file, "unsupported schedule format " + j["mncc_schedule"].dump());
    const std::string sha = str_field(file, j, "model_sha256"), target = str_field(file, j, "target"),
                      version = str_field(file, j, "version");
    if (!expect.model_sha256.empty() && sha != expect.model_sha256)
        fail(file, "made for another model (sha256 " + sha.substr(0, 12) + "..., this model is " +
                       expect.model_sha256.substr(0, 12) + "...); run mncc tune on this model");
    if (target != expect.target)
        fail(file, "made for target '" + target + "', not '" + expect.target + "'; run mncc tune --target=" + expect.target);
    if (version != expect.version)
        fail(file, "made by mncc " + version + ", this is mncc " + expect.version + "; run mncc tune again");
    if (j.contains("defaults")) {
        if (!j["defaults"].is_object()) fail(file, "'defaults' is not a JSON object");
        for (auto& [kind, knobs] : j["defaults"].items()) {
            const KernelKind* k = find_kind(kind);
            if (!k) fail(file, "unknown layer kind '" + kind + "'");
            r.by_kind[*k] = override(file, "defaults." + kind, r.by_kind[*k], knobs, arm, *k);
        }
    }
    if (!j.contains("layers") || !j["layers"].is_array()) fail(file, "missing array 'layers'");
    for (size_t i = 0; i < j["layers"].size(); ++i) {
        const json& L = j["layers"][i];
        const std::string what = "layers[" + std::to_string(i) + "]";
        if (!L.is_object() || !L.contains("kind") || !L["kind"].is_string() || !L.contains("knobs"))
            fail(file, what + " needs 'kind' and 'knobs'");
        const KernelKind* k = find_kind(L["kind"].get<std::string>());
        if (!k) fail(file, what + ": unknown layer kind " + L["kind"].dump());
        const Knobs knobs = override(file, what, r.by_kind[*k], L["knobs"], arm, *k);
        const bool has_index = L.contains("index"), has_name = L.contains("name");
        if (!has_index && !has_name) fail(file, what + " needs 'index' or 'name'");
        if (has_index) {
            if (!L["index"].is_number_integer() || L["index"].get<int64_t>() < 0 || L["index"].get<int64_t>() > 1000000)
                fail(file, what + ".index is not a layer index");
            r.by_index[L["index"].get<int>()] = {*k, knobs};
            if (has_name && L["name"].is_string()) r.index_names[L["index"].get<int>()] = L["name"].get<std::string>();
        }
        if (has_name) {
            if (!L["name"].is_string()) fail(file, what + ".name is not a string");
            r.by_name[L["name"].get<std::string>()] = {*k, knobs};
        }
    }
    return r;
}

}  // namespace mncc
