#include "tune/tune.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <tuple>

#include <Halide.h>
#include <nlohmann/json.hpp>

#include "bench/harness_text.h"
#include "lower/compile.h"
#include "lower/layers.h"
#include "lower/schedule_file.h"
#include "lower/sha256.h"
#include "reference/interpreter.h"
#include "schedules/arm64.h"
#include "schedules/x86.h"
#include "support/error.h"
#include "support/files.h"

namespace mncc {

extern const char* const kThreadPoolHeaderText;   // runtime/mncc_thread_pool.h (runtime_text.cpp)

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

[[noreturn]] void fail(const std::string& why) { throw Error("tune: " + why); }

// Runs a shell command; returns its stdout and exit status (-1: killed by a signal).
std::pair<std::string, int> run_shell(const std::string& cmd) {
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) fail("cannot run '" + cmd + "'");
    std::string out;
    char chunk[4096];
    for (size_t k; (k = fread(chunk, 1, sizeof chunk, p)) > 0;) out.append(chunk, k);
    const int st = pclose(p);
    return {out, WIFEXITED(st) ? WEXITSTATUS(st) : -1};
}

std::string host_cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos)
            return line.substr(line.find(':') + 2);
    return "unknown cpu";
}

struct TargetSetup {
    Halide::Target target;
    bool arm = false, cross = false;
    std::string cxx;
};

TargetSetup setup_target(const TuneOptions& o) {
    std::string s;
    for (const TargetInfo& t : known_targets())
        if (t.name == o.target) s = t.halide_target;
    if (s.empty() && o.target.rfind("halide:", 0) == 0 && Halide::Target::validate_target_string(o.target.substr(7)))
        s = o.target.substr(7);
    if (s.empty()) fail("unknown target '" + o.target + "' (see mncc targets)");
    TargetSetup r;
    r.target = Halide::Target(s);
    r.arm = r.target.arch == Halide::Target::ARM;
    const Halide::Target host = Halide::get_host_target();
    r.cross = r.target.arch != host.arch;
    if (r.target.bits != 64 || (r.target.arch != Halide::Target::X86 && !r.arm) || r.target.has_gpu_feature())
        fail("target '" + o.target + "' is not supported: x86-64 and arm-64 CPU targets only");
    r.cxx = !o.cxx.empty() ? o.cxx : r.cross ? "aarch64-linux-gnu-g++" : "c++";
    if (!tool_available(r.cxx)) fail("the timing programs need '" + r.cxx + "', which is not installed (--cxx)");
    return r;
}

// What a layer's time depends on: op, shapes, window, stride, pads, activation.
std::string layer_signature(const Graph& g, const Node& n, KernelKind kind) {
    std::ostringstream s;
    s << op_name(n.op) << " " << kernel_kind_name(kind) << " in" << shape_str(g.node(n.inputs[0]).shape) << " out"
      << shape_str(n.shape) << " k" << n.kernel_h << "x" << n.kernel_w << " s" << n.stride_h << "x" << n.stride_w
      << " p" << n.pad_top << "," << n.pad_bottom << "," << n.pad_left << "," << n.pad_right << " "
      << activation_name(n.activation);
    return s.str();
}

std::string knobs_key(const Knobs& k) { return json(k).dump(); }

// The on-disk cache: {"entries": {key: {"signature", "target", "device", "version",
// "candidates": {knobs: {"ms": t} | {"failed": why}}}}}, rewritten after every measurement.
struct Cache {
    fs::path file;
    json j;
    void load() {
        std::error_code ec;
        if (fs::exists(file, ec)) j = json::parse(read_file(file.string(), "tune"), nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("entries") || !j["entries"].is_object())
            j = {{"mncc_tune_cache", 1}, {"entries", json::object()}};
    }
    json& entry(const std::string& key) { return j["entries"][key]; }
    void save() const {
        std::error_code ec;
        if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
        write_file_atomic(file.string(), j.dump(1), "tune");
    }
};

fs::path default_cache_file() {
    if (const char* c = std::getenv("MNCC_TUNE_CACHE"); c && *c) return c;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "mncc" / "tune-cache.json";
    if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "mncc" / "tune-cache.json";
    return fs::temp_directory_path() / "mncc-tune-cache.json";
}

// The timing program: a harness compiled once per session plus, per batch, a
// small data file with the candidate kernels' table (mncc_cand_<i>) and the
// layer's input and reference output embedded with .incbin.
// `prog K RUNS THREADS` checks candidate K against the reference, then prints
// the median time of one call.
std::string harness_source() {
    return R"(#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>
#include "HalideRuntime.h"
)" + std::string(kThreadPoolHeaderText) + R"(
extern "C" {
struct MnccCand { int id; int (*fn)(halide_buffer_t*, halide_buffer_t*); };
extern const MnccCand mncc_cands[];
extern const int mncc_num_cands, mncc_in_dims, mncc_out_dims, mncc_in_ext[3], mncc_out_ext[3];
extern const long mncc_in_n, mncc_out_n;
extern const float mncc_in_data[], mncc_ref_data[];
}
static int g_threads = 1;
)" + timing_program_helpers() + R"(static double clock_s() { return g_threads == 1 ? mncc_cpu_s() : mncc_wall_s(); }
int main(int argc, char** argv) {
    if (argc != 4) return 2;
    const int id = std::atoi(argv[1]), runs = std::max(1, std::atoi(argv[2]));
    g_threads = std::max(1, std::atoi(argv[3]));
    halide_set_num_threads(g_threads);
    // Parallel loops on mncc's pool with its workers spinning, as inside a library's call.
    mncc_rt::Pool::instance().set_threads(g_threads);
    mncc_rt::Pool::install();
    mncc_rt::Pool::instance().hold(true);
    const MnccCand* c = nullptr;
    for (int i = 0; i < mncc_num_cands; ++i) if (mncc_cands[i].id == id) c = &mncc_cands[i];
    if (!c) return 2;
    float* in = static_cast<float*>(std::aligned_alloc(64, (mncc_in_n * 4 + 63) / 64 * 64));
    float* out = static_cast<float*>(std::aligned_alloc(64, (mncc_out_n * 4 + 63) / 64 * 64));
    std::memcpy(in, mncc_in_data, mncc_in_n * 4);
    for (long i = 0; i < mncc_out_n; ++i) out[i] = NAN;
    halide_dimension_t di[3], dout[3];
    halide_buffer_t bi, bo;
    mncc_describe(in, halide_type_t(halide_type_float, 32), mncc_in_dims, mncc_in_ext, di, &bi);
    mncc_describe(out, halide_type_t(halide_type_float, 32), mncc_out_dims, mncc_out_ext, dout, &bo);
    if (c->fn(&bi, &bo) != 0) { std::fprintf(stderr, "kernel failed\n"); return 1; }
    double err = 0;   // |a - ref| / max(1, |ref|); NaN counts as infinite
    for (long i = 0; i < mncc_out_n; ++i) {
        const double r = mncc_ref_data[i], d = std::fabs(double(out[i]) - r) / std::max(1.0, std::fabs(r));
        err = d == d ? std::max(err, d) : INFINITY;
    }
    // Each sample repeats the call until it lasts >= 0.5 ms, so short kernels are not timer noise.
    int reps = 1;
    for (; reps < (1 << 20); reps *= 2) {
        const double t0 = clock_s();
        for (int r = 0; r < reps; ++r) c->fn(&bi, &bo);
        if (clock_s() - t0 >= 5e-4) break;
    }
    std::vector<double> samples;
    for (int s = 0; s < runs; ++s) {
        const double t0 = clock_s();
        for (int r = 0; r < reps; ++r) c->fn(&bi, &bo);
        samples.push_back((clock_s() - t0) / reps);
    }
    std::sort(samples.begin(), samples.end());
    std::printf("MNCC_RESULT %d %.9e %.9e\n", id, samples[samples.size() / 2], err);
    std::free(in);
    std::free(out);
    return 0;
}
)";
}

std::string ext_list(const std::vector<int>& e) {
    std::string s;
    for (size_t i = 0; i < 3; ++i) s += (i ? ", " : "") + std::to_string(i < e.size() ? e[i] : 1);
    return s;
}

struct LayerJob {
    int index = 0;
    const Node* node = nullptr;
    const Node* dw = nullptr;        // a fused kernel's depthwise node (node is its pointwise)
    std::string name;                // the node's name, "<dw>+<pw>" for a fused kernel
    KernelKind kind{};
    std::string signature, key;
    std::vector<int> in_ext, out_ext;
    std::vector<float> input, ref;
};

struct Stats {
    int measured = 0, cached = 0, failed = 0;
};

double ms_of(const json& rec) { return rec.is_object() && rec.contains("ms") ? rec["ms"].get<double>() : INFINITY; }

constexpr int kConfirmRounds = 3;

class Tuner {
public:
    Tuner(const Graph& g, const TuneOptions& o, const TargetSetup& t, const fs::path& work, Cache& cache)
        : g_(g), o_(o), t_(t), work_(work), cache_(cache) {}

    // Times the candidates of `cands` not in the cache (one timing program);
    // returns each candidate's cache record.
    std::vector<json> measure(const LayerJob& L, const std::vector<Knobs>& cands, Stats& st) {
        json& e = cache_.entry(L.key);
        if (!e.is_object()) {
            e = {{"signature", L.signature}, {"target", o_.target}, {"device", device_}, {"version", MNCC_VERSION_STRING},
                 {"candidates", json::object()}};
        }
        std::vector<int> todo;
        for (size_t i = 0; i < cands.size(); ++i)
            if (e["candidates"].contains(knobs_key(cands[i])))
                ++st.cached;
            else
                todo.push_back(static_cast<int>(i));
        if (!todo.empty()) build_and_run(L, cands, todo, e, st);
        std::vector<json> r;
        for (const Knobs& k : cands) r.push_back(e["candidates"][knobs_key(k)]);
        return r;
    }

    void set_device(const std::string& d) { device_ = d; }

    // Head to head: the default and `best` in one fresh timing program, run
    // alternately kConfirmRounds times each, so load changes during the search
    // cannot make a candidate look faster. Returns {default ms, best ms}
    // (medians; infinite if a run failed), cached with the layer's entry.
    std::pair<double, double> confirm(const LayerJob& L, const Knobs& def, const Knobs& best, Stats& st) {
        json& e = cache_.entry(L.key);
        json& c = e["confirmed"][knobs_key(best)];
        if (c.is_object() && c.contains("default_ms") && c.contains("ms")) {
            ++st.cached;
            return {c["default_ms"].get<double>(), c["ms"].get<double>()};
        }
        std::vector<int> built;
        const fs::path dir = build(L, {def, best}, {0, 1}, nullptr, st, built);
        std::vector<double> t[2];
        for (int r = 0; r < kConfirmRounds && built.size() == 2; ++r)
            for (int i : {0, 1}) t[i].push_back(ms_of(run_one(dir, i, o_.runs)));
        auto median = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            return v.empty() ? INFINITY : v[v.size() / 2];
        };
        const double d = median(t[0]), b = median(t[1]);
        ++st.measured;
        if (std::isfinite(d) && std::isfinite(b)) {
            c = {{"default_ms", d}, {"ms", b}};
            cache_.save();
        }
        return {d, b};
    }

private:
    void record(json& e, const Knobs& k, json rec, Stats& st) {
        (rec.contains("failed") ? st.failed : st.measured)++;
        e["candidates"][knobs_key(k)] = std::move(rec);
        cache_.save();
    }

    void build_and_run(const LayerJob& L, const std::vector<Knobs>& cands, const std::vector<int>& todo, json& e, Stats& st) {
        std::vector<int> built;
        const fs::path dir = build(L, cands, todo, &e, st, built);
        for (int i : built) record(e, cands[i], run_one(dir, i, o_.runs), st);
    }

    // Compiles candidates `todo` of `cands` into one timing program in a fresh
    // directory (returned); those Halide rejects are recorded in `e` as failed.
    fs::path build(const LayerJob& L, const std::vector<Knobs>& cands, const std::vector<int>& todo, json* e, Stats& st,
                   std::vector<int>& built) {
        const fs::path dir = work_ / ("layer" + std::to_string(L.index) + "_" + std::to_string(batch_++));
        fs::create_directories(dir);
        const Halide::Target kt = t_.target.with_feature(Halide::Target::NoRuntime);
        std::vector<std::string> objs;
        for (int i : todo) {
            const std::string fn = "mncc_cand_" + std::to_string(i);
            try {
                LayerFunc F = L.dw ? lower_fused(g_, *L.dw, *L.node, fn) : lower_layer(g_, *L.node, fn);
                if (t_.arm)
                    apply_arm64_schedule(F, t_.target, cands[i]);
                else
                    apply_x86_schedule(F, t_.target, cands[i]);
                const std::string obj = (dir / (fn + ".o")).string();
                F.output.compile_to_object(obj, {F.input}, fn, kt);
                objs.push_back(obj);
                built.push_back(i);
            } catch (const Halide::Error& err) {
                std::string why = err.what();
                std::replace(why.begin(), why.end(), '\n', ' ');
                if (e) record(*e, cands[i], {{"failed", "Halide: " + why.substr(0, 300)}}, st);
            }
        }
        if (built.empty()) return dir;
        auto write_floats = [&](const char* name, const std::vector<float>& v) {
            std::ofstream f(dir / name, std::ios::binary);
            f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
            if (!f) fail("cannot write '" + (dir / name).string() + "'");
        };
        write_floats("in.bin", L.input);
        write_floats("ref.bin", L.ref);
        std::string src = "struct halide_buffer_t;\nextern \"C\" {\nstruct MnccCand { int id; int (*fn)(halide_buffer_t*, halide_buffer_t*); };\n";
        std::string table;
        for (int i : built) {
            src += "int mncc_cand_" + std::to_string(i) + "(halide_buffer_t*, halide_buffer_t*);\n";
            table += "{" + std::to_string(i) + ", mncc_cand_" + std::to_string(i) + "}, ";
        }
        src += "}\nextern \"C\" const MnccCand mncc_cands[] = {" + table + "};\n" +
               "extern \"C\" const int mncc_num_cands = " + std::to_string(built.size()) + ";\n" +
               "extern \"C\" const int mncc_in_dims = " + std::to_string(L.in_ext.size()) + ", mncc_out_dims = " +
               std::to_string(L.out_ext.size()) + ";\n" + "extern \"C\" const int mncc_in_ext[3] = {" + ext_list(L.in_ext) +
               "}, mncc_out_ext[3] = {" + ext_list(L.out_ext) + "};\n" + "extern \"C\" const long mncc_in_n = " +
               std::to_string(L.input.size()) + ", mncc_out_n = " + std::to_string(L.ref.size()) + ";\n" +
               "__asm__(\".pushsection .rodata\\n.balign 64\\n.globl mncc_in_data\\nmncc_in_data:\\n.incbin \\\"" +
               (dir / "in.bin").string() + "\\\"\\n.balign 64\\n.globl mncc_ref_data\\nmncc_ref_data:\\n.incbin \\\"" +
               (dir / "ref.bin").string() + "\\\"\\n.popsection\\n\");\n";
        {
            std::ofstream f(dir / "batch.cpp");
            f << src;
        }
        std::string cmd = shell_quote(t_.cxx) + " -O0" + (t_.cross ? " -static" : "") + " " + shell_quote((dir / "batch.cpp").string()) +
                          " " + shell_quote(harness_object().string());
        for (const std::string& obj : objs) cmd += " " + shell_quote(obj);
        cmd += " " + shell_quote(runtime_object().string()) + " -lpthread -ldl -lm -o " + shell_quote((dir / "timer").string()) +
               " > " + shell_quote((dir / "cxx.log").string()) + " 2>&1";
        if (run_shell(cmd).second != 0) {
            std::string log = read_file((dir / "cxx.log").string(), "tune").substr(0, 500);
            std::replace(log.begin(), log.end(), '\n', ' ');
            fail("building the timing program failed: " + log);
        }
        return dir;
    }

    // One run of candidate `i` of the timing program in `dir`: {"ms": t} or {"failed": why}.
    json run_one(const fs::path& dir, int i, int runs) {
        char timeout[32];
        std::snprintf(timeout, sizeof timeout, "%g", o_.timeout_s);
        const std::string run = "timeout -k 5 " + std::string(timeout) + " " + (o_.runner.empty() ? "" : o_.runner + " ") +
                                shell_quote((dir / "timer").string()) + " " + std::to_string(i) + " " + std::to_string(runs) +
                                " " + std::to_string(o_.threads) + " 2>>" + shell_quote((dir / "run.log").string());
        const auto t0 = std::chrono::steady_clock::now();
        auto [out, rc] = run_shell(run);
        const bool timed_out = (rc == 124 || rc == 137) &&
                               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >= o_.timeout_s;
        const size_t p = out.find("MNCC_RESULT ");
        int id = -1;
        double sec = 0, err = 0;
        if (rc != 0 || p == std::string::npos ||
            std::sscanf(out.c_str() + p, "MNCC_RESULT %d %lf %lf", &id, &sec, &err) != 3 || id != i)
            return {{"failed", timed_out ? "timed out" : "crashed (exit status " + std::to_string(rc) + ")"}};
        if (!(err <= 1e-5)) {
            char why[96];
            std::snprintf(why, sizeof why, "wrong output (error %.3g vs the reference)", err);
            return {{"failed", why}};
        }
        return {{"ms", sec * 1e3}};
    }

    fs::path harness_object() {
        const fs::path p = work_ / "harness.o";
        if (fs::exists(p)) return p;
        {
            std::ofstream f(work_ / "harness.cpp");
            f << harness_source();
        }
        const std::string cmd = shell_quote(t_.cxx) + " -O2 -std=c++17 -c -I " + shell_quote(MNCC_HALIDE_RUNTIME_DIR) + " " +
                                shell_quote((work_ / "harness.cpp").string()) + " -o " + shell_quote(p.string()) + " > " +
                                shell_quote((work_ / "harness.log").string()) + " 2>&1";
        if (run_shell(cmd).second != 0) fail("building the timing harness failed: " + read_file((work_ / "harness.log").string(), "tune").substr(0, 500));
        return p;
    }

    fs::path runtime_object() {
        const fs::path p = work_ / "halide_runtime.o";
        if (!fs::exists(p)) Halide::compile_standalone_runtime(p.string(), t_.target);
        return p;
    }

    const Graph& g_;
    const TuneOptions& o_;
    const TargetSetup& t_;
    fs::path work_;
    Cache& cache_;
    std::string device_;
    int batch_ = 0;
};

// The knobs a kernel's search varies: all but fuse, which shapes the kernel list
// itself (decided by kind or name before kernels are numbered, see fused_pairs):
// a fused kernel is tuned as one pointwise layer, with fuse left at its value and
// without the knobs its schedule ignores (schedules/x86.cpp, schedule_fused).
std::vector<KnobDecl> tunable_space(bool arm, KernelKind kind, bool fused) {
    std::vector<KnobDecl> r;
    for (const KnobDecl& d : knob_space_for(arm, kind))
        if (d.name != "fuse" && !(fused && x86_fused_ignored_knobs().count(d.name)))
            r.push_back(d);
    return r;
}

// Candidates after the default: each knob's other values one at a time,
// round-robin over the knobs so a small --trials still touches every knob.
std::vector<Knobs> single_variations(const Knobs& def, const std::vector<KnobDecl>& space) {
    std::vector<Knobs> r;
    for (size_t round = 0;; ++round) {
        bool any = false;
        for (const KnobDecl& d : space) {
            std::vector<int> others;
            for (int v : d.choices)
                if (v != def.at(d.name)) others.push_back(v);
            if (round < others.size()) {
                Knobs k = def;
                k[d.name] = others[round];
                r.push_back(k);
                any = true;
            }
        }
        if (!any) return r;
    }
}

}  // namespace

double parse_duration(const std::string& s) {
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    const std::string unit = end ? end : "";
    const double mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
    if (s.empty() || end == s.c_str() || mult < 0 || !(v >= 0) || !std::isfinite(v))
        throw Error("tune: --budget: not a duration: '" + s + "' (e.g. 90s, 20m, 1h)");
    return v * mult;
}

void run_tune(const Graph& g, const TuneOptions& o) {
    if (o.out_file.empty()) fail("no output file (-o)");
    if (o.trials < 1) fail("--trials must be at least 1");
    const auto t_start = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(); };
    const TargetSetup target = setup_target(o);
    for (int id : g.topo_order())
        if (g.node(id).dtype != DType::Float32) fail("quantized models cannot be tuned yet; float models only");
    const std::string sha = o.model_file.empty() ? "" : sha256_hex(read_file(o.model_file, "tune"));
    const std::string device = o.runner.empty() ? "local: " + host_cpu_model() : "runner: " + o.runner;

    // The layers' inputs and reference outputs on one deterministic network input.
    const Node& in = g.node(g.input);
    RefValue x;
    x.f.resize(static_cast<size_t>(num_elements(in.shape)));
    for (size_t i = 0; i < x.f.size(); ++i) x.f[i] = float((i * 7919) % 2001) / 1000.0f - 1.0f;
    const std::vector<RefValue> values = run_reference_all(g, x);

    Cache cache;
    cache.file = o.cache_file.empty() ? default_cache_file() : fs::path(o.cache_file);
    cache.load();
    std::string tmpl = (fs::temp_directory_path() / "mncc-tune-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) fail("cannot create a temporary directory");
    struct Cleanup {
        fs::path d;
        ~Cleanup() {
            std::error_code ec;
            fs::remove_all(d, ec);
        }
    } cleanup{tmpl};
    Tuner tuner(g, o, target, tmpl, cache);
    tuner.set_device(device);

    // The kernels in `mncc compile`'s order, fused as the starting knobs fuse them.
    const ScheduleKnobs start = load_schedule_file(o.schedule_file, target.arm, {sha, o.target, MNCC_VERSION_STRING});
    const std::map<int, int> fused = fused_pairs(g, start);
    std::set<int> absorbed;
    for (const auto& [pw, dw] : fused) absorbed.insert(dw);
    std::vector<LayerJob> jobs;
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        if (n.op == Op::Input || n.op == Op::Reshape || absorbed.count(id)) continue;
        LayerJob L;
        L.index = static_cast<int>(jobs.size());
        L.node = &n;
        const auto f = fused.find(id);
        L.dw = f == fused.end() ? nullptr : &g.node(f->second);
        L.name = L.dw ? fused_name(*L.dw, n) : n.name;
        const Node& first = L.dw ? *L.dw : n;
        const LayerFunc probe = L.dw ? lower_fused(g, *L.dw, n, "mncc_probe") : lower_layer(g, n, "mncc_probe");
        L.kind = probe.kind;
        const bool four_d = probe.input.dimensions() == 3;
        const Shape& is = g.node(first.inputs[0]).shape;
        L.in_ext = four_d ? std::vector<int>{int(is[3]), int(is[2]), int(is[1])} : std::vector<int>{int(num_elements(is))};
        L.out_ext = four_d ? std::vector<int>{probe.out_c, probe.out_w, probe.out_h} : std::vector<int>{probe.out_c};
        L.input = values.at(first.inputs[0]).f;
        L.ref = values.at(id).f;
        L.signature = (L.dw ? layer_signature(g, *L.dw, KernelKind::Depthwise) + " + " : "") + layer_signature(g, n, L.kind);
        L.key = sha256_hex(L.signature + "\n" + o.target + "\n" + device + "\n" + MNCC_VERSION_STRING + "\nthreads " +
                           std::to_string(o.threads));
        jobs.push_back(std::move(L));
    }

    std::printf("mncc tune: %zu layers, target %s, device '%s', up to %d candidates per layer, cache %s\n", jobs.size(),
                o.target.c_str(), device.c_str(), o.trials, cache.file.c_str());
    std::fflush(stdout);
    json layers = json::array();
    Stats total;
    double sum_default = 0, sum_best = 0;
    bool out_of_budget = false;
    for (LayerJob& L : jobs) {
        if (o.stop_after_layers >= 0 && L.index >= o.stop_after_layers)
            fail("stopped after " + std::to_string(o.stop_after_layers) +
                 " layers (--stop-after-layers); the cache keeps what was measured");
        const Knobs def = start.knobs_for(L.index, L.name, L.kind);
        json entry = {{"index", L.index}, {"name", L.name}, {"kind", kernel_kind_name(L.kind)},
                      {"signature", L.signature}};
        out_of_budget = out_of_budget || (o.budget_s > 0 && elapsed() > o.budget_s);
        if (out_of_budget) {
            entry["knobs"] = def;
            entry["tuned"] = false;
            layers.push_back(entry);
            std::printf("[%d/%zu] %s: budget spent, default knobs\n", L.index + 1, jobs.size(), L.name.c_str());
            continue;
        }
        Stats st;
        // Batch 1: the default and one-knob variations.
        std::vector<Knobs> cands{def};
        for (const Knobs& k : single_variations(def, tunable_space(target.arm, L.kind, L.dw != nullptr)))
            if (static_cast<int>(cands.size()) < o.trials) cands.push_back(k);
        std::vector<json> recs = tuner.measure(L, cands, st);
        // Batch 2: each knob's best value together, then random combinations.
        if (static_cast<int>(cands.size()) < o.trials) {
            Knobs combo = def;
            for (const KnobDecl& d : tunable_space(target.arm, L.kind, L.dw != nullptr)) {
                double best = ms_of(recs[0]);
                for (size_t i = 1; i < cands.size(); ++i)
                    if (cands[i].at(d.name) != def.at(d.name) && ms_of(recs[i]) < best)
                        best = ms_of(recs[i]), combo[d.name] = cands[i].at(d.name);
            }
            std::vector<Knobs> more;
            auto add = [&](const Knobs& k) {
                if (std::find(cands.begin(), cands.end(), k) == cands.end() &&
                    std::find(more.begin(), more.end(), k) == more.end() &&
                    static_cast<int>(cands.size() + more.size()) < o.trials)
                    more.push_back(k);
            };
            add(combo);
            std::mt19937 rng(static_cast<uint32_t>(std::hash<std::string>()(L.signature)));
            for (int tries = 0; tries < 20 * o.trials && static_cast<int>(cands.size() + more.size()) < o.trials; ++tries) {
                Knobs k = def;   // keeps the knobs left out of the search
                for (const KnobDecl& d : tunable_space(target.arm, L.kind, L.dw != nullptr))
                    k[d.name] = d.choices[rng() % d.choices.size()];
                add(k);
            }
            if (!more.empty()) {
                std::vector<json> r2 = tuner.measure(L, more, st);
                cands.insert(cands.end(), more.begin(), more.end());
                recs.insert(recs.end(), r2.begin(), r2.end());
            }
        }
        // A candidate replaces the default only when faster by more than --min-gain:
        // smaller differences are within timing noise on a shared machine.
        size_t best = 0;
        for (size_t i = 1; i < cands.size(); ++i)
            if (ms_of(recs[i]) < ms_of(recs[best]) && ms_of(recs[i]) < ms_of(recs[0]) * (1 - o.min_gain)) best = i;
        double d_ms = ms_of(recs[0]), b_ms = ms_of(recs[best]);
        if (best != 0) {
            std::tie(d_ms, b_ms) = tuner.confirm(L, def, cands[best], st);
            if (!(b_ms < d_ms * (1 - o.min_gain))) best = 0, b_ms = d_ms;
        }
        entry["knobs"] = cands[best];
        entry["tuned"] = true;
        entry["candidates"] = cands.size();
        entry["failed"] = json::array();
        for (size_t i = 0; i < cands.size(); ++i)
            if (recs[i].contains("failed")) entry["failed"].push_back({{"knobs", cands[i]}, {"why", recs[i]["failed"]}});
        entry["time_ms"] = std::isfinite(b_ms) ? json(b_ms) : json(nullptr);
        entry["default_ms"] = std::isfinite(d_ms) ? json(d_ms) : json(nullptr);
        if (std::isfinite(d_ms) && std::isfinite(b_ms)) sum_default += d_ms, sum_best += b_ms;
        layers.push_back(entry);
        total.measured += st.measured, total.cached += st.cached, total.failed += st.failed;
        std::printf("[%d/%zu] %s (%s): %zu candidates (%d measured, %d cached, %d failed), best %.4f ms vs default %.4f ms (%.2fx) %s\n",
                    L.index + 1, jobs.size(), L.name.c_str(), kernel_kind_name(L.kind), cands.size(), st.measured,
                    st.cached, st.failed, b_ms, d_ms, std::isfinite(d_ms) && b_ms > 0 ? d_ms / b_ms : 0.0,
                    json(cands[best]).dump().c_str());
        std::fflush(stdout);
    }

    json sched = {{"mncc_schedule", 1},      {"model", o.model_file},   {"model_sha256", sha},
                  {"target", o.target},      {"halide_target", target.target.to_string()},
                  {"version", MNCC_VERSION_STRING}, {"device", device},  {"threads", o.threads},
                  {"layers", layers}};
    write_file_atomic(o.out_file, sched.dump(2) + "\n", "tune");

    std::printf("\n%-4s %-48s %-16s %12s %12s %8s  %s\n", "#", "layer", "kind", "default ms", "tuned ms", "speedup",
                "knobs");
    for (const json& e : layers) {
        const bool timed = e.contains("time_ms") && e["time_ms"].is_number() && e["default_ms"].is_number();
        std::printf("%-4d %-48s %-16s %12s %12s %8s  %s\n", e["index"].get<int>(), e["name"].get<std::string>().c_str(),
                    e["kind"].get<std::string>().c_str(),
                    timed ? std::to_string(e["default_ms"].get<double>()).c_str() : "-",
                    timed ? std::to_string(e["time_ms"].get<double>()).c_str() : "-",
                    timed ? (std::to_string(e["default_ms"].get<double>() / e["time_ms"].get<double>()).substr(0, 4) + "x").c_str() : "-",
                    e["knobs"].dump().c_str());
    }
    std::printf("layers sum: default %.4f ms, tuned %.4f ms (%.2fx); %d candidates measured, %d cached, %d failed; %.1f s\n",
                sum_default, sum_best, sum_best > 0 ? sum_default / sum_best : 0.0, total.measured, total.cached,
                total.failed, elapsed());
    std::printf("wrote %s\n", o.out_file.c_str());
}

}  // namespace mncc
