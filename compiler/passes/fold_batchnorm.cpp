#include "passes/fold_batchnorm.h"

#include <cmath>

#include "passes/pass_util.h"
#include "support/error.h"

namespace mncc {
namespace {

bool is_bias_add(const Node& n) {
    return (n.op == Op::BiasAdd || n.op == Op::Add) && n.inputs.size() == 1 && !n.value.data.empty();
}

// The weighted layer that `n` (a BatchNorm or Mul) scales, or -1. Absorbs a
// single-use BiasAdd in between into the layer's bias.
int folding_target(Graph& g, const Node& n) {
    if (n.inputs.size() != 1) return -1;
    int p = n.inputs[0];
    if (is_bias_add(g.node(p))) {
        int layer = g.node(p).inputs[0];
        if (!is_weighted_layer(g.node(layer).op) || sole_consumer(g, layer) != p || sole_consumer(g, p) != n.id)
            return -1;
        Node& l = g.node(layer);
        const Node& b = g.node(p);
        int64_t c = out_channels(l);
        if (l.bias.data.empty()) l.bias = Tensor{{c}, std::vector<float>(static_cast<size_t>(c), 0.0f)};
        for (int64_t i = 0; i < c; ++i)
            l.bias.data[i] = static_cast<float>(double(l.bias.data[i]) + channel_value(g, b, b.value, c, i));
        bypass(g, p, layer);
        return layer;
    }
    if (!is_weighted_layer(g.node(p).op) || sole_consumer(g, p) != n.id) return -1;
    return p;
}

// Applies y = x*scale + shift per output channel to layer `l`.
void apply_affine(Node& l, const std::vector<double>& scale, const std::vector<double>& shift) {
    int64_t c = static_cast<int64_t>(scale.size());
    for (size_t i = 0; i < l.weights.data.size(); ++i)
        l.weights.data[i] = static_cast<float>(double(l.weights.data[i]) * scale[i % c]);
    if (l.bias.data.empty()) l.bias = Tensor{{c}, std::vector<float>(static_cast<size_t>(c), 0.0f)};
    for (int64_t i = 0; i < c; ++i)
        l.bias.data[i] = static_cast<float>(double(l.bias.data[i]) * scale[i] + shift[i]);
}

}  // namespace

void fold_batchnorm(Graph& g) {
    sweep(g);
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        if (n.op != Op::BatchNorm && !(n.op == Op::Mul && n.inputs.size() == 1 && !n.value.data.empty())) continue;
        int target = folding_target(g, n);
        if (target < 0) continue;
        Node& l = g.node(target);
        int64_t c = out_channels(l);
        if (c <= 0 || l.weights.data.size() % static_cast<size_t>(c) != 0 ||
            (!l.bias.data.empty() && static_cast<int64_t>(l.bias.data.size()) != c))
            throw Error(error_at(g, l, "weights/bias do not match the output channel count"));
        std::vector<double> scale(c), shift(c);
        for (int64_t i = 0; i < c; ++i) {
            if (n.op == Op::Mul) {
                scale[i] = channel_value(g, n, n.value, c, i);
                shift[i] = 0.0;
                continue;
            }
            double var = channel_value(g, n, n.bn_var, c, i);
            double denom = var + double(n.bn_epsilon);
            if (!(denom > 0.0)) throw Error(error_at(g, n, "variance + epsilon is not positive"));
            scale[i] = channel_value(g, n, n.bn_gamma, c, i) / std::sqrt(denom);
            shift[i] = channel_value(g, n, n.bn_beta, c, i) - channel_value(g, n, n.bn_mean, c, i) * scale[i];
        }
        // (b - mean)*s + beta == b*s + (beta - mean*s).
        apply_affine(l, scale, shift);
        bypass(g, id, target);
    }
    sweep(g);
}

}  // namespace mncc
