#include "passes/validate.h"

#include <cmath>

#include "passes/pass_util.h"
#include "support/error.h"

namespace mncc {
namespace {

struct Checker {
    const Graph& g;
    const Node& n;

    [[noreturn]] void fail(const std::string& reason) const { throw Error(error_at(g, n, reason)); }
    void require(bool ok, const std::string& reason) const {
        if (!ok) fail(reason);
    }
    const Shape& in(size_t i = 0) const { return g.node(n.inputs[i]).shape; }

    void finite(const Tensor& t, const char* what) const {
        require(static_cast<int64_t>(t.data.size()) == num_elements(t.shape),
                std::string(what) + " has " + std::to_string(t.data.size()) + " values for shape " +
                    shape_str(t.shape));
        for (float v : t.data) require(std::isfinite(v), std::string(what) + " contain a non-finite value");
    }

    // Kernel, stride and pads of a sliding-window layer; checks the output shape.
    void window(int64_t channels_out) const {
        require(n.kernel_h >= 1 && n.kernel_w >= 1, "kernel size must be at least 1");
        require(n.stride_h >= 1 && n.stride_w >= 1, "stride must be at least 1");
        require(n.pad_top >= 0 && n.pad_bottom >= 0 && n.pad_left >= 0 && n.pad_right >= 0,
                "padding must not be negative");
        require(n.pad_top < n.kernel_h && n.pad_bottom < n.kernel_h && n.pad_left < n.kernel_w &&
                    n.pad_right < n.kernel_w,
                "padding must be smaller than the kernel");
        const Shape& x = in();
        require(x.size() == 4 && x[0] == 1, "input must be [1,H,W,C], got " + shape_str(x));
        int64_t ph = x[1] + n.pad_top + n.pad_bottom, pw = x[2] + n.pad_left + n.pad_right;
        require(ph >= n.kernel_h && pw >= n.kernel_w, "kernel is larger than the padded input " + shape_str(x));
        Shape want{1, (ph - n.kernel_h) / n.stride_h + 1, (pw - n.kernel_w) / n.stride_w + 1, channels_out};
        require(n.shape == want, "output shape " + shape_str(n.shape) + " does not match " + shape_str(want) +
                                     " computed from the input and attributes");
    }

    void bias(int64_t c) const {
        require(n.bias.shape == Shape{c}, "bias shape " + shape_str(n.bias.shape) + " is not [" +
                                              std::to_string(c) + "]");
        finite(n.bias, "bias");
    }

    void check() const {
        require(n.inputs.size() == (n.op == Op::Input ? 0u : n.op == Op::Add ? 2u : 1u),
                n.op == Op::Add ? "needs exactly two data inputs" : "must have exactly one data input");
        require(!n.shape.empty(), "has no static shape");
        for (int64_t d : n.shape) require(d >= 1, "shape " + shape_str(n.shape) + " has a dimension < 1");
        const Shape& w = n.weights.shape;
        switch (n.op) {
            case Op::Input:
                require(n.id == g.input, "is not the graph's input");
                require(n.shape.size() == 4 && n.shape[0] == 1, "input must be [1,H,W,C]");
                break;
            case Op::Conv2D:
                require(w.size() == 4 && w[0] == n.kernel_h && w[1] == n.kernel_w,
                        "weights " + shape_str(w) + " are not [kernel_h,kernel_w,cin,cout]");
                window(w[3]);
                require(w[2] == in()[3], "weights expect " + std::to_string(w[2]) + " input channels, input " +
                                             shape_str(in()) + " has " + std::to_string(in()[3]));
                finite(n.weights, "weights");
                bias(w[3]);
                break;
            case Op::DepthwiseConv2D:
                require(w.size() == 3 && w[0] == n.kernel_h && w[1] == n.kernel_w,
                        "weights " + shape_str(w) + " are not [kernel_h,kernel_w,channels]");
                window(w[2]);
                require(w[2] == in()[3], "weights have " + std::to_string(w[2]) + " channels, input " +
                                             shape_str(in()) + " has " + std::to_string(in()[3]));
                finite(n.weights, "weights");
                bias(w[2]);
                break;
            case Op::AvgPool:
                require(in().size() == 4, "input must be [1,H,W,C]");
                window(in()[3]);
                break;
            case Op::FullyConnected: {
                require(w.size() == 2, "weights " + shape_str(w) + " are not [cin,cout]");
                const Shape& x = in();
                bool flat = (x.size() == 2 || (x.size() == 4 && x[1] == 1 && x[2] == 1)) && x[0] == 1;
                require(flat, "input must be [1,C] or [1,1,1,C], got " + shape_str(x));
                require(x.back() == w[0], "weights expect " + std::to_string(w[0]) + " input channels, input " +
                                              shape_str(x) + " has " + std::to_string(x.back()));
                require(n.shape.size() == x.size() && num_elements(n.shape) == w[1] && n.shape.back() == w[1],
                        "output shape " + shape_str(n.shape) + " does not match " + std::to_string(w[1]) +
                            " outputs");
                finite(n.weights, "weights");
                bias(w[1]);
                break;
            }
            case Op::Softmax:
                require(in().size() == 2 && in()[0] == 1, "input must be [1,C], got " + shape_str(in()));
                require(n.shape == in(), "output shape differs from the input shape");
                break;
            case Op::Reshape:
                require(num_elements(n.shape) == num_elements(in()),
                        "reshape from " + shape_str(in()) + " to " + shape_str(n.shape) + " changes the size");
                break;
            case Op::Add:
                require(in(0) == n.shape && in(1) == n.shape, "inputs and output must have the same shape");
                break;
            case Op::Quantize:
            case Op::Dequantize:
                require(n.shape == in(), "output shape differs from the input shape");
                break;
            case Op::BatchNorm:
                fail("batch norm could not be folded into a preceding convolution (it must directly follow a "
                     "Conv2D, DepthwiseConv2D or FullyConnected whose result has no other use)");
            default:
                fail("unsupported op in the final network (no layer kernel; it could not be fused or folded)");
        }
        require(n.activation == Activation::None || is_weighted_layer(n.op), "only conv/FC layers carry an activation");
        types();
    }

    bool quantized(const Node& x) const { return x.dtype != DType::Float32; }
    void per_tensor(const Node& x, const std::string& what) const {
        require(x.dtype == DType::UInt8 || x.dtype == DType::Int8,
                what + " is " + dtype_name(x.dtype) + "; quantized activations are uint8 or int8");
        require(x.quant.scale.size() == 1 && x.quant.zero_point.size() == 1 && x.quant.scale[0] > 0,
                what + " needs one positive scale and one zero point");
    }
    void constant(const Tensor& t, DType type, int64_t channels, const char* what) const {
        require(t.dtype == type, std::string(what) + " are " + dtype_name(t.dtype) + ", expected " + dtype_name(type));
        require(static_cast<int64_t>(t.qdata.size()) == num_elements(t.shape),
                std::string(what) + " have " + std::to_string(t.qdata.size()) + " integer values for " + shape_str(t.shape));
        const size_t q = t.quant.scale.size();
        require((q == 1 || static_cast<int64_t>(q) == channels) && t.quant.zero_point.size() == q,
                std::string(what) + " need 1 or " + std::to_string(channels) + " scales and zero points");
    }

    // Element types: float layers read float; a quantized layer reads integer
    // tensors of its own type with per-tensor quantisation, and its
    // constants carry what the integer kernels need (see ir.h).
    void types() const {
        if (n.op == Op::Input) {
            if (quantized(n)) per_tensor(n, "the input");
            return;
        }
        const Node& x = g.node(n.inputs[0]);
        switch (n.op) {
            case Op::Reshape:
                require(x.dtype == n.dtype && x.quant.scale == n.quant.scale && x.quant.zero_point == n.quant.zero_point,
                        "a reshape must keep its input's type and quantization");
                return;
            case Op::Quantize:
                per_tensor(n, "the output");
                if (quantized(x)) per_tensor(x, "the input");
                return;
            case Op::Dequantize:
                require(!quantized(n), "the output must be float32");
                per_tensor(x, "the input");
                return;
            default: break;
        }
        for (int i : n.inputs)
            require(quantized(g.node(i)) == quantized(n),
                    "mixes float32 and quantized tensors (a Quantize/Dequantize is needed)");
        if (!quantized(n)) return;
        per_tensor(n, "the output");
        for (int i : n.inputs) {
            per_tensor(g.node(i), "input '" + g.node(i).name + "'");
            require(g.node(i).dtype == n.dtype, "input and output types differ");
        }
        if (is_weighted_layer(n.op)) {
            const int64_t c = out_channels(n);
            constant(n.weights, n.dtype, c, "weights");
            constant(n.bias, DType::Int32, c, "bias");
        }
        if (n.op == Op::AvgPool)
            require(x.quant.scale == n.quant.scale && x.quant.zero_point == n.quant.zero_point,
                    "input and output quantization must be equal");
    }
};

}  // namespace

void validate(const Graph& g) {
    if (g.output < 0 || g.output >= static_cast<int>(g.nodes.size()))
        throw Error((g.source_file.empty() ? std::string("<model>") : g.source_file) + ": graph has no output");
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        if (n.dead) throw Error(error_at(g, n, "removed node is still used"));
        Checker{g, n}.check();
    }
}

}  // namespace mncc
