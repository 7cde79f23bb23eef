// compile_model's checks and guarantees: every error names what is wrong, a
// failed compile leaves nothing at out_dir, a recompile replaces it, a failed
// recompile keeps it; plus the manifest's SHA-256, the comment sanitiser and the
// kernel-name grammar.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hand_net.h"
#include "lower/codegen.h"
#include "lower/compile.h"
#include "lower/layers.h"
#include "lower/sha256.h"
#include "support/error.h"

namespace fs = std::filesystem;

namespace {

std::string compile_error(const mncc::Graph& g, const mncc::CompileOptions& o) {
    try {
        mncc::compile_model(g, o);
    } catch (const mncc::Error& e) {
        return e.what();
    }
    return "(no error)";
}

fs::path scratch_root() { return fs::temp_directory_path() / ("mncc_test_compile_" + std::to_string(::getpid())); }

// Removes this process's scratch directory at exit.
struct ScratchCleanup : ::testing::Environment {
    void TearDown() override { fs::remove_all(scratch_root()); }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

fs::path scratch(const std::string& name) {
    fs::path p = scratch_root() / name;
    fs::remove_all(p);
    fs::create_directories(p.parent_path());
    return p;
}

// compile_model's temporaries left in `dir`.
std::vector<std::string> leftovers(const fs::path& dir) {
    std::vector<std::string> r;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(".tmp-") != std::string::npos) r.push_back(e.path().string());
    return r;
}

mncc::CompileOptions opts(const fs::path& out) {
    mncc::CompileOptions o;
    o.name = "hand";
    o.out_dir = out.string();
    return o;
}

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(mncc::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(mncc::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(mncc::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(mncc::sha256_hex(std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Codegen, CommentSafe) {
    EXPECT_EQ(mncc::comment_safe("a*/b/*c\nd\xc3\xa9\\"), "a*|b/|c?d???");
    EXPECT_EQ(mncc::comment_safe(std::string(500, 'x')).size(), 160u);
}

TEST(Lower, KernelNames) {
    const mncc::Graph g = mncc::make_hand_net();
    EXPECT_EQ(mncc::kernel_name("m", g.node(1), 0), "m_f32_conv3x3s2_0");
    EXPECT_EQ(mncc::kernel_name("m", g.node(2), 1), "m_f32_dw3x3s1_1");
    EXPECT_EQ(mncc::kernel_name("m", g.node(3), 2), "m_f32_pw_2");
}

TEST(CompileErrors, Target) {
    const mncc::Graph g = mncc::make_hand_net();
    mncc::CompileOptions o = opts(scratch("t"));
    o.target = "riscv";
    EXPECT_EQ(compile_error(g, o), "compile: unknown target 'riscv' (known: host, x86-64-avx2, x86-64-avx512, "
                                   "x86-64-avx512-vnni, arm64, arm64-dotprod, hexagon, halide:<target string>; see mncc targets)");
    o.target = "halide:no-such-thing";
    EXPECT_EQ(compile_error(g, o), "compile: target 'halide:no-such-thing' is not a valid Halide target");
    o.target = "halide:arm-32-linux";
    EXPECT_EQ(compile_error(g, o), "compile: target 'halide:arm-32-linux' is not supported yet: mncc serves x86-64 "
                                   "Linux, arm-64 Linux/Android CPU targets and hexagon-32-noos with hvx_128");
    o.target = "hexagon";   // the hand net is float: Halide 14 has no HVX floating point
    EXPECT_NE(compile_error(g, o).find(": target 'hexagon' needs a quantized (uint8/int8) model: Halide 14 has no HVX "
                                       "floating point; compile a quantized .tflite"),
              std::string::npos);
    o.target = "arm64";
    o.cxx = "/nonexistent/g++";
    EXPECT_EQ(compile_error(g, o), "compile: target 'arm64' needs '/nonexistent/g++', which is not installed (--cxx/--ar)");
    o.target = "host";
    o.cxx.clear();
    o.emit = "asm";
    EXPECT_EQ(compile_error(g, o), "compile: --emit must be library or c++, not 'asm'");
    EXPECT_FALSE(fs::exists(o.out_dir));
}

TEST(CompileErrors, NameAndPlan) {
    mncc::Graph g = mncc::make_hand_net();
    mncc::CompileOptions o = opts(scratch("n"));
    o.name = "9lives";
    EXPECT_EQ(compile_error(g, o), "compile: name '9lives' is not a C identifier (at most 64 characters)");
    o.name = "a-b";
    EXPECT_NE(compile_error(g, o).find("name 'a-b' is not a C identifier"), std::string::npos);
    o.name = "hand";
    g.arena_offset.clear();
    EXPECT_EQ(compile_error(g, o), "compile: graph has no memory plan (run the passes first)");
    EXPECT_FALSE(fs::exists(o.out_dir));
}

TEST(CompileErrors, UnsupportedOpAndBadWeights) {
    mncc::Graph g = mncc::make_hand_net();
    mncc::CompileOptions o = opts(scratch("u"));
    g.node(2).op = mncc::Op::Add;   // dw1 becomes an Add: not lowered yet
    EXPECT_EQ(compile_error(g, o), "hand_net: node 'dw1 3x3/1' (Add): the Halide lowering does not support Add yet");
    g = mncc::make_hand_net();
    g.node(1).weights.shape = {3, 3, 3, 9};
    EXPECT_EQ(compile_error(g, o),
              "hand_net: node 'conv0 3x3/2' (Conv2D): weights shape [3,3,3,9], expected [3,3,3,8]");
    g = mncc::make_hand_net();
    g.node(2).shape = {1, 5, 5, 8};
    EXPECT_EQ(compile_error(g, o), "hand_net: node 'dw1 3x3/1' (DepthwiseConv2D): output spatial size does not "
                                   "match input, kernel, stride and padding");
    EXPECT_FALSE(fs::exists(o.out_dir));
    EXPECT_EQ(leftovers(fs::path(o.out_dir).parent_path()).size(), 0u);
}

// One malformed graph per rule the lowering checks, and the message it gives.
TEST(CompileErrors, MalformedGraphs) {
    const fs::path out = scratch("m");
    const mncc::CompileOptions o = opts(out);
    struct Case {
        void (*mutate)(mncc::Graph&);
        std::string message;
    };
    const Case cases[] = {
        {[](mncc::Graph& g) { g.arena_offset[2] = 8; },
         "hand_net: node 'dw1 3x3/1' (DepthwiseConv2D): tensor 'dw1 3x3/1' has no valid arena offset"},
        {[](mncc::Graph& g) { g.arena_offset[g.input] = -1; }, "compile: input 'input' has no valid arena region"},
        {[](mncc::Graph& g) { g.node(g.input).shape = {1, 12, 30}; },
         "compile: input 'input' is not a [1,H,W,C] Input"},
        {[](mncc::Graph& g) { g.output = g.input; }, "compile: the network has no layers"},
        {[](mncc::Graph& g) { g.node(10).shape = {1, 20}; }, "hand_net: node 'flatten' (Reshape): element count changes"},
        {[](mncc::Graph& g) { g.node(11).weights.shape = {19, 8}; },
         "hand_net: node 'fc9' (FullyConnected): weights shape [19,8], expected [19,7]"},
        {[](mncc::Graph& g) { g.node(12).shape = {1, 8}; },
         "hand_net: node 'softmax10' (Softmax): softmax output size differs from input"},
        {[](mncc::Graph& g) { g.node(8).pad_bottom = 2; },
         "hand_net: node 'pool7 2x2/1' (AvgPool): pool padding must be smaller than the window"},
        {[](mncc::Graph& g) { g.node(1).stride_h = 0; }, "hand_net: node 'conv0 3x3/2' (Conv2D): bad stride"},
        {[](mncc::Graph& g) { g.node(3).bias.shape = {21}; },
         "hand_net: node 'pw2' (Conv2D): bias shape [21], expected [20]"},
    };
    for (const Case& c : cases) {
        mncc::Graph g = mncc::make_hand_net();
        c.mutate(g);
        EXPECT_EQ(compile_error(g, o), c.message);
    }
    mncc::CompileOptions bad = o;
    bad.model_file = (out.parent_path() / "missing.pb").string();
    EXPECT_EQ(compile_error(mncc::make_hand_net(), bad), "compile: cannot read '" + bad.model_file + "'");
    std::ofstream(out.string()) << "a file";
    EXPECT_EQ(compile_error(mncc::make_hand_net(), o),
              "compile: output '" + o.out_dir + "' exists and is not a directory");
    fs::remove(out);
    EXPECT_EQ(leftovers(out.parent_path()).size(), 0u);
}

TEST(CompileErrors, BadScheduleFile) {
    const mncc::Graph g = mncc::make_hand_net();
    const fs::path out = scratch("s");
    mncc::CompileOptions o = opts(out);
    o.schedule_file = (out.parent_path() / "bad.json").string();
    std::ofstream(o.schedule_file) << R"({"pointwise": {"x_block": 5}})";
    EXPECT_EQ(compile_error(g, o), "compile: " + o.schedule_file + ": pointwise.x_block is not one of the declared values");
    std::ofstream(o.schedule_file) << R"({"pointwise": {"tile": 4}})";
    EXPECT_EQ(compile_error(g, o), "compile: " + o.schedule_file + ": pointwise has no knob 'tile'");
    std::ofstream(o.schedule_file) << R"({"pool": {}})";
    EXPECT_EQ(compile_error(g, o), "compile: " + o.schedule_file + ": unknown layer kind 'pool'");
    std::ofstream(o.schedule_file) << "[1,";
    EXPECT_EQ(compile_error(g, o), "compile: " + o.schedule_file + ": not a JSON object");
    EXPECT_FALSE(fs::exists(out));
}

// A failing glue compiler leaves nothing behind, neither out_dir nor temporaries.
TEST(CompileAtomic, FailureLeavesNothing) {
    const fs::path out = scratch("fail");
    mncc::CompileOptions o = opts(out);
    o.cxx = "false";
    EXPECT_EQ(compile_error(mncc::make_hand_net(), o), "compile: 'false' failed: ");
    EXPECT_FALSE(fs::exists(out));
    EXPECT_EQ(leftovers(out.parent_path()).size(), 0u);
}

// Every file in `dir` with its contents.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> r;
    for (const auto& e : fs::directory_iterator(dir)) {
        std::ifstream f(e.path(), std::ios::binary);
        std::ostringstream ss;
        ss << f.rdbuf();
        r[e.path().filename().string()] = ss.str();
    }
    return r;
}

// A recompile that fails at the last step (the archiver, after every kernel and
// the glue are built) or early (lowering) leaves the previous output as it was.
TEST(CompileAtomic, FailedRecompileKeepsOutput) {
    const fs::path out = scratch("keep");
    mncc::compile_model(mncc::make_hand_net(), opts(out));
    const auto before = snapshot(out);
    ASSERT_EQ(before.size(), 4u);
    mncc::CompileOptions o = opts(out);
    o.ar = "false";
    EXPECT_EQ(compile_error(mncc::make_hand_net(), o), "compile: 'false' failed: ");
    EXPECT_EQ(snapshot(out), before);
    mncc::Graph g = mncc::make_hand_net();
    g.node(2).op = mncc::Op::Add;
    EXPECT_NE(compile_error(g, opts(out)).find("does not support Add"), std::string::npos);
    EXPECT_EQ(snapshot(out), before);
    EXPECT_EQ(leftovers(out.parent_path()).size(), 0u);
}

// A recompile (here with a tuned schedule file) replaces the previous output.
TEST(CompileAtomic, RecompileReplacesOutput) {
    const fs::path out = scratch("again");
    fs::create_directories(out);
    std::ofstream(out / "stale.txt") << "old";
    mncc::CompileOptions o = opts(out);
    o.schedule_file = (out.parent_path() / "tuned.json").string();
    std::ofstream(o.schedule_file) << R"({"pointwise": {"x_block": 2, "co_vectors": 1}})";
    mncc::compile_model(mncc::make_hand_net(), o);
    EXPECT_FALSE(fs::exists(out / "stale.txt"));
    for (const char* f : {"hand.h", "hand.cpp", "hand.json", "libhand.a"}) EXPECT_TRUE(fs::exists(out / f)) << f;
    std::ifstream m(out / "hand.json");
    const auto j = nlohmann::json::parse(m);
    EXPECT_EQ(j["schedule"], "x86-default+tuned.json");
    EXPECT_EQ(j["layers"][2]["knobs"]["x_block"], 2);
    EXPECT_EQ(j["layers"][0]["knobs"]["x_block"], 4);   // conv keeps its default
    EXPECT_EQ(leftovers(out.parent_path()).size(), 0u);
}

}  // namespace
