// MobileNet v1 (Howard et al. 2017, Table 1) written as a TF-slim style frozen
// GraphDef: the same node names, op set and attributes as
// ../shared/models/derived/*_frozen.pb, with seeded random weights.
#include "frontend/synth.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <vector>

#include "proto/tensorflow_graph.pb.h"
#include "schema/tflite_generated.h"
#include "support/error.h"

namespace mncc {
namespace {

namespace tf = tensorflow;

// splitmix64: tiny and bit-exact on every machine, unlike <random>'s
// distributions.
class Rng {
public:
    explicit Rng(uint64_t seed) : s_(seed) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    float uniform(double lo, double hi) { return float(lo + (hi - lo) * double(next() >> 11) * 0x1.0p-53); }

private:
    uint64_t s_;
};

class Writer {
public:
    explicit Writer(uint64_t seed) : rng_(seed) {}

    tf::NodeDef* node(const std::string& name, const std::string& op, std::vector<std::string> inputs) {
        tf::NodeDef* n = gd_.add_node();
        n->set_name(name);
        n->set_op(op);
        for (auto& in : inputs) n->add_input(in);
        return n;
    }
    static void type(tf::NodeDef* n, const char* key, tf::DataType t) { (*n->mutable_attr())[key].set_type(t); }
    static void str(tf::NodeDef* n, const char* key, const char* v) { (*n->mutable_attr())[key].set_s(v); }
    static void ints(tf::NodeDef* n, const char* key, std::vector<int64_t> v) {
        auto* list = (*n->mutable_attr())[key].mutable_list();
        for (int64_t x : v) list->add_i(x);
    }
    // Data ops carry T = DT_FLOAT; spatial ones also data_format = NHWC.
    tf::NodeDef* op(const std::string& name, const std::string& op, std::vector<std::string> inputs,
                    bool nhwc = false) {
        tf::NodeDef* n = node(name, op, std::move(inputs));
        type(n, "T", tf::DT_FLOAT);
        if (nhwc) str(n, "data_format", "NHWC");
        return n;
    }

    tf::NodeDef* constant(const std::string& name, tf::DataType dt, const std::vector<int64_t>& shape,
                          const void* data, size_t count) {
        tf::NodeDef* n = node(name, "Const", {});
        type(n, "dtype", dt);
        tf::TensorProto* t = (*n->mutable_attr())["value"].mutable_tensor();
        t->set_dtype(dt);
        for (int64_t d : shape) t->mutable_tensor_shape()->add_dim()->set_size(d);
        std::string bytes(4 * count, '\0');
        for (size_t k = 0; k < count; ++k) {  // little-endian, whatever the host
            uint32_t u;
            std::memcpy(&u, static_cast<const char*>(data) + 4 * k, 4);
            for (int b = 0; b < 4; ++b) bytes[4 * k + b] = char(u >> (8 * b));
        }
        t->set_tensor_content(bytes);
        return n;
    }
    // A trained variable as a frozen graph has it: Const + "/read" Identity.
    std::string variable(const std::string& name, const std::vector<int64_t>& shape, double lo, double hi) {
        size_t count = 1;
        for (int64_t d : shape) count *= size_t(d);
        std::vector<float> v(count);
        for (float& x : v) x = rng_.uniform(lo, hi);
        constant(name, tf::DT_FLOAT, shape, v.data(), v.size());
        tf::NodeDef* read = node(name + "/read", "Identity", {name});
        type(read, "T", tf::DT_FLOAT);
        (*read->mutable_attr())["_class"].mutable_list()->add_s("loc:@" + name);
        return read->name();
    }

    // Conv (dense or depthwise) + FusedBatchNorm + Relu6, TF-slim naming.
    // Weights have variance gain/fan_in, giving conv outputs about unit variance; the
    // batch-norm statistics are deliberately off (mean != 0, var != 1,
    // gamma != 1, beta mostly > 0) so that folding matters and Relu6 clamps
    // at both ends.
    std::string conv_bn_relu6(const std::string& x, const std::string& scope, bool depthwise, int64_t k,
                              int64_t cin, int64_t cout, int64_t stride, double gain) {
        const std::string var = "MobilenetV1/" + scope, op = "MobilenetV1/MobilenetV1/" + scope;
        const double fan_in = depthwise ? double(k * k) : double(k * k * cin);
        const double a = std::sqrt(3.0 * gain / fan_in);
        std::string w = depthwise ? variable(var + "/depthwise_weights", {k, k, cin, 1}, -a, a)
                                  : variable(var + "/weights", {k, k, cin, cout}, -a, a);
        tf::NodeDef* c = this->op(depthwise ? op + "/depthwise" : op + "/Conv2D",
                                  depthwise ? "DepthwiseConv2dNative" : "Conv2D", {x, w}, true);
        ints(c, "dilations", {1, 1, 1, 1});
        str(c, "padding", "SAME");
        ints(c, "strides", {1, stride, stride, 1});
        if (!depthwise) (*c->mutable_attr())["use_cudnn_on_gpu"].set_b(true);
        std::string gamma = variable(var + "/BatchNorm/gamma", {cout}, 0.5, 2.5);
        std::string beta = variable(var + "/BatchNorm/beta", {cout}, -1.5, 4.5);
        std::string mean = variable(var + "/BatchNorm/moving_mean", {cout}, -0.5, 0.5);
        std::string variance = variable(var + "/BatchNorm/moving_variance", {cout}, 0.25, 2.0);
        tf::NodeDef* bn = this->op(op + "/BatchNorm/FusedBatchNorm", "FusedBatchNorm",
                                   {c->name(), gamma, beta, mean, variance}, true);
        (*bn->mutable_attr())["epsilon"].set_f(0.001f);
        (*bn->mutable_attr())["is_training"].set_b(false);
        return this->op(op + "/Relu6", "Relu6", {bn->name()})->name();
    }

    std::string serialize() {
        tf::VersionDef* v = gd_.mutable_versions();
        v->set_producer(26);
        std::string out;
        {
            google::protobuf::io::StringOutputStream stream(&out);
            google::protobuf::io::CodedOutputStream coded(&stream);
            coded.SetSerializationDeterministic(true);  // attr maps in key order
            gd_.SerializeToCodedStream(&coded);
        }
        return out;
    }

private:
    tf::GraphDef gd_;
    Rng rng_;
};

void check_options(const SynthOptions& opts) {
    if (!(opts.alpha > 0 && opts.alpha <= 4)) throw Error("synth: alpha must be in (0, 4]");
    if (opts.resolution < 1 || opts.resolution > 2048) throw Error("synth: resolution must be in [1, 2048]");
    if (opts.classes < 1 || opts.classes > (1 << 20)) throw Error("synth: classes must be in [1, 1048576]");
}

// The quantized TFLite writer: tensors, buffers and operators of one subgraph.
class TfliteWriter {
public:
    TfliteWriter(uint64_t seed, SynthQuant q) : rng_(seed), int8_(q == SynthQuant::Int8) {}

    // Quantisation of an activation: `zero` is the uint8 zero point (the int8 one is zero - 128).
    struct Quant {
        float scale;
        int zero;
    };
    struct Act {
        int tensor;
        Quant q;
    };

    // An activation tensor of the model's 8-bit type.
    Act activation(const std::string& name, std::vector<int32_t> shape, Quant q) {
        return {tensor(name, std::move(shape), int8_ ? tfl::TensorType::INT8 : tfl::TensorType::UINT8, 0, {q.scale},
                       {int8_ ? q.zero - 128 : q.zero}, 0),
                q};
    }

    // Conv (dense or depthwise, weights as the float synth draws them) with the
    // float synth's batch norm folded in, quantized; `relu6` or no activation.
    Act conv(const Act& x, const std::string& scope, bool depthwise, int k, int cin, int cout, int stride,
             double gain, int out_hw, bool batch_norm, bool relu6, Quant out_q) {
        const double fan_in = depthwise ? double(k * k) : double(k * k * cin);
        const double a = std::sqrt(3.0 * gain / fan_in);
        const int taps = depthwise ? k * k : k * k * cin;   // weights per output channel
        // Float weights in TF's HWIO / HWC1 order, then the batch-norm fold.
        std::vector<float> w(size_t(taps) * size_t(cout));
        for (float& v : w) v = rng_.uniform(-a, a);
        std::vector<double> mul(size_t(cout), 1.0), bias(size_t(cout), 0.0);
        if (batch_norm) {
            const size_t n = static_cast<size_t>(cout);
            std::vector<float> gamma(n), beta(n), mean(n), var(n);
            for (float& v : gamma) v = rng_.uniform(0.5, 2.5);
            for (float& v : beta) v = rng_.uniform(-1.5, 4.5);
            for (float& v : mean) v = rng_.uniform(-0.5, 0.5);
            for (float& v : var) v = rng_.uniform(0.25, 2.0);
            for (size_t c = 0; c < size_t(cout); ++c) {
                mul[c] = gamma[c] / std::sqrt(double(var[c]) + 0.001);
                bias[c] = beta[c] - mean[c] * mul[c];
            }
        } else {
            for (double& v : bias) v = rng_.uniform(-0.5, 0.5);
        }
        // Folded weight of output channel c, tap t (t = (ky*k + kx)*cin + ci for dense, ky*k + kx for depthwise).
        auto folded = [&](int c, int t) { return double(w[size_t(t) * size_t(cout) + size_t(c)]) * mul[size_t(c)]; };
        // Quantize: int8 symmetric per channel, or uint8 asymmetric per tensor.
        std::vector<float> scale;
        std::vector<int64_t> zero;
        if (int8_) {
            for (int c = 0; c < cout; ++c) {
                double m = 0;
                for (int t = 0; t < taps; ++t) m = std::max(m, std::abs(folded(c, t)));
                scale.push_back(float(std::max(m, 1e-8) / 127));
                zero.push_back(0);
            }
        } else {
            double lo = 0, hi = 0;
            for (int c = 0; c < cout; ++c)
                for (int t = 0; t < taps; ++t) lo = std::min(lo, folded(c, t)), hi = std::max(hi, folded(c, t));
            const double sc = std::max(hi - lo, 1e-8) / 255;
            scale.push_back(float(sc));
            zero.push_back(std::min<int64_t>(255, std::max<int64_t>(0, std::llround(-lo / sc))));
        }
        auto q = [&](int c, int t) {
            const size_t i = scale.size() == 1 ? 0 : size_t(c);
            const int64_t v = std::llround(folded(c, t) / double(scale[i])) + zero[i];
            return int8_ ? std::min<int64_t>(127, std::max<int64_t>(-127, v)) : std::min<int64_t>(255, std::max<int64_t>(0, v));
        };
        // TFLite layouts: dense OHWI [cout, k, k, cin], depthwise [1, k, k, c].
        std::vector<uint8_t> wbytes(size_t(taps) * size_t(cout));
        for (int c = 0; c < cout; ++c)
            for (int t = 0; t < taps; ++t)
                wbytes[depthwise ? size_t(t) * size_t(cout) + size_t(c) : size_t(c) * size_t(taps) + size_t(t)] = uint8_t(q(c, t));
        const std::string name = "MobilenetV1/" + scope;
        const std::vector<int32_t> wshape = depthwise ? std::vector<int32_t>{1, k, k, cout} : std::vector<int32_t>{cout, k, k, cin};
        const int wt = tensor(name + (depthwise ? "/depthwise_weights" : "/weights"), wshape,
                              int8_ ? tfl::TensorType::INT8 : tfl::TensorType::UINT8, buffer(wbytes), scale, zero,
                              depthwise ? 3 : 0);
        std::vector<float> bscale;
        std::vector<int64_t> bzero;
        std::vector<uint8_t> bbytes;
        for (int c = 0; c < cout; ++c) {
            const double s = double(x.q.scale) * double(scale[scale.size() == 1 ? 0 : size_t(c)]);
            const int32_t b = int32_t(std::llround(bias[size_t(c)] / s));
            for (int byte = 0; byte < 4; ++byte) bbytes.push_back(uint8_t(uint32_t(b) >> (8 * byte)));
            if (int8_ || c == 0) bscale.push_back(float(s)), bzero.push_back(0);
        }
        const int bt = tensor(name + "/biases", {cout}, tfl::TensorType::INT32, buffer(bbytes), bscale, bzero, 0);
        const Act y = activation(name + (relu6 ? "/Relu6" : "/BiasAdd"), {1, out_hw, out_hw, cout}, out_q);
        const auto act = relu6 ? tfl::ActivationFunctionType::RELU6 : tfl::ActivationFunctionType::NONE;
        if (depthwise)
            op(tfl::BuiltinOperator::DEPTHWISE_CONV_2D, {x.tensor, wt, bt}, y.tensor, tfl::BuiltinOptions::DepthwiseConv2DOptions,
               tfl::CreateDepthwiseConv2DOptions(fbb_, tfl::Padding::SAME, stride, stride, 1, act).Union());
        else
            op(tfl::BuiltinOperator::CONV_2D, {x.tensor, wt, bt}, y.tensor, tfl::BuiltinOptions::Conv2DOptions,
               tfl::CreateConv2DOptions(fbb_, tfl::Padding::SAME, stride, stride, act).Union());
        return y;
    }

    int tensor(const std::string& name, std::vector<int32_t> shape, tfl::TensorType type, uint32_t buffer,
               const std::vector<float>& scale, const std::vector<int64_t>& zero, int qdim) {
        tensors_.push_back(tfl::CreateTensor(fbb_, fbb_.CreateVector(shape), type, buffer, fbb_.CreateString(name),
                                             tfl::CreateQuantizationParameters(fbb_, 0, 0, fbb_.CreateVector(scale),
                                                                              fbb_.CreateVector(zero),
                                                                              tfl::QuantizationDetails::NONE, 0, qdim)));
        return int(tensors_.size()) - 1;
    }
    uint32_t buffer(const std::vector<uint8_t>& bytes) {
        buffers_.push_back(tfl::CreateBuffer(fbb_, fbb_.CreateVector(bytes)));
        return uint32_t(buffers_.size()) - 1;
    }
    void op(tfl::BuiltinOperator code, std::vector<int32_t> inputs, int output, tfl::BuiltinOptions type,
            flatbuffers::Offset<void> options) {
        size_t index = 0;
        while (index < codes_.size() && codes_[index] != code) ++index;
        if (index == codes_.size()) codes_.push_back(code);
        ops_.push_back(tfl::CreateOperator(fbb_, uint32_t(index), fbb_.CreateVector(inputs), fbb_.CreateVector(std::vector<int32_t>{output}),
                                           type, options));
    }
    flatbuffers::FlatBufferBuilder& fbb() { return fbb_; }

    std::string finish(int input, int output) {
        std::vector<flatbuffers::Offset<tfl::OperatorCode>> codes;
        for (tfl::BuiltinOperator c : codes_) codes.push_back(tfl::CreateOperatorCode(fbb_, int8_t(c), 0, 1, c));
        auto subgraph = tfl::CreateSubGraph(fbb_, fbb_.CreateVector(tensors_), fbb_.CreateVector(std::vector<int32_t>{input}),
                                            fbb_.CreateVector(std::vector<int32_t>{output}), fbb_.CreateVector(ops_),
                                            fbb_.CreateString("main"));
        auto model = tfl::CreateModel(fbb_, 3, fbb_.CreateVector(codes), fbb_.CreateVector(std::vector<decltype(subgraph)>{subgraph}),
                                      fbb_.CreateString("mncc synth"), fbb_.CreateVector(buffers_));
        tfl::FinishModelBuffer(fbb_, model);
        return std::string(reinterpret_cast<const char*>(fbb_.GetBufferPointer()), fbb_.GetSize());
    }

private:
    Rng rng_;
    bool int8_;
    flatbuffers::FlatBufferBuilder fbb_;
    std::vector<flatbuffers::Offset<tfl::Tensor>> tensors_;
    std::vector<flatbuffers::Offset<tfl::Buffer>> buffers_{tfl::CreateBuffer(fbb_)};   // buffers[0]: the empty sentinel
    std::vector<flatbuffers::Offset<tfl::Operator>> ops_;
    std::vector<tfl::BuiltinOperator> codes_;
};

}  // namespace

std::string synth_tflite_quantized(const SynthOptions& opts) {
    check_options(opts);
    if (opts.quantize == SynthQuant::None) throw Error("synth: no quantized type asked for");
    auto depth = [&](int c) { return std::max(int(c * opts.alpha), 8); };
    TfliteWriter w(opts.seed, opts.quantize);
    const int r = opts.resolution;
    TfliteWriter::Act x = w.activation("input", {1, r, r, 3}, {1.0f / 128, 128});
    const TfliteWriter::Quant relu6{6.0f / 255, 0};   // every ReLU6 output: [0, 6] on the whole 8-bit range
    int c = depth(32), size = (r + 1) / 2;
    // The float synth's gains: unit-variance conv outputs before the batch norm.
    x = w.conv(x, "Conv2d_0", false, 3, 3, c, 2, 3.0, size, true, true, relu6);
    const int pointwise[13] = {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
    const int strides[13] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
    for (int i = 0; i < 13; ++i) {
        const std::string block = "Conv2d_" + std::to_string(i + 1);
        size = (size + strides[i] - 1) / strides[i];
        x = w.conv(x, block + "_depthwise", true, 3, c, c, strides[i], 1.0 / 8, size, true, true, relu6);
        x = w.conv(x, block + "_pointwise", false, 1, c, depth(pointwise[i]), 1, 1.0 / 8, size, true, true, relu6);
        c = depth(pointwise[i]);
    }
    const TfliteWriter::Act pool = w.activation("MobilenetV1/Logits/AvgPool_1a/AvgPool", {1, 1, 1, c}, x.q);
    w.op(tfl::BuiltinOperator::AVERAGE_POOL_2D, {x.tensor}, pool.tensor, tfl::BuiltinOptions::Pool2DOptions,
         tfl::CreatePool2DOptions(w.fbb(), tfl::Padding::VALID, 2, 2, size, size).Union());
    const TfliteWriter::Act logits =
        w.conv(pool, "Logits/Conv2d_1c_1x1", false, 1, c, opts.classes, 1, 1.0, 1, false, false, {16.0f / 255, 128});
    const TfliteWriter::Act squeezed = w.activation("MobilenetV1/Logits/SpatialSqueeze", {1, opts.classes}, logits.q);
    w.op(tfl::BuiltinOperator::RESHAPE, {logits.tensor}, squeezed.tensor, tfl::BuiltinOptions::ReshapeOptions,
         tfl::CreateReshapeOptions(w.fbb(), w.fbb().CreateVector(std::vector<int32_t>{1, opts.classes})).Union());
    const TfliteWriter::Act probs = w.activation("MobilenetV1/Predictions/Reshape_1", {1, opts.classes}, {1.0f / 256, 0});
    w.op(tfl::BuiltinOperator::SOFTMAX, {squeezed.tensor}, probs.tensor, tfl::BuiltinOptions::SoftmaxOptions,
         tfl::CreateSoftmaxOptions(w.fbb(), 1.0f).Union());
    return w.finish(0, probs.tensor);
}

std::string synth_tf_graphdef(const SynthOptions& opts) {
    check_options(opts);
    auto depth = [&](int c) { return std::max<int64_t>(int64_t(c * opts.alpha), 8); };

    Writer w(opts.seed);
    tf::NodeDef* input = w.node("input", "Placeholder", {});
    Writer::type(input, "dtype", tf::DT_FLOAT);
    auto* shape = (*input->mutable_attr())["shape"].mutable_shape();
    for (int64_t d : {int64_t(1), int64_t(opts.resolution), int64_t(opts.resolution), int64_t(3)})
        shape->add_dim()->set_size(d);

    // Table 1: conv 3x3/2, then 13 depthwise-separable blocks.
    int64_t c = depth(32), size = (opts.resolution + 1) / 2;
    // Gain = 1 / the input's mean square: about 1/3 for the image (x/127.5 - 1),
    // about 8 for Relu6 outputs, so every conv output has roughly unit variance.
    std::string x = w.conv_bn_relu6("input", "Conv2d_0", false, 3, 3, c, 2, 3.0);
    const int pointwise[13] = {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
    const int strides[13] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
    for (int i = 0; i < 13; ++i) {
        const std::string block = "Conv2d_" + std::to_string(i + 1);
        x = w.conv_bn_relu6(x, block + "_depthwise", true, 3, c, c, strides[i], 1.0 / 8);
        x = w.conv_bn_relu6(x, block + "_pointwise", false, 1, c, depth(pointwise[i]), 1, 1.0 / 8);
        c = depth(pointwise[i]);
        size = (size + strides[i] - 1) / strides[i];
    }

    // Head: global average pool (VALID, kernel = final map), 1x1 logits conv.
    tf::NodeDef* pool = w.op("MobilenetV1/Logits/AvgPool_1a/AvgPool", "AvgPool", {x}, true);
    Writer::ints(pool, "ksize", {1, size, size, 1});
    Writer::str(pool, "padding", "VALID");
    Writer::ints(pool, "strides", {1, 2, 2, 1});
    const std::string logits = "MobilenetV1/Logits/Conv2d_1c_1x1";
    const double a = std::sqrt(3.0 / double(c));
    std::string lw = w.variable(logits + "/weights", {1, 1, c, opts.classes}, -a, a);
    std::string lb = w.variable(logits + "/biases", {opts.classes}, -0.5, 0.5);
    tf::NodeDef* conv = w.op(logits + "/Conv2D", "Conv2D", {pool->name(), lw}, true);
    Writer::ints(conv, "dilations", {1, 1, 1, 1});
    Writer::str(conv, "padding", "SAME");
    Writer::ints(conv, "strides", {1, 1, 1, 1});
    (*conv->mutable_attr())["use_cudnn_on_gpu"].set_b(true);
    tf::NodeDef* bias = w.op(logits + "/BiasAdd", "BiasAdd", {conv->name(), lb}, true);
    tf::NodeDef* squeeze = w.op("MobilenetV1/Logits/SpatialSqueeze", "Squeeze", {bias->name()});
    Writer::ints(squeeze, "squeeze_dims", {1, 2});

    // Predictions: Reshape to [-1, classes], Softmax, Reshape back via Shape.
    const int32_t target[2] = {-1, opts.classes};
    tf::NodeDef* target_node = w.constant("MobilenetV1/Predictions/Reshape/shape", tf::DT_INT32, {2}, target, 2);
    tf::NodeDef* reshape =
        w.op("MobilenetV1/Predictions/Reshape", "Reshape", {squeeze->name(), target_node->name()});
    Writer::type(reshape, "Tshape", tf::DT_INT32);
    tf::NodeDef* softmax = w.op("MobilenetV1/Predictions/Softmax", "Softmax", {reshape->name()});
    tf::NodeDef* shape_op = w.op("MobilenetV1/Predictions/Shape", "Shape", {squeeze->name()});
    Writer::type(shape_op, "out_type", tf::DT_INT32);
    tf::NodeDef* out =
        w.op("MobilenetV1/Predictions/Reshape_1", "Reshape", {softmax->name(), shape_op->name()});
    Writer::type(out, "Tshape", tf::DT_INT32);
    return w.serialize();
}

}  // namespace mncc
