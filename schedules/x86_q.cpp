#include "schedules/x86_q.h"

#include <algorithm>

#include "lower/layers_q.h"

namespace mncc {

using namespace Halide;

namespace {

// int32 lanes, halved until they fit `extent`.
int lanes(const Target& t, int extent) {
    int v = t.natural_vector_size<int32_t>();
    while (v > 1 && v > extent) v /= 2;
    return v;
}

// Estimated one-thread time in microseconds: the layer's mult-adds at the rate
// its kind reaches (dot products about 300 GOP/s, the rest about 20) or its 8-bit
// activations at 25 GB/s, whichever is larger; unknown work (0) counts as large.
double estimated_micros(const LayerFunc& L) {
    if (L.mult_adds == 0 && L.io_bytes == 0) return 1e9;
    const bool dot = L.r.defined() && L.kind != KernelKind::Depthwise;
    return std::max(2.0 * double(L.mult_adds) / (dot ? 3e5 : 2e4), double(L.io_bytes) / 2.5e4);
}

// A parallel loop costs a fork and join on mncc's pool: layers under 2 us run
// serially (the float schedules' threshold, schedules/x86.cpp). Lowered from 12 us
// (depthwise) and 4 us once the pool kept each thread's rows on its core: synth
// 0.25/128 int8 at 2 threads 0.251 -> 0.214 ms (6 interleaved `mncc bench
// --threads 2 --runs 300` rounds, 2026-11-29).
bool worth_parallel(const LayerFunc& L) {
    return estimated_micros(L) >= 2.0;
}

// Bytes of the packed 8-bit weights of a dot-product layer.
int64_t weight_bytes(const LayerFunc& L) {
    int64_t n = L.out_c;
    for (int i = 0; i < L.r.dimensions(); ++i) n *= *as_const_int(L.r[i].extent());
    return n;
}

// Conv and pointwise: (cv x V) channels by xb pixels of int32 accumulators.
void schedule_conv(LayerFunc& L, const Target& t) {
    const int v = lanes(t, L.out_c);
    const int cv = std::max(1, std::min(t.has_feature(Target::AVX512) || t.arch == Target::ARM ? 4 : 2, L.out_c / v));
    const int xb = std::min(4, L.out_w);
    Var co("co"), ci("ci"), xo("xo"), xi("xi");
    L.output.split(L.c, co, ci, v * cv).split(L.x, xo, xi, xb).reorder(ci, xi, co, xo, L.y).vectorize(ci, v);
    if (L.out_h > 1 && worth_parallel(L)) L.output.parallel(L.y);
    L.acc.compute_at(L.output, co).vectorize(L.c, v).unroll(L.c).unroll(L.x);
    std::vector<VarOrRVar> order{L.c, L.x};
    for (int i = 0; i < L.r.dimensions(); ++i) order.push_back(L.r[i]);
    order.push_back(L.y);
    L.acc.update().reorder(order).vectorize(L.c, v).unroll(L.c).unroll(L.x);
}

// The input sums of a dot-product form (L.sum_f, where some weight shift s_w is
// not 0: uint8 weights, and int8 activations with the weights as vpdpbusd's
// unsigned operand): per pixel, the 4 bytes of a group and up to 16 groups as one
// vector (an atomic vector reduction) instead of a scalar loop over the channels.
void vectorize_input_sums(LayerFunc& L) {
    const int groups = *as_const_int(L.rs.y.extent());
    int g = 16;
    while (groups % g) g /= 2;
    Stage sums = L.sum_f.update();
    if (g > 1) {
        RVar go("go"), gi("gi");
        sums.split(L.rs.y, go, gi, g).reorder(L.rs.x, gi, go).atomic().vectorize(L.rs.x).vectorize(gi);
    } else {
        sums.atomic().vectorize(L.rs.x);
    }
}

// Pixels per VNNI register tile of 4 channel vectors (32 zmm): 7 (28 accumulators,
// 4 weight vectors, the broadcast and the 0x80 constant of the int8 -> u8 xor: 2
// accumulators spill, objdump) where it divides the row and the reduction has at
// least 128 taps, else the width in 4..6 that computes the fewest pixels
// (ShiftInwards recomputes a row's last tile), the wider on ties.
// Measured (synth 1.0/224 int8, 1 thread, per-layer medians of 5 interleaved
// rounds, 2026-11-29, loaded machine): 4 x 7 against 4 x 6 on 14x14 maps
// (K = 512) 0.74-0.87, 28x28 0.72-0.93, 7x7 0.87, 56x56 K = 128 0.98; but
// 112x112 K = 32 1.12 and 56x56 K = 64 1.08 (the tile's requantisation spills
// where the reduction is short).
int x_block(const LayerFunc& L) {
    const int taps = L.r.dimensions() ? int(weight_bytes(L) / L.out_c) : 0;
    if (L.out_w % 7 == 0 && taps >= 128) return 7;
    int best = std::min(4, L.out_w);
    for (int g = 5; g <= std::min(6, L.out_w); ++g)
        if ((L.out_w + g - 1) / g * g <= (L.out_w + best - 1) / best * best) best = g;
    return best;
}

// The dot-product accumulator, computed at `at`: vectors of v output channels, or in
// the pairs form (acc(h, c, ...)) of (h, c) lanes with v / 2 channels each. The update
// runs r.x (summed inside each lane by vpdpbusd / vpmaddwd), [h,] c, then `outer`
// (unrolling `unrolled_r`); c and `unrolled` are unrolled in both stages.
void schedule_dot_acc(LayerFunc& L, int v, const LoopLevel& at, const std::vector<VarOrRVar>& outer,
                      const std::vector<RVar>& unrolled_r, const std::vector<Var>& unrolled) {
    const bool pairs = pairs_form(L);
    const int channels = pairs ? v / 2 : v;
    const Var h = L.acc.args()[0];   // the pair dimension in the pairs form
    L.acc.compute_at(at);
    if (pairs) L.acc.vectorize(h);
    L.acc.vectorize(L.c, channels).unroll(L.c);
    for (const Var& u : unrolled) L.acc.unroll(u);
    std::vector<VarOrRVar> order{L.r.x};
    if (pairs) order.push_back(h);
    order.push_back(L.c);
    order.insert(order.end(), outer.begin(), outer.end());
    Stage update = L.acc.update();
    update.reorder(order);
    for (const RVar& u : unrolled_r) update.unroll(u);
    update.atomic().vectorize(L.r.x);
    if (pairs) update.vectorize(h);
    update.vectorize(L.c, channels).unroll(L.c);
    for (const Var& u : unrolled) update.unroll(u);
}

// The dot-product form (layers_q.h, DotProducts): the 4 channels of r.x reduce
// atomically inside each int32 lane (vpdpbusd, sdot); the input sums are
// computed per row (once for the whole map with co tiles outermost). A small window
// (the first layer's 3x3) is unrolled.
// Register tile: 4 channel vectors by x_block pixels with AVX-512 VNNI (vpdpbusd),
// 4 x 4 for the other forms elsewhere (arm64 unmeasured).
// Without VNNI x86 takes the pairs form (DotProducts::U8xI8Pairs): acc(h, c, ...)
// vectors hold (h, c) lanes, half a vector of channels, so each vpmaddwd adds
// straight into an accumulator. Before, the 4-channel form split every step into
// two vpmaddwd and deinterleaved their results (vshufps + vpermpd per 8 outputs)
// and its 4 x 4 tile spilled. Tile: 2 output-channel vectors (4 accumulator
// vectors) by 3 pixels on AVX2 (12 of 16 ymm; by 4 spilled: 26.3 ms), by x_block
// on AVX-512. Synth 1.0/224 int8, 1 thread, `mncc bench --runs 10` (2026-11-29):
// x86-64-avx2 28-31 -> 18.6 ms (14x14x512 pointwise 2.5 -> 1.27 ms, 81 GOP/s),
// x86-64-avx512 (no VNNI) 15.9 -> 11.9 ms.
// Weights above 256 KiB (the 7x7 layers) are walked with output-channel tiles
// outermost, each tile's weights reused over the whole map, and the channel
// tiles are the parallel loop (7x7x1024 -> 1024 at 1 thread, one run each: 0.39
// ms with rows outermost and 4 x 4 tiles, 0.34 co-outer with 4 x 6; 0.21 against
// 0.24 in the final interleaved comparison with 4 x 7). Weights packed as [taps / 4][co][4] (layers_q.cpp):
// a tile reads 256 contiguous bytes per step; repacking them as [co / 64][taps / 4]
// [64][4] (c % 64 in the index) made LLVM rebuild weight vectors with inserts
// and spill more (objdump), so not done.
void schedule_dot(LayerFunc& L, const Target& t) {
    const int v = lanes(t, L.out_c);
    const bool pairs = pairs_form(L);
    const int cv = pairs ? std::max(1, std::min(2, L.out_c / v)) : std::max(1, std::min(4, L.out_c / v));
    const int xb = t.has_feature(Target::AVX512_SapphireRapids) || (pairs && t.has_feature(Target::AVX512)) ? x_block(L)
                   : std::min(pairs ? 3 : 4, L.out_w);
    const bool co_outer = L.kind == KernelKind::Pointwise && weight_bytes(L) > 256 * 1024;
    Var co("co"), ci("ci"), xo("xo"), xi("xi");
    L.output.split(L.c, co, ci, v * cv, TailStrategy::ShiftInwards)
        .split(L.x, xo, xi, xb, TailStrategy::ShiftInwards)
        .vectorize(ci, v)
        .unroll(ci)
        .unroll(xi);
    if (co_outer) {
        L.output.reorder(ci, xi, xo, L.y, co);
        if (L.out_c > v * cv && worth_parallel(L)) L.output.parallel(co);
        if (L.sum_f.defined()) L.sum_f.compute_root();   // once, not per channel tile
    } else {
        L.output.reorder(ci, xi, xo, co, L.y);
        if (L.out_h > 1 && worth_parallel(L)) L.output.parallel(L.y);
        if (L.sum_f.defined()) L.sum_f.compute_at(L.output, L.y);
    }
    if (L.sum_f.defined()) vectorize_input_sums(L);
    if (L.kind == KernelKind::Conv)
        schedule_dot_acc(L, v, LoopLevel(L.output, xo), {L.x, L.r.y, L.r.z, L.r.w, L.y}, {L.r.z, L.r.w}, {L.x});
    else
        schedule_dot_acc(L, v, LoopLevel(L.output, xo), {L.x, L.r.y, L.y}, {}, {L.x});
}

// FC in the dot-product form: 4 independent vectors of output channels, the
// channel tiles in parallel when the layer is large enough.
void schedule_fc_dot(LayerFunc& L, const Target& t) {
    const int v = lanes(t, L.out_c);
    const int cv = std::max(1, std::min(4, L.out_c / v));
    Var co("co"), ci("ci");
    L.output.split(L.c, co, ci, v * cv, TailStrategy::ShiftInwards).vectorize(ci, v).unroll(ci);
    if (L.out_c > v * cv && worth_parallel(L)) L.output.parallel(co);
    if (L.sum_f.defined()) {
        L.sum_f.compute_root();
        vectorize_input_sums(L);
    }
    schedule_dot_acc(L, v, LoopLevel(L.output, co), {L.r.y}, {}, {});
}

// Depthwise: one int32 vector of channels by 4 pixels by 2 rows per tile, the
// window unrolled (a 3x3 stride-1 tile reads 4 input rows, not 2 x 3); products
// in 16 bits, summed in 16 bits while exact (layers_q.cpp). Measured (synth
// 1.0/224 int8, host, 1 thread, per-layer medians of 5 interleaved rounds,
// 2026-11-29): the 16-bit partial sums (vpmullw + vpaddw, a widening per 2 taps
// instead of 32-bit vpmulld per tap) 0.81-0.85x the time on every depthwise layer;
// 32-lane vectors (one zmm of int16) on top 1.04-1.12x slower than 16 lanes.
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
    if (L.out_h > tile_y && worth_parallel(L)) L.output.parallel(yo);
}

void schedule_elementwise(LayerFunc& L, const Target& t) {
    L.output.vectorize(L.c, lanes(t, L.out_c));
    if (L.out_h > 1 && worth_parallel(L)) L.output.parallel(L.y);
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
