// The quantized Halide lowering (compiler/lower/layers_q.h + schedules/x86_q.h),
// JIT-compiled for the host layer by layer, against the integer reference
// kernels (reference/quantized.h), bit for bit: int8 per-channel and uint8
// per-tensor weights, strides, SAME padding, every activation, multipliers
// below and above 1. The ../shared models only cover uint8 per-tensor; these
// cover the rest. Plus the lowering's error messages.
#include <gtest/gtest.h>

#include <random>

#include "lower/layers_q.h"
#include "reference/quantized.h"
#include "schedules/x86_q.h"
#include "support/error.h"

namespace {

using namespace mncc;

struct Case {
    Graph g;
    int layer = 1;
};

// Input [1,H,W,C] of `dt`, then one layer node of op `op` reading it.
Case make_case(Op op, DType dt, int h, int w, int c) {
    Case k;
    Node& in = k.g.add(Op::Input, "in");
    in.shape = {1, h, w, c};
    in.dtype = dt;
    in.quant = {{0.05f}, {dt == DType::Int8 ? -3 : 120}};
    Node& n = k.g.add(op, "layer");
    n.inputs = {0};
    n.dtype = dt;
    n.quant = {{0.04f}, {dt == DType::Int8 ? 5 : 10}};
    k.g.input = 0;
    k.g.output = 1;
    return k;
}

// Random weights of `shape` (channel last): int8 per-channel (zp 0) or uint8 per-tensor (zp 131).
void set_weights(Node& n, DType dt, const Shape& shape, int seed, float scale = 0.02f) {
    std::mt19937 rng(seed);
    const int64_t co = shape.back();
    n.weights.shape = shape;
    n.weights.dtype = dt;
    std::uniform_int_distribution<int> q(dt == DType::Int8 ? -127 : 0, dt == DType::Int8 ? 127 : 255);
    for (int64_t i = 0; i < num_elements(shape); ++i) n.weights.qdata.push_back(q(rng));
    std::uniform_real_distribution<float> s(0.5f * scale, 1.5f * scale);
    if (dt == DType::Int8) {
        for (int64_t i = 0; i < co; ++i) n.weights.quant.scale.push_back(s(rng)), n.weights.quant.zero_point.push_back(0);
    } else {
        n.weights.quant = {{scale}, {131}};
    }
    n.bias.shape = {co};
    n.bias.dtype = DType::Int32;
    std::uniform_int_distribution<int> b(-3000, 3000);
    for (int64_t i = 0; i < co; ++i) n.bias.qdata.push_back(b(rng));
}

std::vector<int32_t> random_input(const Node& in, int seed) {
    std::mt19937 rng(seed);
    const quant::Range r = quant::dtype_range(in.dtype);
    std::uniform_int_distribution<int> q(r.lo, r.hi);
    std::vector<int32_t> v(static_cast<size_t>(num_elements(in.shape)));
    for (int32_t& x : v) x = q(rng);
    return v;
}

// Runs the lowered layer through Halide's JIT with the host schedule.
template <typename T>
std::vector<int32_t> run_halide(const Case& k, const std::vector<int32_t>& x, bool dot) {
    const Node& in = k.g.node(0);
    const Node& n = k.g.node(k.layer);
    LayerFunc L = lower_layer_q(k.g, n, "k", dot);
    apply_quantized_schedule(L, Halide::get_jit_target_from_environment());
    const bool four_d = n.op != Op::FullyConnected && n.op != Op::Softmax;
    Halide::Buffer<T> ib = four_d ? Halide::Buffer<T>(int(in.shape[3]), int(in.shape[2]), int(in.shape[1]))
                                  : Halide::Buffer<T>(int(num_elements(in.shape)));
    for (size_t i = 0; i < x.size(); ++i) ib.data()[i] = T(x[i]);
    L.input.set(ib);
    Halide::Buffer<T> ob = four_d ? Halide::Buffer<T>(L.out_c, L.out_w, L.out_h) : Halide::Buffer<T>(L.out_c);
    L.output.realize(ob);
    return std::vector<int32_t>(ob.data(), ob.data() + ob.number_of_elements());
}

template <typename T>
void expect_conv_matches(Case& k, int seed, bool dot = false) {
    const std::vector<int32_t> x = random_input(k.g.node(0), seed);
    const Node& n = k.g.node(1);
    const std::vector<int32_t> want = n.op == Op::FullyConnected ? quant::fully_connected(k.g.node(0), n, x)
                                      : n.op == Op::AvgPool       ? quant::avg_pool(k.g.node(0), n, x)
                                      : n.op == Op::Softmax       ? quant::softmax(k.g.node(0), n, x)
                                                                  : quant::conv(k.g.node(0), n, x);
    const std::vector<int32_t> got = run_halide<T>(k, x, dot);
    ASSERT_EQ(got.size(), want.size());
    int diffs = 0, clamped = 0;
    const quant::Range r = quant::activation_range(n.dtype, n.quant, n.activation);
    for (size_t i = 0; i < got.size(); ++i) diffs += got[i] != want[i], clamped += want[i] == r.lo || want[i] == r.hi;
    EXPECT_EQ(diffs, 0);
    // Some outputs sit at an end of the activation range, so a missing clamp would show.
    if (n.op != Op::Softmax && n.op != Op::AvgPool) {
        EXPECT_GT(clamped, 0);
    }
}

void set_window(Node& n, int k, int stride, int in_hw) {
    n.kernel_h = n.kernel_w = k;
    n.stride_h = n.stride_w = stride;
    const int out = (in_hw + stride - 1) / stride;
    const int total = std::max((out - 1) * stride + k - in_hw, 0);
    n.pad_top = n.pad_left = total / 2;
    n.pad_bottom = n.pad_right = total - total / 2;
}

TEST(QuantLower, Int8PerChannelConv3x3Stride2Relu6) {
    Case k = make_case(Op::Conv2D, DType::Int8, 11, 9, 5);
    Node& n = k.g.node(1);
    set_window(n, 3, 2, 11);
    n.stride_w = 2;
    n.shape = {1, 6, 5, 24};
    n.pad_left = 1, n.pad_right = 1;   // width 9: out 5, total 2
    n.activation = Activation::Relu6;
    set_weights(n, DType::Int8, {3, 3, 5, 24}, 2);
    expect_conv_matches<int8_t>(k, 3);
}

TEST(QuantLower, Int8PerChannelPointwise) {
    Case k = make_case(Op::Conv2D, DType::Int8, 7, 6, 40);
    Node& n = k.g.node(1);
    n.shape = {1, 7, 6, 48};
    set_weights(n, DType::Int8, {1, 1, 40, 48}, 5);
    expect_conv_matches<int8_t>(k, 6);
}

// The VNNI form (u8 x i8 dot products of 4 input channels, input sums per pixel).
TEST(QuantLower, UInt8PointwiseDotProductForm) {
    Case k = make_case(Op::Conv2D, DType::UInt8, 6, 5, 36);
    Node& n = k.g.node(1);
    n.shape = {1, 6, 5, 40};
    n.activation = Activation::Relu6;
    set_weights(n, DType::UInt8, {1, 1, 36, 40}, 30);
    expect_conv_matches<uint8_t>(k, 31, true);
}

TEST(QuantLower, Int8PerChannelDepthwiseRelu) {
    Case k = make_case(Op::DepthwiseConv2D, DType::Int8, 9, 9, 20);
    Node& n = k.g.node(1);
    set_window(n, 3, 1, 9);
    n.shape = {1, 9, 9, 20};
    n.activation = Activation::Relu;
    set_weights(n, DType::Int8, {3, 3, 20}, 8, 0.2f);
    expect_conv_matches<int8_t>(k, 9);
}

TEST(QuantLower, UInt8DepthwiseStride2SamePaddingRelu6) {
    Case k = make_case(Op::DepthwiseConv2D, DType::UInt8, 10, 10, 16);
    Node& n = k.g.node(1);
    set_window(n, 3, 2, 10);
    n.shape = {1, 5, 5, 16};
    n.activation = Activation::Relu6;
    set_weights(n, DType::UInt8, {3, 3, 16}, 11, 0.05f);
    expect_conv_matches<uint8_t>(k, 12);
}

TEST(QuantLower, UInt8ConvMultiplierAboveOne) {
    Case k = make_case(Op::Conv2D, DType::UInt8, 5, 5, 3);
    Node& n = k.g.node(1);
    set_window(n, 3, 1, 5);
    n.shape = {1, 5, 5, 8};
    n.quant = {{0.0004f}, {100}};   // real multiplier 0.05 * 0.02 / 0.0004 = 2.5
    set_weights(n, DType::UInt8, {3, 3, 3, 8}, 14);
    expect_conv_matches<uint8_t>(k, 15);
}

TEST(QuantLower, Int8FullyConnected) {
    Case k = make_case(Op::FullyConnected, DType::Int8, 1, 1, 64);
    Node& n = k.g.node(1);
    n.shape = {1, 37};
    set_weights(n, DType::Int8, {64, 37}, 17);
    expect_conv_matches<int8_t>(k, 18);
}

TEST(QuantLower, Int8AvgPoolSamePaddingRoundsHalfAwayFromZero) {
    Case k = make_case(Op::AvgPool, DType::Int8, 7, 7, 12);
    Node& n = k.g.node(1);
    set_window(n, 3, 2, 7);
    n.shape = {1, 4, 4, 12};
    n.quant = k.g.node(0).quant;
    expect_conv_matches<int8_t>(k, 20);
}

TEST(QuantLower, UInt8Softmax) {
    Case k = make_case(Op::Softmax, DType::UInt8, 1, 1, 1001);
    k.g.node(0).shape = {1, 1001};
    Node& n = k.g.node(1);
    n.shape = {1, 1001};
    n.quant = {{1.0f / 256}, {0}};
    k.g.node(0).quant = {{0.2f}, {70}};
    expect_conv_matches<uint8_t>(k, 22);
}

void expect_lower_error(const Case& k, const std::string& reason) {
    try {
        lower_layer_q(k.g, k.g.node(k.layer), "k");
        FAIL() << "no error, expected: " << reason;
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("layer"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    }
}

TEST(QuantLowerErrors, QuantizeOpIsNotLowered) {
    Case k = make_case(Op::Quantize, DType::UInt8, 2, 2, 3);
    k.g.node(1).shape = {1, 2, 2, 3};
    expect_lower_error(k, "the quantized lowering does not support Quantize");
}

TEST(QuantLowerErrors, PerChannelScaleCountMismatch) {
    Case k = make_case(Op::Conv2D, DType::Int8, 4, 4, 3);
    Node& n = k.g.node(1);
    n.shape = {1, 4, 4, 8};
    set_weights(n, DType::Int8, {1, 1, 3, 8}, 25);
    n.weights.quant.scale.pop_back();
    n.weights.quant.zero_point.pop_back();
    expect_lower_error(k, "with per-tensor or per-channel quantisation");
}

TEST(QuantLowerErrors, Int32ActivationIsRejected) {
    Case k = make_case(Op::Conv2D, DType::Int8, 4, 4, 3);
    k.g.node(1).dtype = DType::Int32;
    expect_lower_error(k, "needs uint8 or int8 activations, not int32");
}

TEST(QuantLowerErrors, AvgPoolRequantisationIsRejected) {
    Case k = make_case(Op::AvgPool, DType::UInt8, 4, 4, 3);
    Node& n = k.g.node(1);
    set_window(n, 2, 2, 4);
    n.shape = {1, 2, 2, 3};
    expect_lower_error(k, "same input and output quantisation");
}

}  // namespace
