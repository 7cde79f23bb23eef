#include "lower/compile.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <Halide.h>
#include <nlohmann/json.hpp>

#include "lower/codegen.h"
#include "lower/layers.h"
#include "lower/layers_q.h"
#include "lower/schedule_file.h"
#include "lower/sha256.h"
#include "passes/plan_memory.h"
#include "schedules/arm64.h"
#include "schedules/hexagon_q.h"
#include "schedules/x86.h"
#include "schedules/x86_q.h"
#include "support/error.h"
#include "support/files.h"

extern char** environ;

namespace mncc {

extern const char* const kPreprocessHeaderText;
extern const char* const kThreadPoolHeaderText;

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& why) { throw Error("compile: " + why); }

bool host_is_arm64() {
    const Halide::Target h = Halide::get_host_target();
    return h.arch == Halide::Target::ARM && h.bits == 64;
}

// A resolved --target: the Halide target, its schedule family and the tools for the glue.
struct ResolvedTarget {
    Halide::Target target;
    bool arm = false;              // arm64 schedules (else x86)
    bool hexagon = false;          // Hexagon HVX (quantized only, freestanding glue)
    std::string cxx, ar, package;
};

// Glue tools for a Halide target: the host's own for the host's architecture,
// else the Debian cross toolchain.
void default_tools(ResolvedTarget& r) {
    if (r.hexagon) {
        r.cxx = "clang++-14", r.ar = "llvm-ar-14", r.package = "clang-14 llvm-14";
    } else if (r.arm && !host_is_arm64()) {
        r.cxx = "aarch64-linux-gnu-g++", r.ar = "aarch64-linux-gnu-ar", r.package = "g++-aarch64-linux-gnu";
    } else {
        r.cxx = "c++", r.ar = "ar", r.package = "g++";
    }
}

ResolvedTarget resolve_target(const std::string& name) {
    std::string s;
    const std::vector<TargetInfo>& known = known_targets();
    auto k = std::find_if(known.begin(), known.end(), [&](const TargetInfo& t) { return t.name == name; });
    if (k != known.end()) {
        s = k->halide_target;
    } else if (name.rfind("halide:", 0) == 0) {
        s = name.substr(7);
        if (!Halide::Target::validate_target_string(s)) fail("target '" + name + "' is not a valid Halide target");
    } else {
        std::string list;
        for (const TargetInfo& t : known) list += t.name + ", ";
        fail("unknown target '" + name + "' (known: " + list + "halide:<target string>; see mncc targets)");
    }
    ResolvedTarget r;
    r.target = Halide::Target(s);
    const Halide::Target& t = r.target;
    r.arm = t.arch == Halide::Target::ARM;
    // Hexagon: standalone (noos) 32-bit code with 128-byte HVX vectors, to be called on the DSP.
    r.hexagon = t.arch == Halide::Target::Hexagon && t.bits == 32 && t.os == Halide::Target::NoOS &&
                t.has_feature(Halide::Target::HVX_128);
    const bool os_ok = t.os == Halide::Target::Linux || (r.arm && t.os == Halide::Target::Android);
    if (!r.hexagon && ((t.arch != Halide::Target::X86 && !r.arm) || t.bits != 64 || !os_ok || t.has_gpu_feature()))
        fail("target '" + name + "' is not supported yet: mncc serves x86-64 Linux, arm-64 Linux/Android CPU targets "
             "and hexagon-32-noos with hvx_128");
    default_tools(r);
    return r;
}

bool is_c_identifier(const std::string& s) {
    if (s.empty() || s.size() > 64 || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
    for (char ch : s)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') return false;
    return true;
}

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
    if (!f.good()) fail("cannot write '" + path.string() + "'");
}

// Runs argv (no shell), output to `log`; throws with the log's head on failure.
void run_tool(const std::vector<std::string>& args, const fs::path& log) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) fail("cannot run '" + args[0] + "': " + std::strerror(rc));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) fail("waiting for '" + args[0] + "' failed");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string out = read_file(log.string(), "compile");
        if (out.size() > 2000) out = out.substr(0, 2000) + "...";
        for (char& ch : out)
            if (ch == '\n') ch = ' ';
        fail("'" + args[0] + "' failed: " + out);
    }
}

// Halide extents of a tensor as a kernel sees it: (c, x, y) of [1,H,W,C], or (C)
// for FullyConnected/Softmax. Left empty on a bad rank (lower_layer reports it).
std::vector<int> halide_extents(const Shape& s, bool four_d) {
    if (!four_d) return {static_cast<int>(num_elements(s))};
    if (s.size() != 4) return {};
    return {static_cast<int>(s[3]), static_cast<int>(s[2]), static_cast<int>(s[1])};
}

int node_root(const Graph& g, int id) {
    for (int guard = 0; g.node(id).op == Op::Reshape; ++guard) {
        if (g.node(id).inputs.empty() || guard > static_cast<int>(g.nodes.size())) fail("malformed Reshape chain");
        id = g.node(id).inputs[0];
    }
    return id;
}

struct Lowered {
    ModelInfo info;
    std::vector<std::pair<int, std::string>> layers;   // node id, kernel name
    std::vector<int> fused_dw;     // per kernel: the depthwise node it absorbs (fused_pairs), or -1
};

// Checks the graph and its memory plan; fills everything but the kernels.
// `fused`: pointwise node -> the depthwise node its kernel absorbs (fused_pairs).
Lowered plan(const Graph& g, const CompileOptions& opts, const std::map<int, int>& fused) {
    Lowered r;
    ModelInfo& m = r.info;
    const int n_nodes = static_cast<int>(g.nodes.size());
    if (g.input < 0 || g.input >= n_nodes || g.output < 0 || g.output >= n_nodes) fail("graph has no input/output");
    if (g.arena_offset.size() != g.nodes.size() || g.arena_bytes <= 0)
        fail("graph has no memory plan (run the passes first)");
    if (g.arena_bytes > (int64_t(1) << 30)) fail("arena of " + std::to_string(g.arena_bytes) + " bytes is too large");
    const Node& in = g.node(g.input);
    if (in.op != Op::Input || in.shape.size() != 4 || in.shape[0] != 1)
        fail("input '" + in.name + "' is not a [1,H,W,C] Input");
    for (int i = 1; i < 4; ++i)
        if (in.shape[i] < 1 || in.shape[i] > (1 << 16)) fail("input shape " + shape_str(in.shape) + " out of range");
    m.in_h = static_cast<int>(in.shape[1]), m.in_w = static_cast<int>(in.shape[2]), m.in_c = static_cast<int>(in.shape[3]);
    m.input_name = in.name;
    m.output_name = g.node(g.output).name;
    m.output_size = num_elements(g.node(g.output).shape);
    m.arena_bytes = g.arena_bytes;
    m.preprocess = g.preprocess;

    const int out_root = node_root(g, g.output);
    if (out_root == g.input) fail("the network has no layers");
    auto ref = [&](int id, const Node& user) {
        const int root = node_root(g, id);
        const Node& t = g.node(root);
        TensorRef ref;
        if (root == g.input) {
            ref.place = Place::Input;
        } else if (root == out_root) {
            ref.place = Place::Output;
        } else {
            ref.place = Place::Arena;
            ref.offset = g.arena_offset[root];
            const int64_t bytes = checked_mul(num_elements(t.shape), dtype_bytes(t.dtype), "tensor bytes");
            if (ref.offset < 0 || ref.offset % kLibArenaAlignment || checked_add(ref.offset, bytes, "arena end") > g.arena_bytes)
                throw Error(node_error(g.source_file, user.name, op_name(user.op), "tensor '" + t.name +
                                       "' has no valid arena offset"));
        }
        ref.dtype = t.dtype;
        return ref;
    };
    m.in_offset = g.arena_offset[g.input];
    if (m.in_offset < 0 || m.in_offset % kLibArenaAlignment ||
        m.in_offset + num_elements(in.shape) * dtype_bytes(in.dtype) > g.arena_bytes)
        fail("input '" + in.name + "' has no valid arena region");
    m.quantized = in.dtype != DType::Float32;
    if (m.quantized) {
        // The RGB8 entry point preprocesses into a float image after the planned arena, then quantizes.
        const Node& out = g.node(out_root);
        m.in_dtype = in.dtype, m.in_quant = in.quant;
        m.out_dtype = out.dtype, m.out_quant = out.quant;
        if (m.in_quant.scale.size() != 1 || m.out_quant.scale.size() != 1 || m.in_quant.zero_point.size() != 1 ||
            m.out_quant.zero_point.size() != 1 || out.dtype == DType::Float32 || out.dtype == DType::Int32)
            fail("a quantized network needs a per-tensor quantized 8-bit input and output");
        m.scratch_offset = (g.arena_bytes + kLibArenaAlignment - 1) / kLibArenaAlignment * kLibArenaAlignment;
        m.arena_bytes = m.scratch_offset + num_elements(in.shape) * 4;
    }

    std::set<int> absorbed;   // computed inside their pointwise's kernel
    for (const auto& [pw, dw] : fused) absorbed.insert(dw);
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        if (n.op == Op::Input) {
            if (id != g.input) fail("graph has a second Input '" + n.name + "'");
            continue;
        }
        if (n.op == Op::Reshape) {
            if (n.inputs.size() != 1 || num_elements(n.shape) != num_elements(g.node(n.inputs[0]).shape))
                throw Error(node_error(g.source_file, n.name, "Reshape", "element count changes"));
            continue;
        }
        if (n.inputs.empty()) throw Error(node_error(g.source_file, n.name, op_name(n.op), "has no input"));
        if (absorbed.count(id)) continue;
        const auto f = fused.find(id);
        const Node* dw = f == fused.end() ? nullptr : &g.node(f->second);
        const Node& first = dw ? *dw : n;   // the kernel reads this node's input
        EmittedLayer L;
        L.node_name = dw ? fused_name(*dw, n) : n.name;
        L.op = dw ? std::string(op_name(dw->op)) + "+" + op_name(n.op) : op_name(n.op);
        L.activation = activation_name(n.activation);
        if (is_quantized_layer(n) != m.quantized)
            throw Error(node_error(g.source_file, n.name, op_name(n.op),
                                   "mixes float and quantized layers; mncc compiles all-float or all-integer networks"));
        L.fn_name = m.quantized ? kernel_name_q(opts.name, n, static_cast<int>(m.layers.size()))
                    : dw        ? fused_kernel_name(opts.name, *dw, static_cast<int>(m.layers.size()))
                                : kernel_name(opts.name, n, static_cast<int>(m.layers.size()));
        L.in_shape = g.node(first.inputs[0]).shape;
        L.out_shape = n.shape;
        L.in = ref(first.inputs[0], first);
        L.out = ref(id, n);
        const bool four_d = n.op != Op::FullyConnected && n.op != Op::Softmax;
        L.in.extents = halide_extents(L.in_shape, four_d);
        L.out.extents = halide_extents(L.out_shape, four_d);
        L.mult_adds = node_mult_adds(g, n) + (dw ? node_mult_adds(g, *dw) : 0);
        L.params = node_params(n) + (dw ? node_params(*dw) : 0);
        m.mult_adds += L.mult_adds;
        m.params += L.params;
        m.weights_bytes += L.params * (m.quantized ? 1 : 4);
        r.layers.push_back({id, L.fn_name});
        r.fused_dw.push_back(dw ? dw->id : -1);
        m.layers.push_back(std::move(L));
    }
    return r;
}

// The 8-bit dot-product form of quantized layer `n` (layers_q.h, DotProducts) for the
// target: conv, pointwise and FC as u8 x i8 on x86 (vpdpbusd with VNNI; without, in
// vpmaddwd pairs: 0.25/128 on AVX2 1.63 -> 1.24 ms against plain 16-bit products,
// synth 1.0/224 28-31 -> 18.6 ms with the pairs form); i8 x u8 with VNNI for the int8 activations of
// pointwise and FC layers with at least 256 input channels (no x ^ 0x80 per tap, for a
// sum of the pixel's inputs: synth 1.0/224 int8, 1 thread, 4 interleaved rounds against
// u8 x i8, per-layer time over a fixed layer's: K = 512 0.92x, 1024 0.93x, 128 1.00x,
// 32 1.10x; the first conv's gathered taps 1.65x); u8 x i8 for HVX's pointwise layers
// (vrmpy; its schedules take that form there only); i8 x i8 on arm64 with the
// dot-product extension (sdot).
DotProducts dot_form(const Graph& g, const Node& n, const ResolvedTarget& rt) {
    constexpr int64_t kSignedInputMinChannels = 256;
    const bool pointwise = n.op == Op::Conv2D && n.kernel_h == 1 && n.kernel_w == 1;
    if (rt.target.arch == Halide::Target::X86) {
        if (!rt.target.has_feature(Halide::Target::AVX512_SapphireRapids)) return DotProducts::U8xI8Pairs;   // no VNNI
        if (pointwise || n.op == Op::FullyConnected) {
            const Node& in = quantized_data_input(g, n);
            if (in.dtype == DType::Int8 && in.shape.back() >= kSignedInputMinChannels) return DotProducts::I8xU8;
        }
        return DotProducts::U8xI8;
    }
    if (rt.hexagon && pointwise) return DotProducts::U8xI8;
    if (rt.arm && rt.target.has_feature(Halide::Target::ARMDotProd)) return DotProducts::I8xI8;
    return DotProducts::None;
}

// The extents a kernel's input was declared with (fix_shape), innermost first: what
// the glue must pass it. Mostly the tensor's (c, x, y) or (C) as plan() set them, but a
// lowering may view the same bytes differently (the int8 first conv's row groups read
// (c * w, h), layers_q.cpp); the element count must stay the tensor's.
std::vector<int> declared_extents(const Halide::ImageParam& p, const std::vector<int>& tensor) {
    std::vector<int> e;
    int64_t n = 1, want = 1;
    for (int d = 0; d < p.dimensions(); ++d) {
        const int64_t* v = Halide::Internal::as_const_int(p.parameter().extent_constraint(d));
        if (!v) fail("kernel input '" + p.name() + "' has no fixed extent in dimension " + std::to_string(d));
        e.push_back(static_cast<int>(*v));
        n *= *v;
    }
    for (int v : tensor) want *= v;
    if (n != want) fail("kernel input '" + p.name() + "' declares " + std::to_string(n) + " elements, its tensor has " + std::to_string(want));
    return e;
}

// Lowers, schedules and compiles every layer into `obj_dir`; returns the objects.
std::vector<std::string> compile_kernels(const Graph& g, ModelInfo& m, const std::vector<std::pair<int, std::string>>& layers,
                                         const std::vector<int>& fused_dw, const ResolvedTarget& rt_target, const ScheduleKnobs& knobs,
                                         const fs::path& obj_dir, bool emit_cxx) {
    const Halide::Target& target = rt_target.target;
    std::vector<std::string> objects;
    const Halide::Target kernel_target = target.with_feature(Halide::Target::NoRuntime);
    auto halide_failed = [&](size_t i, const Halide::Error& e) {
        const Node& n = g.node(layers[i].first);
        return Error(node_error(g.source_file, n.name, op_name(n.op), std::string("Halide failed: ") + e.what()));
    };
    // Lower everything first: a bad layer fails before any slow code generation.
    std::vector<LayerFunc> funcs;
    for (size_t i = 0; i < layers.size(); ++i) {
        try {
            const Node& n = g.node(layers[i].first);
            const bool int64_lanes = target.arch == Halide::Target::X86;   // for the requantisation
            funcs.push_back(m.quantized ? lower_layer_q(g, n, layers[i].second, dot_form(g, n, rt_target), int64_lanes)
                            : fused_dw[i] >= 0 ? lower_fused(g, g.node(fused_dw[i]), n, layers[i].second)
                                               : lower_layer(g, n, layers[i].second));
        } catch (const Halide::Error& e) {
            throw halide_failed(i, e);
        }
    }
    for (size_t i = 0; i < funcs.size(); ++i) {
        LayerFunc& L = funcs[i];
        // Quantized layers have fixed schedules (schedules/x86_q.h): no knobs.
        const Knobs k = m.quantized ? (rt_target.hexagon ? hexagon_q_default_knobs(L.kind) : Knobs{})
                                    : knobs.knobs_for(static_cast<int>(i), m.layers[i].node_name, L.kind);
        m.layers[i].kind = kernel_kind_name(L.kind);
        m.layers[i].in.extents = declared_extents(L.input, m.layers[i].in.extents);
        m.layers[i].knobs_json = nlohmann::json(k).dump();
        try {
            if (m.quantized && rt_target.hexagon)
                apply_hexagon_schedule(L, target, k);
            else if (m.quantized)
                apply_quantized_schedule(L, target);
            else if (rt_target.arm)
                apply_arm64_schedule(L, target, k);
            else
                apply_x86_schedule(L, target, k);
            if (emit_cxx) {
                L.output.compile_to_c((obj_dir / (L.fn_name + ".cpp")).string(), {L.input}, L.fn_name, kernel_target);
            } else {
                const std::string obj = (obj_dir / (L.fn_name + ".o")).string();
                L.output.compile_to_object(obj, {L.input}, L.fn_name, kernel_target);
                objects.push_back(obj);
            }
        } catch (const Halide::Error& e) {
            throw halide_failed(i, e);
        }
    }
    const std::string rt = (obj_dir / (m.name + "_halide_runtime.o")).string();
    try {
        Halide::compile_standalone_runtime(rt, target);
    } catch (const Halide::Error& e) {
        fail(std::string("Halide runtime: ") + e.what());
    }
    objects.push_back(rt);
    return objects;
}

// A fused kernel reads its depthwise's input while writing its pointwise's output,
// which the graph's memory plan may have put in the same place (ping-pong: the
// pointwise output reuses the depthwise input's space). Returns `g` itself when
// nothing is fused, else `g` with the plan redone (into `out`) as if each fused
// pointwise read its depthwise's input directly: the graph and the reference
// interpreter's view of it are unchanged, only the library's arena layout.
const Graph& fused_memory_plan(const Graph& g, const std::map<int, int>& fused, Graph& out) {
    if (fused.empty()) return g;
    out = g;
    for (const auto& [pw, dw] : fused) out.node(pw).inputs = {g.node(dw).inputs.at(0)};
    plan_memory(out);
    for (const auto& [pw, dw] : fused) out.node(pw).inputs = {dw};
    return out;
}

// Writes everything into `dir` (a fresh temporary directory).
void build(const Graph& g, const CompileOptions& opts, const fs::path& dir) {
    if (opts.emit != "library" && opts.emit != "c++") fail("--emit must be library or c++, not '" + opts.emit + "'");
    ResolvedTarget target = resolve_target(opts.target);
    if (target.hexagon) {
        // Halide 14 has no HVX floating point: a float network would be scalar code.
        const int in = g.input;
        if (in >= 0 && in < static_cast<int>(g.nodes.size()) && g.node(in).dtype == DType::Float32)
            throw Error((opts.model_file.empty() ? g.source_file : opts.model_file) + ": target '" + opts.target +
                        "' needs a quantized (uint8/int8) model: Halide 14 has no HVX floating point; compile a "
                        "quantized .tflite (e.g. mobilenet_v1_0.25_128_quant.tflite) instead");
        if (opts.emit != "library") fail("target '" + opts.target + "' supports only --emit=library");
    }
    if (!opts.cxx.empty()) target.cxx = opts.cxx;
    if (!opts.ar.empty()) target.ar = opts.ar;
    // Fail before the slow kernel compilation when the glue cannot be built.
    for (const std::string& tool : {target.cxx, target.ar})
        if (opts.emit == "library" && !tool_available(tool))
            fail("target '" + opts.target + "' needs '" + tool + "', which is not installed" +
                 (tool == opts.cxx || tool == opts.ar ? std::string(" (--cxx/--ar)")
                                                      : " (Debian: apt-get install " + target.package + ")"));
    const std::string model_sha256 = opts.model_file.empty() ? "" : sha256_hex(read_file(opts.model_file, "compile"));
    const ScheduleKnobs knobs = load_schedule_file(opts.schedule_file, target.arm, {model_sha256, opts.target, MNCC_VERSION_STRING});
    const std::map<int, int> fused = fused_pairs(g, knobs);
    Lowered low = plan(g, opts, {});   // checks the graph and its own memory plan, which fusion replaces
    Graph replanned;
    const Graph& gk = fused_memory_plan(g, fused, replanned);   // what the kernels see
    if (!fused.empty()) low = plan(gk, opts, fused);
    ModelInfo& m = low.info;
    m.name = opts.name;
    m.model_file = opts.model_file;
    m.model_sha256 = model_sha256;
    m.target = opts.target;
    m.halide_target = target.target.to_string();
    m.schedule = std::string(target.hexagon ? "hexagon" : target.arm ? "arm64" : "x86") + (m.quantized ? "-quantized" : "-default") + (opts.schedule_file.empty() ? "" : "+" + fs::path(opts.schedule_file).filename().string());
    m.version = MNCC_VERSION_STRING;

    const bool emit_cxx = opts.emit == "c++";
    const fs::path obj_dir = dir / (emit_cxx ? m.name + "_kernels" : std::string("obj"));
    fs::create_directory(obj_dir);
    std::vector<std::string> objects = compile_kernels(gk, m, low.layers, low.fused_dw, target, knobs, obj_dir, emit_cxx);

    write_file(dir / (m.name + ".h"), emit_header(m));
    write_file(dir / (m.name + ".cpp"), emit_glue(m, kPreprocessHeaderText, kThreadPoolHeaderText));
    write_file(dir / (m.name + ".json"), emit_manifest(m));
    if (emit_cxx) {
        fs::rename(objects.back(), dir / fs::path(objects.back()).filename());   // the runtime object
        return;
    }
    const std::string glue_obj = (obj_dir / (m.name + "_glue.o")).string();
    std::vector<std::string> cxx{target.cxx, "-O2", "-fPIC", "-std=c++17", "-Wall", "-Wextra", "-Werror",
                                 "-fno-exceptions", "-fno-rtti", "-I", dir.string(), "-I", MNCC_HALIDE_RUNTIME_DIR};
    if (target.hexagon) {
        // No Hexagon libc here: the glue is freestanding (see emit_glue), and HalideRuntime.h's
        // <cstddef>/<cstdint>/<cstring> are mapped onto the compiler's own C headers.
        const fs::path inc = obj_dir / "freestanding";
        fs::create_directory(inc);
        write_file(inc / "cstddef", "#include <stddef.h>\n");
        write_file(inc / "cstdint", "#include <stdint.h>\n");
        write_file(inc / "cstring", "#include <stddef.h>  // HalideRuntime.h uses nothing of <cstring>\n");
        cxx.insert(cxx.end(), {"--target=hexagon-unknown-linux-musl", "-mv66", "-mhvx", "-mhvx-length=128b",
                               "-ffreestanding", "-isystem", inc.string()});
    }
    cxx.insert(cxx.end(), {"-c", (dir / (m.name + ".cpp")).string(), "-o", glue_obj});
    run_tool(cxx, obj_dir / "cxx.log");
    objects.insert(objects.begin(), glue_obj);
    // D: zero timestamps, uids and modes, so the same compile gives the same bytes
    // (default in Debian's binutils, not in every ar --ar may name).
    std::vector<std::string> ar{target.ar, "rcsD", (dir / ("lib" + m.name + ".a")).string()};
    ar.insert(ar.end(), objects.begin(), objects.end());
    run_tool(ar, obj_dir / "ar.log");
    fs::remove_all(obj_dir);
}

}  // namespace

const std::vector<TargetInfo>& known_targets() {
    static const std::vector<TargetInfo> r = [] {
        std::vector<TargetInfo> v{
            {"host", Halide::get_host_target().to_string(), "this machine's CPU, every feature it has", "", "", ""},
            {"x86-64-avx2", "x86-64-linux-sse41-avx-f16c-fma-avx2", "x86-64 Linux with AVX2+FMA (Haswell and later)",
             "", "", ""},
            {"x86-64-avx512", "x86-64-linux-sse41-avx-f16c-fma-avx2-avx512-avx512_skylake",
             "x86-64 Linux with AVX-512 (Skylake-SP and later)", "", "", ""},
            {"x86-64-avx512-vnni",
             "x86-64-linux-sse41-avx-f16c-fma-avx2-avx512-avx512_skylake-avx512_cannonlake-avx512_sapphirerapids",
             "x86-64 Linux with AVX-512 VNNI (Cascade Lake, Ice Lake, Sapphire Rapids)", "", "", ""},
            {"arm64", "arm-64-linux", "AArch64 Linux with NEON (cross-compiled glue)", "", "", ""},
            {"arm64-dotprod", "arm-64-linux-arm_dot_prod",
             "AArch64 Linux with NEON and the dot-product instructions (ARMv8.2+, cross-compiled glue)", "", "", ""},
            {"hexagon", "hexagon-32-noos-hvx_128-hvx_v66",
             "Hexagon DSP v66+ with 128-byte HVX, standalone code, quantized models only (freestanding glue)", "", "",
             ""},
        };
        for (TargetInfo& t : v) {
            ResolvedTarget rt;
            const Halide::Target ht(t.halide_target);
            rt.arm = ht.arch == Halide::Target::ARM;
            rt.hexagon = ht.arch == Halide::Target::Hexagon;
            default_tools(rt);
            t.cxx = rt.cxx, t.ar = rt.ar, t.package = rt.package;
        }
        return v;
    }();
    return r;
}

bool tool_available(const std::string& tool) {
    if (tool.empty()) return false;
    if (tool.find('/') != std::string::npos) return access(tool.c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':'))
        if (!dir.empty() && access((dir + "/" + tool).c_str(), X_OK) == 0) return true;
    return false;
}

void compile_model(const Graph& g, const CompileOptions& opts) {
    if (!is_c_identifier(opts.name)) fail("name '" + opts.name + "' is not a C identifier (at most 64 characters)");
    if (opts.out_dir.empty()) fail("no output directory");
    const fs::path out = fs::absolute(opts.out_dir).lexically_normal();
    const fs::path parent = out.has_filename() ? out.parent_path() : out.parent_path().parent_path();
    const fs::path final_dir = parent / (out.has_filename() ? out.filename() : out.parent_path().filename());
    std::error_code ec;
    if (fs::exists(final_dir, ec) && !fs::is_directory(final_dir, ec))
        fail("output '" + opts.out_dir + "' exists and is not a directory");
    // Like `mkdir -p`, -o a/b/out creates a/b; only out itself is written atomically.
    fs::create_directories(parent, ec);
    if (ec) fail("cannot create the parent directory of '" + opts.out_dir + "': " + ec.message());
    // Build next to out_dir and rename at the end: nothing half-written ever appears there.
    std::string tmpl = (parent / ("." + final_dir.filename().string() + ".tmp-XXXXXX")).string();
    if (!mkdtemp(tmpl.data())) fail("cannot create a directory next to '" + opts.out_dir + "': " + std::strerror(errno));
    const fs::path tmp = tmpl;
    try {
        build(g, opts, tmp);
        fs::permissions(tmp, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
        if (fs::exists(final_dir)) {
            // Replace an earlier output: move it aside first, delete it after.
            const fs::path old = tmp.string() + ".old";
            fs::rename(final_dir, old);
            fs::rename(tmp, final_dir, ec);
            if (ec) {   // put the earlier output back: a failed compile changes nothing
                std::error_code ignored;
                fs::rename(old, final_dir, ignored);
                throw fs::filesystem_error("rename", tmp, final_dir, ec);
            }
            fs::remove_all(old, ec);
        } else {
            fs::rename(tmp, final_dir);
        }
    } catch (const fs::filesystem_error& e) {
        fs::remove_all(tmp, ec);
        fail(std::string("writing '") + opts.out_dir + "': " + e.what());
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
}

}  // namespace mncc
