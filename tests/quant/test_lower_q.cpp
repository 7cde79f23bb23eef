// The quantized Halide lowering (compiler/lower/layers_q.h + schedules/x86_q.h),
// JIT-compiled for the host layer by layer, against the integer reference
// kernels (reference/quantized.h), bit for bit: int8 per-channel and uint8
// per-tensor weights, strides, SAME padding, every activation, multipliers
// below and above 1. The ../shared models only cover uint8 per-tensor; these
// cover the rest. Plus the lowering's error messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <limits>
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
std::vector<int32_t> run_halide(const Case& k, const std::vector<int32_t>& x, DotProducts dot) {
    const Node& in = k.g.node(0);
    const Node& n = k.g.node(k.layer);
    // The x86 forms with the requantisation's 64-bit product, as compile() builds them for x86.
    LayerFunc L = lower_layer_q(k.g, n, "k", dot,
                                dot == DotProducts::U8xI8 || dot == DotProducts::I8xU8 || dot == DotProducts::U8xI8Pairs);
    apply_quantized_schedule(L, Halide::get_jit_target_from_environment());
    const bool four_d = n.op != Op::FullyConnected && n.op != Op::Softmax;
    // A first conv's dot-product form reads rows as (c * w, h) (row groups, layers_q.cpp).
    Halide::Buffer<T> ib = !four_d                      ? Halide::Buffer<T>(int(num_elements(in.shape)))
                           : L.input.dimensions() == 2 ? Halide::Buffer<T>(int(in.shape[3] * in.shape[2]), int(in.shape[1]))
                                                       : Halide::Buffer<T>(int(in.shape[3]), int(in.shape[2]), int(in.shape[1]));
    for (size_t i = 0; i < x.size(); ++i) ib.data()[i] = T(x[i]);
    L.input.set(ib);
    Halide::Buffer<T> ob = four_d ? Halide::Buffer<T>(L.out_c, L.out_w, L.out_h) : Halide::Buffer<T>(L.out_c);
    L.output.realize(ob);
    return std::vector<int32_t>(ob.data(), ob.data() + ob.number_of_elements());
}

template <typename T>
void expect_conv_matches(Case& k, int seed, DotProducts dot = DotProducts::None) {
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

// The dot-product forms (u8 x i8 as for VNNI, i8 x u8, i8 x i8 as for sdot, u8 x i8
// in 16-bit pairs as for x86 without VNNI) on uint8 and int8 activations: pointwise,
// the first layer's 3x3 stride-2 conv over 3 channels and a 3x3 stride-1 conv over 5
// (window rows of 9 and 15 bytes read as groups of 4, the spare bytes from the next
// pixel or, at the right edge, the padding), and FC; the JIT target computes them
// exactly either way.
TEST(QuantLower, DotProductFormsMatchReference) {
    for (DotProducts dot : {DotProducts::U8xI8, DotProducts::I8xU8, DotProducts::I8xI8, DotProducts::U8xI8Pairs}) {
        SCOPED_TRACE(dot == DotProducts::U8xI8   ? "u8 x i8"
                     : dot == DotProducts::I8xU8 ? "i8 x u8"
                     : dot == DotProducts::I8xI8 ? "i8 x i8"
                                                 : "u8 x i8 in pairs");
        for (DType dt : {DType::UInt8, DType::Int8}) {
            SCOPED_TRACE(dt == DType::UInt8 ? "uint8" : "int8");
            {
                Case k = make_case(Op::Conv2D, dt, 6, 5, 36);
                Node& n = k.g.node(1);
                n.shape = {1, 6, 5, 40};
                n.activation = Activation::Relu6;
                set_weights(n, dt, {1, 1, 36, 40}, 30);
                if (dt == DType::UInt8) expect_conv_matches<uint8_t>(k, 31, dot);
                else expect_conv_matches<int8_t>(k, 31, dot);
            }
            {
                Case k = make_case(Op::Conv2D, dt, 11, 9, 3);
                Node& n = k.g.node(1);
                set_window(n, 3, 2, 11);
                n.shape = {1, 6, 5, 24};
                n.pad_left = 1, n.pad_right = 1;
                n.activation = Activation::Relu6;
                set_weights(n, dt, {3, 3, 3, 24}, 32);
                if (dt == DType::UInt8) expect_conv_matches<uint8_t>(k, 33, dot);
                else expect_conv_matches<int8_t>(k, 33, dot);
            }
            {
                Case k = make_case(Op::Conv2D, dt, 7, 6, 5);
                Node& n = k.g.node(1);
                set_window(n, 3, 1, 7);
                n.shape = {1, 7, 6, 16};
                n.activation = Activation::Relu6;
                set_weights(n, dt, {3, 3, 5, 16}, 36);
                if (dt == DType::UInt8) expect_conv_matches<uint8_t>(k, 37, dot);
                else expect_conv_matches<int8_t>(k, 37, dot);
            }
            {
                Case k = make_case(Op::FullyConnected, dt, 1, 1, 64);
                k.g.node(0).shape = {1, 64};
                Node& n = k.g.node(1);
                n.shape = {1, 37};
                set_weights(n, dt, {64, 37}, 34);
                if (dt == DType::UInt8) expect_conv_matches<uint8_t>(k, 35, dot);
                else expect_conv_matches<int8_t>(k, 35, dot);
            }
        }
    }
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

// Depthwise with 16-bit partial sums (the dot-product targets: consecutive taps
// summed in int16 while max |x| * sum |w8| fits): int8 activations (taps in
// pairs), uint8 with weights of the whole 8-bit range (one tap per sum) and with
// weights near the zero point (the whole window in one sum), stride 1 and 2.
TEST(QuantLower, DepthwisePartialSums16MatchReference) {
    for (int stride : {1, 2}) {
        SCOPED_TRACE("stride " + std::to_string(stride));
        {
            Case k = make_case(Op::DepthwiseConv2D, DType::Int8, 9, 10, 40);
            Node& n = k.g.node(1);
            set_window(n, 3, stride, 9);
            n.pad_left = stride == 1 ? 1 : 0, n.pad_right = stride == 1 ? 1 : 1;
            n.shape = {1, (9 + stride - 1) / stride, stride == 1 ? 10 : 5, 40};
            n.activation = Activation::Relu6;
            set_weights(n, DType::Int8, {3, 3, 40}, 50 + stride, 0.2f);
            expect_conv_matches<int8_t>(k, 51, DotProducts::U8xI8);
        }
        for (bool near_zero_point : {false, true}) {
            SCOPED_TRACE(near_zero_point ? "uint8 weights near the zero point" : "uint8 weights over 0..255");
            Case k = make_case(Op::DepthwiseConv2D, DType::UInt8, 10, 10, 32);
            Node& n = k.g.node(1);
            set_window(n, 3, stride, 10);
            n.shape = {1, 10 / stride, 10 / stride, 32};
            n.activation = Activation::Relu6;
            set_weights(n, DType::UInt8, {3, 3, 32}, 52, near_zero_point ? 0.5f : 0.05f);
            if (near_zero_point)
                for (int32_t& q : n.weights.qdata) q = 121 + q % 21;   // |w - 131| <= 10
            expect_conv_matches<uint8_t>(k, 53, DotProducts::U8xI8);
        }
    }
}

// The x86 dot-product schedule's other paths: 7-pixel register tiles (rows a
// multiple of 7, at least 128 taps per output), and weights above 256 KiB walked
// with output-channel tiles outermost and in parallel (600 channels: the last
// tile shifted inwards), on int8 and on uint8 (input sums) activations.
TEST(QuantLower, DotProductLargePointwiseMatchesReference) {
    for (DType dt : {DType::Int8, DType::UInt8}) {
        SCOPED_TRACE(dt == DType::UInt8 ? "uint8" : "int8");
        for (auto [h, w, ci, co] : {std::array<int, 4>{3, 14, 128, 64}, std::array<int, 4>{7, 7, 512, 600}}) {
            SCOPED_TRACE(std::to_string(w) + " wide, " + std::to_string(ci) + " -> " + std::to_string(co));
            Case k = make_case(Op::Conv2D, dt, h, w, ci);
            Node& n = k.g.node(1);
            n.shape = {1, h, w, co};
            n.activation = Activation::Relu6;
            set_weights(n, dt, {1, 1, ci, co}, 60 + ci, 0.004f);
            if (dt == DType::UInt8) {
                expect_conv_matches<uint8_t>(k, 61, DotProducts::U8xI8);
                SCOPED_TRACE("u8 x i8 in pairs (x86 without VNNI)");
                expect_conv_matches<uint8_t>(k, 61, DotProducts::U8xI8Pairs);
            } else {
                expect_conv_matches<int8_t>(k, 61, DotProducts::U8xI8);
                SCOPED_TRACE("i8 x u8: the input sums vectorized, computed once for co tiles outermost");
                expect_conv_matches<int8_t>(k, 61, DotProducts::I8xU8);
            }
        }
    }
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

// multiply_by_quantized_multiplier (int32 Halide arithmetic) against the
// reference's int64 MultiplyByQuantizedMultiplier on edge values: INT_MIN/INT_MAX
// inputs and multipliers (INT_MIN * INT_MIN saturates in the doubling high mul),
// every shift in [-31, 30] (left shifts that saturate), and inputs whose rounding
// divide is an exact negative tie (half away from zero, not half up). Shifts and
// multipliers as per-channel tables (vectorised and scalar) and as constants,
// and the cheaper form a compile-time bound on |x| allows.
TEST(QuantLower, RequantisationMatchesReferenceOnEdgeValues) {
    using Halide::Buffer;
    using Halide::Expr;
    using Halide::Func;
    using Halide::Var;
    constexpr int32_t kMin = std::numeric_limits<int32_t>::min(), kMax = std::numeric_limits<int32_t>::max();
    std::vector<int32_t> xs = {kMin, kMin + 1, kMin / 2, -65536, -3, -2, -1, 0, 1, 2, 3, 65535, kMax / 2, kMax - 1, kMax};
    for (int r = 1; r <= 31; ++r)   // 2 * (negative tie) : with multiplier 2^30 the high mul halves it exactly
        for (int64_t k : {0, 1, 5}) {
            const int64_t tie = -(k * (int64_t(1) << r) + (int64_t(1) << (r - 1)));
            if (2 * tie >= kMin) xs.push_back(int32_t(2 * tie)), xs.push_back(int32_t(-2 * tie));
        }
    std::mt19937 rng(40);
    std::uniform_int_distribution<int32_t> any(kMin, kMax);
    for (int i = 0; i < 64; ++i) xs.push_back(any(rng));
    while (xs.size() % 16) xs.push_back(any(rng));
    const std::vector<int32_t> ms = {kMin, kMin + 1, -1, 0, 1, 1 << 30, (1 << 30) + 1, 1518500250, 1992123456, kMax};
    Buffer<int32_t> xb(int(xs.size())), mb(int(ms.size())), sb(62);
    for (size_t i = 0; i < xs.size(); ++i) xb(int(i)) = xs[i];
    for (size_t j = 0; j < ms.size(); ++j) mb(int(j)) = ms[j];
    for (int k = 0; k < 62; ++k) sb(k) = k - 31;

    auto reference = [&](int i, int j, int shift, int& ties, int& saturated) {
        const int32_t x = xs[size_t(i)], m = ms[size_t(j)];
        if (shift <= 0) {
            const int32_t h = quant::saturating_rounding_doubling_high_mul(x, m);
            const int64_t half = shift < 0 ? int64_t(1) << (-shift - 1) : -1;
            ties += h < 0 && (int64_t(h) & (2 * half - 1)) == half;
            saturated += x == kMin && m == kMin;
        }
        return quant::multiply_by_quantized_multiplier(x, {m, shift});
    };
    Var i("i"), j("j"), k("k");
    for (bool vectorized : {true, false}) {
        Func f("requant");
        f(i, j, k) = multiply_by_quantized_multiplier(xb(i), mb(j), sb(k));
        if (vectorized) f.vectorize(i, 16);
        Buffer<int32_t> out = f.realize({int(xs.size()), int(ms.size()), 62});
        int diffs = 0, ties = 0, saturated = 0;
        for (int c = 0; c < 62; ++c)
            for (int b = 0; b < int(ms.size()); ++b)
                for (int a = 0; a < int(xs.size()); ++a) {
                    const int32_t want = reference(a, b, c - 31, ties, saturated);
                    if (out(a, b, c) != want && ++diffs <= 5)
                        ADD_FAILURE() << "x " << xs[size_t(a)] << " multiplier " << ms[size_t(b)] << " shift " << c - 31
                                      << ": " << out(a, b, c) << ", reference " << want;
                }
        EXPECT_EQ(diffs, 0) << (vectorized ? "vectorized" : "scalar");
        EXPECT_GT(ties, 100);
        EXPECT_GT(saturated, 0);
    }
    // The bounded form (|x| <= 2^23 - 1 and left shifts <= 7 known: no saturation
    // selects, one rounding add), on the inputs clamped to the bound.
    for (HighMul form : {HighMul::Rounding, HighMul::Int64Product}) {
        constexpr int32_t kBound = (1 << 23) - 1;
        Func f("requant_bounded");
        f(i, j, k) = multiply_by_quantized_multiplier(clamp(xb(i), -kBound, kBound), mb(j), sb(k), kBound, 7, form);
        f.vectorize(i, 16);
        Buffer<int32_t> out = f.realize({int(xs.size()), int(ms.size()), 39});   // shifts -31..7
        int diffs = 0;
        for (int c = 0; c < 39; ++c)
            for (size_t b = 0; b < ms.size(); ++b)
                for (size_t a = 0; a < xs.size(); ++a)
                    diffs += out(int(a), int(b), c) != quant::multiply_by_quantized_multiplier(
                                                             std::clamp(xs[a], -kBound, kBound), {ms[b], c - 31});
        EXPECT_EQ(diffs, 0) << "form " << int(form);
    }
    // The bounded form with right shifts only (max_shift 0: no left shift; -1: no
    // test for a zero right shift either), on shifts up to the bound.
    for (auto [max_shift, form] : {std::pair{0, HighMul::Rounding}, std::pair{0, HighMul::Int64Product},
                                   std::pair{-1, HighMul::Rounding}, std::pair{-1, HighMul::Int64Product}}) {
        constexpr int32_t kBound = (1 << 29) - 1;
        Func f("requant_right_" + std::to_string(-max_shift));
        f(i, j, k) = multiply_by_quantized_multiplier(clamp(xb(i), -kBound, kBound), mb(j), sb(k), kBound, max_shift, form);
        f.vectorize(i, 16);
        const int shifts = 32 + max_shift;   // -31..max_shift
        Buffer<int32_t> out = f.realize({int(xs.size()), int(ms.size()), shifts});
        int diffs = 0;
        for (int c = 0; c < shifts; ++c)
            for (size_t b = 0; b < ms.size(); ++b)
                for (size_t a = 0; a < xs.size(); ++a)
                    diffs += out(int(a), int(b), c) != quant::multiply_by_quantized_multiplier(
                                                             std::clamp(xs[a], -kBound, kBound), {ms[b], c - 31});
        EXPECT_EQ(diffs, 0) << "max_shift " << max_shift << " form " << int(form);
    }
    // The high-half form on int64 lanes (|x * 2^left| < 2^28 known: 32 x 32-bit high
    // multiply, the halving folded into the rounding divide, right shifts from 30 on
    // clamped unless every shift is at least -30), with left shifts, right shifts only,
    // and without the zero-shift test.
    struct HighHalf {
        int32_t bound;
        int max_shift, min_shift;
    };
    for (const HighHalf& t : {HighHalf{(1 << 20) - 1, 7, -31}, HighHalf{(1 << 28) - 1, 0, -31},
                              HighHalf{(1 << 28) - 1, -1, -31}, HighHalf{(1 << 28) - 1, -1, -30}}) {
        Func f("requant_high_half_" + std::to_string(t.max_shift + 1) + "_" + std::to_string(-t.min_shift));
        f(i, j, k) = multiply_by_quantized_multiplier(clamp(xb(i), -t.bound, t.bound), mb(j), sb(k + t.min_shift + 31), t.bound,
                                                      t.max_shift, HighMul::HighHalf, t.min_shift);
        f.vectorize(i, 16);
        const int shifts = t.max_shift - t.min_shift + 1;
        Buffer<int32_t> out = f.realize({int(xs.size()), int(ms.size()), shifts});
        int diffs = 0, ties = 0;
        for (int c = 0; c < shifts; ++c)
            for (size_t b = 0; b < ms.size(); ++b)
                for (size_t a = 0; a < xs.size(); ++a) {
                    const int shift = c + t.min_shift;
                    const int32_t x = std::clamp(xs[a], -t.bound, t.bound), want = quant::multiply_by_quantized_multiplier(x, {ms[b], shift});
                    diffs += out(int(a), int(b), c) != want;
                    if (shift < 0) {   // count the exact negative ties of the rounding divide
                        const int32_t h = quant::saturating_rounding_doubling_high_mul(x, ms[b]);
                        const int64_t half = int64_t(1) << (-shift - 1);
                        ties += h < 0 && (int64_t(h) & (2 * half - 1)) == half;
                    }
                }
        EXPECT_EQ(diffs, 0) << "bound " << t.bound << " shifts " << t.min_shift << ".." << t.max_shift;
        EXPECT_GT(ties, 20) << "bound " << t.bound << " shifts " << t.min_shift << ".." << t.max_shift;
    }
    // Constant multiplier and shift (what uint8 per-tensor layers bake in).
    const std::vector<std::pair<int32_t, int>> consts = {{1 << 30, -31}, {1 << 30, -7}, {1992123456, -1}, {kMin, 0}, {1518500250, 3}, {kMax, 30}};
    std::vector<Func> fs;
    for (const auto& [m, shift] : consts) {
        Func g("requant_const_" + std::to_string(fs.size()));
        g(i) = multiply_by_quantized_multiplier(xb(i), Expr(m), Expr(shift));
        g.vectorize(i, 16);
        fs.push_back(g);
    }
    Halide::Realization outs = Halide::Pipeline(fs).realize({int(xs.size())});
    for (size_t n = 0; n < consts.size(); ++n) {
        Buffer<int32_t> out = outs[n];
        int diffs = 0;
        for (size_t a = 0; a < xs.size(); ++a)
            diffs += out(int(a)) != quant::multiply_by_quantized_multiplier(xs[a], {consts[n].first, consts[n].second});
        EXPECT_EQ(diffs, 0) << "multiplier " << consts[n].first << " shift " << consts[n].second;
    }
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
