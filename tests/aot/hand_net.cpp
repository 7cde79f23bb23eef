#include "hand_net.h"

#include "passes/plan_memory.h"

namespace mncc {

namespace {

struct Rng {
    uint64_t s = 0x9e3779b97f4a7c15ull;
    float next(float scale) {   // uniform in [-scale, scale]
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return scale * (static_cast<float>((s >> 40) & 0xffffff) / 8388608.0f - 1.0f);
    }
};

Tensor random_tensor(Rng& rng, const Shape& shape, float scale) {
    Tensor t;
    t.shape = shape;
    t.data.resize(static_cast<size_t>(num_elements(shape)));
    for (float& v : t.data) v = rng.next(scale);
    return t;
}

// TF SAME pads for one axis.
void same(int in, int k, int s, int& out, int& lo, int& hi) {
    out = (in + s - 1) / s;
    int total = std::max((out - 1) * s + k - in, 0);
    lo = total / 2;
    hi = total - lo;
}

}  // namespace

Graph make_hand_net() {
    Graph g;
    g.source_file = "hand_net";
    Rng rng;
    Node& in = g.add(Op::Input, "input");
    in.shape = {1, 12, 10, 3};
    g.input = in.id;
    int prev = in.id;
    auto window = [&](Op op, const char* name, int k, int s, int cout, Activation act, float wscale) {
        const Shape ps = g.node(prev).shape;
        Node& n = g.add(op, name);
        n.inputs = {prev};
        n.kernel_h = n.kernel_w = k;
        n.stride_h = n.stride_w = s;
        n.padding = Padding::Same;
        int oh, ow;
        same(static_cast<int>(ps[1]), k, s, oh, n.pad_top, n.pad_bottom);
        same(static_cast<int>(ps[2]), k, s, ow, n.pad_left, n.pad_right);
        const int cin = static_cast<int>(ps[3]);
        if (op == Op::DepthwiseConv2D || op == Op::AvgPool) cout = cin;
        n.shape = {1, oh, ow, cout};
        n.activation = act;
        if (op == Op::Conv2D) n.weights = random_tensor(rng, {k, k, cin, cout}, wscale);
        if (op == Op::DepthwiseConv2D) n.weights = random_tensor(rng, {k, k, cin}, wscale);
        if (op != Op::AvgPool) n.bias = random_tensor(rng, {cout}, 0.5f);
        prev = n.id;
    };
    window(Op::Conv2D, "conv0 3x3/2", 3, 2, 8, Activation::Relu6, 2.0f);        // [1,6,5,8], pads 0/1
    window(Op::DepthwiseConv2D, "dw1 3x3/1", 3, 1, 0, Activation::Relu6, 2.0f);  // [1,6,5,8]
    window(Op::Conv2D, "pw2", 1, 1, 20, Activation::Relu, 0.8f);                 // [1,6,5,20]
    window(Op::DepthwiseConv2D, "dw3 3x3/2", 3, 2, 0, Activation::Relu6, 1.5f);  // [1,3,3,20], pads 0/1
    window(Op::Conv2D, "pw4", 1, 1, 37, Activation::Relu6, 0.8f);                // [1,3,3,37]
    window(Op::Conv2D, "conv5 3x3/1 */ \"odd\" \xc3\xa9 name\n", 3, 1, 19, Activation::None, 0.3f);
    window(Op::DepthwiseConv2D, "dw6 5x5/1", 5, 1, 0, Activation::Relu, 1.0f);   // pads 2/2 on 3x3
    window(Op::AvgPool, "pool7 2x2/1", 2, 1, 0, Activation::None, 0);            // pads 0/1: valid-only count
    window(Op::AvgPool, "pool8 global", 3, 1, 0, Activation::None, 0);           // placeholder, made VALID below
    {
        Node& p = g.node(prev);   // global 3x3 VALID pool -> [1,1,1,19]
        p.padding = Padding::Valid;
        p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 0;
        p.shape = {1, 1, 1, 19};
    }
    Node& r = g.add(Op::Reshape, "flatten");
    r.inputs = {prev};
    r.shape = {1, 19};
    Node& fc = g.add(Op::FullyConnected, "fc9");
    fc.inputs = {r.id};
    fc.shape = {1, 7};
    fc.weights = random_tensor(rng, {19, 7}, 1.0f);
    fc.bias = random_tensor(rng, {7}, 0.5f);
    Node& sm = g.add(Op::Softmax, "softmax10");
    sm.inputs = {fc.id};
    sm.shape = {1, 7};
    g.output = sm.id;
    plan_memory(g);
    return g;
}

std::vector<float> hand_net_input() {
    Rng rng;
    rng.s = 12345;
    std::vector<float> v(12 * 10 * 3);
    for (float& x : v) x = rng.next(1.0f);
    return v;
}

}  // namespace mncc
