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
            case Op::BatchNorm:
                fail("batch norm could not be folded into a preceding convolution (it must directly follow a "
                     "Conv2D, DepthwiseConv2D or FullyConnected whose result has no other use)");
            default:
                fail("unsupported op in the final network (no layer kernel; it could not be fused or folded)");
        }
        require(n.activation == Activation::None || is_weighted_layer(n.op), "only conv/FC layers carry an activation");
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
