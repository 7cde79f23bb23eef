#include "passes/passes.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "passes/canonicalize.h"
#include "passes/fold_batchnorm.h"
#include "passes/fold_pad.h"
#include "passes/fuse_activation.h"
#include "passes/fuse_bias.h"
#include "passes/plan_memory.h"
#include "passes/resolve_identity.h"
#include "passes/validate.h"
#include "support/error.h"

namespace mncc {
namespace {

struct Pass {
    const char* name;
    void (*run)(Graph&);
};

void run_validate(Graph& g) { validate(g); }

const Pass kPasses[] = {
    {"resolve_identity", resolve_identity}, {"fold_batchnorm", fold_batchnorm},
    {"fuse_bias", fuse_bias},               {"fuse_activation", fuse_activation},
    {"fold_pad", fold_pad},                 {"canonicalize", canonicalize},
    {"validate", run_validate},             {"plan_memory", plan_memory},
};

void write_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
    f.close();
    if (!f) throw Error(path.string() + ": cannot write IR dump");
}

}  // namespace

void run_passes(Graph& g, const PassOptions& opts) {
    if (!opts.dump_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(opts.dump_dir, ec);
        if (ec) throw Error(opts.dump_dir + ": cannot create IR dump directory: " + ec.message());
    }
    int index = 0;
    for (const Pass& p : kPasses) {
        p.run(g);
        ++index;
        if (opts.dump_dir.empty()) continue;
        char file[64];
        std::snprintf(file, sizeof file, "%02d-%s.txt", index, p.name);
        write_file(std::filesystem::path(opts.dump_dir) / file, dump_ir(g));
    }
}

std::string dump_ir(const Graph& g) {
    std::ostringstream os;
    os << "# " << (g.source_file.empty() ? "<model>" : g.source_file) << "\n";
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        os << "%" << id << " " << op_name(n.op) << " '" << n.name << "' (";
        for (size_t i = 0; i < n.inputs.size(); ++i) os << (i ? ", %" : "%") << n.inputs[i];
        os << ") -> " << shape_str(n.shape);
        switch (n.op) {
            case Op::Conv2D:
            case Op::DepthwiseConv2D:
            case Op::AvgPool:
            case Op::Pad:
                os << " kernel " << n.kernel_h << "x" << n.kernel_w << " stride " << n.stride_h << "x"
                   << n.stride_w << " " << padding_name(n.padding) << " pads [" << n.pad_top << "," << n.pad_bottom
                   << "," << n.pad_left << "," << n.pad_right << "]";
                break;
            case Op::Mean:
            case Op::Squeeze:
                os << " axes " << shape_str(n.axes) << (n.keep_dims ? " keep_dims" : "");
                break;
            default: break;
        }
        if (!n.weights.shape.empty()) os << " weights " << shape_str(n.weights.shape);
        if (!n.bias.shape.empty()) os << " bias " << shape_str(n.bias.shape);
        if (!n.value.shape.empty() || !n.value.data.empty()) os << " value " << shape_str(n.value.shape);
        if (n.activation != Activation::None) os << " " << activation_name(n.activation);
        if (id < static_cast<int>(g.arena_offset.size()) && g.arena_offset[id] >= 0)
            os << " @" << g.arena_offset[id];
        if (id == g.output) os << " [output]";
        os << "\n";
    }
    if (g.arena_bytes > 0) os << "# arena " << g.arena_bytes << " bytes (lower bound " << g.arena_lower_bound << ")\n";
    return os.str();
}

}  // namespace mncc
