// `mncc tune` end to end through the mncc command, on synth MobileNets small
// enough for the default suite. Oracles: the reference interpreter (the tuned
// library's output), the tuner's log and cache (what was measured, what failed),
// and the exact messages of rejected schedule files.
#include <stdlib.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "frontend/frontend.h"
#include "lower/compile.h"
#include "passes/passes.h"
#include "reference/interpreter.h"
#include "tune/tune.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Result {
    int rc;
    std::string out;
};

Result sh(const std::string& cmd) {
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    std::string out;
    char buf[4096];
    for (size_t k; (k = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, k);
    const int st = pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

class Tune : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/mncc-test-tune-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string synth(int resolution, const std::string& name = "m.pb") {
        const std::string m = (dir_ / name).string();
        Result r = sh(std::string(MNCC_BIN) + " synth --alpha 0.25 --resolution " + std::to_string(resolution) +
                      " --classes 10 -o " + m);
        EXPECT_EQ(r.rc, 0) << r.out;
        return m;
    }
    std::string tune(const std::string& model, const std::string& extra) {
        return std::string(MNCC_BIN) + " tune " + model + " --runs 2 --cache " + (dir_ / "cache.json").string() +
               " -o " + (dir_ / "s.json").string() + " " + extra;
    }
    // The library in dir_/lib (10 classes, 32x32 input) against the reference interpreter.
    void expect_library_matches_reference(const mncc::Graph& g) {
        Result r;
        std::vector<float> in(32 * 32 * 3);
        for (size_t i = 0; i < in.size(); ++i) in[i] = float((i * 37) % 255) / 127.5f - 1.0f;
        {
            std::ofstream f(dir_ / "in.f32", std::ios::binary);
            f.write(reinterpret_cast<const char*>(in.data()), std::streamsize(in.size() * 4));
            std::ofstream app(dir_ / "app.cpp");
            app << "#include <cstdio>\n#include <cstdlib>\n#include <vector>\n#include \"mobilenet.h\"\n"
                   "int main(int, char** v) { std::vector<float> in(32 * 32 * 3), out(10);\n"
                   "  FILE* f = std::fopen(v[1], \"rb\"); if (std::fread(in.data(), 4, in.size(), f) != in.size()) return 3;\n"
                   "  void* arena = std::aligned_alloc(64, (mobilenet_arena_bytes() + 63) / 64 * 64);\n"
                   "  if (mobilenet_run(in.data(), out.data(), arena) != 0) return 4;\n"
                   "  for (float x : out) std::printf(\"%.9g\\n\", x); return 0; }\n";
        }
        const fs::path lib = dir_ / "lib";
        r = sh("c++ -O1 -std=c++17 -I " + lib.string() + " " + (dir_ / "app.cpp").string() + " " +
               (lib / "libmobilenet.a").string() + " -lpthread -ldl -lm -o " + (dir_ / "app").string());
        ASSERT_EQ(r.rc, 0) << r.out;
        r = sh((dir_ / "app").string() + " " + (dir_ / "in.f32").string());
        ASSERT_EQ(r.rc, 0) << r.out;
        const std::vector<float> want = mncc::run_reference(g, in);
        std::istringstream got(r.out);
        for (size_t i = 0; i < want.size(); ++i) {
            float v = NAN;
            got >> v;
            EXPECT_NEAR(v, want[i], 1e-5) << "output " << i;
        }
    }
    fs::path dir_;
};

// Layer lines of the progress log: index -> (measured, cached, failed).
std::map<int, std::array<int, 3>> layer_lines(const std::string& log) {
    std::map<int, std::array<int, 3>> r;
    std::regex re(R"(\[(\d+)/\d+\] .*: \d+ candidates \((\d+) measured, (\d+) cached, (\d+) failed\))");
    for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it)
        r[std::stoi((*it)[1])] = {std::stoi((*it)[2]), std::stoi((*it)[3]), std::stoi((*it)[4])};
    return r;
}

// Tune with the local runner, stopped after 3 layers then resumed; the finished
// layers are not measured again, a third run measures nothing, and the library
// compiled with the schedule matches the reference interpreter within 1e-5.
TEST_F(Tune, ResumesThenCompilesToTheReference) {
    const std::string model = synth(32);
    Result r = sh(tune(model, "--trials 2 --stop-after-layers 3"));
    ASSERT_EQ(r.rc, 1) << r.out;
    EXPECT_NE(r.out.find("mncc: error: tune: stopped after 3 layers (--stop-after-layers)"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(dir_ / "s.json"));
    auto first = layer_lines(r.out);
    ASSERT_EQ(first.size(), 3u) << r.out;
    for (auto& [i, c] : first) EXPECT_GT(c[0], 0) << "layer " << i << " measured nothing:\n" << r.out;

    r = sh(tune(model, "--trials 2"));
    ASSERT_EQ(r.rc, 0) << r.out;
    auto second = layer_lines(r.out);
    for (int i = 1; i <= 3; ++i) {
        EXPECT_EQ(second[i][0], 0) << "finished layer " << i << " re-measured:\n" << r.out;
        EXPECT_EQ(second[i][1], first[i][0] + first[i][1]) << r.out;
    }
    EXPECT_GT(second[4][0], 0) << r.out;

    const json s = json::parse(slurp(dir_ / "s.json"));
    EXPECT_EQ(s["mncc_schedule"], 1);
    EXPECT_EQ(s["target"], "host");
    EXPECT_EQ(s["version"], MNCC_TUNE_VERSION);
    EXPECT_EQ(s["model_sha256"].get<std::string>().size(), 64u);
    mncc::Graph g = mncc::load_model(model, {});
    mncc::run_passes(g, {});
    ASSERT_EQ(s["layers"].size(), second.size());
    int layers = 0;
    for (const json& L : s["layers"]) {
        EXPECT_EQ(L["index"], layers++);
        EXPECT_TRUE(L["knobs"].is_object() && !L["knobs"].empty()) << L.dump();
        ASSERT_TRUE(L["time_ms"].is_number() && L["default_ms"].is_number()) << L.dump();
        EXPECT_LE(L["time_ms"].get<double>(), L["default_ms"].get<double>()) << L.dump();
    }

    r = sh(tune(model, "--trials 2"));
    ASSERT_EQ(r.rc, 0) << r.out;
    EXPECT_NE(r.out.find("; 0 candidates measured"), std::string::npos) << r.out;
    for (auto& [i, c] : layer_lines(r.out)) EXPECT_EQ(c[0], 0) << "layer " << i;

    r = sh(std::string(MNCC_BIN) + " compile " + model + " --schedule " + (dir_ / "s.json").string() + " -o " +
           (dir_ / "lib").string());
    ASSERT_EQ(r.rc, 0) << r.out;
    const json manifest = json::parse(slurp(dir_ / "lib" / "mobilenet.json"));
    expect_library_matches_reference(g);
    // The library was built with each layer's tuned knobs (the manifest records them).
    ASSERT_EQ(manifest["layers"].size(), s["layers"].size());
    for (size_t i = 0; i < s["layers"].size(); ++i)
        EXPECT_EQ(manifest["layers"][i]["knobs"], s["layers"][i]["knobs"]) << "layer " << i;
}

// A schedule forcing fusion (fuse 1 on every pointwise): each depthwise ->
// pointwise pair is tuned as one kernel named <dw>+<pw>, the tuned file compiles
// to the same kernels and the library matches the reference; a tuned file whose
// knobs no longer fuse a pair (another kernel layout) is rejected.
TEST_F(Tune, FusedPairsTuneAsOneKernel) {
    const std::string model = synth(32);
    std::ofstream(dir_ / "fuse.json") << R"({"pointwise": {"fuse": 1}})";
    mncc::Graph g = mncc::load_model(model, {});
    mncc::run_passes(g, {});
    mncc::TuneOptions o;
    o.model_file = model;
    o.out_file = (dir_ / "s.json").string();
    o.cache_file = (dir_ / "cache.json").string();
    o.schedule_file = (dir_ / "fuse.json").string();
    o.trials = 2;
    o.runs = 2;
    ASSERT_NO_THROW(mncc::run_tune(g, o));
    json s = json::parse(slurp(dir_ / "s.json"));
    // conv, 11 fused pairs, 2 x (depthwise, FC: the last pointwise layers see a 1x1
    // map and become FullyConnected, not fused), pool, FC, softmax.
    ASSERT_EQ(s["layers"].size(), 19u);
    const std::string pair1 =
        "MobilenetV1/MobilenetV1/Conv2d_1_depthwise/depthwise+MobilenetV1/MobilenetV1/Conv2d_1_pointwise/Conv2D";
    EXPECT_EQ(s["layers"][1]["name"], pair1);
    EXPECT_EQ(s["layers"][1]["kind"], "pointwise");
    EXPECT_EQ(s["layers"][1]["knobs"]["fuse"], 1);
    Result r = sh(std::string(MNCC_BIN) + " compile " + model + " --schedule " + (dir_ / "s.json").string() + " -o " +
                  (dir_ / "lib").string());
    ASSERT_EQ(r.rc, 0) << r.out;
    const json manifest = json::parse(slurp(dir_ / "lib" / "mobilenet.json"));
    ASSERT_EQ(manifest["layers"].size(), 19u);
    EXPECT_EQ(manifest["layers"][1]["kernel"], "mobilenet_f32_dw3x3s1_pw_1");
    EXPECT_EQ(manifest["layers"][1]["name"], pair1);
    EXPECT_EQ(manifest["layers"][1]["op"], "DepthwiseConv2D+Conv2D");
    for (size_t i = 0; i < s["layers"].size(); ++i)
        EXPECT_EQ(manifest["layers"][i]["knobs"], s["layers"][i]["knobs"]) << "layer " << i;
    expect_library_matches_reference(g);

    s["layers"][1]["knobs"]["fuse"] = 0;
    std::ofstream(dir_ / "s.json") << s.dump();
    r = sh(std::string(MNCC_BIN) + " compile " + model + " --schedule " + (dir_ / "s.json").string() + " -o " +
           (dir_ / "lib2").string());
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.out, "mncc: error: compile: " + (dir_ / "s.json").string() + ": the entry for layer 1 is for '" + pair1 +
                         "', the model's kernel 1 is 'MobilenetV1/MobilenetV1/Conv2d_1_depthwise/depthwise' (another "
                         "model or fusion layout: fused kernels are named <depthwise>+<pointwise>); run mncc tune again\n");
}

// A runner that kills the second run: that candidate is recorded as failed in
// the cache and the log, and tuning goes on.
TEST_F(Tune, CrashingCandidateIsRecordedAndSkipped) {
    const std::string model = synth(32);
    const fs::path runner = dir_ / "runner.sh", count = dir_ / "count";
    {
        std::ofstream f(runner);
        f << "#!/bin/sh\nn=$(cat " << count << " 2>/dev/null || echo 0)\necho $((n + 1)) > " << count
          << "\nif [ \"$n\" = 1 ]; then kill -9 $$; fi\nexec \"$@\"\n";
    }
    fs::permissions(runner, fs::perms::owner_all);
    Result r = sh(tune(model, "--trials 3 --stop-after-layers 2 --runner " + runner.string()));
    ASSERT_EQ(r.rc, 1) << r.out;
    auto lines = layer_lines(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[1][2], 1) << r.out;
    EXPECT_GE(lines[1][0], 2) << r.out;   // 2 candidates, plus a head-to-head run if one beat the default
    EXPECT_EQ(lines[2][2], 0) << r.out;
    const json cache = json::parse(slurp(dir_ / "cache.json"));
    int failed = 0;
    for (auto& [key, e] : cache["entries"].items())
        for (auto& [knobs, rec] : e["candidates"].items())
            if (rec.contains("failed")) {
                ++failed;
                EXPECT_EQ(rec["failed"], "crashed (exit status 137)") << knobs;
            }
    EXPECT_EQ(failed, 1) << cache.dump();
}

// compile --schedule checks the model hash, the target and the mncc version.
TEST_F(Tune, CompileRejectsScheduleForAnotherModelTargetOrVersion) {
    const std::string model = synth(32);
    const std::string sha = sh("sha256sum " + model).out.substr(0, 64);
    auto compile_with = [&](const json& s) {
        std::ofstream(dir_ / "bad.json") << s.dump();
        return sh(std::string(MNCC_BIN) + " compile " + model + " --schedule " + (dir_ / "bad.json").string() + " -o " +
                  (dir_ / "lib").string());
    };
    json s = {{"mncc_schedule", 1}, {"model_sha256", std::string(64, '0')}, {"target", "host"},
              {"version", MNCC_TUNE_VERSION}, {"layers", json::array()}};
    const std::string prefix = "mncc: error: compile: " + (dir_ / "bad.json").string() + ": ";
    Result r = compile_with(s);
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.out, prefix + "made for another model (sha256 000000000000..., this model is " + sha.substr(0, 12) +
                         "...); run mncc tune on this model\n");
    s["model_sha256"] = sha;
    s["target"] = "arm64";
    r = compile_with(s);
    EXPECT_EQ(r.out, prefix + "made for target 'arm64', not 'host'; run mncc tune --target=host\n");
    s["target"] = "host";
    s["version"] = "0.0.1-old";
    r = compile_with(s);
    EXPECT_EQ(r.out, prefix + "made by mncc 0.0.1-old, this is mncc " MNCC_TUNE_VERSION "; run mncc tune again\n");
    s["version"] = MNCC_TUNE_VERSION;
    s["layers"] = {{{"index", 0}, {"kind", "conv"}, {"knobs", {{"x_block", 5}}}}};
    r = compile_with(s);
    EXPECT_EQ(r.out, prefix + "layers[0]: conv.x_block is not one of the declared values\n");
    s["layers"] = {{{"index", 0}, {"kind", "pointwise"}, {"knobs", json::object()}}};
    r = compile_with(s);
    EXPECT_EQ(r.out, prefix + "the entry for layer 0 ('MobilenetV1/MobilenetV1/Conv2d_0/Conv2D') is a pointwise, the "
                              "model's layer is a conv\n");
    EXPECT_FALSE(fs::exists(dir_ / "lib"));
}

// Bad options and malformed schedule files: one message each.
TEST_F(Tune, RejectsBadOptionsAndMalformedFiles) {
    const std::string model = synth(32);
    Result r = sh(tune(model, "--budget 5x"));
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.out, "mncc: error: tune: --budget: not a duration: '5x' (e.g. 90s, 20m, 1h)\n");
    r = sh(tune(model, "--target=sparc"));
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.out, "mncc: error: tune: unknown target 'sparc' (see mncc targets)\n");
    r = sh(std::string(MNCC_BIN) + " tune " + model);
    EXPECT_EQ(r.rc, 2);
    EXPECT_EQ(r.out, "mncc tune: usage error: tune needs -o FILE (see mncc tune --help)\n");
    r = sh(tune(model, "--trials 0"));
    EXPECT_EQ(r.rc, 2);
    EXPECT_EQ(r.out, "mncc tune: usage error: --trials must be an integer in [1, 10000] (see mncc tune --help)\n");
    auto compile_with = [&](const std::string& text) {
        std::ofstream(dir_ / "bad.json") << text;
        return sh(std::string(MNCC_BIN) + " compile " + model + " --schedule " + (dir_ / "bad.json").string() + " -o " +
                  (dir_ / "lib").string());
    };
    const std::string prefix = "mncc: error: compile: " + (dir_ / "bad.json").string() + ": ";
    EXPECT_EQ(compile_with("[1, 2").out, prefix + "not a JSON object\n");
    EXPECT_EQ(compile_with("{\"pointwize\": {}}").out, prefix + "unknown layer kind 'pointwize'\n");
    EXPECT_EQ(compile_with("{\"pointwise\": {\"x_blok\": 4}}").out, prefix + "pointwise has no knob 'x_blok'\n");
    EXPECT_EQ(compile_with("{\"mncc_schedule\": 1, \"target\": \"host\"}").out,
              prefix + "missing string field 'model_sha256'\n");
    EXPECT_FALSE(fs::exists(dir_ / "lib"));
}

// --target=arm64 through qemu-aarch64: timing programs cross-built and run under
// the emulator; the schedule then compiles for arm64.
TEST_F(Tune, Arm64ThroughQemu) {
    if (sh("command -v qemu-aarch64 && command -v aarch64-linux-gnu-g++").rc != 0)
        GTEST_SKIP() << "qemu-aarch64 or aarch64-linux-gnu-g++ missing";
    const std::string model = synth(32);
    // A 3 s budget: the first layers are measured, the rest keep the defaults.
    Result r = sh(tune(model, "--target=arm64 --trials 2 --budget 3s --runner 'qemu-aarch64 -L /usr/aarch64-linux-gnu'"));
    ASSERT_EQ(r.rc, 0) << r.out;
    auto lines = layer_lines(r.out);
    EXPECT_GE(lines.size(), 1u) << r.out;
    for (auto& [i, c] : lines) EXPECT_EQ(c[2], 0) << "layer " << i << "\n" << r.out;
    size_t budget_lines = 0;
    for (size_t p = 0; (p = r.out.find(": budget spent, default knobs", p)) != std::string::npos; ++p) ++budget_lines;
    EXPECT_EQ(lines.size() + budget_lines, 30u) << r.out;
    const json s = json::parse(slurp(dir_ / "s.json"));
    EXPECT_EQ(s["target"], "arm64");
    EXPECT_NE(s["device"].get<std::string>().find("qemu-aarch64"), std::string::npos);
    r = sh(std::string(MNCC_BIN) + " compile " + model + " --target=arm64 --schedule " + (dir_ / "s.json").string() +
           " -o " + (dir_ / "lib").string());
    EXPECT_EQ(r.rc, 0) << r.out;
}

}  // namespace
