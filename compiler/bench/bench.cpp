#include "bench/bench.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bench/harness_text.h"
#include "bench/report.h"
#include "lower/compile.h"
#include "support/error.h"
#include "support/files.h"

namespace mncc {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

[[noreturn]] void fail(const std::string& why) { throw Error("bench: " + why); }

// A kernel buffer's rank and Halide extents (innermost first) from the manifest's
// input_extents / output_extents, padded with 1s to 3.
std::string extents(const json& e) {
    const std::vector<int64_t> v = e.get<std::vector<int64_t>>();
    if (v.empty() || v.size() > 3) fail("manifest: bad kernel extents " + e.dump());
    std::string s = std::to_string(v.size()) + ", {";
    for (size_t i = 0; i < 3; ++i) s += (i ? ", " : "") + std::to_string(i < v.size() ? v[i] : 1);
    return s + "}";
}

// C type and halide_type_t initialiser of a manifest dtype ("float32", "uint8", "int8").
struct ElemType {
    std::string c, halide;
};
ElemType elem_type(const std::string& dtype) {
    if (dtype == "uint8") return {"uint8_t", "halide_type_t(halide_type_uint, 8)"};
    if (dtype == "int8") return {"int8_t", "halide_type_t(halide_type_int, 8)"};
    if (dtype == "float32") return {"float", "halide_type_t(halide_type_float, 32)"};
    fail("unsupported activation type '" + dtype + "' in the manifest");
}

// The timing program: rounds of one whole-network run then one run of each
// layer kernel (interleaved, so load changes hit both alike), on buffers in a
// scratch area; then the FMA peak of one core. Prints JSON. Quantized networks:
// each kernel's output type is in its name (_u8_/_i8_, lower/layers_q.h), its
// input type the previous kernel's output (the network input's for the first).
std::string emit_main(const json& m, const BenchOptions& o) {
    const std::string n = m["name"];
    const ElemType in_t = elem_type(m["input"]["dtype"]), out_t = elem_type(m["output"]["dtype"]);
    std::string decls, table, prev = in_t.halide;
    for (const json& L : m["layers"]) {
        const std::string k = L["kernel"];
        const std::string kt = k.find("_u8_") != std::string::npos   ? elem_type("uint8").halide
                               : k.find("_i8_") != std::string::npos ? elem_type("int8").halide
                                                                      : elem_type("float32").halide;
        decls += "extern \"C\" int " + k + "(halide_buffer_t*, halide_buffer_t*);\n";
        table += "    {\"" + k + "\", " + k + ", " + prev + ", " + kt + ", " + extents(L["input_extents"]) + ", " +
                 extents(L["output_extents"]) + ", " + std::to_string(L["mult_adds"].get<int64_t>()) + "},\n";
        prev = kt;
    }
    std::string s = R"(#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <vector>
#include "HalideRuntime.h"
#include ")" + n + R"(.h"
)" + decls + R"(
struct Layer { const char* name; int (*fn)(halide_buffer_t*, halide_buffer_t*); halide_type_t in_type, out_type; int in_rank, in_ext[3]; int out_rank, out_ext[3]; long long macs; };
static const Layer kLayers[] = {
)" + table + R"(};
static const int kNumLayers = sizeof(kLayers) / sizeof(kLayers[0]);

)" + timing_program_helpers() + R"(
static long long elements(int rank, const int* ext) { long long e = 1; for (int i = 0; i < rank; ++i) e *= ext[i]; return e; }

// Independent FMA chains: 2 x lanes flops per FMA; GFLOP/s of one core.
static double fma_peak() {
#if defined(__AVX512F__)
    typedef float V __attribute__((vector_size(64)));
#else
    typedef float V __attribute__((vector_size(32)));
#endif
    const int lanes = sizeof(V) / sizeof(float);
    V a, b, x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11;
    for (int l = 0; l < lanes; ++l) { a[l] = 0.999999f; b[l] = 1e-6f; }
    x0 = x1 = x2 = x3 = x4 = x5 = x6 = x7 = x8 = x9 = x10 = x11 = b;
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
        const long iters = 4000000;
        double t0 = mncc_cpu_s();
        for (long it = 0; it < iters; ++it) {
#define MNCC_FMA(r) r = r * a + b; __asm__ volatile("" : "+v"(r));
            MNCC_FMA(x0) MNCC_FMA(x1) MNCC_FMA(x2) MNCC_FMA(x3) MNCC_FMA(x4) MNCC_FMA(x5)
            MNCC_FMA(x6) MNCC_FMA(x7) MNCC_FMA(x8) MNCC_FMA(x9) MNCC_FMA(x10) MNCC_FMA(x11)
        }
        best = std::max(best, 2.0 * lanes * 12 * iters / (mncc_cpu_s() - t0) / 1e9);
    }
    V sum = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11;
    if (sum[0] == 12345.0f) std::puts("");
    return best;
}

static double median(std::vector<double> v) { std::sort(v.begin(), v.end()); return v[v.size() / 2]; }

int main() {
    const int threads = )" + std::to_string(o.threads) + ", runs = " + std::to_string(o.runs) +
                    ", warmup = " + std::to_string(o.warmup) + R"(;
    if ()" + n + R"(_set_num_threads(threads) != 0) return 1;
    const size_t arena_bytes = ()" + n + R"(_arena_bytes() + 63) / 64 * 64;
    unsigned char* arena = static_cast<unsigned char*>(std::aligned_alloc(64, arena_bytes));
    std::vector<)" + in_t.c + "> in(" + std::to_string(m["input"]["shape"][1].get<int>() * m["input"]["shape"][2].get<int>() *
                                              m["input"]["shape"][3].get<int>()) + ");\n    std::vector<" + out_t.c + "> out(" +
         std::to_string(m["output"]["size"].get<int64_t>()) + ");\n    using In = " + in_t.c + R"(;
    // Float inputs in [-1, 1]; integer ones spread over [0, 250] (int8: wraps into the whole range).
    for (size_t i = 0; i < in.size(); ++i) in[i] = std::is_floating_point<In>::value ? In(float((i * 7919) % 2001) / 1000.0f - 1.0f) : In((i * 7919) % 251);
    long long scratch = 0;
    for (const Layer& l : kLayers) scratch = std::max(scratch, elements(l.in_rank, l.in_ext) + elements(l.out_rank, l.out_ext) + 16);
    float* buf = static_cast<float*>(std::aligned_alloc(64, size_t(scratch) * 4 / 64 * 64 + 64));
    for (long long i = 0; i < scratch; ++i) buf[i] = float(i % 13) * 0.05f;
    auto run_layer = [&](const Layer& l) {
        halide_dimension_t di[3], dout[3];
        halide_buffer_t bi, bo;
        mncc_describe(buf, l.in_type, l.in_rank, l.in_ext, di, &bi);
        mncc_describe(buf + (elements(l.in_rank, l.in_ext) + 15) / 16 * 16, l.out_type, l.out_rank, l.out_ext, dout, &bo);
        // One thread: CPU time (robust to other processes sharing the core); else wall time.
        double t0 = threads == 1 ? mncc_cpu_s() : mncc_wall_s();
        if (l.fn(&bi, &bo) != 0) { std::fprintf(stderr, "kernel %s failed\n", l.name); std::exit(1); }
        return (threads == 1 ? mncc_cpu_s() : mncc_wall_s()) - t0;
    };
    for (int i = 0; i < warmup; ++i) {
        if ()" + n + R"(_run(in.data(), out.data(), arena) != 0) return 1;
        )" + n + R"(_hold_threads(1);
        for (const Layer& l : kLayers) run_layer(l);
        )" + n + R"(_hold_threads(0);
    }
    std::vector<double> total, total_cpu;
    std::vector<std::vector<double>> per(kNumLayers);
    for (int r = 0; r < runs; ++r) {
        double t0 = mncc_wall_s(), c0 = mncc_cpu_s();
        )" + n + R"(_run(in.data(), out.data(), arena);
        total.push_back(mncc_wall_s() - t0);
        total_cpu.push_back(mncc_cpu_s() - c0);
        // The layers alone as within a call: on the library's pool, its workers spinning.
        )" + n + R"(_hold_threads(1);
        for (int i = 0; i < kNumLayers; ++i) per[i].push_back(run_layer(kLayers[i]));
        )" + n + R"(_hold_threads(0);
    }
    const double peak = )" + std::to_string(o.peak_gflops) + R"( > 0 ? )" + std::to_string(o.peak_gflops) + R"( : fma_peak();
    std::printf("{\"peak_gflops_per_thread\": %.3f, \"median_s\": %.9f, \"min_s\": %.9f, \"max_s\": %.9f, \"cpu_median_s\": %.9f, \"layer_timer\": \"%s\", \"layers\": [",
                peak, median(total), *std::min_element(total.begin(), total.end()), *std::max_element(total.begin(), total.end()), median(total_cpu), threads == 1 ? "cpu" : "wall");
    for (int i = 0; i < kNumLayers; ++i)
        std::printf("%s{\"kernel\": \"%s\", \"mult_adds\": %lld, \"median_s\": %.9f}", i ? ", " : "", kLayers[i].name,
                    kLayers[i].macs, median(per[i]));
    std::printf("]}\n");
    std::free(buf);
    std::free(arena);
    return 0;
}
)";
    return s;
}

std::string run_capture(const std::string& cmd) {
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) fail("cannot run '" + cmd + "'");
    std::string out;
    char chunk[4096];
    for (size_t k; (k = fread(chunk, 1, sizeof chunk, p)) > 0;) out.append(chunk, k);
    const int rc = pclose(p);
    if (rc != 0) fail("'" + cmd + "' failed (status " + std::to_string(rc) + ")");
    return out;
}

void report(const json& m, const json& r, const BenchOptions& o) {
    const double macs = m["mult_adds"].get<double>();
    const double peak = r["peak_gflops_per_thread"].get<double>() * o.threads;
    auto gflops = [](double ma, double s) { return 2 * ma / s / 1e9; };
    const double med = r["median_s"];
    json out = {{"model", o.model_file},
                {"target", m["halide_target"]},
                {"threads", o.threads},
                {"runs", o.runs},
                {"median_ms", med * 1e3},
                {"min_ms", r["min_s"].get<double>() * 1e3},
                {"max_ms", r["max_s"].get<double>() * 1e3},
                {"cpu_median_ms", r["cpu_median_s"].get<double>() * 1e3},
                {"mult_adds", m["mult_adds"]},
                {"gflops", gflops(macs, med)},
                {"peak_gflops", peak},
                {"percent_of_peak", 100 * gflops(macs, med) / peak},
                {"layers", json::array()}};
    double sum = 0;
    for (size_t i = 0; i < r["layers"].size(); ++i) {
        const json& L = r["layers"][i];
        const double s = L["median_s"], ma = L["mult_adds"].get<double>();
        sum += s;
        out["layers"].push_back({{"kernel", L["kernel"]},
                                 {"kind", m["layers"][i]["kind"]},
                                 {"median_ms", s * 1e3},
                                 {"mult_adds", L["mult_adds"]},
                                 {"gflops", gflops(ma, s)},
                                 {"percent_of_peak", 100 * gflops(ma, s) / peak},
                                 {"share", 0.0}});
    }
    for (json& L : out["layers"]) L["share"] = L["median_ms"].get<double>() / (sum * 1e3);
    out["layers_sum_ms"] = sum * 1e3;
    out["layer_timer"] = r["layer_timer"];
    if (!o.report_file.empty()) write_bench_report(out, o.report_file);
    if (o.json) {
        std::printf("%s\n", out.dump(2).c_str());
        return;
    }
    std::printf("%s  %s  threads=%d  runs=%d\n", o.model_file.c_str(), m["halide_target"].get<std::string>().c_str(),
                o.threads, o.runs);
    std::printf("per layer: median of %s time over the runs\n", r["layer_timer"].get<std::string>().c_str());
    std::printf("%-32s %-16s %10s %9s %7s %6s\n", "kernel", "kind", "median ms", "GFLOP/s", "%peak", "share");
    for (const json& L : out["layers"])
        std::printf("%-32s %-16s %10.4f %9.1f %6.1f%% %5.1f%%\n", L["kernel"].get<std::string>().c_str(),
                    L["kind"].get<std::string>().c_str(), L["median_ms"].get<double>(), L["gflops"].get<double>(),
                    L["percent_of_peak"].get<double>(), 100 * L["share"].get<double>());
    std::printf("network: median %.3f ms  min %.3f  max %.3f  cpu-time median %.3f  (layers sum %.3f ms)\n", med * 1e3,
                out["min_ms"].get<double>(), out["max_ms"].get<double>(), out["cpu_median_ms"].get<double>(), sum * 1e3);
    std::printf("         %.1f GFLOP/s  %.1f%% of FMA peak (%.1f GFLOP/s = %d x %.1f)\n", out["gflops"].get<double>(),
                out["percent_of_peak"].get<double>(), peak, o.threads, peak / o.threads);
}

}  // namespace

void run_bench(const Graph& g, const BenchOptions& o) {
    if (!o.report_file.empty()) check_report_path(o.report_file);
    std::error_code ec;
    fs::path dir;
    if (!o.keep_dir.empty()) {
        dir = fs::absolute(o.keep_dir);
        fs::create_directories(dir, ec);
        if (ec) fail("cannot create '" + o.keep_dir + "': " + ec.message());
    } else {
        std::string tmpl = (fs::temp_directory_path() / "mncc-bench-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) fail("cannot create a temporary directory");
        dir = tmpl;
    }
    struct Cleanup {
        fs::path d;
        bool keep;
        ~Cleanup() {
            std::error_code e;
            if (!keep) fs::remove_all(d, e);
        }
    } cleanup{dir, !o.keep_dir.empty()};
    CompileOptions co;
    co.target = o.target;
    co.out_dir = (dir / "lib").string();
    co.name = "bench";
    co.model_file = o.model_file;
    co.schedule_file = o.schedule_file;
    co.cxx = o.cxx;
    compile_model(g, co);
    const json m = json::parse(read_file((dir / "lib" / "bench.json").string(), "bench"));
    {
        std::ofstream f(dir / "bench_main.cpp");
        f << emit_main(m, o);
        if (!f) fail("cannot write the timing program");
    }
    const fs::path prog = dir / "bench_main";
    run_capture(shell_quote(o.cxx) + " -O2 -std=gnu++17 -march=native -I " + shell_quote((dir / "lib").string()) + " -I " +
                shell_quote(MNCC_HALIDE_RUNTIME_DIR) + " " + shell_quote((dir / "bench_main.cpp").string()) + " " +
                shell_quote((dir / "lib" / "libbench.a").string()) + " -lpthread -ldl -lm -o " + shell_quote(prog.string()) + " 2>&1");
    const std::string out = run_capture((o.runner.empty() ? "" : o.runner + " ") + shell_quote(prog.string()));
    const json r = json::parse(out.substr(std::min(out.find('{'), out.size())), nullptr, false);
    if (r.is_discarded() || !r.contains("median_s")) fail("the timing program printed no result");
    report(m, r, o);
}

}  // namespace mncc
