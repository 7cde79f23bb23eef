// inspect on a hand graph: per-layer rows, mult-adds and params counted by
// hand, Table 2 shares summing to 100, and the text table.
#include <gtest/gtest.h>

#include "passes/passes.h"
#include "reference/inspect.h"
#include "test_passes_graphs.h"

using namespace mncc;
using namespace mncc_test;

namespace {

// input 8x8x3 -> conv 3x3 s2 (4) -> dw 3x3 -> pw 1x1 (8) -> mean -> logits 1x1 (10) -> softmax.
Graph hand_graph() {
    Builder b;
    int x = b.input({1, 8, 8, 3});
    x = b.conv(x, 3, 4, 2, Padding::Same, "conv");
    x = b.with_const(Op::BiasAdd, x, "conv/bias");
    x = b.unary(Op::Relu6, x, "conv/relu6");
    x = b.dw(x, 3, 1, Padding::Same, "dw");
    x = b.unary(Op::Relu6, x, "dw/relu6");
    x = b.conv(x, 1, 8, 1, Padding::Same, "pw");
    x = b.mean(x, true, "pool");
    x = b.conv(x, 1, 10, 1, Padding::Valid, "logits");
    x = b.reshape(Op::Squeeze, x, {1, 10}, "squeeze");
    b.unary(Op::Softmax, x, "softmax");
    Graph g = b.g;
    run_passes(g);
    return g;
}

}  // namespace

TEST(Inspect, CountsMultAddsAndParamsPerLayer) {
    const nlohmann::json j = inspect_json(hand_graph());
    EXPECT_EQ(j["model"], "test.pb");
    EXPECT_EQ(j["input"]["name"], "input");
    EXPECT_EQ(j["input"]["shape"], nlohmann::json({1, 8, 8, 3}));
    EXPECT_EQ(j["output"]["name"], "softmax");
    EXPECT_EQ(j["output"]["shape"], nlohmann::json({1, 10}));
    const auto& l = j["layers"];
    ASSERT_EQ(l.size(), 7u);
    const char* kinds[] = {"conv", "depthwise", "pointwise", "pool", "fully_connected", "other", "softmax"};
    const char* ops[] = {"Conv2D", "DepthwiseConv2D", "Conv2D", "AvgPool", "FullyConnected", "Reshape", "Softmax"};
    // conv: 4x4x4 outputs x 27 taps; dw: 4x4x4 x 9; pw: 4x4x8 x 4; fc: 10 x 8.
    const int64_t mult_adds[] = {1728, 576, 512, 0, 80, 0, 0};
    // Parameters are weights only, as the paper counts them (biases excluded).
    const int64_t params[] = {108, 36, 32, 0, 80, 0, 0};
    for (size_t i = 0; i < 7; ++i) {
        EXPECT_EQ(l[i]["kind"], kinds[i]) << i;
        EXPECT_EQ(l[i]["op"], ops[i]) << i;
        EXPECT_EQ(l[i]["mult_adds"], mult_adds[i]) << i;
        EXPECT_EQ(l[i]["params"], params[i]) << i;
    }
    EXPECT_EQ(l[0]["name"], "conv");
    EXPECT_EQ(l[0]["input_shape"], nlohmann::json({1, 8, 8, 3}));
    EXPECT_EQ(l[0]["output_shape"], nlohmann::json({1, 4, 4, 4}));
    EXPECT_EQ(l[0]["kernel"], nlohmann::json({3, 3}));
    EXPECT_EQ(l[0]["stride"], nlohmann::json({2, 2}));
    EXPECT_EQ(l[0]["padding"], "SAME");
    EXPECT_EQ(l[0]["pads"], nlohmann::json({0, 1, 0, 1}));
    EXPECT_EQ(l[0]["activation"], "relu6");
    EXPECT_EQ(l[2]["activation"], "none");
    EXPECT_EQ(l[3]["kernel"], nlohmann::json({4, 4}));
    EXPECT_EQ(j["totals"]["mult_adds"], 2896);
    EXPECT_EQ(j["totals"]["params"], 256);
}

TEST(Inspect, SharesFollowTable2AndSumTo100) {
    const nlohmann::json s = inspect_json(hand_graph())["shares"];
    EXPECT_NEAR(s["conv"]["mult_adds_pct"].get<double>(), 100.0 * 1728 / 2896, 1e-9);
    EXPECT_NEAR(s["depthwise"]["mult_adds_pct"].get<double>(), 100.0 * 576 / 2896, 1e-9);
    EXPECT_NEAR(s["pointwise"]["mult_adds_pct"].get<double>(), 100.0 * 512 / 2896, 1e-9);
    EXPECT_NEAR(s["fully_connected"]["mult_adds_pct"].get<double>(), 100.0 * 80 / 2896, 1e-9);
    EXPECT_NEAR(s["fully_connected"]["params_pct"].get<double>(), 100.0 * 80 / 256, 1e-9);
    double ma = 0, pa = 0;
    for (const char* k : {"conv", "depthwise", "pointwise", "fully_connected"}) {
        ma += s[k]["mult_adds_pct"].get<double>();
        pa += s[k]["params_pct"].get<double>();
    }
    EXPECT_NEAR(ma, 100.0, 1e-9);
    EXPECT_NEAR(pa, 100.0, 1e-9);
}

TEST(Inspect, TableShowsRowsTotalsAndShares) {
    const std::string t = inspect_table(hand_graph());
    EXPECT_NE(t.find("input  input 1x8x8x3"), std::string::npos) << t;
    EXPECT_NE(t.find("output softmax 1x10"), std::string::npos) << t;
    EXPECT_NE(t.find("total  0.003 M mult-adds, 0.000 M params"), std::string::npos) << t;
    // One row per layer, e.g. the first conv with its pads and mult-adds.
    EXPECT_NE(t.find("0    conv             Conv2D          1x8x8x3        1x4x4x4        3x3    2x2    0,1,0,1   "
                     "relu6          1728        108  conv"),
              std::string::npos)
        << t;
    EXPECT_NE(t.find("conv                 59.67%     42.19%"), std::string::npos) << t;
    EXPECT_NE(t.find("fully_connected       2.76%     31.25%"), std::string::npos) << t;
}
