#include "passes/pass_util.h"

#include "support/error.h"

namespace mncc {

bool is_weighted_layer(Op op) {
    return op == Op::Conv2D || op == Op::DepthwiseConv2D || op == Op::FullyConnected;
}

int sole_consumer(const Graph& g, int id) {
    if (g.output == id) return -1;
    std::vector<int> c = g.consumers(id);
    if (c.size() != 1) return -1;
    // A node reading `id` twice (Add(x, x)) is not a chain.
    int uses = 0;
    for (int in : g.node(c[0]).inputs) uses += in == id;
    return uses == 1 ? c[0] : -1;
}

void sweep(Graph& g) {
    std::vector<char> live(g.nodes.size(), 0);
    for (int id : g.topo_order()) live[id] = 1;
    for (Node& n : g.nodes)
        if (!live[n.id]) n.dead = true;
}

void bypass(Graph& g, int id, int to) {
    g.replace_uses(id, to);
    g.node(id).dead = true;
}

void collapse_reshape(Graph& g, int id) {
    Node& n = g.node(id);
    const Node& src = g.node(n.inputs.at(0));
    if (src.op == Op::Reshape) n.inputs[0] = src.inputs.at(0);
    if (g.node(n.inputs[0]).shape == n.shape) bypass(g, id, n.inputs[0]);
}

double channel_value(const Graph& g, const Node& n, const Tensor& t, int64_t channels, int64_t c) {
    if (t.data.size() == 1) return t.data[0];
    if (static_cast<int64_t>(t.data.size()) != channels)
        throw Error(error_at(g, n, "constant has " + std::to_string(t.data.size()) + " values, expected 1 or " +
                                       std::to_string(channels) + " (one per channel)"));
    return t.data[static_cast<size_t>(c)];
}

int64_t out_channels(const Node& n) { return n.weights.shape.empty() ? 0 : n.weights.shape.back(); }

std::string error_at(const Graph& g, const Node& n, const std::string& reason) {
    return node_error(g.source_file, n.name, op_name(n.op), reason);
}

}  // namespace mncc
