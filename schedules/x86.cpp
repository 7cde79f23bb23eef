#include "schedules/x86.h"

#include <algorithm>

namespace mncc {

using namespace Halide;

namespace {

const KnobDecl kVectorWidth{"vector_width", 0, {0, 4, 8, 16}, "f32 lanes; 0 = the target's natural vector size"};
const KnobDecl kRowsPerTask{"rows_per_task", 1, {1, 2, 4, 8}, "output rows per parallel task"};

// Lanes actually used: the knob (or the natural size), halved until it fits `extent`.
int lanes(const Target& t, const Knobs& k, int extent) {
    int v = k.at("vector_width") ? k.at("vector_width") : t.natural_vector_size<float>();
    while (v > 1 && v > extent) v /= 2;
    return v;
}

void parallel_rows(LayerFunc& L, const Knobs& k) {
    if (L.out_h > 1) L.output.parallel(L.y, std::min(k.at("rows_per_task"), L.out_h));
}

// Conv and pointwise: a register-blocked accumulator of (co_vectors x V) channels
// by x_block pixels, computed at the innermost tile loop and fully unrolled, with
// the reduction (over input channels, then the window) outside the tile. Loop nest
// per row: co tiles outside x tiles, so one co tile's weights stay in cache across
// the row while the input row streams.
// Measured with these defaults: synthetic 1.0/224, whole network 12-17 ms on one
// thread of the shared 2-core AVX-512 machine under load (the notes' hand-tuned
// Halide reference: 7.4-8 ms). Sound baseline; packing the weights into the tile
// layout and tuning the knobs is the speed issue's job.
void schedule_conv(LayerFunc& L, const Target& t, const Knobs& k) {
    const int v = lanes(t, k, L.out_c);
    const int tile_c = v * std::clamp(k.at("co_vectors"), 1, L.out_c / v);
    const int tile_x = std::min(k.at("x_block"), L.out_w);
    Var co("co"), ci("ci"), xo("xo"), xi("xi");
    L.output.tile(L.c, L.x, co, xo, ci, xi, tile_c, tile_x, TailStrategy::ShiftInwards)
        .reorder(ci, xi, xo, co, L.y)
        .vectorize(ci, v)
        .unroll(ci)
        .unroll(xi);
    parallel_rows(L, k);
    L.acc.compute_at(L.output, xo).vectorize(L.c, v).unroll(L.c).unroll(L.x);
    std::vector<VarOrRVar> order{L.c, L.x};
    for (int i = 0; i < L.r.dimensions(); ++i) order.push_back(L.r[i]);
    order.push_back(L.y);
    L.acc.update().reorder(order).vectorize(L.c, v).unroll(L.c).unroll(L.x);
}

// Depthwise: (c_vectors x V) channels by x_block pixels per tile, the window
// unrolled in the algorithm; memory-bound, so channels stay innermost.
void schedule_depthwise(LayerFunc& L, const Target& t, const Knobs& k) {
    const int v = lanes(t, k, L.out_c);
    const int tile_c = v * std::clamp(k.at("c_vectors"), 1, L.out_c / v);
    const int tile_x = std::min(k.at("x_block"), L.out_w);
    Var co("co"), ci("ci"), xo("xo"), xi("xi");
    L.output.tile(L.c, L.x, co, xo, ci, xi, tile_c, tile_x, TailStrategy::ShiftInwards)
        .vectorize(ci, v)
        .unroll(ci)
        .unroll(xi);
    parallel_rows(L, k);
}

void schedule_pool(LayerFunc& L, const Target& t, const Knobs& k) {
    L.output.vectorize(L.c, lanes(t, k, L.out_c), TailStrategy::ShiftInwards);
    parallel_rows(L, k);
}

// FC: accumulator of (co_vectors x V) outputs per task, reduction outside it.
void schedule_fc(LayerFunc& L, const Target& t, const Knobs& k) {
    const int v = lanes(t, k, L.out_c);
    const int tile_c = v * std::clamp(k.at("co_vectors"), 1, L.out_c / v);
    Var co("co"), ci("ci");
    L.output.split(L.c, co, ci, tile_c, TailStrategy::ShiftInwards).vectorize(ci, v).unroll(ci);
    if (L.out_c > tile_c) L.output.parallel(co);
    L.acc.compute_at(L.output, co).vectorize(L.c, v).unroll(L.c);
    L.acc.update().reorder(L.c, L.r.x).vectorize(L.c, v).unroll(L.c);
}

// Softmax: the two scalar reductions once (serial, fixed order), then a vector pass.
void schedule_softmax(LayerFunc& L, const Target& t, const Knobs& k) {
    L.max_f.compute_root();
    L.sum_f.compute_root();
    L.output.vectorize(L.c, lanes(t, k, L.out_c), TailStrategy::ShiftInwards);
}

}  // namespace

const char* kernel_kind_name(KernelKind k) {
    switch (k) {
        case KernelKind::Conv: return "conv";
        case KernelKind::Depthwise: return "depthwise";
        case KernelKind::Pointwise: return "pointwise";
        case KernelKind::AvgPool: return "avgpool";
        case KernelKind::FullyConnected: return "fully_connected";
        case KernelKind::Softmax: return "softmax";
    }
    return "?";
}

const std::vector<KnobDecl>& x86_knob_space(KernelKind k) {
    static const std::vector<KnobDecl> conv{
        kVectorWidth,
        {"co_vectors", 2, {1, 2, 3, 4}, "output-channel vectors per accumulator tile"},
        {"x_block", 4, {1, 2, 4, 6, 8}, "output pixels per accumulator tile"},
        kRowsPerTask};
    static const std::vector<KnobDecl> pointwise{
        kVectorWidth,
        {"co_vectors", 2, {1, 2, 3, 4}, "output-channel vectors per accumulator tile"},
        {"x_block", 6, {1, 2, 4, 6, 8}, "output pixels per accumulator tile"},
        kRowsPerTask};
    static const std::vector<KnobDecl> depthwise{
        kVectorWidth,
        {"c_vectors", 1, {1, 2, 4}, "channel vectors per tile"},
        {"x_block", 4, {1, 2, 4, 8}, "output pixels per tile"},
        kRowsPerTask};
    static const std::vector<KnobDecl> pool{kVectorWidth, kRowsPerTask};
    static const std::vector<KnobDecl> fc{
        kVectorWidth, {"co_vectors", 4, {1, 2, 4, 8}, "output vectors per accumulator tile and task"}};
    static const std::vector<KnobDecl> softmax{kVectorWidth};
    switch (k) {
        case KernelKind::Conv: return conv;
        case KernelKind::Pointwise: return pointwise;
        case KernelKind::Depthwise: return depthwise;
        case KernelKind::AvgPool: return pool;
        case KernelKind::FullyConnected: return fc;
        case KernelKind::Softmax: return softmax;
    }
    return softmax;
}

Knobs x86_default_knobs(KernelKind k) {
    Knobs r;
    for (const KnobDecl& d : x86_knob_space(k)) r[d.name] = d.default_value;
    return r;
}

void apply_x86_schedule(LayerFunc& L, const Target& t, const Knobs& k) {
    switch (L.kind) {
        case KernelKind::Conv:
        case KernelKind::Pointwise: schedule_conv(L, t, k); break;
        case KernelKind::Depthwise: schedule_depthwise(L, t, k); break;
        case KernelKind::AvgPool: schedule_pool(L, t, k); break;
        case KernelKind::FullyConnected: schedule_fc(L, t, k); break;
        case KernelKind::Softmax: schedule_softmax(L, t, k); break;
    }
}

}  // namespace mncc
