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

// The dot-product pointwise form: the 4 taps of r.x reduce atomically inside each
// int32 lane (vpdpbusd); the input sums are computed per x tile.
void schedule_pointwise_dot(LayerFunc& L, const Target& t) {
    const int v = lanes(t, L.out_c);
    const int cv = std::max(1, std::min(4, L.out_c / v));
    const int xb = std::min(4, L.out_w);
    Var co("co"), ci("ci"), xo("xo"), xi("xi");
    L.output.split(L.c, co, ci, v * cv).split(L.x, xo, xi, xb).reorder(ci, xi, co, xo, L.y).vectorize(ci, v);
    if (L.out_h > 1) L.output.parallel(L.y);
    L.sum_f.compute_at(L.output, xo);
    L.acc.compute_at(L.output, co).vectorize(L.c, v).unroll(L.c).unroll(L.x);
    L.acc.update().reorder(L.r.x, L.c, L.x, L.r.y, L.y).atomic().vectorize(L.r.x).vectorize(L.c, v).unroll(L.c).unroll(L.x);
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
        case KernelKind::Conv: schedule_conv(L, t); break;
        case KernelKind::Pointwise:
            if (L.r.dimensions() == 2)   // the dot-product form (layers_q.h)
                schedule_pointwise_dot(L, t);
            else
                schedule_conv(L, t);
            break;
        case KernelKind::Depthwise:
        case KernelKind::AvgPool: schedule_elementwise(L, t); break;
        case KernelKind::FullyConnected: schedule_fc(L, t); break;
        case KernelKind::Softmax: schedule_softmax(L); break;
    }
}

}  // namespace mncc
