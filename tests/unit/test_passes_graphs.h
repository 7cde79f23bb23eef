// Hand-built front-end-level graphs and an independent naive evaluator of
// them, shared by the passes / reference / inspect tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <random>

#include "ir/ir.h"

namespace mncc_test {

using mncc::Graph;
using mncc::Node;
using mncc::Op;
using mncc::Padding;
using mncc::Shape;
using mncc::Tensor;

struct Builder {
    Graph g;
    std::mt19937 rng{42};

    Builder() { g.source_file = "test.pb"; }

    std::vector<float> random(int64_t n, double lo = -0.5, double hi = 0.5) {
        std::vector<float> v(static_cast<size_t>(n));
        for (float& x : v) x = static_cast<float>(lo + (hi - lo) * (rng() / 4294967296.0));
        return v;
    }
    Tensor tensor(Shape s, double lo = -0.5, double hi = 0.5) {
        Tensor t;
        t.data = random(mncc::num_elements(s), lo, hi);
        t.shape = std::move(s);
        return t;
    }
    Node& add(Op op, const std::string& name, std::vector<int> inputs, Shape shape) {
        Node& n = g.add(op, name);
        n.inputs = std::move(inputs);
        n.shape = std::move(shape);
        return n;
    }
    const Shape& shape(int id) { return g.node(id).shape; }

    int input(Shape s) {
        int id = add(Op::Input, "input", {}, s).id;
        g.input = id;
        g.output = id;
        return id;
    }
    int out(int id) { return g.output = id; }
    int unary(Op op, int x, const std::string& name) { return out(add(op, name, {x}, shape(x)).id); }

    // TF SAME / VALID output size and pads, written out here independently.
    static void same_pads(int64_t in, int k, int s, int64_t* out, int* before, int* after) {
        *out = (in + s - 1) / s;
        int64_t total = std::max<int64_t>((*out - 1) * s + k - in, 0);
        *before = static_cast<int>(total / 2);
        *after = static_cast<int>(total - total / 2);
    }
    int window(Op op, int x, int k, int cout, int stride, Padding pad, const std::string& name) {
        const Shape in = shape(x);
        int64_t oh = (in[1] - k) / stride + 1, ow = (in[2] - k) / stride + 1;
        int pt = 0, pb = 0, pl = 0, pr = 0;
        if (pad == Padding::Same) {
            same_pads(in[1], k, stride, &oh, &pt, &pb);
            same_pads(in[2], k, stride, &ow, &pl, &pr);
        }
        Tensor w = op == Op::Conv2D ? tensor({k, k, in[3], cout}) : tensor({k, k, in[3]});
        Node& n = add(op, name, {x}, {1, oh, ow, op == Op::Conv2D ? cout : in[3]});
        n.kernel_h = n.kernel_w = k;
        n.stride_h = n.stride_w = stride;
        n.padding = pad;
        n.pad_top = pt, n.pad_bottom = pb, n.pad_left = pl, n.pad_right = pr;
        n.weights = std::move(w);
        return out(n.id);
    }
    int conv(int x, int k, int cout, int stride, Padding pad, const std::string& name) {
        return window(Op::Conv2D, x, k, cout, stride, pad, name);
    }
    int dw(int x, int k, int stride, Padding pad, const std::string& name) {
        return window(Op::DepthwiseConv2D, x, k, 0, stride, pad, name);
    }
    // BiasAdd, Mul or Add with a per-channel (or scalar when `scalar`) constant.
    int with_const(Op op, int x, const std::string& name, bool scalar = false, double lo = -0.5, double hi = 0.5) {
        Tensor v = tensor(scalar ? Shape{} : Shape{shape(x).back()}, lo, hi);
        if (scalar) v.data = random(1, lo, hi);
        int id = add(op, name, {x}, shape(x)).id;
        g.node(id).value = v;
        return out(id);
    }
    int batchnorm(int x, const std::string& name) {
        int64_t c = shape(x).back();
        Node& n = add(Op::BatchNorm, name, {x}, shape(x));
        int id = n.id;
        Tensor gamma = tensor({c}, 0.5, 1.5), beta = tensor({c}), mean = tensor({c}), var = tensor({c}, 0.2, 2.0);
        Node& m = g.node(id);
        m.bn_gamma = gamma;
        m.bn_beta = beta;
        m.bn_mean = mean;
        m.bn_var = var;
        m.bn_epsilon = 0.001f;
        return out(id);
    }
    int pad(int x, int t, int b, int l, int r, const std::string& name) {
        Shape s = shape(x);
        s[1] += t + b;
        s[2] += l + r;
        Node& n = add(Op::Pad, name, {x}, s);
        n.pad_top = t, n.pad_bottom = b, n.pad_left = l, n.pad_right = r;
        return out(n.id);
    }
    int mean(int x, bool keep, const std::string& name) {
        Shape s = keep ? Shape{1, 1, 1, shape(x)[3]} : Shape{1, shape(x)[3]};
        Node& n = add(Op::Mean, name, {x}, s);
        n.axes = {1, 2};
        n.keep_dims = keep;
        return out(n.id);
    }
    int reshape(Op op, int x, Shape s, const std::string& name) { return out(add(op, name, {x}, s).id); }
};

// The graph of the brief: every front-end pattern the passes rewrite.
// Input [1,10,10,3] -> Identity -> Conv 3x3 SAME -> BiasAdd -> BatchNorm -> Relu6
// -> DW 3x3 s2 SAME (even 10 -> 5) -> Mul -> Add -> Relu -> Pad 1 -> Conv 3x3 s2 VALID (7 -> 3)
// -> DW 3x3 s2 SAME (odd 3 -> 2) -> BatchNorm -> Relu6 -> Mean -> Reshape -> Conv 1x1 -> BiasAdd
// -> Squeeze -> Softmax.
inline Graph full_graph(bool keep_dims = false) {
    Builder b;
    int x = b.input({1, 10, 10, 3});
    x = b.unary(Op::Identity, x, "id");
    x = b.conv(x, 3, 4, 1, Padding::Same, "conv0");
    x = b.with_const(Op::BiasAdd, x, "conv0/bias");
    x = b.batchnorm(x, "conv0/bn");
    x = b.unary(Op::Relu6, x, "conv0/relu6");
    x = b.dw(x, 3, 2, Padding::Same, "dw1");
    x = b.with_const(Op::Mul, x, "dw1/mul", false, 0.5, 1.5);
    x = b.with_const(Op::Add, x, "dw1/add");
    x = b.unary(Op::Relu, x, "dw1/relu");
    x = b.pad(x, 1, 1, 1, 1, "pad2");
    x = b.conv(x, 3, 6, 2, Padding::Valid, "conv2");
    x = b.dw(x, 3, 2, Padding::Same, "dw3");
    x = b.batchnorm(x, "dw3/bn");
    x = b.unary(Op::Relu6, x, "dw3/relu6");
    x = b.mean(x, keep_dims, "pool");
    if (!keep_dims) x = b.reshape(Op::Reshape, x, {1, 1, 1, 6}, "pool/reshape");
    x = b.conv(x, 1, 5, 1, Padding::Valid, "logits");
    x = b.with_const(Op::BiasAdd, x, "logits/bias");
    if (!keep_dims) x = b.reshape(Op::Squeeze, x, {1, 5}, "logits/squeeze");
    b.unary(Op::Softmax, x, "softmax");
    return b.g;
}

// Straightforward double-precision evaluation of a front-end-level graph,
// written without looking at the passes: the oracle for "passes preserve
// semantics".
inline std::vector<double> naive_eval(const Graph& g, const std::vector<float>& input) {
    std::vector<std::vector<double>> v(g.nodes.size());
    auto chan = [](const Tensor& t, int64_t c) { return double(t.data.size() == 1 ? t.data[0] : t.data[c]); };
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        const std::vector<double>* x = n.inputs.empty() ? nullptr : &v[n.inputs[0]];
        const Shape& is = n.inputs.empty() ? n.shape : g.node(n.inputs[0]).shape;
        const int64_t C = is.back();
        std::vector<double> y(static_cast<size_t>(mncc::num_elements(n.shape)), 0.0);
        switch (n.op) {
            case Op::Input: y.assign(input.begin(), input.end()); break;
            case Op::Identity:
            case Op::Squeeze:
            case Op::Reshape: y = *x; break;
            case Op::BiasAdd:
            case Op::Add:
                for (size_t i = 0; i < y.size(); ++i) y[i] = (*x)[i] + chan(n.value, i % C);
                break;
            case Op::Mul:
                for (size_t i = 0; i < y.size(); ++i) y[i] = (*x)[i] * chan(n.value, i % C);
                break;
            case Op::BatchNorm:
                for (size_t i = 0; i < y.size(); ++i) {
                    int64_t c = i % C;
                    y[i] = ((*x)[i] - chan(n.bn_mean, c)) * chan(n.bn_gamma, c) /
                               std::sqrt(chan(n.bn_var, c) + n.bn_epsilon) +
                           chan(n.bn_beta, c);
                }
                break;
            case Op::Relu:
                for (size_t i = 0; i < y.size(); ++i) y[i] = std::max((*x)[i], 0.0);
                break;
            case Op::Relu6:
                for (size_t i = 0; i < y.size(); ++i) y[i] = std::min(std::max((*x)[i], 0.0), 6.0);
                break;
            case Op::Pad:
                for (int64_t r = 0; r < is[1]; ++r)
                    for (int64_t c = 0; c < is[2]; ++c)
                        for (int64_t k = 0; k < C; ++k)
                            y[((r + n.pad_top) * n.shape[2] + c + n.pad_left) * C + k] = (*x)[(r * is[2] + c) * C + k];
                break;
            case Op::Mean:
                for (size_t i = 0; i < x->size(); ++i) y[i % C] += (*x)[i] / double(is[1] * is[2]);
                break;
            case Op::Conv2D:
            case Op::DepthwiseConv2D: {
                const int64_t OC = n.shape[3];
                for (int64_t oy = 0; oy < n.shape[1]; ++oy)
                    for (int64_t ox = 0; ox < n.shape[2]; ++ox)
                        for (int64_t co = 0; co < OC; ++co) {
                            double s = n.bias.data.empty() ? 0.0 : n.bias.data[co];
                            for (int ky = 0; ky < n.kernel_h; ++ky)
                                for (int kx = 0; kx < n.kernel_w; ++kx) {
                                    int64_t iy = oy * n.stride_h + ky - n.pad_top, ix = ox * n.stride_w + kx - n.pad_left;
                                    if (iy < 0 || ix < 0 || iy >= is[1] || ix >= is[2]) continue;
                                    const double* px = &(*x)[(iy * is[2] + ix) * C];
                                    if (n.op == Op::DepthwiseConv2D)
                                        s += px[co] * n.weights.data[(ky * n.kernel_w + kx) * C + co];
                                    else
                                        for (int64_t ci = 0; ci < C; ++ci)
                                            s += px[ci] * n.weights.data[((ky * n.kernel_w + kx) * C + ci) * OC + co];
                                }
                            y[(oy * n.shape[2] + ox) * OC + co] = s;
                        }
                break;
            }
            case Op::Softmax: {
                double mx = *std::max_element(x->begin(), x->end()), sum = 0.0;
                for (size_t i = 0; i < y.size(); ++i) sum += y[i] = std::exp((*x)[i] - mx);
                for (double& e : y) e /= sum;
                break;
            }
            default: throw std::runtime_error("naive_eval: unexpected op");
        }
        v[id] = std::move(y);
    }
    return v[g.output];
}

}  // namespace mncc_test
