// TFLite flatbuffer -> mncc::Graph (see tflite.h for the mapping).
//
// Order: size and identifier checks, the flatbuffers Verifier (every offset
// and vector inside the file), then one pass over subgraph 0's operators in
// execution order, checking each tensor index, shape, type, quantisation and
// buffer as it is used.
#include "frontend/tflite.h"

#include <cmath>
#include <cstring>

#include "schema/tflite_generated.h"
#include "support/error.h"

namespace mncc {
namespace {

// File bytes quoted in a message: printable ASCII as is, anything else as \xHH,
// so the message stays one line of text whatever the file holds.
std::string printable(const std::string& bytes) {
    static const char* hex = "0123456789abcdef";
    std::string r;
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f) {
            r += static_cast<char>(c);
        } else {
            r += "\\x";
            r += hex[c >> 4];
            r += hex[c & 15];
        }
    }
    return r;
}

constexpr size_t kMaxFlatbufferDepth = 64;
constexpr size_t kMaxFlatbufferTables = 10000000;

std::string where(const std::string& file) { return file.empty() ? std::string("<model>") : file; }

std::string op_label(int code) {
    const char* n = tfl::EnumNameBuiltinOperator(static_cast<tfl::BuiltinOperator>(code));
    return n && *n ? n : "BUILTIN_" + std::to_string(code);
}

std::string type_label(tfl::TensorType t) {
    const char* n = tfl::EnumNameTensorType(t);
    return n && *n ? n : "TensorType(" + std::to_string(int(t)) + ")";
}

// Row-major permutation of a tensor's values (float and integer alike):
// out dim i is in dim perm[i].
Tensor permute(const Tensor& t, const std::vector<int>& perm) {
    const size_t r = t.shape.size();
    Tensor o = t;
    std::vector<int64_t> in_stride(r, 1);
    for (size_t i = r; i-- > 1;) in_stride[i - 1] = in_stride[i] * t.shape[i];
    for (size_t i = 0; i < r; ++i) o.shape[i] = t.shape[size_t(perm[i])];
    const int64_t n = num_elements(t.shape);
    std::vector<int64_t> idx(r, 0);
    for (int64_t k = 0; k < n; ++k) {
        int64_t src = 0;
        for (size_t i = 0; i < r; ++i) src += idx[i] * in_stride[size_t(perm[i])];
        if (!t.data.empty()) o.data[size_t(k)] = t.data[size_t(src)];
        if (!t.qdata.empty()) o.qdata[size_t(k)] = t.qdata[size_t(src)];
        for (size_t i = r; i-- > 0;) {  // next output index, row-major
            if (++idx[i] < o.shape[i]) break;
            idx[i] = 0;
        }
    }
    return o;
}

class Reader {
public:
    Reader(const tfl::Model* m, const std::string& file, const FrontendOptions& opts)
        : m_(m), file_(where(file)), opts_(opts) {}

    Graph read() {
        g_.source_file = file_;
        if (!m_->subgraphs() || m_->subgraphs()->size() == 0) fail_model("model has no subgraph");
        sg_ = m_->subgraphs()->Get(0);
        if (!sg_ || !sg_->tensors() || !sg_->operators()) fail_model("subgraph 0 has no tensors or operators");
        const auto nt = sg_->tensors()->size(), nop = sg_->operators()->size();
        if (nt > uint32_t(kMaxNodes) || nop > uint32_t(kMaxNodes))
            fail_model("too many tensors or operators (limit " + std::to_string(kMaxNodes) + ")");
        producer_.assign(nt, -1);
        read_input();
        for (uint32_t i = 0; i < nop; ++i) read_op(i);
        read_output();
        return std::move(g_);
    }

private:
    const tfl::Model* m_;
    std::string file_;
    FrontendOptions opts_;
    const tfl::SubGraph* sg_ = nullptr;
    Graph g_;
    std::vector<int> producer_;    // tensor index -> IR node id
    std::string node_ = "", op_ = "";  // what errors name

    [[noreturn]] void fail(const std::string& reason) const { throw Error(node_error(file_, node_, op_, reason)); }
    [[noreturn]] void fail_model(const std::string& reason) const { throw Error(file_ + ": " + reason); }

    // ---- tensors ----
    const tfl::Tensor* tensor(int idx) const {
        if (idx < 0 || uint32_t(idx) >= sg_->tensors()->size())
            fail("tensor index " + std::to_string(idx) + " out of range (" +
                 std::to_string(sg_->tensors()->size()) + " tensors)");
        const tfl::Tensor* t = sg_->tensors()->Get(uint32_t(idx));
        if (!t) fail("tensor " + std::to_string(idx) + " is missing");
        return t;
    }
    std::string tname(int idx) const {
        const tfl::Tensor* t = tensor(idx);
        return t->name() ? t->name()->str() : "#" + std::to_string(idx);
    }
    std::string tlabel(int idx) const { return "tensor '" + tname(idx) + "'"; }

    Shape tshape(int idx) const {
        const tfl::Tensor* t = tensor(idx);
        Shape s;
        if (!t->shape()) fail(tlabel(idx) + " has no shape");
        if (t->shape()->size() > uint32_t(kMaxRank)) fail(tlabel(idx) + " has rank over " + std::to_string(kMaxRank));
        for (int32_t d : *t->shape()) {
            if (d < 1 || d > kMaxDim)
                fail(tlabel(idx) + " has dimension " + std::to_string(d) + " (allowed 1.." + std::to_string(kMaxDim) + ")");
            s.push_back(d);
        }
        if (num_elements(s) > kMaxTensorElements) fail(tlabel(idx) + " " + shape_str(s) + " has too many elements");
        return s;
    }

    DType ttype(int idx) const {
        switch (tensor(idx)->type()) {
            case tfl::TensorType::FLOAT32: return DType::Float32;
            case tfl::TensorType::UINT8: return DType::UInt8;
            case tfl::TensorType::INT8: return DType::Int8;
            case tfl::TensorType::INT32: return DType::Int32;
            default: fail(tlabel(idx) + " has unsupported type " + type_label(tensor(idx)->type()));
        }
    }

    // Quantisation of an integer tensor; `qdim` gets the per-channel dimension.
    Quantization tquant(int idx, DType type, const Shape& shape, int* qdim = nullptr) const {
        Quantization q;
        if (type == DType::Float32) return q;
        const tfl::QuantizationParameters* p = tensor(idx)->quantization();
        if (p && p->details_type() != tfl::QuantizationDetails::NONE)
            fail(tlabel(idx) + " uses custom quantization details (not supported)");
        const size_t n = p && p->scale() ? p->scale()->size() : 0;
        if (n == 0) {
            if (type == DType::Int32) return q;  // bias without parameters: the layer derives them
            fail(tlabel(idx) + " is " + dtype_name(type) + " but has no quantization scale");
        }
        if (!p->zero_point() || p->zero_point()->size() != n)
            fail(tlabel(idx) + " has " + std::to_string(n) + " scales but " +
                 std::to_string(p->zero_point() ? p->zero_point()->size() : 0) + " zero points");
        if (n > 1) {
            const int d = p->quantized_dimension();
            if (d < 0 || size_t(d) >= shape.size() || shape[size_t(d)] != int64_t(n))
                fail(tlabel(idx) + " has " + std::to_string(n) + " per-channel scales but dimension " +
                     std::to_string(d) + " of " + shape_str(shape) + " does not match");
            if (qdim) *qdim = d;
        }
        const int64_t lo = type == DType::UInt8 ? 0 : type == DType::Int8 ? -128 : 0;
        const int64_t hi = type == DType::UInt8 ? 255 : type == DType::Int8 ? 127 : 0;
        for (size_t i = 0; i < n; ++i) {
            const float s = p->scale()->Get(uint32_t(i));
            if (!(std::isfinite(s) && s > 0))
                fail(tlabel(idx) + " has scale " + std::to_string(s) + " (must be positive and finite)");
            const int64_t z = p->zero_point()->Get(uint32_t(i));
            if (z < lo || z > hi)
                fail(tlabel(idx) + " has zero point " + std::to_string(z) + " out of range [" + std::to_string(lo) +
                     ", " + std::to_string(hi) + "] for " + dtype_name(type));
            q.scale.push_back(s);
            q.zero_point.push_back(int32_t(z));
        }
        return q;
    }

    // The file bytes of a tensor's buffer, or nullptr when it has none.
    const flatbuffers::Vector<uint8_t>* tbuffer(int idx) const {
        const uint32_t b = tensor(idx)->buffer();
        if (b == 0) return nullptr;
        if (!m_->buffers() || b >= m_->buffers()->size())
            fail(tlabel(idx) + " refers to buffer " + std::to_string(b) + " but the model has " +
                 std::to_string(m_->buffers() ? m_->buffers()->size() : 0) + " buffers");
        const tfl::Buffer* buf = m_->buffers()->Get(b);
        if (!buf) fail(tlabel(idx) + ": buffer " + std::to_string(b) + " is missing");
        if (buf->offset() > 1 || buf->size() > 0)
            fail(tlabel(idx) + ": buffer " + std::to_string(b) + " is stored outside the flatbuffer (not supported)");
        return buf->data() && buf->data()->size() > 0 ? buf->data() : nullptr;
    }

    // A constant tensor in the file's layout, integers kept exactly.
    Tensor constant(int idx, int* qdim) const {
        Tensor t;
        t.shape = tshape(idx);
        t.dtype = ttype(idx);
        t.quant = tquant(idx, t.dtype, t.shape, qdim);
        const auto* bytes = tbuffer(idx);
        if (!bytes) fail(tlabel(idx) + " must be a constant but has no data");
        const int64_t n = num_elements(t.shape);
        const int64_t need = checked_mul(n, dtype_bytes(t.dtype), "tensor bytes");
        if (int64_t(bytes->size()) != need)
            fail(tlabel(idx) + ": buffer " + std::to_string(tensor(idx)->buffer()) + " has " +
                 std::to_string(bytes->size()) + " bytes but " + shape_str(t.shape) + " " + dtype_name(t.dtype) +
                 " needs " + std::to_string(need));
        const uint8_t* p = bytes->data();
        if (t.dtype == DType::Float32) {
            t.data.resize(size_t(n));
            std::memcpy(t.data.data(), p, size_t(need));  // little-endian file, little-endian hosts
            for (float v : t.data)
                if (!std::isfinite(v)) fail(tlabel(idx) + " contains a non-finite value");
            return t;
        }
        t.qdata.resize(size_t(n));
        if (t.dtype == DType::Int32)
            std::memcpy(t.qdata.data(), p, size_t(need));
        else
            for (int64_t i = 0; i < n; ++i) t.qdata[size_t(i)] = t.dtype == DType::Int8 ? int8_t(p[i]) : p[i];
        return t;
    }

    // Fills data = dequantized qdata, with channels along the last dimension.
    static void dequantize_constant(Tensor& t) {
        if (t.dtype == DType::Float32 || t.quant.empty()) return;
        const int64_t c = t.shape.back();
        t.data.resize(t.qdata.size());
        for (size_t i = 0; i < t.qdata.size(); ++i) {
            const int64_t ch = int64_t(i) % c;
            t.data[i] = float(double(t.quant.scale_at(ch)) * (int64_t(t.qdata[i]) - t.quant.zero_point_at(ch)));
        }
    }

    // ---- graph building ----
    int data_input(int idx) const {
        tensor(idx);
        if (producer_[size_t(idx)] < 0) {
            if (tbuffer(idx)) fail("input " + tlabel(idx) + " is a constant; mncc needs a computed tensor here");
            fail("input " + tlabel(idx) + " is not produced by an earlier operator or the graph input");
        }
        return producer_[size_t(idx)];
    }

    Node& add_node(Op op, int out_tensor) {
        if (producer_[size_t(out_tensor)] >= 0) fail(tlabel(out_tensor) + " is written twice");
        Node& n = g_.add(op, tname(out_tensor));
        n.shape = tshape(out_tensor);
        n.dtype = ttype(out_tensor);
        n.quant = tquant(out_tensor, n.dtype, n.shape);
        if (n.quant.scale.size() > 1) fail(tlabel(out_tensor) + ": per-channel quantization of an activation");
        producer_[size_t(out_tensor)] = n.id;
        return n;
    }

    // A Reshape view of node `src` (same dtype and quantisation).
    int add_reshape(int src, const Shape& shape, const std::string& name) {
        const Node s = g_.node(src);
        Node& r = g_.add(Op::Reshape, name);
        r.inputs = {src};
        r.shape = shape;
        r.dtype = s.dtype;
        r.quant = s.quant;
        return r.id;
    }

    void same_quant(const Node& a, const Node& b, const char* what) const {
        if (a.dtype != b.dtype || a.quant.scale != b.quant.scale || a.quant.zero_point != b.quant.zero_point)
            fail(std::string("input and output ") + what + " must have the same type and quantization");
    }

    void read_input() {
        node_ = "";
        op_ = "";
        const auto* ins = sg_->inputs();
        if (!ins || ins->size() == 0) fail_model("subgraph 0 has no inputs");
        int chosen = -1;
        for (int32_t idx : *ins) {
            tensor(idx);
            if (opts_.input_name.empty() ? ins->size() == 1 : tname(idx) == opts_.input_name) chosen = idx;
        }
        if (chosen < 0)
            fail_model(opts_.input_name.empty()
                           ? "model has " + std::to_string(ins->size()) + " inputs; choose one with --input"
                           : "no model input named '" + opts_.input_name + "'");
        node_ = tname(chosen);
        op_ = "Input";
        Node& n = add_node(Op::Input, chosen);
        g_.input = n.id;
        if (n.dtype != DType::Float32) {
            if (n.dtype == DType::Int32) fail("int32 network input is not supported");
            // RGB byte b becomes q = b for a uint8 input and q = b - 128 for an
            // int8 one (TFLite's convention), i.e. real = (b - zp') * scale.
            const double zp = double(n.quant.zero_point[0]) + (n.dtype == DType::Int8 ? 128.0 : 0.0);
            g_.preprocess.scale = n.quant.scale[0];
            g_.preprocess.offset = float(-zp * n.quant.scale[0]);
        }
    }

    void read_output() {
        node_ = "";
        op_ = "";
        const auto* outs = sg_->outputs();
        if (!outs || outs->size() == 0) fail_model("subgraph 0 has no outputs");
        int chosen = -1;
        for (int32_t idx : *outs) {
            tensor(idx);
            if (opts_.output_name.empty() ? outs->size() == 1 : tname(idx) == opts_.output_name) chosen = idx;
        }
        if (chosen < 0)
            fail_model(opts_.output_name.empty()
                           ? "model has " + std::to_string(outs->size()) + " outputs; choose one with --output"
                           : "no model output named '" + opts_.output_name + "'");
        if (producer_[size_t(chosen)] < 0) fail_model("output " + tlabel(chosen) + " is not computed by any operator");
        g_.output = producer_[size_t(chosen)];
    }

    Activation activation(tfl::ActivationFunctionType a) const {
        switch (a) {
            case tfl::ActivationFunctionType::NONE: return Activation::None;
            case tfl::ActivationFunctionType::RELU: return Activation::Relu;
            case tfl::ActivationFunctionType::RELU6: return Activation::Relu6;
            default: {
                const char* n = tfl::EnumNameActivationFunctionType(a);
                fail(std::string("unsupported fused activation ") +
                     (n && *n ? n : std::to_string(int(a)).c_str()));
            }
        }
    }

    // Stride, padding and kernel of a sliding window over `in` ([1,H,W,C]).
    void window(Node& n, const Shape& in, int kh, int kw, int sh, int sw, tfl::Padding pad) const {
        if (in.size() != 4) fail("input must be [1,H,W,C], got " + shape_str(in));
        if (sh < 1 || sw < 1 || sh > kMaxDim || sw > kMaxDim) fail("stride must be in 1.." + std::to_string(kMaxDim));
        if (kh < 1 || kw < 1 || kh > kMaxDim || kw > kMaxDim) fail("kernel size must be in 1.." + std::to_string(kMaxDim));
        n.kernel_h = kh;
        n.kernel_w = kw;
        n.stride_h = sh;
        n.stride_w = sw;
        if (pad == tfl::Padding::VALID) {
            n.padding = Padding::Valid;
            return;
        }
        if (pad != tfl::Padding::SAME) fail("unknown padding " + std::to_string(int(pad)));
        n.padding = Padding::Same;
        auto same = [](int64_t size, int64_t k, int64_t s, int& lo, int& hi) {
            int64_t total = std::max<int64_t>(((size + s - 1) / s - 1) * s + k - size, 0);
            lo = int(total / 2);
            hi = int(total - total / 2);
        };
        same(in[1], kh, sh, n.pad_top, n.pad_bottom);
        same(in[2], kw, sw, n.pad_left, n.pad_right);
    }

    // Types of a weighted layer: float throughout, or integer input/output of
    // one type with weights of that type and an int32 bias.
    void check_layer_types(const Node& n, const Node& x, const Tensor& w) const {
        if (x.dtype == DType::Float32) {
            if (w.dtype != DType::Float32 || n.dtype != DType::Float32)
                fail("float input with " + std::string(dtype_name(w.dtype)) + " weights and " + dtype_name(n.dtype) +
                     " output is not supported (hybrid quantization)");
            return;
        }
        if (x.dtype == DType::Int32 || w.dtype != x.dtype || n.dtype != x.dtype)
            fail(std::string("unsupported type combination: input ") + dtype_name(x.dtype) + ", weights " +
                 dtype_name(w.dtype) + ", output " + dtype_name(n.dtype));
        if (w.dtype == DType::Int8)
            for (int32_t z : w.quant.zero_point)
                if (z != 0) fail("int8 weights must be symmetric (zero point 0), got " + std::to_string(z));
    }

    // Bias of a weighted layer with `cout` outputs in the IR (always present).
    Tensor bias(int idx, const Node& x, const Tensor& w, int64_t cout) const {
        Tensor b;
        if (idx < 0) {
            b.shape = {cout};
            b.dtype = x.dtype == DType::Float32 ? DType::Float32 : DType::Int32;
            if (b.dtype == DType::Float32) {
                b.data.assign(size_t(cout), 0.0f);
            } else {
                b.qdata.assign(size_t(cout), 0);
                b.data.assign(size_t(cout), 0.0f);
            }
        } else {
            b = constant(idx, nullptr);
            if (b.shape != Shape{cout}) fail("bias " + tlabel(idx) + " " + shape_str(b.shape) + " is not [" + std::to_string(cout) + "]");
            const DType want = x.dtype == DType::Float32 ? DType::Float32 : DType::Int32;
            if (b.dtype != want)
                fail("bias " + tlabel(idx) + " is " + dtype_name(b.dtype) + ", expected " + dtype_name(want));
        }
        if (b.dtype == DType::Int32 && b.quant.empty()) {  // TFLite's rule: bias scale = input scale * weight scale
            for (int64_t c = 0; c < (w.quant.scale.size() > 1 ? cout : 1); ++c) {
                b.quant.scale.push_back(float(double(x.quant.scale[0]) * w.quant.scale_at(c)));
                b.quant.zero_point.push_back(0);
            }
        }
        dequantize_constant(b);
        return b;
    }

    template <class T>
    const T* options(const tfl::Operator* op, tfl::BuiltinOptions type) const {
        if (op->builtin_options_type() != type || !op->builtin_options())
            fail(std::string("missing ") + tfl::EnumNameBuiltinOptions(type));
        return static_cast<const T*>(op->builtin_options());
    }

    // Weights of a conv/FC converted to the IR layout via `perm`; per-channel
    // scales must be on the file's output channel dimension `out_dim`.
    Tensor weights(int idx, const std::vector<int>& perm, int out_dim, size_t rank) {
        int qdim = -1;
        Tensor w = constant(idx, &qdim);
        if (w.shape.size() != rank)
            fail("weights " + tlabel(idx) + " " + shape_str(w.shape) + " must have rank " + std::to_string(rank));
        if (w.quant.scale.size() > 1 && qdim != out_dim)
            fail("weights " + tlabel(idx) + " are quantized per channel along dimension " + std::to_string(qdim) +
                 ", expected the output channel dimension " + std::to_string(out_dim));
        w = permute(w, perm);
        dequantize_constant(w);
        return w;
    }

    std::vector<int> inputs_of(const tfl::Operator* op, size_t min, size_t max) const {
        std::vector<int> r;
        if (op->inputs())
            for (int32_t i : *op->inputs()) r.push_back(i);
        if (r.size() < min || r.size() > max)
            fail("has " + std::to_string(r.size()) + " inputs, expected " + std::to_string(min) +
                 (max > min ? ".." + std::to_string(max) : ""));
        return r;
    }

    void read_op(uint32_t index) {
        const tfl::Operator* op = sg_->operators()->Get(index);
        node_ = "operator #" + std::to_string(index);
        op_ = "";
        if (!op) fail("operator is missing");
        if (!m_->operator_codes() || op->opcode_index() >= m_->operator_codes()->size())
            fail("opcode index " + std::to_string(op->opcode_index()) + " out of range");
        const tfl::OperatorCode* oc = m_->operator_codes()->Get(op->opcode_index());
        if (!oc) fail("operator code is missing");
        const int code = std::max<int>(oc->deprecated_builtin_code(), int(oc->builtin_code()));
        op_ = op_label(code);
        if (!op->outputs() || op->outputs()->size() != 1)
            fail("must have exactly one output, has " + std::to_string(op->outputs() ? op->outputs()->size() : 0));
        const int out = op->outputs()->Get(0);
        node_ = tname(out);
        using BO = tfl::BuiltinOperator;
        using OT = tfl::BuiltinOptions;
        switch (static_cast<BO>(code)) {
            case BO::CONV_2D: {
                auto in = inputs_of(op, 2, 3);
                auto* o = options<tfl::Conv2DOptions>(op, OT::Conv2DOptions);
                if (o->dilation_h_factor() != 1 || o->dilation_w_factor() != 1) fail("dilated convolution is not supported");
                const int x = data_input(in[0]);
                Tensor w = weights(in[1], {1, 2, 3, 0}, 0, 4);  // OHWI -> HWIO
                Node& n = add_node(Op::Conv2D, out);
                n.inputs = {x};
                check_layer_types(n, g_.node(x), w);
                window(n, g_.node(x).shape, int(w.shape[0]), int(w.shape[1]), o->stride_h(), o->stride_w(), o->padding());
                n.activation = activation(o->fused_activation_function());
                n.bias = bias(in.size() > 2 ? in[2] : -1, g_.node(x), w, w.shape[3]);
                n.weights = std::move(w);
                break;
            }
            case BO::DEPTHWISE_CONV_2D: {
                auto in = inputs_of(op, 2, 3);
                auto* o = options<tfl::DepthwiseConv2DOptions>(op, OT::DepthwiseConv2DOptions);
                if (o->dilation_h_factor() != 1 || o->dilation_w_factor() != 1) fail("dilated convolution is not supported");
                if (o->depth_multiplier() != 1)
                    fail("depth_multiplier " + std::to_string(o->depth_multiplier()) + " is not supported (only 1)");
                const int x = data_input(in[0]);
                Tensor w = weights(in[1], {0, 1, 2, 3}, 3, 4);
                if (w.shape[0] != 1) fail("depthwise filter " + shape_str(w.shape) + " is not [1,kh,kw,c]");
                w.shape.erase(w.shape.begin());  // [1,kh,kw,c] -> [kh,kw,c], same order
                Node& n = add_node(Op::DepthwiseConv2D, out);
                n.inputs = {x};
                check_layer_types(n, g_.node(x), w);
                window(n, g_.node(x).shape, int(w.shape[0]), int(w.shape[1]), o->stride_h(), o->stride_w(), o->padding());
                n.activation = activation(o->fused_activation_function());
                n.bias = bias(in.size() > 2 ? in[2] : -1, g_.node(x), w, w.shape[2]);
                n.weights = std::move(w);
                break;
            }
            case BO::FULLY_CONNECTED: {
                auto in = inputs_of(op, 2, 3);
                auto* o = options<tfl::FullyConnectedOptions>(op, OT::FullyConnectedOptions);
                if (o->weights_format() != 0) fail("shuffled weights format is not supported");
                int x = data_input(in[0]);
                Tensor w = weights(in[1], {1, 0}, 0, 2);  // [cout,cin] -> [cin,cout]
                const int64_t cin = w.shape[0], cout = w.shape[1];
                if (num_elements(g_.node(x).shape) != cin)
                    fail("input " + shape_str(g_.node(x).shape) + " does not have " + std::to_string(cin) + " values");
                const Shape out_shape = tshape(out);
                if (num_elements(out_shape) != cout)
                    fail("output " + shape_str(out_shape) + " does not have " + std::to_string(cout) + " values");
                if (g_.node(x).shape != Shape{1, cin}) x = add_reshape(x, {1, cin}, tname(out) + "/flatten");
                Node& n = add_node(Op::FullyConnected, out);
                n.inputs = {x};
                n.shape = {1, cout};
                check_layer_types(n, g_.node(x), w);
                n.activation = activation(o->fused_activation_function());
                n.bias = bias(in.size() > 2 ? in[2] : -1, g_.node(x), w, cout);
                n.weights = std::move(w);
                if (out_shape != n.shape) restore_shape(out, out_shape);
                break;
            }
            case BO::AVERAGE_POOL_2D: {
                auto in = inputs_of(op, 1, 1);
                auto* o = options<tfl::Pool2DOptions>(op, OT::Pool2DOptions);
                const int x = data_input(in[0]);
                Node& n = add_node(Op::AvgPool, out);
                n.inputs = {x};
                same_quant(g_.node(x), n, "of AVERAGE_POOL_2D");
                window(n, g_.node(x).shape, o->filter_height(), o->filter_width(), o->stride_h(), o->stride_w(),
                       o->padding());
                if (activation(o->fused_activation_function()) != Activation::None)
                    fail("fused activation on AVERAGE_POOL_2D is not supported");
                break;
            }
            case BO::SOFTMAX: {
                auto in = inputs_of(op, 1, 1);
                auto* o = options<tfl::SoftmaxOptions>(op, OT::SoftmaxOptions);
                if (o->beta() != 1.0f) fail("softmax beta " + std::to_string(o->beta()) + " is not supported (only 1)");
                int x = data_input(in[0]);
                const Shape out_shape = tshape(out);
                const int64_t c = out_shape.back();
                if (num_elements(out_shape) != c || g_.node(x).shape != out_shape)
                    fail("softmax over " + shape_str(g_.node(x).shape) + " -> " + shape_str(out_shape) +
                         " is not supported (one row of classes)");
                if (g_.node(x).shape != Shape{1, c}) x = add_reshape(x, {1, c}, tname(out) + "/flatten");
                Node& n = add_node(Op::Softmax, out);
                n.inputs = {x};
                n.shape = {1, c};
                if ((n.dtype == DType::Float32) != (g_.node(x).dtype == DType::Float32))
                    fail("softmax input and output must both be float or both be quantized");
                if (out_shape != n.shape) restore_shape(out, out_shape);
                break;
            }
            case BO::RESHAPE: {
                auto in = inputs_of(op, 1, 2);  // the optional shape tensor repeats the output's static shape
                const int x = data_input(in[0]);
                Node& n = add_node(Op::Reshape, out);
                n.inputs = {x};
                same_quant(g_.node(x), n, "of RESHAPE");
                if (num_elements(n.shape) != num_elements(g_.node(x).shape))
                    fail("reshape from " + shape_str(g_.node(x).shape) + " to " + shape_str(n.shape) + " changes the size");
                break;
            }
            case BO::PAD: {
                auto in = inputs_of(op, 2, 2);
                const int x = data_input(in[0]);
                Tensor p = constant(in[1], nullptr);
                const Shape xs = g_.node(x).shape;
                if (p.dtype != DType::Int32 || p.shape != Shape{4, 2} || xs.size() != 4)
                    fail("paddings must be int32 [4,2] for a 4-D input");
                const auto& v = p.qdata;
                for (int32_t e : v)
                    if (e < 0 || e > kMaxDim) fail("padding " + std::to_string(e) + " out of range");
                if (v[0] || v[1] || v[6] || v[7]) fail("only H and W may be padded");
                Node& n = add_node(Op::Pad, out);
                n.inputs = {x};
                same_quant(g_.node(x), n, "of PAD");  // pads with the zero point, i.e. real 0
                n.padding = Padding::Explicit;
                n.pad_top = v[2];
                n.pad_bottom = v[3];
                n.pad_left = v[4];
                n.pad_right = v[5];
                if (n.shape != Shape{xs[0], xs[1] + v[2] + v[3], xs[2] + v[4] + v[5], xs[3]})
                    fail("output shape " + shape_str(n.shape) + " does not match the padded input");
                break;
            }
            case BO::ADD: {
                auto in = inputs_of(op, 2, 2);
                if (op->builtin_options_type() == OT::AddOptions &&
                    activation(options<tfl::AddOptions>(op, OT::AddOptions)->fused_activation_function()) !=
                        Activation::None)
                    fail("fused activation on ADD is not supported");
                const int a = data_input(in[0]), b = data_input(in[1]);
                Node& n = add_node(Op::Add, out);
                n.inputs = {a, b};
                if (g_.node(a).shape != n.shape || g_.node(b).shape != n.shape)
                    fail("broadcasting ADD is not supported (inputs and output must have one shape)");
                for (int i : {a, b})
                    if ((g_.node(i).dtype == DType::Float32) != (n.dtype == DType::Float32))
                        fail("ADD inputs and output must all be float or all be quantized");
                break;
            }
            case BO::QUANTIZE:
            case BO::DEQUANTIZE: {
                const bool quantize = static_cast<BO>(code) == BO::QUANTIZE;
                auto in = inputs_of(op, 1, 1);
                const int x = data_input(in[0]);
                Node& n = add_node(quantize ? Op::Quantize : Op::Dequantize, out);
                n.inputs = {x};
                if (n.shape != g_.node(x).shape) fail("input and output shapes differ");
                const DType from = g_.node(x).dtype;
                if (quantize ? (n.dtype == DType::Float32 || n.dtype == DType::Int32 || from == DType::Int32)
                             : (n.dtype != DType::Float32 || from == DType::Float32 || from == DType::Int32))
                    fail(std::string("unsupported conversion from ") + dtype_name(from) + " to " + dtype_name(n.dtype));
                break;
            }
            default:
                if (code == 32) fail("custom operator '" + std::string(oc->custom_code() ? oc->custom_code()->str() : "") +
                                     "' is not supported");
                fail("unsupported operator");
        }
    }

    // The layer just added produced `out` in IR shape; the file's tensor has
    // `shape`: a Reshape view restores it.
    void restore_shape(int out, const Shape& shape) {
        const int layer = producer_[size_t(out)];
        g_.node(layer).name += "/2d";
        producer_[size_t(out)] = add_reshape(layer, shape, tname(out));
    }
};

}  // namespace

bool looks_like_tflite(const std::string& bytes) {
    return bytes.size() >= 8 && std::memcmp(bytes.data() + 4, tfl::ModelIdentifier(), 4) == 0;
}

Graph parse_tflite(const std::string& bytes, const std::string& path, const FrontendOptions& opts) {
    const std::string file = where(path);
    if (bytes.size() < 8) throw Error(file + ": truncated TFLite file (" + std::to_string(bytes.size()) + " bytes)");
    if (int64_t(bytes.size()) > kMaxModelFileBytes)
        throw Error(file + ": file too large (" + std::to_string(bytes.size()) + " bytes, limit " +
                    std::to_string(kMaxModelFileBytes) + ")");
    if (!looks_like_tflite(bytes))
        throw Error(file + ": not a TFLite model (file identifier '" + printable(bytes.substr(4, 4)) +
                    "', expected 'TFL3')");
    uint32_t root = 0;
    std::memcpy(&root, bytes.data(), 4);
    if (root >= bytes.size())
        throw Error(file + ": truncated or corrupt TFLite file (root table offset " + std::to_string(root) +
                    " is past the end of the file, " + std::to_string(bytes.size()) + " bytes)");
    // The Verifier needs the buffer aligned like the file was written.
    std::vector<uint64_t> aligned((bytes.size() + 7) / 8);
    std::memcpy(aligned.data(), bytes.data(), bytes.size());
    const auto* buf = reinterpret_cast<const uint8_t*>(aligned.data());
    flatbuffers::Verifier v(buf, bytes.size(), kMaxFlatbufferDepth, kMaxFlatbufferTables);
    if (!tfl::VerifyModelBuffer(v))
        throw Error(file + ": truncated or corrupt TFLite file (an offset or size points outside the file)");
    return Reader(tfl::GetModel(buf), path, opts).read();
}

}  // namespace mncc
