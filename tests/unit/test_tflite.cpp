// TFLite front end and the integer reference kernels: fixed-point helpers
// against hand-computed values, tiny models written with the flatbuffers
// builder (layouts, quantisation, one malformed field per error rule) and
// byte mutations of the real ../shared model.
#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <cstring>
#include <functional>

#include "frontend/frontend.h"
#include "frontend/tflite.h"
#include "passes/passes.h"
#include "reference/interpreter.h"
#include "reference/quantized.h"
#include "schema/tflite_generated.h"
#include "support/error.h"
#include "../support/shared_data.h"

namespace {

using namespace mncc;
using mncc::tfl::BuiltinOperator;
using mncc::tfl::TensorType;

// ---- fixed-point helpers ----

TEST(QuantFixedPoint, QuantizeMultiplier) {
    auto m = quant::quantize_multiplier(0.5);
    EXPECT_EQ(m.multiplier, 1 << 30);
    EXPECT_EQ(m.shift, 0);
    m = quant::quantize_multiplier(0.25);
    EXPECT_EQ(m.multiplier, 1 << 30);
    EXPECT_EQ(m.shift, -1);
    m = quant::quantize_multiplier(3.0);  // 0.75 * 2^2
    EXPECT_EQ(m.multiplier, 3 << 29);
    EXPECT_EQ(m.shift, 2);
    m = quant::quantize_multiplier(0.0);
    EXPECT_EQ(m.multiplier, 0);
    // A fraction that rounds up to 2^31 moves to the next power of two.
    m = quant::quantize_multiplier(1.0 - 1e-12);
    EXPECT_EQ(m.multiplier, 1 << 30);
    EXPECT_EQ(m.shift, 1);
}

TEST(QuantFixedPoint, HighMulAndShift) {
    EXPECT_EQ(quant::saturating_rounding_doubling_high_mul(1 << 30, 1 << 30), 1 << 29);
    EXPECT_EQ(quant::saturating_rounding_doubling_high_mul(INT_MIN, INT_MIN), INT_MAX);
    EXPECT_EQ(quant::saturating_rounding_doubling_high_mul(3, 1 << 30), 2);    // 1.5 rounds away from zero
    // gemmlowp's nudge rounds exact negative halves toward zero: -1.5 -> -1.
    EXPECT_EQ(quant::saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
    EXPECT_EQ(quant::rounding_divide_by_pot(5, 1), 3);
    EXPECT_EQ(quant::rounding_divide_by_pot(-5, 1), -3);
    EXPECT_EQ(quant::rounding_divide_by_pot(4, 1), 2);
    EXPECT_EQ(quant::rounding_divide_by_pot(-6, 2), -2);  // -1.5
    EXPECT_EQ(quant::rounding_divide_by_pot(-5, 2), -1);  // -1.25
    EXPECT_EQ(quant::multiply_by_quantized_multiplier(100, quant::quantize_multiplier(0.3)), 30);
    EXPECT_EQ(quant::multiply_by_quantized_multiplier(5, quant::quantize_multiplier(0.5)), 3);
    EXPECT_EQ(quant::multiply_by_quantized_multiplier(7, quant::quantize_multiplier(3.0)), 21);
}

TEST(QuantFixedPoint, ActivationRange) {
    Quantization q{{0.1f}, {10}};
    auto r = quant::activation_range(DType::UInt8, q, Activation::Relu6);
    EXPECT_EQ(r.lo, 10);
    EXPECT_EQ(r.hi, 70);
    r = quant::activation_range(DType::UInt8, q, Activation::Relu);
    EXPECT_EQ(r.lo, 10);
    EXPECT_EQ(r.hi, 255);
    r = quant::activation_range(DType::Int8, Quantization{{6.0f / 255}, {-128}}, Activation::Relu6);
    EXPECT_EQ(r.lo, -128);
    EXPECT_EQ(r.hi, 127);
}

// ---- hand-built quantized graphs through the interpreter ----

Node& add_input(Graph& g, const Shape& s, Quantization q) {
    Node& in = g.add(Op::Input, "x");
    in.shape = s;
    in.dtype = DType::UInt8;
    in.quant = std::move(q);
    g.input = in.id;
    return in;
}

TEST(QuantKernels, Conv1x1RoundsHalfAwayFromZero) {
    Graph g;
    add_input(g, {1, 2, 2, 1}, {{0.5f}, {10}});
    Node& c = g.add(Op::Conv2D, "conv");
    c.inputs = {0};
    c.shape = {1, 2, 2, 1};
    c.dtype = DType::UInt8;
    c.quant = {{1.0f}, {5}};
    c.weights.shape = {1, 1, 1, 1};
    c.weights.dtype = DType::UInt8;
    c.weights.qdata = {3};
    c.weights.quant = {{0.25f}, {1}};
    c.bias.shape = {1};
    c.bias.dtype = DType::Int32;
    c.bias.qdata = {4};
    c.bias.quant = {{0.125f}, {0}};
    g.output = c.id;
    // acc = 2*(x-10) + 4 = 4, 8, 12, 24; times 0.125 = 0.5, 1, 1.5, 3 -> 1, 1, 2, 3; + 5.
    EXPECT_EQ(run_reference_int(g, {10, 12, 14, 20}), (std::vector<int32_t>{6, 6, 7, 8}));
    // Relu6 clamps at q(6) = 11 and q(0) = 5.
    g.node(c.id).activation = Activation::Relu6;
    EXPECT_EQ(run_reference_int(g, {0, 12, 14, 40}), (std::vector<int32_t>{5, 6, 7, 11}));
}

TEST(QuantKernels, AvgPoolRoundingAndSoftmax) {
    Graph g;
    add_input(g, {1, 1, 2, 2}, {{1.0f}, {0}});
    Node& p = g.add(Op::AvgPool, "pool");
    p.inputs = {0};
    p.kernel_h = 1;
    p.kernel_w = 2;
    p.shape = {1, 1, 1, 2};
    p.dtype = DType::UInt8;
    p.quant = {{1.0f}, {0}};
    g.output = p.id;
    EXPECT_EQ(run_reference_int(g, {1, 2, 2, 2}), (std::vector<int32_t>{2, 2}));  // (3+1)/2, 4/2

    Graph s;
    add_input(s, {1, 3}, {{std::log(2.0f)}, {0}});
    Node& sm = s.add(Op::Softmax, "softmax");
    sm.inputs = {0};
    sm.shape = {1, 3};
    sm.dtype = DType::UInt8;
    sm.quant = {{1.0f / 256}, {0}};
    s.output = sm.id;
    // exp(ln2 * q): 1, 2, 4 over 7 -> 256/7 = 36.57, 73.14, 146.29.
    EXPECT_EQ(run_reference_int(s, {0, 1, 2}), (std::vector<int32_t>{37, 73, 146}));
}

TEST(QuantKernels, AddAndConversions) {
    Graph g;
    add_input(g, {1, 1, 1, 2}, {{0.5f}, {100}});
    Node& r = g.add(Op::Quantize, "requant");  // integer -> integer
    r.inputs = {0};
    r.shape = {1, 1, 1, 2};
    r.dtype = DType::UInt8;
    r.quant = {{0.25f}, {0}};
    Node& a = g.add(Op::Add, "add");
    a.inputs = {0, 1};
    a.shape = {1, 1, 1, 2};
    a.dtype = DType::UInt8;
    a.quant = {{1.0f}, {3}};
    Node& d = g.add(Op::Dequantize, "deq");
    d.inputs = {2};
    d.shape = {1, 1, 1, 2};
    g.output = d.id;
    // x = (q-100)/2 = 5, 1.5; requantized to 0.25 steps: 20, 6; sum 10, 3 -> q 13, 6 -> 10, 3.
    RefValue in{DType::UInt8, {}, {110, 103}};
    auto all = run_reference_all(g, in);
    EXPECT_EQ(all[1].q, (std::vector<int32_t>{20, 6}));
    EXPECT_EQ(all[2].q, (std::vector<int32_t>{13, 6}));
    EXPECT_EQ(all[3].f, (std::vector<float>{10.0f, 3.0f}));
}

// ---- tiny TFLite files from the flatbuffers builder ----

struct TensorSpec {
    std::string name;
    std::vector<int32_t> shape;
    TensorType type = TensorType::UINT8;
    std::vector<uint8_t> data;  // constant bytes; empty = activation
    std::vector<float> scale;
    std::vector<int64_t> zero_point;
    int qdim = 0;
};

struct ModelSpec {
    std::vector<TensorSpec> tensors;
    BuiltinOperator code = BuiltinOperator::CONV_2D;
    std::vector<int32_t> op_inputs, op_outputs;
    tfl::ActivationFunctionType activation = tfl::ActivationFunctionType::RELU6;
    uint32_t opcode_index = 0;
};

template <class T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
    std::vector<uint8_t> b(v.size() * sizeof(T));
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}

// A uint8 1x1 CONV_2D: input [1,2,2,2], filter OHWI [3,1,1,2] with
// filter[o][0][0][i] = 100 + 10*o + i, int32 bias [3], output [1,2,2,3].
ModelSpec conv_spec() {
    ModelSpec m;
    m.tensors = {
        {"input", {1, 2, 2, 2}, TensorType::UINT8, {}, {0.5f}, {128}},
        {"filter", {3, 1, 1, 2}, TensorType::UINT8, {100, 101, 110, 111, 120, 121}, {0.25f}, {100}},
        {"bias", {3}, TensorType::INT32, bytes_of(std::vector<int32_t>{1, -2, 3}), {0.125f}, {0}},
        {"out", {1, 2, 2, 3}, TensorType::UINT8, {}, {1.0f}, {0}},
    };
    m.op_inputs = {0, 1, 2};
    m.op_outputs = {3};
    return m;
}

std::string build(const ModelSpec& m) {
    flatbuffers::FlatBufferBuilder b;
    std::vector<flatbuffers::Offset<tfl::Buffer>> buffers{tfl::CreateBuffer(b)};
    std::vector<flatbuffers::Offset<tfl::Tensor>> tensors;
    for (const TensorSpec& t : m.tensors) {
        uint32_t buffer = 0;
        if (!t.data.empty()) {
            buffer = uint32_t(buffers.size());
            buffers.push_back(tfl::CreateBufferDirect(b, &t.data));
        }
        auto q = tfl::CreateQuantizationParametersDirect(b, nullptr, nullptr, &t.scale, &t.zero_point,
                                                         tfl::QuantizationDetails::NONE, 0, t.qdim);
        tensors.push_back(tfl::CreateTensorDirect(b, &t.shape, t.type, buffer, t.name.c_str(), q));
    }
    flatbuffers::Offset<void> options;
    tfl::BuiltinOptions type = tfl::BuiltinOptions::NONE;
    if (m.code == BuiltinOperator::CONV_2D) {
        options = tfl::CreateConv2DOptions(b, tfl::Padding::SAME, 1, 1, m.activation).Union();
        type = tfl::BuiltinOptions::Conv2DOptions;
    }
    auto op = tfl::CreateOperatorDirect(b, m.opcode_index, &m.op_inputs, &m.op_outputs, type, options);
    std::vector<flatbuffers::Offset<tfl::Operator>> ops{op};
    std::vector<int32_t> inputs{0}, outputs{m.op_outputs.empty() ? 0 : m.op_outputs[0]};
    auto sg = tfl::CreateSubGraphDirect(b, &tensors, &inputs, &outputs, &ops, "main");
    std::vector<flatbuffers::Offset<tfl::SubGraph>> sgs{sg};
    std::vector<flatbuffers::Offset<tfl::OperatorCode>> codes{
        tfl::CreateOperatorCode(b, int8_t(std::min<int>(int(m.code), 127)), 0, 1, m.code)};
    auto model = tfl::CreateModelDirect(b, 3, &codes, &sgs, "test", &buffers);
    tfl::FinishModelBuffer(b, model);
    return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

TEST(TfliteReader, ConvLayoutQuantAndValues) {
    Graph g = parse_tflite(build(conv_spec()), "t.tflite");
    run_passes(g);
    const Node& c = g.node(g.output);
    ASSERT_EQ(c.op, Op::Conv2D);
    EXPECT_EQ(c.name, "out");
    EXPECT_EQ(c.weights.shape, (Shape{1, 1, 2, 3}));  // HWIO
    for (int i = 0; i < 2; ++i)
        for (int o = 0; o < 3; ++o) EXPECT_EQ(c.weights.qdata[size_t(i * 3 + o)], 100 + 10 * o + i);
    EXPECT_FLOAT_EQ(c.weights.data[5], 0.25f * 21);  // dequantized copy
    EXPECT_EQ(c.bias.qdata, (std::vector<int32_t>{1, -2, 3}));
    EXPECT_EQ(c.activation, Activation::Relu6);
    EXPECT_EQ(c.dtype, DType::UInt8);
    EXPECT_EQ(g.node(g.input).dtype, DType::UInt8);
    EXPECT_FLOAT_EQ(g.preprocess.scale, 0.5f);
    EXPECT_FLOAT_EQ(g.preprocess.offset, -64.0f);
    // uint8 activations take one byte each in the arena: 8 and 12 bytes, each 64-aligned.
    EXPECT_EQ(g.arena_bytes, 128);
    // Pixel (130, 127): x = 2, -1; acc_o = 2*(10o) - 1*(10o+1) + bias = 10o - 1 + b;
    // y = acc * 0.125: o0: 0 -> 0; o1: 7 -> 0.875 -> 1; o2: 22 -> 2.75 -> 3.
    std::vector<int32_t> in(8, 128);
    in[0] = 130;
    in[1] = 127;
    auto out = run_reference_int(g, in);
    EXPECT_EQ(std::vector<int32_t>(out.begin(), out.begin() + 3), (std::vector<int32_t>{0, 1, 3}));
    // Bias only: 0.125, -0.25 -> 0, but 0.375 -> 1: TFLite rounds twice (the
    // high multiply makes 3*0.5 = 2, the shift by 2 makes 0.5 -> 1).
    EXPECT_EQ(std::vector<int32_t>(out.begin() + 3, out.begin() + 6), (std::vector<int32_t>{0, 0, 1}));
}

TEST(TfliteReader, Int8PerChannelWeights) {
    ModelSpec m = conv_spec();
    m.tensors[0] = {"input", {1, 2, 2, 2}, TensorType::INT8, {}, {0.5f}, {0}};
    m.tensors[1] = {"filter", {3, 1, 1, 2}, TensorType::INT8, {1, 2, 3, 4, 5, 6}, {0.5f, 0.25f, 0.125f}, {0, 0, 0}, 0};
    m.tensors[2].scale = {0.25f, 0.125f, 0.0625f};
    m.tensors[2].zero_point = {0, 0, 0};
    m.tensors[2].qdim = 0;
    m.tensors[3] = {"out", {1, 2, 2, 3}, TensorType::INT8, {}, {1.0f}, {-10}};
    Graph g = parse_tflite(build(m), "t.tflite");
    run_passes(g);
    const Node& c = g.node(g.output);
    EXPECT_EQ(c.weights.quant.scale, (std::vector<float>{0.5f, 0.25f, 0.125f}));
    EXPECT_EQ(c.weights.qdata, (std::vector<int32_t>{1, 3, 5, 2, 4, 6}));
    std::vector<int32_t> in(8, 0);
    in[0] = 4;
    in[1] = 2;
    auto out = run_reference_int(g, in);
    // Multipliers 0.5*w_scale[o]: o0 (8+1)*0.25 = 2.25 but double rounding (4.5 -> 5, 2.5 -> 3) gives 3;
    // o1 (20-2)*0.125 = 2.25 -> 2; o2 (32+3)*0.0625 = 2.1875 -> 2; zero point -10.
    EXPECT_EQ(std::vector<int32_t>(out.begin(), out.begin() + 3), (std::vector<int32_t>{-7, -8, -8}));
}

void expect_error(const std::string& bytes, const std::string& what) {
    try {
        Graph g = parse_tflite(bytes, "bad.tflite");
        run_passes(g);
        FAIL() << "no error, expected: " << what;
    } catch (const Error& e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.rfind("bad.tflite: ", 0), 0u) << msg;
        EXPECT_NE(msg.find(what), std::string::npos) << msg;
    }
}

TEST(TfliteErrors, BuilderCases) {
    ModelSpec m = conv_spec();
    m.tensors[1].data.pop_back();
    expect_error(build(m), "node 'out' (CONV_2D): tensor 'filter': buffer 1 has 5 bytes but [3,1,1,2] uint8 needs 6");
    m = conv_spec();
    m.code = static_cast<BuiltinOperator>(17);  // MAX_POOL_2D
    expect_error(build(m), "node 'out' (BUILTIN_17): unsupported operator");
    for (float s : {0.0f, -1.0f, NAN}) {
        m = conv_spec();
        m.tensors[1].scale = {s};
        expect_error(build(m), "tensor 'filter' has scale");
        expect_error(build(m), "(must be positive and finite)");
    }
    m = conv_spec();
    m.tensors[0].zero_point = {256};
    expect_error(build(m), "node 'input' (Input): tensor 'input' has zero point 256 out of range [0, 255] for uint8");
    m = conv_spec();
    m.tensors[1].type = TensorType::INT8;
    m.tensors[1].zero_point = {-129};
    expect_error(build(m), "tensor 'filter' has zero point -129 out of range [-128, 127] for int8");
    m = conv_spec();
    m.activation = tfl::ActivationFunctionType::TANH;
    expect_error(build(m), "node 'out' (CONV_2D): unsupported fused activation TANH");
    m = conv_spec();
    m.op_inputs = {0, 7, 2};
    expect_error(build(m), "node 'out' (CONV_2D): tensor index 7 out of range (4 tensors)");
    m = conv_spec();
    m.opcode_index = 3;
    expect_error(build(m), "opcode index 3 out of range");
    m = conv_spec();
    m.tensors[0].scale.clear();
    m.tensors[0].zero_point.clear();
    expect_error(build(m), "tensor 'input' is uint8 but has no quantization scale");
    m = conv_spec();
    m.tensors[1].type = TensorType::INT16;
    expect_error(build(m), "tensor 'filter' has unsupported type INT16");
    m = conv_spec();
    m.tensors[0].type = TensorType::FLOAT32;
    expect_error(build(m), "hybrid quantization");
}

// ---- the real model, mutated ----

std::string real_model() {
    return mncc_test::slurp(std::string(MNCC_SHARED_DIR) + "/models/mobilenet_v1_0.25_128_quant.tflite");
}

TEST(TfliteErrors, MutatedRealFile) {
    const std::string ok = real_model();
    if (ok.empty()) GTEST_SKIP() << "../shared absent";
    expect_error(ok.substr(0, ok.size() / 2), "truncated or corrupt TFLite file (an offset or size points outside the file)");
    expect_error(ok.substr(0, 6), "truncated TFLite file (6 bytes)");
    std::string bad = ok;
    bad[4] = 'X';
    expect_error(bad, "not a TFLite model (file identifier 'XFL3', expected 'TFL3')");
    bad = ok;
    bad[3] = char(0x7f);  // root offset far beyond the end
    expect_error(bad, "root table offset");
    expect_error(bad, "is past the end of the file");
    // Every single-byte corruption of the header region (root offset,
    // identifier, root vtable) is an error or a valid graph, never a crash.
    for (size_t i = 0; i < 40; ++i) {
        bad = ok;
        bad[i] = char(bad[i] ^ 0x5a);
        try {
            Graph g = parse_tflite(bad, "m.tflite");
            run_passes(g);
        } catch (const Error&) {
        }
    }
}

TEST(TfliteReader, LoadModelDispatch) {
    const std::string ok = real_model();
    if (ok.empty()) GTEST_SKIP() << "../shared absent";
    Graph g = load_model(std::string(MNCC_SHARED_DIR) + "/models/mobilenet_v1_0.25_128_quant.tflite");
    EXPECT_EQ(g.node(g.input).shape, (Shape{1, 128, 128, 3}));
    EXPECT_TRUE(looks_like_tflite(ok));
    EXPECT_FALSE(looks_like_tflite("1234TFL"));
}

}  // namespace
