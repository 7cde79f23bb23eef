#include "schedules/hexagon_q.h"

#include <algorithm>
#include <map>

namespace mncc {

using namespace Halide;

namespace {

const KnobDecl kCoLanes{"co_lanes", 64, {32, 64, 128}, "output channels per accumulator tile (int32 lanes, 32 per HVX vector)"};
// Not 32 for FC: its output vector is the channels alone (see u8_tile on 32 lanes).
const KnobDecl kFcCoLanes{"co_lanes", 64, {64, 128}, "output channels per vector"};
const KnobDecl kXBlock{"x_block", 4, {1, 2, 4, 8}, "output pixels per accumulator tile"};

// The largest power of two <= min(want, extent): a vector never exceeds the channels.
int lanes(int want, int extent) {
    int v = 1;
    while (v * 2 <= std::min(want, extent)) v *= 2;
    return v;
}

// Conv: acc holds co_lanes channels x x_block pixels of int32 (two HVX vectors per
// pixel with enough channels), computed per tile with the reduction outside it;
// 8/16-bit vector multiplies. With 32-channel tiles (MobileNet 1.0's first conv) the
// u8 output vector spans 2 pixels too: a 32-lane int32 -> u8 narrowing gives wrong
// bytes (see u8_tile; a synth 1.0/128 uint8 model differed from the reference).
void schedule_conv(LayerFunc& L, const Knobs& k) {
    const int v = lanes(k.at("co_lanes"), L.out_c);
    const bool two_pixels = v == 32 && L.out_w >= 2;
    const int xb = two_pixels ? 2 : std::min(k.at("x_block"), L.out_w);
    Var co("co"), ci("ci"), xo("xo"), xi("xi");
    L.output.split(L.c, co, ci, v).split(L.x, xo, xi, xb).reorder(ci, xi, co, xo, L.y).vectorize(ci);
    if (two_pixels) L.output.vectorize(xi);
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

// The u8 output tile of pointwise and depthwise: vc channels (a power of two, at most
// 128) by xb pixels, both dimensions vectorised as one u8 vector of exactly 64 or 128
// lanes (c is innermost in memory and the x stride is out_c, so a tile row of pixels
// is one dense vector). NOT 32 lanes: Halide 14's HVX code for a 32-lane int32 -> u8
// narrowing (cast<uint8_t>, with or without clamp/saturation) gives wrong bytes under
// qemu-hexagon (every other byte wrong in a one-line pipeline; 8, 16, 64, 128 and 256
// lanes are exact), and a 32- or 48-lane depthwise fails to compile (CodeGen_Hexagon.cpp:1881,
// lanes % (2 * native lanes) == 0). False when the map is too small for 64 lanes.
bool u8_tile(const LayerFunc& L, int& vc, int& xb) {
    vc = lanes(128, L.out_c);
    for (const int total : {128, 64}) {
        xb = total / vc;
        if (xb >= 1 && xb <= L.out_w) return true;
    }
    return false;
}

// Pointwise: the output in u8 tiles (u8_tile), acc computed per tile. In the dot-product
// form (layers_q.h, r = (4, C4 / 4)) with 32 or more channels per tile, the 4 channels of
// r.x reduce atomically inside each int32 lane (vrmpy, 32 int32 lanes per vector: Halide
// 14 has no vrmpy below 32 lanes); else int32 lanes over channels and pixels. The input
// sums (sum_f) are computed per output row.
void schedule_pointwise(LayerFunc& L) {
    int vc = 0, xb = 0;
    if (!u8_tile(L, vc, xb)) return;   // scalar (Halide's default)
    Var co("co"), ci("ci"), xo("xo"), xi("xi");
    L.output.split(L.c, co, ci, vc).split(L.x, xo, xi, xb).reorder(ci, xi, co, xo, L.y).vectorize(ci).vectorize(xi);
    if (L.sum_f.defined()) L.sum_f.compute_at(L.output, L.y);
    L.acc.compute_at(L.output, co);
    const bool dot = L.r.dimensions() == 2;
    Stage u = L.acc.update();
    if (dot)
        u.reorder(L.r.x, L.c, L.x, L.r.y, L.y);
    else
        u.reorder(L.c, L.x, L.r.x, L.y);
    if (vc >= 32) {
        L.acc.vectorize(L.c, 32).unroll(L.x);
        if (dot)
            u.atomic().vectorize(L.r.x).vectorize(L.c, 32).unroll(L.x);
        else
            u.vectorize(L.c, 32).unroll(L.x);
    } else {
        L.acc.vectorize(L.c).vectorize(L.x);
        u.vectorize(L.c).vectorize(L.x);
    }
}

// Depthwise: the output in u8 tiles (u8_tile), the window unrolled by the algorithm
// (16-bit products of u8 taps and int8 weights). Scalar when strided with 32-channel
// tiles: reading 32-byte channel runs at a stride of 2 pixels as one vector (a dense
// load and a shuffle of 32-byte pieces) gives wrong lanes under qemu-hexagon (a bare
// cast<int32_t>(in(c, 2 * x + 1, y)) over 32 c x 4 x lanes is wrong; 8, 16, 64, 128 and
// 256 channels, and stride 1, are exact).
void schedule_depthwise(LayerFunc& L) {
    int vc = 0, xb = 0;
    if (!u8_tile(L, vc, xb)) return;   // scalar (Halide's default)
    const Expr in_w = L.input.parameter().extent_constraint(1);
    const int64_t* w = in_w.defined() ? Internal::as_const_int(in_w) : nullptr;
    if (vc == 32 && (!w || *w > L.out_w)) return;   // strided (or unknown): scalar
    Var co("co"), ci("ci"), xo("xo"), xi("xi");
    L.output.split(L.c, co, ci, vc).split(L.x, xo, xi, xb).reorder(ci, xi, co, xo, L.y).vectorize(ci).vectorize(xi);
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
        {KernelKind::FullyConnected, {kFcCoLanes}},
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
        case KernelKind::Pointwise: schedule_pointwise(L); break;
        case KernelKind::Depthwise: schedule_depthwise(L); break;
        case KernelKind::AvgPool: break;   // Halide's default schedule: see hexagon_q.h
    }
}

}  // namespace mncc
