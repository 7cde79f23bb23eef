#include "reference/interpreter.h"

#include <algorithm>
#include <cmath>

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

}  // namespace

std::vector<float> run_reference(const Graph& g, const std::vector<float>& input) {
    if (g.output < 0) throw Error((g.source_file.empty() ? "<model>" : g.source_file) + std::string(": graph has no output"));
    std::vector<Buffer> values(g.nodes.size());
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        auto in = [&](size_t i) -> const Buffer& { return values[n.inputs.at(i)]; };
        auto in_shape = [&](size_t i) -> const Shape& { return g.node(n.inputs.at(i)).shape; };
        switch (n.op) {
            case Op::Input:
                if (static_cast<int64_t>(input.size()) != num_elements(n.shape))
                    throw Error(node_error(g.source_file, n.name, op_name(n.op),
                                           "input has " + std::to_string(input.size()) + " values, expected " +
                                               std::to_string(num_elements(n.shape)) + " for " +
                                               shape_str(n.shape)));
                values[id] = input;
                break;
            case Op::Conv2D:
            case Op::DepthwiseConv2D:
            case Op::AvgPool: values[id] = window_layer(n, in_shape(0), in(0)); break;
            case Op::FullyConnected: values[id] = fully_connected(n, in(0)); break;
            case Op::Softmax: values[id] = softmax(n, in(0)); break;
            case Op::Reshape: values[id] = in(0); break;
            case Op::Add: {
                Buffer y(in(0).size());
                for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(double(in(0)[i]) + in(1)[i]);
                values[id] = std::move(y);
                break;
            }
            default:
                throw Error(node_error(g.source_file, n.name, op_name(n.op),
                                       "the reference interpreter runs layer ops only (run the passes first)"));
        }
    }
    return values[g.output];
}

}  // namespace mncc
