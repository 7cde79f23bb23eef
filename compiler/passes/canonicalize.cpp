#include "passes/canonicalize.h"

#include "passes/pass_util.h"

namespace mncc {
namespace {

// Adds a Reshape of `src` to `shape` and returns its id. Does not rewire users.
int add_reshape(Graph& g, int src, const Shape& shape, const std::string& name) {
    Node& r = g.add(Op::Reshape, name);
    r.inputs = {src};
    r.shape = shape;
    return r.id;
}

// Makes every current user of `id` read `to` instead (`to` itself keeps reading `id`).
void redirect_users(Graph& g, int id, int to) {
    g.replace_uses(id, to);
    g.node(to).inputs = {id};
}

bool is_global_mean(const Graph& g, const Node& n) {
    if (n.op != Op::Mean || n.inputs.size() != 1) return false;
    const Shape& in = g.node(n.inputs[0]).shape;
    return in.size() == 4 && n.axes == std::vector<int64_t>{1, 2};
}

bool is_1x1_conv_on_1x1(const Graph& g, const Node& n) {
    if (n.op != Op::Conv2D || n.inputs.size() != 1 || n.weights.shape.size() != 4) return false;
    const Shape& in = g.node(n.inputs[0]).shape;
    return in.size() == 4 && in[1] == 1 && in[2] == 1 && n.kernel_h == 1 && n.kernel_w == 1 &&
           n.weights.shape[0] == 1 && n.weights.shape[1] == 1 && n.pad_top == 0 && n.pad_bottom == 0 &&
           n.pad_left == 0 && n.pad_right == 0;
}

}  // namespace

void canonicalize(Graph& g) {
    sweep(g);
    for (int id : g.topo_order()) {
        if (is_global_mean(g, g.node(id))) {
            Node& n = g.node(id);
            const Shape in = g.node(n.inputs[0]).shape;
            n.op = Op::AvgPool;
            n.kernel_h = static_cast<int>(in[1]);
            n.kernel_w = static_cast<int>(in[2]);
            n.stride_h = n.stride_w = 1;
            n.padding = Padding::Valid;
            n.pad_top = n.pad_bottom = n.pad_left = n.pad_right = 0;
            n.axes.clear();
            const Shape flat = n.shape;
            const std::string name = n.name;
            n.shape = {1, 1, 1, in[3]};
            if (!n.keep_dims) redirect_users(g, id, add_reshape(g, id, flat, name + "/flatten"));  // n dangles now
        } else if (is_1x1_conv_on_1x1(g, g.node(id))) {
            Node& n = g.node(id);
            n.op = Op::FullyConnected;
            n.weights.shape = {n.weights.shape[2], n.weights.shape[3]};  // HWIO with H=W=1: same data order
            n.padding = Padding::Valid;
        } else if (g.node(id).op == Op::Softmax && g.node(id).inputs.size() == 1) {
            const Shape in = g.node(g.node(id).inputs[0]).shape;
            const Shape out = g.node(id).shape;
            if (in.empty() || in.size() == 2) continue;
            const Shape flat{1, in.back()};
            if (num_elements(in) != in.back()) continue;  // not [1,..,1,C]: validate reports it
            const std::string name = g.node(id).name;
            int before = add_reshape(g, g.node(id).inputs[0], flat, name + "/flatten");
            g.node(id).inputs = {before};
            g.node(id).shape = flat;
            if (out != flat) redirect_users(g, id, add_reshape(g, id, out, name + "/unflatten"));
        }
    }
    // The Reshapes added above may now follow a Reshape of the model.
    sweep(g);
    for (int id : g.topo_order())
        if (g.node(id).op == Op::Reshape) collapse_reshape(g, id);
    sweep(g);
}

}  // namespace mncc
