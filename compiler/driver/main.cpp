// The `mncc` command: subcommands over the compiler stages.
//
// Every failure prints one line "mncc: error: ..." on stderr and exits 1;
// usage mistakes exit 2. Nothing here throws past main.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "frontend/frontend.h"
#include "frontend/synth.h"
#include "image/image.h"
#include "lower/compile.h"
#include "passes/passes.h"
#include "reference/inspect.h"
#include "reference/interpreter.h"
#include "support/error.h"
#include "support/files.h"
#include "tune/tune.h"

#ifndef MNCC_VERSION
#define MNCC_VERSION "0.0.0"
#endif

namespace {

using mncc::Error;

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A tiny option parser: positional arguments, --flag, --key value, --key=value.
class Args {
public:
    Args(int argc, char** argv, int first, const std::vector<std::string>& flags,
         const std::vector<std::string>& keys) {
        for (int i = first; i < argc; ++i) {
            std::string a = argv[i];
            if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
                std::string key = a.substr(2), value;
                bool has_value = false;
                if (auto eq = key.find('='); eq != std::string::npos) {
                    value = key.substr(eq + 1);
                    key = key.substr(0, eq);
                    has_value = true;
                }
                if (std::find(flags.begin(), flags.end(), key) != flags.end()) {
                    if (has_value) throw UsageError("option --" + key + " takes no value");
                    flags_[key] = true;
                } else if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
                    if (!has_value) {
                        if (i + 1 >= argc) throw UsageError("option --" + key + " needs a value");
                        value = argv[++i];
                    }
                    values_[key] = value;
                } else {
                    throw UsageError("unknown option " + a);
                }
            } else if (a == "-o") {
                if (i + 1 >= argc) throw UsageError("option -o needs a value");
                values_["o"] = argv[++i];
            } else {
                positional_.push_back(a);
            }
        }
    }
    bool flag(const std::string& k) const { return flags_.count(k) > 0; }
    std::string get(const std::string& k, const std::string& def = "") const {
        auto it = values_.find(k);
        return it == values_.end() ? def : it->second;
    }
    bool has(const std::string& k) const { return values_.count(k) > 0; }
    double number(const std::string& k, double def) const {
        if (!has(k)) return def;
        const std::string& s = values_.at(k);
        char* end = nullptr;
        double v = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0' || !std::isfinite(v)) throw UsageError("--" + k + ": not a number: '" + s + "'");
        return v;
    }
    int integer(const std::string& k, int def, int lo, int hi) const {
        double v = number(k, def);
        if (v != std::floor(v) || v < lo || v > hi)
            throw UsageError("--" + k + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return static_cast<int>(v);
    }
    const std::vector<std::string>& positional() const { return positional_; }
    std::string model() const {
        if (positional_.size() != 1) throw UsageError("expected exactly one model file");
        return positional_[0];
    }

private:
    std::map<std::string, bool> flags_;
    std::map<std::string, std::string> values_;
    std::vector<std::string> positional_;
};

const char* kMainHelp =
    "mncc " MNCC_VERSION " - ahead-of-time compiler for MobileNets\n"
    "\n"
    "usage: mncc COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  inspect MODEL     print the network as mncc understood it (layers, mult-adds, parameters)\n"
    "  run MODEL         classify an image with the reference interpreter\n"
    "  compile MODEL     compile the network into a static library with a C/C++ header\n"
    "  synth             write a MobileNet v1 frozen GraphDef with random weights\n"
    "  bench MODEL       compile for a target and time the library (latency, GFLOP/s, % of peak)\n"
    "  tune MODEL        time each layer's schedule knobs on a device, write a schedule file\n"
    "  targets           list compile targets, what each needs and whether it is available\n"
    "\n"
    "options: --help (also after a command), --version\n";

const char* kInspectHelp =
    "usage: mncc inspect MODEL [--json] [--input NAME] [--output NAME] [--dump-ir DIR]\n"
    "\n"
    "Prints one row per layer (kind, shapes, kernel, stride, padding, activation, mult-adds,\n"
    "parameters), totals, and the share of mult-adds and parameters per layer kind.\n"
    "  --json          print the same data as JSON\n"
    "  --input NAME    the input Placeholder (found automatically by default)\n"
    "  --output NAME   the output node (found automatically by default)\n"
    "  --dump-ir DIR   write the IR after every pass into DIR\n";

const char* kRunHelp =
    "usage: mncc run MODEL --image FILE [--labels FILE] [--top K] [--save-output FILE]\n"
    "                [--input NAME] [--output NAME]\n"
    "\n"
    "Classifies FILE (JPEG, PNG, BMP or PPM) with the reference interpreter: centre crop,\n"
    "bilinear resize to the model's input size, the model's normalisation. Prints the top K\n"
    "classes as 'index label probability' (quantized models: then the raw integer score).\n"
    "  --labels FILE       one label per line, line i names class i\n"
    "  --top K             how many classes to print (default 5)\n"
    "  --save-output FILE  write the whole output vector as little-endian float32\n";

const char* kCompileHelp =
    "usage: mncc compile MODEL --target=TARGET -o DIR [--name NAME] [--schedule FILE]\n"
    "                [--cxx CXX] [--ar AR] [--emit library|c++] [--input NAME] [--output NAME]\n"
    "                [--dump-ir DIR]\n"
    "\n"
    "Writes DIR/NAME.h (C/C++ API), DIR/libNAME.a (kernels, weights, Halide runtime),\n"
    "DIR/NAME.cpp (the emitted glue) and DIR/NAME.json (manifest). DIR is written\n"
    "atomically: nothing is left there if compilation fails.\n"
    "  --target TARGET   host (default), x86-64-avx2, x86-64-avx512, x86-64-avx512-vnni,\n"
    "                    arm64, arm64-dotprod, hexagon (quantized models only),\n"
    "                    halide:<target string>\n"
    "                    (x86-64 Linux, arm-64 Linux/Android, Hexagon HVX; see mncc targets)\n"
    "  --name NAME       C identifier prefix for the API (default mobilenet)\n"
    "  --schedule FILE   a tuned schedule file\n"
    "  --cxx, --ar       compiler and archiver for the emitted glue (default: the target's,\n"
    "                    c++/ar for x86-64, aarch64-linux-gnu-g++/-ar for arm64)\n"
    "  --emit c++        instead of libNAME.a, portable C++ kernels (DIR/NAME_kernels/*.cpp,\n"
    "                    Halide's C backend) and the target's Halide runtime (DIR/NAME_halide_runtime.o)\n";

const char* kTargetsHelp =
    "usage: mncc targets\n"
    "\n"
    "Lists the targets of mncc compile --target: the Halide target, the glue compiler and\n"
    "archiver each uses by default, and whether they are installed here.\n";

const char* kSynthHelp =
    "usage: mncc synth [--alpha A] [--resolution R] [--classes N] [--seed S] [--quantize T] -o FILE\n"
    "\n"
    "Writes a MobileNet v1 frozen GraphDef in TF-slim's style (same op set and names as\n"
    "TensorFlow's released graphs) with deterministic random weights.\n"
    "  --alpha A        width multiplier (default 1.0); depth = max(int(c*A), 8)\n"
    "  --resolution R   input height and width (default 224)\n"
    "  --classes N      output classes (default 1001)\n"
    "  --seed S         random seed (default 1)\n"
    "  --quantize T     uint8 or int8: a quantized TFLite file instead (uint8: per-tensor uint8\n"
    "                   weights; int8: int8 activations, symmetric per-channel int8 weights)\n";

bool wants_help(int argc, char** argv) {
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") return true;
    }
    return false;
}

mncc::Graph load_and_lower(const Args& args) {
    mncc::FrontendOptions fo;
    fo.input_name = args.get("input");
    fo.output_name = args.get("output");
    mncc::Graph g = mncc::load_model(args.model(), fo);
    mncc::PassOptions po;
    po.dump_dir = args.get("dump-ir");
    mncc::run_passes(g, po);
    return g;
}

int cmd_inspect(const Args& args) {
    mncc::Graph g = load_and_lower(args);
    if (args.flag("json"))
        std::cout << mncc::inspect_json(g).dump(2) << "\n";
    else
        std::cout << mncc::inspect_table(g);
    return 0;
}

int cmd_run(const Args& args) {
    if (!args.has("image")) throw UsageError("run needs --image FILE");
    const int top = args.integer("top", 5, 1, 100000);
    std::vector<std::string> labels = mncc::load_labels(args.get("labels"));
    mncc::Graph g = load_and_lower(args);
    mncc::Image img = mncc::load_image(args.get("image"));
    // Quantized (uint8/int8) models: preprocess_image yields the dequantized
    // input (Graph::preprocess), so quantize_input recovers the raw RGB bytes.
    std::vector<float> out;
    std::vector<int32_t> raw;
    const mncc::Node& in = g.node(g.input);
    if (in.dtype != mncc::DType::Float32) {
        raw = mncc::run_reference_int(g, mncc::quantize_input(g, mncc::preprocess_image(img, g)));
        int src = g.output;  // a Reshape view has its producer's quantisation
        while (g.node(src).op == mncc::Op::Reshape) src = g.node(src).inputs.at(0);
        const mncc::Quantization& q = g.node(src).quant;
        for (int32_t v : raw) out.push_back(float(double(q.scale.at(0)) * (int64_t(v) - q.zero_point.at(0))));
    } else {
        out = mncc::run_reference(g, mncc::preprocess_image(img, g));
    }
    if (args.has("save-output")) {
        std::string bytes(reinterpret_cast<const char*>(out.data()), out.size() * sizeof(float));
        mncc::write_file_atomic(args.get("save-output"), bytes, "run");
    }
    std::vector<int> idx(out.size());
    std::iota(idx.begin(), idx.end(), 0);
    const size_t k = std::min<size_t>(static_cast<size_t>(top), idx.size());
    std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(k), idx.end(),
                      [&](int a, int b) { return out[a] > out[b] || (out[a] == out[b] && a < b); });
    for (size_t i = 0; i < k; ++i) {
        int c = idx[i];
        std::string label = c < static_cast<int>(labels.size()) ? labels[c] : "";
        if (raw.empty())
            std::printf("%d\t%s\t%.6f\n", c, label.c_str(), out[c]);
        else  // quantized output: dequantized probability, then the raw integer score
            std::printf("%d\t%s\t%.6f\t%d\n", c, label.c_str(), out[c], raw[c]);
    }
    return 0;
}

int cmd_compile(const Args& args) {
    if (!args.has("o")) throw UsageError("compile needs -o DIR");
    mncc::Graph g = load_and_lower(args);
    mncc::CompileOptions co;
    co.target = args.get("target", "host");
    co.out_dir = args.get("o");
    co.name = args.get("name", "mobilenet");
    co.schedule_file = args.get("schedule");
    co.model_file = args.model();
    co.cxx = args.get("cxx", co.cxx);
    co.ar = args.get("ar", co.ar);
    co.emit = args.get("emit", co.emit);
    mncc::compile_model(g, co);
    return 0;
}

int cmd_synth(const Args& args) {
    if (!args.has("o")) throw UsageError("synth needs -o FILE");
    if (!args.positional().empty()) throw UsageError("synth takes no positional arguments");
    mncc::SynthOptions so;
    so.alpha = args.number("alpha", 1.0);
    if (!(so.alpha > 0 && so.alpha <= 4)) throw UsageError("--alpha must be in (0, 4]");
    so.resolution = args.integer("resolution", 224, 32, 4096);
    so.classes = args.integer("classes", 1001, 1, 100000);
    so.seed = static_cast<uint64_t>(args.number("seed", 1));
    const std::string q = args.get("quantize", "");
    if (q.empty()) {
        mncc::write_file_atomic(args.get("o"), mncc::synth_tf_graphdef(so), "synth");
        return 0;
    }
    if (q != "uint8" && q != "int8") throw UsageError("--quantize must be uint8 or int8, not '" + q + "'");
    so.quantize = q == "int8" ? mncc::SynthQuant::Int8 : mncc::SynthQuant::UInt8;
    mncc::write_file_atomic(args.get("o"), mncc::synth_tflite_quantized(so), "synth");
    return 0;
}

int cmd_targets(const Args& args) {
    if (!args.positional().empty()) throw UsageError("targets takes no arguments");
    for (const mncc::TargetInfo& t : mncc::known_targets()) {
        const bool ok = mncc::tool_available(t.cxx) && mncc::tool_available(t.ar);
        std::printf("%-18s %s\n  halide target: %s\n  needs: %s and %s (Debian package %s): %s\n", t.name.c_str(),
                    t.description.c_str(), t.halide_target.c_str(), t.cxx.c_str(), t.ar.c_str(), t.package.c_str(),
                    ok ? "available" : "MISSING");
    }
    return 0;
}

const char* kBenchHelp =
    "usage: mncc bench MODEL [--target=TARGET] [--threads N] [--runs N] [--warmup N] [--json]\n"
    "                [--peak-gflops G] [--runner CMD] [--keep DIR] [--schedule FILE] [--cxx CXX]\n"
    "                [--report FILE.svg|FILE.html]\n"
    "\n"
    "Compiles MODEL into a temporary directory, builds a timing program against the library\n"
    "and runs it: median/min/max latency of NAME_run over --runs runs after --warmup runs,\n"
    "each round also timing every layer kernel alone (interleaved); GFLOP/s = 2 x mult-adds /\n"
    "time, and % of the FMA peak (measured per core by the program, times --threads).\n"
    "  --peak-gflops G   per-thread peak to use instead of measuring it\n"
    "  --runner CMD      prefix for the timing program (e.g. 'taskset -c 1')\n"
    "  --keep DIR        keep the library and the timing program in DIR\n"
    "  --report FILE     per-layer chart (time share next to mult-add share), .svg or .html\n";

int cmd_bench(const Args& args) {
    mncc::BenchOptions bo;
    bo.target = args.get("target", "host");
    bo.model_file = args.model();
    bo.schedule_file = args.get("schedule");
    bo.threads = args.integer("threads", 1, 1, 256);
    bo.runs = args.integer("runs", 50, 1, 100000);
    bo.warmup = args.integer("warmup", 5, 0, 100000);
    bo.peak_gflops = args.number("peak-gflops", 0);
    if (bo.peak_gflops < 0) throw UsageError("--peak-gflops must be positive");
    bo.runner = args.get("runner");
    bo.keep_dir = args.get("keep");
    bo.json = args.flag("json");
    bo.report_file = args.get("report");
    bo.cxx = args.get("cxx", bo.cxx);
    mncc::run_bench(load_and_lower(args), bo);
    return 0;
}

const char* kTuneHelp =
    "usage: mncc tune MODEL [--target=TARGET] -o FILE [--runner CMD] [--budget 20m] [--trials N]\n"
    "                [--runs N] [--threads N] [--cache FILE] [--timeout S] [--cxx CXX] [--schedule FILE]\n"
    "\n"
    "Times, layer by layer, the knob values the target's schedules declare (the default\n"
    "first), checks every candidate's output against the reference interpreter, and writes\n"
    "the fastest knobs per layer to FILE (JSON) for mncc compile --schedule FILE.\n"
    "  --runner CMD     prefix that runs a timing program on the device: '' (here),\n"
    "                   'ssh HOST' (needs the same path there), 'qemu-aarch64 -L /usr/aarch64-linux-gnu'\n"
    "  --trials N       candidates per layer, the default included (default 8)\n"
    "  --budget T       stop measuring after T (90s, 20m, 1h); later layers keep the defaults\n"
    "  --runs N         timed samples per candidate, the median counts (default 9)\n"
    "  --cache FILE     measurements by (layer, target, device, version); default\n"
    "                   $MNCC_TUNE_CACHE or ~/.cache/mncc/tune-cache.json. A rerun reuses them.\n"
    "  --timeout S      seconds per candidate run before it counts as failed (default 120)\n"
    "  --min-gain P     percent a candidate must beat the default by to replace it (default 3)\n"
    "  --schedule FILE  start each layer's search from this schedule file's knobs; its pointwise\n"
    "                   `fuse` values decide which depthwise+pointwise pairs are tuned as one kernel\n";

int cmd_tune(const Args& args) {
    if (!args.has("o")) throw UsageError("tune needs -o FILE");
    mncc::TuneOptions to;
    to.target = args.get("target", "host");
    to.model_file = args.model();
    to.out_file = args.get("o");
    to.runner = args.get("runner");
    to.cache_file = args.get("cache");
    to.cxx = args.get("cxx");
    to.schedule_file = args.get("schedule");
    to.trials = args.integer("trials", to.trials, 1, 10000);
    to.runs = args.integer("runs", to.runs, 1, 100000);
    to.threads = args.integer("threads", 1, 1, 256);
    to.timeout_s = args.number("timeout", to.timeout_s);
    if (!(to.timeout_s > 0)) throw UsageError("--timeout must be positive");
    to.min_gain = args.number("min-gain", 3) / 100;
    if (!(to.min_gain >= 0 && to.min_gain < 1)) throw UsageError("--min-gain must be in [0, 100)");
    if (args.has("budget")) to.budget_s = mncc::parse_duration(args.get("budget"));
    to.stop_after_layers = args.integer("stop-after-layers", -1, -1, 1000000);
    mncc::run_tune(load_and_lower(args), to);
    return 0;
}

struct Command {
    const char* help;
    std::vector<std::string> flags, keys;
    std::function<int(const Args&)> run;
};

}  // namespace

int main(int argc, char** argv) {
    const std::map<std::string, Command> commands = {
        {"inspect", {kInspectHelp, {"json"}, {"input", "output", "dump-ir"}, cmd_inspect}},
        {"run", {kRunHelp, {}, {"image", "labels", "top", "save-output", "input", "output", "dump-ir"}, cmd_run}},
        {"compile",
         {kCompileHelp, {}, {"target", "name", "schedule", "cxx", "ar", "emit", "input", "output", "dump-ir"}, cmd_compile}},
        {"bench",
         {kBenchHelp, {"json"},
          {"target", "threads", "runs", "warmup", "peak-gflops", "runner", "keep", "schedule", "cxx", "report", "input",
           "output", "dump-ir"},
          cmd_bench}},
        {"tune",
         {kTuneHelp, {},
          {"target", "runner", "budget", "trials", "runs", "threads", "cache", "timeout", "min-gain", "cxx", "stop-after-layers", "schedule",
           "input", "output", "dump-ir"},
          cmd_tune}},
        {"synth", {kSynthHelp, {}, {"alpha", "resolution", "classes", "seed", "quantize"}, cmd_synth}},
        {"targets", {kTargetsHelp, {}, {}, cmd_targets}},
    };
    if (argc < 2) {
        std::fputs(kMainHelp, stderr);
        return 2;
    }
    std::string cmd = argv[1];
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
        std::fputs(kMainHelp, stdout);
        return 0;
    }
    if (cmd == "--version") {
        std::printf("mncc %s\n", MNCC_VERSION);
        return 0;
    }
    auto it = commands.find(cmd);
    if (it == commands.end()) {
        std::fprintf(stderr, "mncc: error: unknown command '%s' (see mncc --help)\n", cmd.c_str());
        return 2;
    }
    if (wants_help(argc, argv)) {
        std::fputs(it->second.help, stdout);
        return 0;
    }
    try {
        Args args(argc, argv, 2, it->second.flags, it->second.keys);
        return it->second.run(args);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "mncc %s: usage error: %s (see mncc %s --help)\n", cmd.c_str(), e.what(), cmd.c_str());
        return 2;
    } catch (const Error& e) {
        std::fprintf(stderr, "mncc: error: %s\n", e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "mncc: error: out of memory\n");
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mncc: error: internal error: %s\n", e.what());
        return 1;
    }
}
