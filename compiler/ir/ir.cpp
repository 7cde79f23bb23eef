#include "ir/ir.h"

#include <algorithm>
#include <utility>

#include "support/error.h"

namespace mncc {

std::string shape_str(const Shape& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) {
        if (i) r += ",";
        r += std::to_string(s[i]);
    }
    return r + "]";
}

int64_t num_elements(const Shape& s) {
    int64_t n = 1;
    for (int64_t d : s) n = checked_mul(n, d, "tensor element count");
    return n;
}

const char* op_name(Op op) {
    switch (op) {
        case Op::Const: return "Const";
        case Op::Identity: return "Identity";
        case Op::Shape: return "Shape";
        case Op::Squeeze: return "Squeeze";
        case Op::BiasAdd: return "BiasAdd";
        case Op::BatchNorm: return "BatchNorm";
        case Op::Mul: return "Mul";
        case Op::Relu: return "Relu";
        case Op::Relu6: return "Relu6";
        case Op::Pad: return "Pad";
        case Op::Mean: return "Mean";
        case Op::Input: return "Input";
        case Op::Conv2D: return "Conv2D";
        case Op::DepthwiseConv2D: return "DepthwiseConv2D";
        case Op::AvgPool: return "AvgPool";
        case Op::FullyConnected: return "FullyConnected";
        case Op::Softmax: return "Softmax";
        case Op::Reshape: return "Reshape";
        case Op::Add: return "Add";
        case Op::Quantize: return "Quantize";
        case Op::Dequantize: return "Dequantize";
    }
    return "?";
}

const char* activation_name(Activation a) {
    switch (a) {
        case Activation::None: return "none";
        case Activation::Relu: return "relu";
        case Activation::Relu6: return "relu6";
    }
    return "?";
}

const char* dtype_name(DType t) {
    switch (t) {
        case DType::Float32: return "float32";
        case DType::UInt8: return "uint8";
        case DType::Int8: return "int8";
        case DType::Int32: return "int32";
    }
    return "?";
}

int64_t dtype_bytes(DType t) { return t == DType::UInt8 || t == DType::Int8 ? 1 : 4; }

const char* padding_name(Padding p) {
    switch (p) {
        case Padding::Valid: return "VALID";
        case Padding::Same: return "SAME";
        case Padding::Explicit: return "EXPLICIT";
    }
    return "?";
}

Node& Graph::add(Op op, const std::string& name) {
    Node n;
    n.id = static_cast<int>(nodes.size());
    n.op = op;
    n.name = name;
    nodes.push_back(std::move(n));
    return nodes.back();
}

std::vector<int> Graph::topo_order() const {
    std::vector<int> order;
    if (output < 0) return order;
    // 0 = unvisited, 1 = on stack, 2 = done. Iterative DFS: deep graphs from
    // hostile files must not overflow the C++ stack.
    std::vector<char> state(nodes.size(), 0);
    std::vector<std::pair<int, size_t>> stack{{output, 0}};
    state.at(output) = 1;
    while (!stack.empty()) {
        auto& [id, next] = stack.back();
        const Node& n = nodes.at(id);
        if (next < n.inputs.size()) {
            int in = n.inputs[next++];
            if (in < 0 || in >= static_cast<int>(nodes.size()))
                throw Error(node_error(source_file, n.name, op_name(n.op), "input refers to a missing node"));
            if (state[in] == 1)
                throw Error(node_error(source_file, n.name, op_name(n.op),
                                       "graph has a cycle through node '" + nodes[in].name + "'"));
            if (state[in] == 0) {
                state[in] = 1;
                stack.push_back({in, 0});
            }
        } else {
            state[id] = 2;
            order.push_back(id);
            stack.pop_back();
        }
    }
    return order;
}

std::vector<int> Graph::consumers(int id) const {
    std::vector<int> r;
    for (const Node& n : nodes) {
        if (n.dead) continue;
        if (std::find(n.inputs.begin(), n.inputs.end(), id) != n.inputs.end()) r.push_back(n.id);
    }
    return r;
}

void Graph::replace_uses(int from, int to) {
    for (Node& n : nodes)
        for (int& in : n.inputs)
            if (in == from) in = to;
    if (output == from) output = to;
}

int64_t node_mult_adds(const Graph& g, const Node& n) {
    switch (n.op) {
        case Op::Conv2D:
        case Op::DepthwiseConv2D:
        case Op::FullyConnected: {
            // Every output element costs one mult-add per weight it reads.
            int64_t per_output = 1;
            for (size_t i = 0; i + 1 < n.weights.shape.size(); ++i) per_output *= n.weights.shape[i];
            if (n.op == Op::DepthwiseConv2D) per_output = int64_t(n.kernel_h) * n.kernel_w;
            (void)g;
            return num_elements(n.shape) * per_output;
        }
        default: return 0;
    }
}

int64_t node_params(const Node& n) {
    return static_cast<int64_t>(std::max(n.weights.data.size(), n.weights.qdata.size()));
}

LayerKind layer_kind(const Graph& g, const Node& n) {
    (void)g;
    switch (n.op) {
        case Op::Conv2D: return (n.kernel_h == 1 && n.kernel_w == 1) ? LayerKind::Pointwise : LayerKind::Conv;
        case Op::DepthwiseConv2D: return LayerKind::Depthwise;
        case Op::FullyConnected: return LayerKind::FullyConnected;
        case Op::AvgPool: return LayerKind::Pool;
        case Op::Softmax: return LayerKind::Softmax;
        default: return LayerKind::Other;
    }
}

const char* layer_kind_name(LayerKind k) {
    switch (k) {
        case LayerKind::Conv: return "conv";
        case LayerKind::Depthwise: return "depthwise";
        case LayerKind::Pointwise: return "pointwise";
        case LayerKind::FullyConnected: return "fully_connected";
        case LayerKind::Pool: return "pool";
        case LayerKind::Softmax: return "softmax";
        case LayerKind::Other: return "other";
    }
    return "?";
}

}  // namespace mncc
