#include "passes/fold_pad.h"

#include "passes/pass_util.h"

namespace mncc {

void fold_pad(Graph& g) {
    sweep(g);
    for (int id : g.topo_order()) {
        const Node& pad = g.node(id);
        if (pad.op != Op::Pad || pad.inputs.size() != 1) continue;
        int c = sole_consumer(g, id);
        if (c < 0) continue;
        Node& conv = g.node(c);
        bool no_pads = conv.pad_top == 0 && conv.pad_bottom == 0 && conv.pad_left == 0 && conv.pad_right == 0;
        if ((conv.op != Op::Conv2D && conv.op != Op::DepthwiseConv2D) || conv.inputs[0] != id || !no_pads) continue;
        conv.pad_top = pad.pad_top;
        conv.pad_bottom = pad.pad_bottom;
        conv.pad_left = pad.pad_left;
        conv.pad_right = pad.pad_right;
        conv.padding = Padding::Explicit;
        bypass(g, id, pad.inputs[0]);
    }
    sweep(g);
}

}  // namespace mncc
