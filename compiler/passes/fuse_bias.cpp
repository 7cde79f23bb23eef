#include "passes/fuse_bias.h"

#include "passes/pass_util.h"

namespace mncc {

void fuse_bias(Graph& g) {
    sweep(g);
    for (int id : g.topo_order()) {
        Node& n = g.node(id);
        if (is_weighted_layer(n.op) && n.bias.data.empty()) {
            int64_t c = out_channels(n);
            n.bias = Tensor{{c}, std::vector<float>(static_cast<size_t>(c), 0.0f)};
        }
        bool const_add = (n.op == Op::BiasAdd || n.op == Op::Add) && n.inputs.size() == 1 && !n.value.data.empty();
        if (!const_add) continue;
        int p = n.inputs[0];
        Node& l = g.node(p);
        if (!is_weighted_layer(l.op) || l.activation != Activation::None || sole_consumer(g, p) != id) continue;
        int64_t c = out_channels(l);
        for (int64_t i = 0; i < c && static_cast<size_t>(i) < l.bias.data.size(); ++i)
            l.bias.data[i] = static_cast<float>(double(l.bias.data[i]) + channel_value(g, n, n.value, c, i));
        bypass(g, id, p);
    }
    sweep(g);
}

}  // namespace mncc
