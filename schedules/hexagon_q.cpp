#include "schedules/hexagon_q.h"

#include <algorithm>
#include <map>

namespace mncc {

using namespace Halide;

namespace {

const KnobDecl kCoLanes{"co_lanes", 64, {32, 64, 128}, "output channels per accumulator tile (int32 lanes, 32 per HVX vector)"};
const KnobDecl kXBlock{"x_block", 4, {1, 2, 4, 8}, "output pixels per accumulator tile"};

// The largest power of two <= min(want, extent): a vector never exceeds the channels.
int lanes(int want, int extent) {
    int v = 1;
    while (v * 2 <= std::min(want, extent)) v *= 2;
    return v;
}

// Conv: acc holds co_lanes channels x x_block pixels of int32 (two HVX vectors per
// pixel with enough channels), computed per tile with the reduction outside it;
// 8/16-bit vector multiplies.
void schedule_conv(LayerFunc& L, const Knobs& k) {
    const int v = lanes(k.at("co_lanes"), L.out_c);
    const int xb = std::min(k.at("x_block"), L.out_w);
    Var co("co"), ci("ci"), xo("xo"), xi("xi");
    L.output.split(L.c, co, ci, v).split(L.x, xo, xi, xb).reorder(ci, xi, co, xo, L.y).vectorize(ci);
    L.acc.compute_at(L.output, co).vectorize(L.c, v).unroll(L.x);
    std::vector<VarOrRVar> order{L.c, L.x};
    for (int i = 0; i < L.r.dimensions(); ++i) order.push_back(L.r[i]);
    order.push_back(L.y);
    L.acc.update().reorder(order).vectorize(L.c, v).unroll(L.x);
}

// FC: vectors of output channels times the broadcast input (16-bit vector multiplies).
void schedule_fc(LayerFunc& L, const Knobs& k) {
    const int v = lanes(k.at("co_lanes"), L.out_c);
    Var co("co"), ci("ci");
    L.output.split(L.c, co, ci, v).vectorize(ci);
    L.acc.compute_at(L.output, co).vectorize(L.c);
    L.acc.update().vectorize(L.c);
}

// Scalar and serial: the reductions run in the reference's order.
void schedule_softmax(LayerFunc& L) {
    L.max_f.compute_root();
    L.sum_f.compute_root();
}

}  // namespace

const std::vector<KnobDecl>& hexagon_q_knob_space(KernelKind k) {
    static const std::map<KernelKind, std::vector<KnobDecl>> spaces{
        {KernelKind::Conv, {kCoLanes, kXBlock}},
        {KernelKind::Pointwise, {}},
        {KernelKind::Depthwise, {}},
        {KernelKind::AvgPool, {}},
        {KernelKind::FullyConnected, {kCoLanes}},
        {KernelKind::Softmax, {}},
    };
    return spaces.at(k);
}

Knobs hexagon_q_default_knobs(KernelKind k) {
    Knobs r;
    for (const KnobDecl& d : hexagon_q_knob_space(k)) r[d.name] = d.default_value;
    return r;
}

void apply_hexagon_schedule(LayerFunc& L, const Target&, const Knobs& k) {
    switch (L.kind) {
        case KernelKind::Conv: schedule_conv(L, k); break;
        case KernelKind::FullyConnected: schedule_fc(L, k); break;
        case KernelKind::Softmax: schedule_softmax(L); break;
        case KernelKind::Pointwise:   // Halide's default schedule: see hexagon_q.h
        case KernelKind::Depthwise:
        case KernelKind::AvgPool: break;
    }
}

}  // namespace mncc
