#include "schedules/x86_q.h"

#include <algorithm>

namespace mncc {

using namespace Halide;

namespace {

// int32 lanes, halved until they fit `extent`.
int lanes(const Target& t, int extent) {
    int v = t.natural_vector_size<int32_t>();
    while (v > 1 && v > extent) v /= 2;
    return v;
}

// Conv and pointwise: (cv x V) channels by xb pixels of int32 accumulators.
void schedule_conv(LayerFunc& L, const Target& t) {
    const int v = lanes(t, L.out_c);
    const int cv = std::max(1, std::min(t.has_feature(Target::AVX512) || t.arch == Target::ARM ? 4 : 2, L.out_c / v));
    const int xb = std::min(4, L.out_w);
    Var co("co"), ci("ci"), xo("xo"), xi("xi");
    L.output.split(L.c, co, ci, v * cv).split(L.x, xo, xi, xb).reorder(ci, xi, co, xo, L.y).vectorize(ci, v);
    if (L.out_h > 1) L.output.parallel(L.y);
    L.acc.compute_at(L.output, co).vectorize(L.c, v).unroll(L.c).unroll(L.x);
    std::vector<VarOrRVar> order{L.c, L.x};
    for (int i = 0; i < L.r.dimensions(); ++i) order.push_back(L.r[i]);
    order.push_back(L.y);
    L.acc.update().reorder(order).vectorize(L.c, v).unroll(L.c).unroll(L.x);
}

// The dot-product form (layers_q.h, DotProducts): the 4 channels of r.x reduce
// atomically inside each int32 lane (vpdpbusd, sdot); the input sums are
// computed per x tile. A small window (the first layer's 3x3) is unrolled.
void schedule_dot(LayerFunc& L, const Target& t) {
    const int v = lanes(t, L.out_c);
    const int cv = std::max(1, std::min(4, L.out_c / v));
    const int xb = std::min(4, L.out_w);
    Var co("co"), ci("ci"), xo("xo"), xi("xi");
    L.output.split(L.c, co, ci, v * cv).split(L.x, xo, xi, xb).reorder(ci, xi, xo, co, L.y).vectorize(ci, v);
    if (L.out_h > 1) L.output.parallel(L.y);
    if (L.sum_f.defined()) L.sum_f.compute_at(L.output, L.y);
    L.acc.compute_at(L.output, xo).vectorize(L.c, v).unroll(L.c).unroll(L.x);
    Stage update = L.acc.update();
    if (L.kind == KernelKind::Conv)
        update.reorder(L.r.x, L.c, L.x, L.r.y, L.r.z, L.r.w, L.y).unroll(L.r.z).unroll(L.r.w);
    else
        update.reorder(L.r.x, L.c, L.x, L.r.y, L.y);
    update.atomic().vectorize(L.r.x).vectorize(L.c, v).unroll(L.c).unroll(L.x);
}

// FC in the dot-product form: 4 independent vectors of output channels.
void schedule_fc_dot(LayerFunc& L, const Target& t) {
    const int v = lanes(t, L.out_c);
    const int cv = std::max(1, std::min(4, L.out_c / v));
    Var co("co"), ci("ci");
    L.output.split(L.c, co, ci, v * cv).vectorize(ci, v);
    if (L.sum_f.defined()) L.sum_f.compute_root();
    L.acc.compute_at(L.output, co).vectorize(L.c, v).unroll(L.c);
    L.acc.update().reorder(L.r.x, L.c, L.r.y).atomic().vectorize(L.r.x).vectorize(L.c, v).unroll(L.c);
}

// Depthwise: one int32 vector of channels by 4 pixels by 2 rows per tile, the
// window unrolled (a 3x3 stride-1 tile reads 4 input rows, not 2 x 3).
void schedule_depthwise(LayerFunc& L, const Target& t) {
    const int v = lanes(t, L.out_c);
    const int tile_x = std::min(4, L.out_w), tile_y = std::min(2, L.out_h);
    Var co("co"), ci("ci"), xo("xo"), xi("xi"), yo("yo"), yi("yi");
    L.output.tile(L.c, L.x, co, xo, ci, xi, v, tile_x, TailStrategy::ShiftInwards)
        .split(L.y, yo, yi, tile_y, TailStrategy::ShiftInwards)
        .reorder(ci, xi, yi, co, xo, yo)
        .vectorize(ci)
        .unroll(xi)
        .unroll(yi);
    if (L.out_h > tile_y) L.output.parallel(yo);
}

void schedule_elementwise(LayerFunc& L, const Target& t) {
    L.output.vectorize(L.c, lanes(t, L.out_c));
    if (L.out_h > 1) L.output.parallel(L.y);
}

void schedule_fc(LayerFunc& L, const Target& t) {
    const int v = lanes(t, L.out_c);
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

void apply_quantized_schedule(LayerFunc& L, const Target& t) {
    switch (L.kind) {
        case KernelKind::Conv:
        case KernelKind::Pointwise:
            if (L.r.dimensions() == (L.kind == KernelKind::Conv ? 4 : 2))   // the dot-product form (layers_q.h)
                schedule_dot(L, t);
            else
                schedule_conv(L, t);
            break;
        case KernelKind::Depthwise: schedule_depthwise(L, t); break;
        case KernelKind::AvgPool: schedule_elementwise(L, t); break;
        case KernelKind::FullyConnected:
            if (L.r.dimensions() == 2)
                schedule_fc_dot(L, t);
            else
                schedule_fc(L, t);
            break;
        case KernelKind::Softmax: schedule_softmax(L); break;
    }
}

}  // namespace mncc
