// The hand-made net's generated library (built once by mncc_aot_gen) against
// the reference interpreter, plus determinism, threads and the emitted text.
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hand.h"
#include "hand_net.h"
#include "reference/interpreter.h"

namespace {

using mncc::Graph;

struct alignas(64) Arena {
    unsigned char bytes[HAND_ARENA_BYTES];
};

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::vector<float> run_lib(const std::vector<float>& in, void* arena) {
    std::vector<float> out(HAND_OUTPUT_SIZE, -1.0f);
    EXPECT_EQ(hand_run(in.data(), out.data(), arena), HAND_OK);
    return out;
}

TEST(AotHand, MatchesReferenceInterpreter) {
    const Graph g = mncc::make_hand_net();
    const std::vector<float> in = mncc::hand_net_input();
    ASSERT_EQ(in.size(), size_t(HAND_INPUT_SIZE));
    const std::vector<float> want = mncc::run_reference(g, in);
    Arena arena;
    const std::vector<float> got = run_lib(in, &arena);
    ASSERT_EQ(want.size(), got.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << "class " << i;
}

// The hand net's weights must make both ReLU6 clamps fire, or a missing clamp passes.
TEST(AotHand, WeightsTriggerBothRelu6Clamps) {
    for (const char* name : {"conv0 3x3/2", "dw1 3x3/1"}) {
        Graph g = mncc::make_hand_net();
        int id = -1;
        for (const auto& n : g.nodes)
            if (n.name == name) id = n.id;
        ASSERT_GE(id, 0);
        g.node(id).activation = mncc::Activation::None;
        g.output = id;
        const std::vector<float> v = mncc::run_reference(g, mncc::hand_net_input());
        EXPECT_GT(*std::max_element(v.begin(), v.end()), 6.0f) << name;
        EXPECT_LT(*std::min_element(v.begin(), v.end()), 0.0f) << name;
    }
}

TEST(AotHand, BitIdenticalAcrossThreadsCallsAndArenas) {
    const std::vector<float> in = mncc::hand_net_input();
    Arena a, b;
    ASSERT_EQ(hand_set_num_threads(1), HAND_OK);
    const std::vector<float> one = run_lib(in, &a);
    ASSERT_EQ(hand_set_num_threads(2), HAND_OK);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(run_lib(in, i % 2 ? &a : &b), one);
    EXPECT_EQ(run_lib(in, nullptr), one);
    // Concurrent calls: distinct arenas, and two threads sharing the internal one.
    bool same[4] = {false, false, false, false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            void* arena = t == 0 ? static_cast<void*>(&a) : t == 1 ? static_cast<void*>(&b) : nullptr;
            bool ok = true;
            for (int i = 0; i < 50; ++i) {
                std::vector<float> out(HAND_OUTPUT_SIZE);
                ok &= hand_run(in.data(), out.data(), arena) == HAND_OK && out == one;
            }
            same[t] = ok;
        });
    for (auto& t : threads) t.join();
    for (bool s : same) EXPECT_TRUE(s);
}

TEST(AotHand, ManifestDescribesTheLibrary) {
    const auto j = nlohmann::json::parse(slurp(MNCC_AOT_DIR "/hand/hand.json"));
    EXPECT_EQ(j["name"], "hand");
    EXPECT_EQ(j["arena_bytes"].get<int64_t>(), int64_t(hand_arena_bytes()));
    EXPECT_EQ(j["arena_alignment"], 64);
    EXPECT_EQ(j["input"]["shape"], nlohmann::json({1, 12, 10, 3}));
    EXPECT_EQ(j["input"]["layout"], "NHWC");
    EXPECT_EQ(j["classes"], HAND_NUM_CLASSES);
    EXPECT_TRUE(j["model"]["sha256"].is_null());
    const Graph g = mncc::make_hand_net();
    int64_t params = 0;
    for (const auto& n : g.nodes) params += mncc::node_params(n);
    EXPECT_EQ(j["params"].get<int64_t>(), params);
    EXPECT_EQ(j["weights_bytes"].get<int64_t>(), params * 4);
    // Both depthwise -> pointwise pairs fuse by default (small pointwise weights);
    // the 5x5 depthwise feeds a pool and stays a kernel of its own.
    const std::vector<std::string> kernels = {
        "hand_f32_conv3x3s2_0",    "hand_f32_dw3x3s1_pw_1",   "hand_f32_dw3x3s2_pw_2",
        "hand_f32_conv3x3s1_3",    "hand_f32_dw5x5s1_4",      "hand_f32_avgpool2x2s1_5",
        "hand_f32_avgpool3x3s1_6", "hand_f32_fc_7",           "hand_f32_softmax_8"};
    ASSERT_EQ(j["layers"].size(), kernels.size());
    for (size_t i = 0; i < kernels.size(); ++i) EXPECT_EQ(j["layers"][i]["kernel"], kernels[i]);
    EXPECT_EQ(j["layers"][1]["kind"], "pointwise");
    EXPECT_EQ(j["layers"][1]["op"], "DepthwiseConv2D+Conv2D");
    EXPECT_EQ(j["layers"][1]["name"], g.node(2).name + "+" + g.node(3).name);
    EXPECT_EQ(j["layers"][4]["kind"], "depthwise");
    // The kernels' buffer extents, innermost first (what `mncc bench` calls them with).
    EXPECT_EQ(j["layers"][0]["input_extents"], nlohmann::json({3, 10, 12}));
    EXPECT_EQ(j["layers"][0]["output_extents"], nlohmann::json({8, 5, 6}));
    EXPECT_EQ(j["layers"][7]["input_extents"], nlohmann::json({19}));
}

TEST(AotHand, EmittedTextIsClean) {
    const std::string h = slurp(MNCC_AOT_DIR "/hand/hand.h"), cpp = slurp(MNCC_AOT_DIR "/hand/hand.cpp");
    // The include guard is the header's only macro.
    size_t defines = 0;
    for (size_t p = h.find("#define"); p != std::string::npos; p = h.find("#define", p + 1)) ++defines;
    EXPECT_EQ(defines, 1u);
    // The hostile node name ("*/", a quote, non-ASCII, a newline) is defused in comments.
    EXPECT_NE(cpp.find("'conv5 3x3/1 *| \"odd\" ?? name?'"), std::string::npos);
    for (unsigned char ch : cpp) EXPECT_TRUE(ch == '\n' || (ch >= 0x20 && ch < 0x7f)) << int(ch);
    EXPECT_EQ(h.find("HAND_INPUT_HEIGHT = 12,") != std::string::npos, true);
    EXPECT_EQ(HAND_INPUT_WIDTH, 10);
    EXPECT_EQ(HAND_INPUT_CHANNELS, 3);
}

}  // namespace
