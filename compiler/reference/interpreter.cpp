#include "reference/interpreter.h"

#include <algorithm>
#include <cmath>

#include "reference/quantized.h"
#include "support/error.h"

namespace mncc {
namespace {

using Buffer = std::vector<float>;

double activate(double v, Activation a) {
    switch (a) {
        case Activation::None: return v;
        case Activation::Relu: return std::max(v, 0.0);
        case Activation::Relu6: return std::min(std::max(v, 0.0), 6.0);
    }
    return v;
}

// Conv2D, DepthwiseConv2D and AvgPool share the sliding window; `pool` divides
// by the number of in-bounds taps instead of weighting them.
Buffer window_layer(const Node& n, const Shape& is, const Buffer& x) {
    const int64_t H = is[1], W = is[2], C = is[3];
    const int64_t OH = n.shape[1], OW = n.shape[2], OC = n.shape[3];
    Buffer y(static_cast<size_t>(num_elements(n.shape)));
    std::vector<double> acc(static_cast<size_t>(OC));
    std::vector<int64_t> count(static_cast<size_t>(OC));
    for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
            std::fill(acc.begin(), acc.end(), 0.0);
            int64_t taps = 0;
            for (int64_t ky = 0; ky < n.kernel_h; ++ky) {
                int64_t iy = oy * n.stride_h - n.pad_top + ky;
                if (iy < 0 || iy >= H) continue;
                for (int64_t kx = 0; kx < n.kernel_w; ++kx) {
                    int64_t ix = ox * n.stride_w - n.pad_left + kx;
                    if (ix < 0 || ix >= W) continue;
                    ++taps;
                    const float* px = &x[static_cast<size_t>((iy * W + ix) * C)];
                    if (n.op == Op::Conv2D) {
                        const float* w = &n.weights.data[static_cast<size_t>((ky * n.kernel_w + kx) * C * OC)];
                        for (int64_t ci = 0; ci < C; ++ci)
                            for (int64_t co = 0; co < OC; ++co) acc[co] += double(px[ci]) * w[ci * OC + co];
                    } else if (n.op == Op::DepthwiseConv2D) {
                        const float* w = &n.weights.data[static_cast<size_t>((ky * n.kernel_w + kx) * C)];
                        for (int64_t c = 0; c < C; ++c) acc[c] += double(px[c]) * w[c];
                    } else {
                        for (int64_t c = 0; c < C; ++c) acc[c] += px[c];
                    }
                }
            }
            float* py = &y[static_cast<size_t>((oy * OW + ox) * OC)];
            for (int64_t c = 0; c < OC; ++c) {
                double v = n.op == Op::AvgPool ? (taps ? acc[c] / double(taps) : 0.0)
                                               : activate(acc[c] + n.bias.data[c], n.activation);
                py[c] = static_cast<float>(v);
            }
        }
    return y;
}

Buffer fully_connected(const Node& n, const Buffer& x) {
    const int64_t CI = n.weights.shape[0], CO = n.weights.shape[1];
    Buffer y(static_cast<size_t>(CO));
    for (int64_t co = 0; co < CO; ++co) {
        double acc = n.bias.data[co];
        for (int64_t ci = 0; ci < CI; ++ci) acc += double(x[ci]) * n.weights.data[ci * CO + co];
        y[co] = static_cast<float>(activate(acc, n.activation));
    }
    return y;
}

Buffer softmax(const Node& n, const Buffer& x) {
    const size_t C = static_cast<size_t>(n.shape.back());
    Buffer y(x.size());
    for (size_t row = 0; row < x.size(); row += C) {
        double mx = *std::max_element(x.begin() + row, x.begin() + row + C);
        double sum = 0.0;
        std::vector<double> e(C);
        for (size_t c = 0; c < C; ++c) sum += e[c] = std::exp(double(x[row + c]) - mx);
        for (size_t c = 0; c < C; ++c) y[row + c] = static_cast<float>(e[c] / sum);
    }
    return y;
}

// A quantized node: integer kernels on the integer values of its inputs.
RefValue run_quantized(const Graph& g, const Node& n, const std::vector<RefValue>& values) {
    auto in = [&](size_t i) -> const RefValue& { return values[size_t(n.inputs.at(i))]; };
    auto in_node = [&](size_t i) -> const Node& { return g.node(n.inputs.at(i)); };
    RefValue v;
    v.dtype = n.dtype;
    switch (n.op) {
        case Op::Conv2D:
        case Op::DepthwiseConv2D: v.q = quant::conv(in_node(0), n, in(0).q); break;
        case Op::FullyConnected: v.q = quant::fully_connected(in_node(0), n, in(0).q); break;
        case Op::AvgPool: v.q = quant::avg_pool(in_node(0), n, in(0).q); break;
        case Op::Softmax: v.q = quant::softmax(in_node(0), n, in(0).q); break;
        case Op::Add: v.q = quant::add(in_node(0), in_node(1), n, in(0).q, in(1).q); break;
        case Op::Quantize:
            v.q = in(0).dtype == DType::Float32 ? quant::quantize(n, in(0).f) : quant::requantize(in_node(0), n, in(0).q);
            break;
        default:
            throw Error(node_error(g.source_file, n.name, op_name(n.op),
                                   std::string("the reference interpreter has no ") + dtype_name(n.dtype) + " kernel"));
    }
    return v;
}

}  // namespace

std::vector<RefValue> run_reference_all(const Graph& g, const RefValue& input) {
    if (g.output < 0) throw Error((g.source_file.empty() ? "<model>" : g.source_file) + std::string(": graph has no output"));
    std::vector<RefValue> values(g.nodes.size());
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        auto in = [&](size_t i) -> const Buffer& { return values[n.inputs.at(i)].f; };
        auto in_shape = [&](size_t i) -> const Shape& { return g.node(n.inputs.at(i)).shape; };
        RefValue& v = values[id];
        if (n.op == Op::Input) {
            const size_t size = input.dtype == DType::Float32 ? input.f.size() : input.q.size();
            if (input.dtype != n.dtype)
                throw Error(node_error(g.source_file, n.name, op_name(n.op),
                                       std::string("input is ") + dtype_name(input.dtype) + ", the graph's is " +
                                           dtype_name(n.dtype)));
            if (static_cast<int64_t>(size) != num_elements(n.shape))
                throw Error(node_error(g.source_file, n.name, op_name(n.op),
                                       "input has " + std::to_string(size) + " values, expected " +
                                           std::to_string(num_elements(n.shape)) + " for " + shape_str(n.shape)));
            v = input;
            continue;
        }
        if (n.op == Op::Reshape) {
            v = values[n.inputs.at(0)];
            continue;
        }
        if (n.op == Op::Dequantize) {
            int src = n.inputs.at(0);
            while (g.node(src).op == Op::Reshape) src = g.node(src).inputs.at(0);
            v.f = quant::dequantize(g.node(src).quant, values[n.inputs.at(0)].q);
            continue;
        }
        if (n.dtype != DType::Float32) {
            v = run_quantized(g, n, values);
            continue;
        }
        switch (n.op) {
            case Op::Conv2D:
            case Op::DepthwiseConv2D:
            case Op::AvgPool: v.f = window_layer(n, in_shape(0), in(0)); break;
            case Op::FullyConnected: v.f = fully_connected(n, in(0)); break;
            case Op::Softmax: v.f = softmax(n, in(0)); break;
            case Op::Add: {
                Buffer y(in(0).size());
                for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(double(in(0)[i]) + in(1)[i]);
                v.f = std::move(y);
                break;
            }
            default:
                throw Error(node_error(g.source_file, n.name, op_name(n.op),
                                       "the reference interpreter runs layer ops only (run the passes first)"));
        }
    }
    return values;
}

std::vector<int32_t> quantize_input(const Graph& g, const std::vector<float>& input) {
    return quant::quantize(g.node(g.input), input);
}

std::vector<int32_t> run_reference_int(const Graph& g, const std::vector<int32_t>& input) {
    RefValue in;
    in.dtype = g.node(g.input).dtype;
    in.q = input;
    RefValue out = std::move(run_reference_all(g, in)[g.output]);
    if (out.dtype == DType::Float32)
        throw Error(g.source_file + ": the output of a float graph is not integer (use run_reference)");
    return out.q;
}

std::vector<float> run_reference(const Graph& g, const std::vector<float>& input) {
    if (g.output < 0) throw Error((g.source_file.empty() ? "<model>" : g.source_file) + std::string(": graph has no output"));
    RefValue in;
    in.dtype = g.input >= 0 ? g.node(g.input).dtype : DType::Float32;
    if (in.dtype == DType::Float32)
        in.f = input;
    else
        in.q = quantize_input(g, input);
    RefValue out = std::move(run_reference_all(g, in)[g.output]);
    if (out.dtype == DType::Float32) return out.f;
    int src = g.output;  // a Reshape view has its producer's quantisation
    while (g.node(src).op == Op::Reshape) src = g.node(src).inputs.at(0);
    return quant::dequantize(g.node(src).quant, out.q);
}

}  // namespace mncc
