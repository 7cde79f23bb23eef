#include "schedules/x86.h"

#include <algorithm>

namespace mncc {

using namespace Halide;

namespace {

const KnobDecl kVectorWidth{"vector_width", 0, {0, 4, 8, 16}, "f32 lanes; 0 = the target's natural vector size"};
const KnobDecl kRowsPerTask{"rows_per_task", 1, {1, 2, 4, 8}, "output rows (row tiles) per parallel task"};
const KnobDecl kParallel{"parallel", -1, {-1, 0, 1},
                          "1: parallel loop over rows or channel tiles, 0: serial, -1: parallel when the "
                          "layer's estimated one-thread time is at least 2 us"};
constexpr double kParallelMinMicros = 2;   // see in_parallel
const KnobDecl kFuse{"fuse", -1, {-1, 0, 1},
                     "1: absorb the producing depthwise layer (when this layer is its only consumer) and "
                     "compute it inside this layer's pixel tiles, one kernel; 0: two kernels; -1: fuse when "
                     "this layer's weights fit 128 KiB"};
constexpr int64_t kFuseMaxWeightBytes = 128 * 1024;
const KnobDecl kCoOuter{"co_outer", -1, {-1, 0, 1},
                        "1: output-channel tiles outermost (parallel over them), 0: rows outermost, "
                        "-1: 1 when the weights exceed 1 MiB, or 256 KiB with the map in one flat band"};

// Lanes actually used: the knob (or the natural size), halved until it fits `extent`.
int lanes(const Target& t, const Knobs& k, int extent) {
    int v = k.at("vector_width") ? k.at("vector_width") : t.natural_vector_size<float>();
    while (v > 1 && v > extent) v /= 2;
    return v;
}

// A parallel loop costs a fork and a join in Halide's thread pool (waking or
// signalling the worker, claiming each task under one mutex): below a few
// microseconds of work two threads are slower than one. Measured at 2 threads
// (synth 0.25/128, per-layer minimum over 7 interleaved rounds, 2026-11-29):
// depthwise layers of 1.1-1.7 us serial took 1.5-2.0 us in parallel, those of
// 2-3 us broke even, and everything from 5 us up gained (pointwise 8x8x128
// 17 us -> 13 us, FC 36 us -> 23 us). Many small tasks (one row each) balance
// the threads better than a few large ones: 8 tasks of 14 rows made the first
// conv of 1.0/224 take 0.22 ms instead of 0.14 ms, the worker joining late.
// Estimated one-thread time: the larger of the layer's FMAs at 100 GFLOP/s and
// its activations at 25 GB/s (synth layers measured 40-170 GFLOP/s and
// 20-45 GB/s); unknown work (0) counts as large.
double estimated_micros(const LayerFunc& L) {
    if (L.mult_adds == 0 && L.io_bytes == 0) return 1e9;
    return std::max(2.0 * double(L.mult_adds) / 1e5, double(L.io_bytes) / 2.5e4);
}

// Every kind runs in parallel from an estimated 2 us. Depthwise layers are
// memory-bound and read what the previous layer wrote: serial, half of their input
// comes from the other core's cache. With Halide's pool (a wake-up per loop) only
// depthwise layers from about 64 us gained, with mncc's pool from about 12 us, and
// since the pool gives each thread the same rows in consecutive layers
// (runtime/mncc_thread_pool.h) the small ones gain too: synth 0.25/128 at 2 threads
// (6 interleaved `mncc bench --threads 2 --runs 300` rounds, 2026-11-29) 0.255 ->
// 0.232 ms with the thresholds lowered from 12 us (depthwise) and 4 us (the rest)
// to 2 us; all layers in parallel (parallel = 1) 0.245 against 0.240 at 2 us.
bool in_parallel(const LayerFunc& L, const Knobs& k) {
    const int p = k.at("parallel");
    return p == 1 || (p == -1 && estimated_micros(L) >= kParallelMinMicros);
}

void parallel_rows(LayerFunc& L, const Knobs& k) {
    if (L.out_h > 1 && in_parallel(L, k)) L.output.parallel(L.y, std::min(k.at("rows_per_task"), L.out_h));
}

// Conv and pointwise: a register-blocked accumulator of (co_vectors x V) channels
// by x_block pixels, computed at the innermost tile loop and fully unrolled, with
// the reduction (over input channels, then the window) outside the tile. Loop nest:
// co tiles outside x tiles within a row, so one co tile's weights stay in cache
// across the row while the input row streams (see co_outer for large weights).
// Measured (mncc bench, synth 1.0/224, 1 thread, AVX-512, per-layer CPU time on
// the shared 2-core machine under load, FMA peak measured 178-184 GFLOP/s):
// pointwise 4x6 zmm tiles on packed weights 82-88% of peak in the 14x14..56x56
// layers, 62-69% on 112x112 (32 input channels) and 7x7 (tile tails); first
// conv 68%; network 8.6-12 ms CPU time (was 12-17 ms with 2x6 tiles on
// unpacked weights, rows outermost). No spills in the pointwise inner loops
// (checked with objdump on the generated library).
// With large weights (the 7x7 layers: 1024x1024 is 4 MiB) rows-outer re-streams
// all weights from memory for every row, 40% of the network's time; co tiles
// outermost keep one tile's weights in cache over the whole map instead.
// Measured (synth 1.0/224, 1 thread): the 1024x1024 7x7 layer went from 6.3 ms
// (9% of peak) with rows outer to 1.4 ms, then 0.9 ms with 4x6 tiles.
int64_t weight_bytes(const LayerFunc& L) {
    int64_t n = int64_t(L.out_c) * 4;
    for (int i = 0; i < L.r.dimensions(); ++i) n *= *as_const_int(L.r[i].extent());
    return n;
}

int vector_registers(const Target& t) { return t.has_feature(Target::AVX512) ? 32 : 16; }

constexpr int64_t kFlatMaxBytes = 16 * 1024;   // see schedule_pointwise_flat

// Whether one channel tile's whole output map fits one flat band (the 7x7 layers).
bool whole_map_in_one_band(const LayerFunc& L, int tile_c) {
    return int64_t(tile_c) * L.out_w * L.out_h * 4 <= kFlatMaxBytes;
}

// co_outer -1: output-channel tiles outermost where rows outermost would stream
// more weights than the core's L2 keeps beside the activations (over 1 MiB, the
// 7x7 layers of 1.0/224), and where the weights exceed 256 KiB and one tile's
// whole map fits one flat band (pointwise then uses the flat schedule). Rows
// outermost splits a layer's rows between the threads like the depthwise layers
// around it, so each core reads the rows it wrote. Measured (synth 1.0/224,
// `mncc bench --keep` programs run alternately, 8 rounds each, 2026-11-29): the
// 14x14 layers (1 MiB of weights) with rows outermost instead of channel tiles, at
// 2 threads network median 5.04 -> 4.81 and 4.93 -> 4.45 ms in two runs, those
// pointwise layers 0.92-1.01x and the depthwise layers between them 0.73-0.78x;
// at 1 thread within noise. The network then takes what its layers take alone.
bool co_outer(const LayerFunc& L, const Knobs& k, int tile_c) {
    const int knob = k.at("co_outer");
    if (knob != -1) return knob == 1;
    const int64_t w = weight_bytes(L);
    return w > 1024 * 1024 || (w > 256 * 1024 && whole_map_in_one_band(L, tile_c));
}

// co_vectors 0 = auto: 4 vectors with 32 registers (4 x 6 accumulators + 4 weights +
// 1 broadcast = 29 zmm), else 2 (2 x 6 + 2 + 1 = 15 ymm).
int co_vectors(const Target& t, const Knobs& k) {
    return k.at("co_vectors") ? k.at("co_vectors") : vector_registers(t) >= 32 ? 4 : 2;
}

void schedule_conv(LayerFunc& L, const Target& t, const Knobs& k) {
    const int v = lanes(t, k, L.out_c);
    const int tile_c = v * std::clamp(co_vectors(t, k), 1, std::max(1, L.out_c / v));
    // A tile width that does not divide the row recomputes pixels (ShiftInwards): 6 on
    // a 7-wide map computes 12 for 7. Grow it by up to 2 to a divisor while the
    // accumulators still fit the register file (32 zmm, else 16) beside the weights.
    // Registers: cv x tile_x accumulators, cv weight vectors, one broadcast; a
    // knob combination that does not fit is narrowed rather than left to spill.
    const int regs = vector_registers(t), cv = tile_c / v;
    int tile_x = std::clamp(std::min(k.at("x_block"), (regs - 1) / cv - 1), 1, L.out_w);
    // row_fit >= 1 does not reserve the broadcast register, hoping for broadcast memory
    // operands; LLVM 14 keeps it in a register, so 4 x 7 spills 2 accumulators (objdump)
    // and measured within noise of the default: a tuner's choice, not a default.
    const int row_fit = k.count("row_fit") ? k.at("row_fit") : 0;
    const int spare = row_fit ? 0 : 1;
    for (int g = tile_x; g <= tile_x + 2 && L.out_w % tile_x != 0; ++g)
        if (L.out_w % g == 0 && cv * (g + 1) + spare <= regs) tile_x = g;
    Var co("co"), ci("ci"), xo("xo"), xi("xi");
    L.output.tile(L.c, L.x, co, xo, ci, xi, tile_c, tile_x, TailStrategy::ShiftInwards)
        .vectorize(ci, v)
        .unroll(ci)
        .unroll(xi);
    if (co_outer(L, k, tile_c)) {
        L.output.reorder(ci, xi, xo, L.y, co);
        if (L.out_c > tile_c && in_parallel(L, k)) L.output.parallel(co);
    } else {
        L.output.reorder(ci, xi, xo, co, L.y);
        parallel_rows(L, k);
    }
    L.acc.compute_at(L.output, xo).vectorize(L.c, v).unroll(L.c).unroll(L.x);
    std::vector<VarOrRVar> order{L.c, L.x};
    for (int i = 0; i < L.r.dimensions(); ++i) order.push_back(L.r[i]);
    order.push_back(L.y);
    L.acc.update().reorder(order).vectorize(L.c, v).unroll(L.c).unroll(L.x);
}

// Pointwise over flat pixels (flat knob): per output-channel tile (the outer,
// parallel loop) and band of rows, the band is computed into a stack buffer with
// register tiles of co_vectors x x_block over p = x + y * width, then copied to
// the output. Tiles no longer stop at row ends: 6-pixel tiles on a 7x7 map
// compute 54 pixels for 49 instead of 84; on 14x14 (bands of 2 rows) 210 for 196
// instead of 252. A band is the most rows dividing the height whose buffer fits
// kFlatMaxBytes: Halide 14 puts larger allocations on the heap even with
// MemoryType::Stack (with the former 32 KiB, a 9x9 or 10x10 map of 64 channels,
// MobileNet at 288 or 320 pixels, called halide_malloc on every call).
// Measured (synth 1.0/224, AVX-512, per-layer medians over 9-15 interleaved
// rounds against row tiles, 2026-11-29, loaded machine): the 7x7 layers (whole
// map in one band) 10-17% faster at 1 thread (Conv2d_13_pointwise fastest round
// 0.83 -> 0.72 ms: 143 GFLOP/s of useful FMAs, 157 counting the tile overlap,
// 78-86% of the measured 183 GFLOP/s peak) and 3-16% at 2 threads; the network
// 2.3% faster at 1 thread (paired median of 15 rounds), 3% at 2 threads. The
// 14x14 layers were within noise at 1 thread (-1..+3%) and up to 5%
// slower at 2 threads with bands of 7 rows, so the default applies flat only
// where the whole map fits one band (7x7); the knob offers it everywhere.
void schedule_pointwise_flat(LayerFunc& L, const Target& t, const Knobs& k) {
    const int v = lanes(t, k, L.out_c), cv = k.at("co_vectors"), tile_c = v * cv;
    int band = L.out_h;
    while (band > 1 && (L.out_h % band != 0 || int64_t(tile_c) * band * L.out_w * 4 > kFlatMaxBytes)) --band;
    const int tile_x = std::clamp(std::min(k.at("x_block"), (vector_registers(t) - 1) / cv - 1), 1, band * L.out_w);
    Var co("co"), ci("ci"), yo("yo"), yi("yi"), po("po"), pi("pi");
    L.output.split(L.c, co, ci, tile_c)
        .split(L.y, yo, yi, band)
        .reorder(ci, L.x, yi, yo, co)
        .vectorize(ci, v)
        .unroll(ci);
    if (L.out_c > tile_c && in_parallel(L, k)) L.output.parallel(co);
    L.flat.compute_at(L.output, yo)
        .store_in(MemoryType::Stack)
        .split(L.p, po, pi, tile_x, TailStrategy::ShiftInwards)
        .reorder(L.c, pi, po)
        .vectorize(L.c, v)
        .unroll(L.c)
        .unroll(pi);
    L.acc.compute_at(L.flat, po).vectorize(L.c, v).unroll(L.c).unroll(L.p);
    L.acc.update().reorder(L.c, L.p, L.r.x).vectorize(L.c, v).unroll(L.c).unroll(L.p);
}

// K-blocked pointwise (k_block knob), GEMM kc-blocking as in BLIS: the reduction
// over the K input channels is split into chunks of kc, and each chunk's weight
// sliver (kc x tile_c floats, 32 KiB for 128 x 64) stays in L1 while all register
// tiles of a band of rows use it, instead of each tile streaming all K x tile_c
// weights from L2 (128 KiB for K = 512: at the FMA peak that is ~21 B/cycle, about
// what this core's L2 delivers to one thread). Per output-channel tile (the outer,
// parallel loop) and band of rows, acc holds the band's sums over flat pixels in a
// stack buffer, starting from the bias; per chunk (outermost) and register tile of
// co_vectors x x_block pixels, the rfactor'd stage sums the chunk from zero in
// registers and acc adds it. The sum is bias + chunk 0 + chunk 1 + ..., one fixed
// order whatever the thread count. A band's last tile is rounded up (pixels past
// the map are clamped reads, see pack_pointwise_weights) and the last band shifted
// inwards (its rows recomputed from scratch, so overlaps store equal values).
// Measured (2026-11-29, 1 thread, CPU time, the 2-core AVX-512 VM with the other
// core busy; inner loop 4 weight loads + 6 broadcasts + 24 FMAs, no spills):
// no gain, so off by default. Synth 1.0/224 through `mncc bench` programs run
// alternately 15 times, k_block -1 against the default, per-layer paired ratios:
// 14x14x512->512 0.97-1.02, 14x14 256->512 1.01, 28x28 256->256 1.01, 7x7 0.99-1.01;
// at 2 threads (11 rounds, wall time) 0.94-1.05, unchanged layers 0.90-1.00. One
// layer JIT-compiled and timed alone (15-25 interleaved rounds of 40 calls):
// 14x14x512->512 chunks of 128 0.98-1.04, of 64 0.92-1.05, of 256 1.05; 7x7x1024
// ->1024 and 7x7x512->1024 1.02. The default tiles recompute 28% of the 14x14
// pixels (6-wide tiles on 14-wide rows) and stream each tile's 128 KiB weight
// sliver from L2; chunks of 128 recompute 7% with L1-resident weights, flat tiles
// (bands of 7 rows) 4% and 2 x 14 tiles (row_fit 2) none, both streaming from L2
// (same runs: 0.99-1.01 and 0.96-1.05). Recomputed pixels do cost (14 rows of
// 512 -> 64 channels: 14-wide 111 us, 18-wide 109, 12-wide 79), but the variants
// avoiding them were about as much slower per computed pixel (K-blocked 0.966
// there); why is open (no hardware counters in this VM). The knob stays for the
// tuner (other caches, other devices).
constexpr int64_t kKBlockL1Bytes = 32 * 1024;   // weight chunk budget of k_block -1
// The tile loop of a band is unrolled: a band's start pixel is a multiple of the
// row, so each tile's pixel offsets become constants. With the loop, Halide writes
// (po + 7 * yo) * 6 for the pixel and keeps p % w, p / w in the reduction loop,
// which LLVM 14 turned into per-iteration vector index arithmetic (vpextrq before
// every broadcast): 1.7x slower. At most this many tiles per band (code size).
constexpr int kKBlockMaxTiles = 16;

struct KBlock {
    int kc = 0, band = 0, tile_x = 0;   // kc 0: no blocking
};

// Input channels per chunk: the knob (-1: the most whose chunk of tile_c channels
// fits kKBlockL1Bytes), lowered to a divisor of K; rows per band: the fewest
// computed pixels (bands rounded up to whole tiles, times the bands) among the
// bands whose buffer fits kFlatMaxBytes in at most kKBlockMaxTiles tiles,
// then the most rows. No blocking when that leaves one chunk, chunks under 16
// channels or no band fits.
KBlock k_block(const LayerFunc& L, const Target& t, const Knobs& k, int tile_c) {
    const int knob = k.at("k_block"), K = *as_const_int(L.r.x.extent()), cv = k.at("co_vectors");
    KBlock b;
    if (knob == 0) return b;
    int kc = int(std::min<int64_t>(K, knob > 0 ? knob : kKBlockL1Bytes / (int64_t(tile_c) * 4)));
    while (kc > 1 && K % kc != 0) --kc;
    if (kc >= K || kc < 16) return b;
    const int tile_x = std::clamp(std::min(k.at("x_block"), (vector_registers(t) - 1) / cv - 1), 1, L.out_w * L.out_h);
    int64_t best = 0;
    for (int rows = 1; rows <= L.out_h; ++rows) {
        const int64_t px = (int64_t(rows) * L.out_w + tile_x - 1) / tile_x * tile_x;
        const int64_t total = px * ((L.out_h + rows - 1) / rows);
        const bool fits = px * tile_c * 4 <= kFlatMaxBytes && px / tile_x <= kKBlockMaxTiles;
        if (fits && (best == 0 || total <= best)) best = total, b.band = rows;
    }
    if (b.band) b.kc = kc, b.tile_x = tile_x;
    return b;
}

void schedule_pointwise_kblock(LayerFunc& L, const Target& t, const Knobs& k, const KBlock& b) {
    const int v = lanes(t, k, L.out_c), tile_c = v * k.at("co_vectors");
    Var co("co"), ci("ci"), yo("yo"), yi("yi"), po("po"), pi("pi"), ko("ko");
    RVar ro("ro"), ri("ri");
    L.output.split(L.c, co, ci, tile_c)
        .split(L.y, yo, yi, b.band, TailStrategy::ShiftInwards)
        .reorder(ci, L.x, yi, yo, co)
        .vectorize(ci, v)
        .unroll(ci);
    if (L.out_c > tile_c && in_parallel(L, k)) L.output.parallel(co);
    L.acc.compute_at(L.output, yo).store_in(MemoryType::Stack).vectorize(L.c, v).unroll(L.c);
    Func part = L.acc.update().split(L.r.x, ro, ri, b.kc).rfactor(ro, ko);
    L.acc.update()
        .split(L.p, po, pi, b.tile_x, TailStrategy::RoundUp)
        .reorder(L.c, pi, po, ro)
        .vectorize(L.c, v)
        .unroll(L.c)
        .unroll(pi)
        .unroll(po);
    part.compute_at(L.acc, po).vectorize(L.c, v).unroll(L.c).unroll(L.p);
    part.update().reorder(L.c, L.p, ri).vectorize(L.c, v).unroll(L.c).unroll(L.p);
}

// Pointwise: as conv, on weights packed at compile time into the register tile's
// layout (lower/layers.h); the tile's channel count is shrunk until it divides
// out_c, so tiles never straddle a packed block.
void schedule_pointwise(LayerFunc& L, const Target& t, const Knobs& k) {
    const int v = lanes(t, k, L.out_c);
    int cv = std::clamp(co_vectors(t, k), 1, std::max(1, L.out_c / v));
    while (cv > 1 && L.out_c % (v * cv) != 0) --cv;
    // row_fit 2: tiles that divide the row exactly. A width that is no multiple of
    // the tile recomputes pixels (ShiftInwards: 6 on a 7-wide row computes 12, on 14
    // computes 18); among the channel-vector counts that divide out_c, take the tile
    // of cv x g accumulators (g dividing the row, fitting the registers) with the most
    // accumulators, e.g. 2 x 14 on 14..112-wide maps and 2 x 7 on 7-wide maps.
    // Measured (synth 1.0/224, 1 thread, paired ratios over 5 interleaved rounds):
    // 0.96-1.04 per layer, the 7x7 layers 1.02-1.03, so off by default; the 7x7
    // layers are bound by streaming their weights, not by the recomputed pixels.
    Knobs kk = k;
    if (k.at("row_fit") == 2) {
        const int regs = vector_registers(t);
        int best_cv = cv, best_g = 0;
        for (int c = cv; c >= 1; --c) {
            if (L.out_c % (v * c) != 0) continue;
            for (int g = std::min((regs - 1) / c - 1, L.out_w); g >= 1; --g)
                if (L.out_w % g == 0) {
                    if (c * g > best_cv * best_g) best_cv = c, best_g = g;
                    break;
                }
        }
        if (best_g > 0) cv = best_cv, kk["x_block"] = best_g;
    }
    kk["co_vectors"] = cv;
    const int tile_c = v * cv;
    const bool packed = L.out_c % tile_c == 0;
    const bool flat_fits = int64_t(tile_c) * L.out_w * 4 <= kFlatMaxBytes && L.out_w * L.out_h > 1;
    const bool flat = packed && flat_fits &&
                      (k.at("flat") == 1 || (k.at("flat") == -1 && co_outer(L, kk, tile_c) && whole_map_in_one_band(L, tile_c)));
    const KBlock kb = packed ? k_block(L, t, kk, tile_c) : KBlock{};
    if (packed) pack_pointwise_weights(L, tile_c, flat || kb.kc > 0);
    if (kb.kc)
        schedule_pointwise_kblock(L, t, kk, kb);
    else if (flat)
        schedule_pointwise_flat(L, t, kk);
    else
        schedule_conv(L, t, kk);
}

// Fused depthwise -> pointwise (fuse knob, lower_fused): per row and block of
// pixels, the depthwise stage computes all its channels for the block into a stack
// buffer (vectorised over channels, 4 pixels unrolled so neighbouring windows share
// loads), then per output-channel tile the block's register tiles (as
// schedule_conv's, on packed weights) reduce over it, so a tile's weight sliver is
// reused from L1 across the block. Loop nest: rows { pixel blocks { dw block;
// co tiles { register tiles } } }; each depthwise value is computed once (tails
// shifted inwards recompute equal values). A block is the most whole register tiles
// whose buffer fits kFlatMaxBytes (Halide 14 moves larger stack allocations to the
// heap): 32 channels take a 112-pixel row, 128 take 30 pixels, 1024 take 4 (tile_x
// shrinks to fit). co_outer, flat, k_block and row_fit do not apply.
// Measured (synth 1.0/224, AVX-512, `mncc bench --runs 30 --keep` timing programs
// of {"pointwise": {"fuse": F}} and {"fuse": 0} run alternately, per-pair ratios
// fused / (dw + pw) of per-layer medians, 2026-11-29, 2-core VM shared):
// - fuse -1 (the 4 pairs with pointwise weights up to 128 KiB, 112..28-pixel maps),
//   9 rounds: 1 thread (CPU time) 0.97, 0.96, 1.00, 0.99 (rounds 0.93-1.10), network
//   7.81 vs 7.90 ms, paired 1.00 (0.97-1.03); 2 threads 0.94-1.00, network 0.98
//   (0.68-1.01, noisy).
// - The default is -1 since the pool keeps rows on their core: a fused pair is one
//   fork/join instead of two, which is what small networks at 2 threads pay for.
//   Synth 0.25/128 (12 of its 13 pairs fuse), 2 threads, timing programs of -1 and
//   0 run alternately (`mncc bench --keep`, 300 runs each): 8 rounds median 0.2025
//   vs 0.22 ms; 12 more rounds (2026-11-29 13:40, host noisy: medians swing
//   0.16-0.36 ms in both) min 0.149-0.252 vs 0.182-0.252 ms, the fused min lower in
//   10 of 12. 1 thread 1.00 (min 0.246-0.250 vs 0.240-0.249); 1.0/224 (4 pairs)
//   0.98-1.02 at 1 and 2 threads. arm64 keeps 0 (schedules/arm64.cpp).
// - fuse 1 on all 13 pairs: the larger-weight pairs lose (28x28x256 1.21; 5 rounds
//   of the form without the unrolled depthwise pixels: 14x14x512 1.24-1.66, 7x7x1024
//   2.35; network 1.38): their pointwise layers run co tiles outermost unfused
//   (co_outer); fused, every block re-reads all weights.
// - Without the unrolled depthwise pixels the small pairs were 1.08-1.14; pixel tiles
//   of one register tile (rows { xo { dw tile; co tiles } }) 1.02-1.11; blocks of 2
//   rows (half the pixels per block) 1.01-1.23.
// The depthwise output the two kernels exchange (at most 1.6 MB) stays in this
// machine's 2 MiB L2, so fusion saves little (halide14-measured.md: 0-2%).
void schedule_fused(LayerFunc& L, const Target& t, const Knobs& k) {
    const int v = lanes(t, k, L.out_c);
    int cv = std::clamp(co_vectors(t, k), 1, std::max(1, L.out_c / v));
    while (cv > 1 && L.out_c % (v * cv) != 0) --cv;
    const int tile_c = v * cv;
    int tile_x = std::clamp(std::min(k.at("x_block"), (vector_registers(t) - 1) / cv - 1), 1, L.out_w);
    while (tile_x > 1 && int64_t(L.dw_c) * tile_x * 4 > kFlatMaxBytes) --tile_x;
    // Pixels per depthwise block: the most whole register tiles whose buffer fits.
    const int block = std::min(L.out_w, std::max(tile_x, int(kFlatMaxBytes / (int64_t(L.dw_c) * 4)) / tile_x * tile_x));
    if (L.out_c % tile_c == 0) pack_pointwise_weights(L, tile_c, false);
    Var co("co"), ci("ci"), xb("xb"), xr("xr"), xo("xo"), xi("xi"), dco("dco"), dci("dci"), dxo("dxo"), dxi("dxi");
    L.output.split(L.x, xb, xr, block, TailStrategy::ShiftInwards)
        .split(xr, xo, xi, tile_x, TailStrategy::ShiftInwards)
        .split(L.c, co, ci, tile_c, TailStrategy::ShiftInwards)
        .reorder(ci, xi, xo, co, xb, L.y)
        .vectorize(ci, v)
        .unroll(ci)
        .unroll(xi);
    parallel_rows(L, k);
    L.acc.compute_at(L.output, xo).vectorize(L.c, v).unroll(L.c).unroll(L.x);
    L.acc.update().reorder(L.c, L.x, L.r.x, L.y).vectorize(L.c, v).unroll(L.c).unroll(L.x);
    const int dv = lanes(t, k, L.dw_c);
    L.dw.compute_at(L.output, xb)
        .store_in(MemoryType::Stack)
        .split(L.c, dco, dci, dv, TailStrategy::ShiftInwards)
        .split(L.x, dxo, dxi, std::min(4, block), TailStrategy::ShiftInwards)
        .reorder(dci, dxi, dco, dxo)
        .vectorize(dci)
        .unroll(dxi);
}

// Depthwise: (c_vectors x V) channels by x_block pixels by y_block rows per tile,
// the window unrolled in the algorithm; memory-bound, so channels stay innermost.
// Measured (synth 1.0/224, 1 thread, CPU time, all 13 layers): 1x4 pixels
// 0.84-1.07 ms (13-43% of peak per layer), 2x4 0.91-1.02, 1x8 1.05-1.08,
// 2x8 1.25-1.32, 4x4 1.42-1.54: wider tiles only add register pressure.
// Two rows per tile (y_block 2: a 3x3 stride-1 tile reads 4 input rows, not
// 2 x 3): each stride-1 layer 16-21% faster (paired ratios 0.79-0.84 over 5
// interleaved rounds, 2026-11-29), stride 2 unchanged (0.93-1.11, noise); 4 rows
// 0.80-1.01 (14-row maps waste 2 of 16 rows).
void schedule_depthwise(LayerFunc& L, const Target& t, const Knobs& k) {
    const int v = lanes(t, k, L.out_c);
    const int tile_c = v * std::clamp(k.at("c_vectors"), 1, L.out_c / v);
    const int tile_x = std::min(k.at("x_block"), L.out_w);
    const int tile_y = std::min(k.at("y_block"), L.out_h);
    Var co("co"), ci("ci"), xo("xo"), xi("xi");
    L.output.tile(L.c, L.x, co, xo, ci, xi, tile_c, tile_x, TailStrategy::ShiftInwards)
        .vectorize(ci, v)
        .unroll(ci)
        .unroll(xi);
    if (tile_y > 1) {
        // Several output rows per tile: with stride 1 the rows' windows overlap, and
        // the unrolled tile loads each shared input row once (LLVM merges the loads).
        Var yo("yo"), yi("yi");
        L.output.split(L.y, yo, yi, tile_y, TailStrategy::ShiftInwards).reorder(ci, xi, yi, co, xo, yo).unroll(yi);
        const int row_tiles = (L.out_h + tile_y - 1) / tile_y;
        if (row_tiles > 1 && in_parallel(L, k)) L.output.parallel(yo, std::min(k.at("rows_per_task"), row_tiles));
    } else {
        parallel_rows(L, k);
    }
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
    if (L.out_c > tile_c && in_parallel(L, k)) L.output.parallel(co);
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
        kRowsPerTask, kCoOuter, kParallel};
    static const std::vector<KnobDecl> pointwise{
        kVectorWidth,
        {"co_vectors", 0, {0, 1, 2, 3, 4}, "output-channel vectors per accumulator tile; 0 = by register file"},
        {"x_block", 6, {1, 2, 4, 6, 8}, "output pixels per accumulator tile"},
        kRowsPerTask, kCoOuter,
        {"row_fit", 0, {0, 1, 2},
         "1: let the tile grow to a divisor of the row without a spare broadcast register; "
         "2: the cv x g tile with g dividing the row and the most accumulators"},
        {"flat", -1, {-1, 0, 1},
         "1: register tiles over bands of rows as one pixel dimension, one channel tile at a time "
         "(when a row of the tile fits 16 KiB), 0: tiles within rows, -1: 1 with co tiles outermost "
         "when the tile's whole map fits 16 KiB (7x7 maps)"},
        {"k_block", 0, {0, -1, 64, 128, 256},
         "input channels per reduction chunk, each chunk's weights reused from L1 by all register tiles "
         "of a band of rows (co_outer and flat then do not apply); 0: whole reduction per tile, -1: the "
         "most whose tile_c x chunk weights fit 32 KiB"},
        kFuse, kParallel};
    static const std::vector<KnobDecl> depthwise{
        kVectorWidth,
        {"c_vectors", 1, {1, 2, 4}, "channel vectors per tile"},
        {"x_block", 4, {1, 2, 4, 8}, "output pixels per tile"},
        {"y_block", 2, {1, 2, 4}, "output rows per tile (unrolled; overlapping windows share loads)"},
        kRowsPerTask, kParallel};
    static const std::vector<KnobDecl> pool{kVectorWidth, kRowsPerTask, kParallel};
    static const std::vector<KnobDecl> fc{
        kVectorWidth, {"co_vectors", 4, {1, 2, 4, 8}, "output vectors per accumulator tile and task"},
        kParallel};
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

bool x86_fuse(const Graph& g, const Node& pw, const Knobs& k) {
    const int f = k.at("fuse");
    return (f == 1 || (f == -1 && num_elements(pw.weights.shape) * 4 <= kFuseMaxWeightBytes)) &&
           fusable_depthwise(g, pw) >= 0;
}

const std::set<std::string>& x86_fused_ignored_knobs() {
    static const std::set<std::string> ignored{"co_outer", "flat", "k_block", "row_fit"};
    return ignored;
}

Knobs x86_default_knobs(KernelKind k) {
    Knobs r;
    for (const KnobDecl& d : x86_knob_space(k)) r[d.name] = d.default_value;
    return r;
}

void apply_x86_schedule(LayerFunc& L, const Target& t, const Knobs& k) {
    switch (L.kind) {
        case KernelKind::Conv: schedule_conv(L, t, k); break;
        case KernelKind::Pointwise:
            if (L.dw.defined())
                schedule_fused(L, t, k);
            else
                schedule_pointwise(L, t, k);
            break;
        case KernelKind::Depthwise: schedule_depthwise(L, t, k); break;
        case KernelKind::AvgPool: schedule_pool(L, t, k); break;
        case KernelKind::FullyConnected: schedule_fc(L, t, k); break;
        case KernelKind::Softmax: schedule_softmax(L, t, k); break;
    }
}

}  // namespace mncc
