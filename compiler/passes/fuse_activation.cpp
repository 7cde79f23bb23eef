#include "passes/fuse_activation.h"

#include "passes/pass_util.h"

namespace mncc {

void fuse_activation(Graph& g) {
    sweep(g);
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        if ((n.op != Op::Relu && n.op != Op::Relu6) || n.inputs.size() != 1) continue;
        int p = n.inputs[0];
        Node& l = g.node(p);
        if (!is_weighted_layer(l.op) || l.activation != Activation::None || sole_consumer(g, p) != id) continue;
        l.activation = n.op == Op::Relu ? Activation::Relu : Activation::Relu6;
        bypass(g, id, p);
    }
    sweep(g);
}

}  // namespace mncc
