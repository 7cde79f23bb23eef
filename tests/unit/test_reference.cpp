// Reference interpreter against values computed by hand: TF SAME padding
// (odd pad at the bottom/right), both Relu6 clamps, AvgPool counting only
// valid taps, stable Softmax, Reshape as a view, and its errors.
#include <gtest/gtest.h>

#include <cmath>

#include "reference/interpreter.h"
#include "support/error.h"
#include "test_passes_graphs.h"

using namespace mncc;
using namespace mncc_test;

namespace {

Node& layer(Graph& g, Op op, const std::string& name, int input, Shape shape) {
    Node& n = g.add(op, name);
    n.inputs = {input};
    n.shape = std::move(shape);
    g.output = n.id;
    return n;
}

int input(Graph& g, Shape s) {
    Node& n = g.add(Op::Input, "input");
    n.shape = std::move(s);
    g.input = g.output = n.id;
    return n.id;
}

std::vector<float> iota(int n, float start = 1.0f) {
    std::vector<float> v(n);
    for (int i = 0; i < n; ++i) v[i] = start + i;
    return v;
}

}  // namespace

TEST(Reference, DepthwiseSameStride2PutsTheOddPadAtBottomRight) {
    // 4x4 input 1..16, 3x3 ones, stride 2, SAME: out 2x2, total pad 1 -> top/left 0, bottom/right 1.
    Graph g;
    int x = input(g, {1, 4, 4, 1});
    Node& d = layer(g, Op::DepthwiseConv2D, "dw", x, {1, 2, 2, 1});
    d.kernel_h = d.kernel_w = 3;
    d.stride_h = d.stride_w = 2;
    d.padding = Padding::Same;
    d.pad_bottom = d.pad_right = 1;
    d.weights = Tensor{{3, 3, 1}, std::vector<float>(9, 1.0f)};
    d.bias = Tensor{{1}, {0.5f}};
    // rows 0-2 x cols 0-2, rows 0-2 x cols 2-3, rows 2-3 x cols 0-2, rows 2-3 x cols 2-3.
    EXPECT_EQ(run_reference(g, iota(16)), (std::vector<float>{54.5f, 45.5f, 72.5f, 54.5f}));
}

TEST(Reference, Conv2DMixesChannelsWithHwioWeights) {
    // 1x1 input with 2 channels, 1x1 kernel, 3 outputs: y = x * W + b, W is [cin][cout].
    Graph g;
    int x = input(g, {1, 1, 1, 2});
    Node& c = layer(g, Op::Conv2D, "conv", x, {1, 1, 1, 3});
    c.weights = Tensor{{1, 1, 2, 3}, {1, 2, 3, 4, 5, 6}};
    c.bias = Tensor{{3}, {0, -100, 0}};
    c.activation = Activation::Relu;
    // x = (1, 10): (1+40, 2+50-100, 3+60) -> relu.
    EXPECT_EQ(run_reference(g, {1, 10}), (std::vector<float>{41, 0, 63}));
}

TEST(Reference, Conv2DSamePaddingOnAnEvenInput) {
    // 2x2 input (1,2;3,4), 2x2 kernel of ones, stride 1, SAME: total pad 1 -> bottom/right only.
    Graph g;
    int x = input(g, {1, 2, 2, 1});
    Node& c = layer(g, Op::Conv2D, "conv", x, {1, 2, 2, 1});
    c.kernel_h = c.kernel_w = 2;
    c.pad_bottom = c.pad_right = 1;
    c.weights = Tensor{{2, 2, 1, 1}, {1, 1, 1, 1}};
    c.bias = Tensor{{1}, {0}};
    EXPECT_EQ(run_reference(g, {1, 2, 3, 4}), (std::vector<float>{10, 6, 7, 4}));
}

TEST(Reference, Relu6ClampsBothEnds) {
    for (Activation a : {Activation::Relu6, Activation::Relu, Activation::None}) {
        Graph g;
        int x = input(g, {1, 1});
        Node& fc = layer(g, Op::FullyConnected, "fc", x, {1, 4});
        fc.weights = Tensor{{1, 4}, {-3, 2.5, 9, 6}};
        fc.bias = Tensor{{4}, {0, 0, 0, 0}};
        fc.activation = a;
        std::vector<float> want = a == Activation::Relu6  ? std::vector<float>{0, 2.5, 6, 6}
                                  : a == Activation::Relu ? std::vector<float>{0, 2.5, 9, 6}
                                                          : std::vector<float>{-3, 2.5, 9, 6};
        EXPECT_EQ(run_reference(g, {1}), want) << activation_name(a);
    }
}

TEST(Reference, AvgPoolCountsOnlyValidElements) {
    // 3x3 input 1..9, 3x3 window, stride 1, pads 1 all round.
    Graph g;
    int x = input(g, {1, 3, 3, 1});
    Node& p = layer(g, Op::AvgPool, "pool", x, {1, 3, 3, 1});
    p.kernel_h = p.kernel_w = 3;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
    p.padding = Padding::Same;
    std::vector<float> got = run_reference(g, iota(9));
    std::vector<double> want = {12 / 4.0, 21 / 6.0, 16 / 4.0, 27 / 6.0, 45 / 9.0, 33 / 6.0, 24 / 4.0, 39 / 6.0, 28 / 4.0};
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], static_cast<float>(want[i])) << i;
}

TEST(Reference, GlobalAvgPoolThenReshapeAndSoftmaxIsStable) {
    Graph g;
    int x = input(g, {1, 2, 1, 3});
    Node& p = layer(g, Op::AvgPool, "pool", x, {1, 1, 1, 3});
    p.kernel_h = 2;
    int r = layer(g, Op::Reshape, "flat", p.id, {1, 3}).id;
    layer(g, Op::Softmax, "softmax", r, {1, 3});
    // Means 1000, 1001, 1002: exp would overflow without subtracting the max.
    std::vector<float> got = run_reference(g, {999, 1001, 1003, 1001, 1001, 1001});
    double z = std::exp(-2.0) + std::exp(-1.0) + 1.0;
    EXPECT_NEAR(got[0], std::exp(-2.0) / z, 1e-7);
    EXPECT_NEAR(got[1], std::exp(-1.0) / z, 1e-7);
    EXPECT_NEAR(got[2], 1.0 / z, 1e-7);
}

TEST(Reference, AddIsElementwise) {
    Graph g;
    int x = input(g, {1, 1, 1, 2});
    Node& c = layer(g, Op::Conv2D, "double", x, {1, 1, 1, 2});
    c.weights = Tensor{{1, 1, 2, 2}, {2, 0, 0, 2}};
    c.bias = Tensor{{2}, {0, 0}};
    Node& a = layer(g, Op::Add, "add", c.id, {1, 1, 1, 2});
    a.inputs.push_back(x);
    EXPECT_EQ(run_reference(g, {1.5, -4}), (std::vector<float>{4.5, -12}));
}

TEST(Reference, RejectsWrongInputSize) {
    Graph g;
    g.source_file = "m.pb";
    input(g, {1, 2, 2, 3});
    try {
        run_reference(g, std::vector<float>(11));
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "m.pb: node 'input' (Input): input has 11 values, expected 12 for [1,2,2,3]");
    }
}

TEST(Reference, RejectsFrontEndOps) {
    Graph g;
    g.source_file = "m.pb";
    int x = input(g, {1, 2});
    layer(g, Op::Relu, "relu", x, {1, 2});
    try {
        run_reference(g, {1, 2});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "m.pb: node 'relu' (Relu): the reference interpreter runs layer ops only (run the "
                               "passes first)");
    }
}
