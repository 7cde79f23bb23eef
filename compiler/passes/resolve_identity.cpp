#include "passes/resolve_identity.h"

#include "passes/pass_util.h"
#include "support/error.h"

namespace mncc {

void resolve_identity(Graph& g) {
    sweep(g);
    for (int id : g.topo_order()) {
        Node& n = g.node(id);
        if (n.op == Op::Identity) {
            if (n.inputs.empty()) throw Error(error_at(g, n, "Identity has no input"));
            bypass(g, id, n.inputs[0]);
        } else if (n.op == Op::Squeeze || n.op == Op::Reshape) {
            if (n.inputs.empty()) throw Error(error_at(g, n, "no data input"));
            // The static shape is already in n.shape; a shape operand (Const or
            // Shape node) carries no further information.
            n.op = Op::Reshape;
            n.axes.clear();
            n.inputs.resize(1);
            collapse_reshape(g, id);
        }
    }
    // Shape nodes lost their only users above; any other use fails validate.
    sweep(g);
}

}  // namespace mncc
