// Halide algorithms for quantized (TFLite uint8/int8) layers, bit-exact to the
// integer reference kernels (reference/quantized.h).
//
// Same conventions as layers.h (one pipeline per layer, (c, x, y) buffers,
// fixed extents, constants captured as Halide buffers), with 8-bit activations:
//  - Conv/Depthwise/FC: acc = bias'(c) + sum x * w'(c), all int32, where
//    w' = w - w_zp(c) and bias' = bias - x_zp * sum w' are folded at compile
//    time. Padding reads x_zp, so every tap is counted and the fold is exact
//    (the reference skips padding taps, whose terms are zero). The same sum is
//    computed with 8-bit operands where the target has dot products (see
//    DotProducts), and depthwise multiplies in 16 bits (int8 weights), each
//    with exact integer corrections.
//  - Requantisation: TFLite's MultiplyByQuantizedMultiplier in int32 vector
//    arithmetic (multiply_by_quantized_multiplier below), per output channel
//    (constants when all channels share one multiplier), then + y_zp and the
//    activation clamp in the quantized domain.
//  - AvgPool: rounded (half away from zero) integer mean of the valid taps.
//  - Softmax: in double like the reference, requantised with round half away
//    from zero.
#pragma once

#include <string>

#include "ir/ir.h"
#include "lower/layers.h"

namespace mncc {

// Whether node `n` is a quantized layer (integer output dtype).
bool is_quantized_layer(const Node& n);

// TFLite's MultiplyByQuantizedMultiplier (quant::multiply_by_quantized_multiplier)
// on int32 `x` with int32 arithmetic only (no 64-bit lanes, for HVX too):
// saturating left shift, Halide's rounding_mul_shift_right(a, m, 31) (gemmlowp's
// SaturatingRoundingDoublingHighMul), rounding right shift half away from zero.
// `multiplier` in [0, 2^31) and `shift` in [-31, 30] are int32 Exprs. Given
// bounds known at compile time, |x| <= max_abs_x (-1: none) and shift <=
// max_shift, cheaper forms are used where they prove that the left shift cannot
// saturate and the rounding cannot overflow (same results for such x); with
// max_shift <= 0 the left shift is left out, with max_shift < 0 the rounding's
// test for a zero right shift too.
// How the bounded form computes the high multiply (all give the same results):
//  - Rounding: Halide's rounding_mul_shift_right (HVX, which has no 64-bit lanes).
//  - Int64Product (x86): a 64-bit product, shifted and truncated. LLVM's code for
//    it (vpmovzxdq, vpmuldq, logical shifts, vpmovqd) made synth 1.0/224 int8 7-9%
//    faster at 1 thread than rounding_mul_shift_right's (vpsraq, vpmovsqd), 6
//    interleaved rounds.
//  - HighHalf (x86 depthwise; Int64Product where |x * 2^left| < 2^28 is not known):
//    the high half of a 32 x 32-bit product (LLVM: vpmuldq on the even and the odd
//    lanes, no widening or narrowing) with the halving folded into the rounding
//    divide. Measured (synth 1.0/224 int8, 1 thread, `mncc bench --keep` programs
//    run in alternating order, 8 rounds, 2026-11-29): every depthwise layer
//    0.85-0.90x the time; pointwise layers, the first conv and FC no faster (0.98-1.00x
//    over 10 such rounds, 1.02-1.13x in another 8), so only depthwise layers use it.
// min_shift: every shift is at least this (-31: no bound).
enum class HighMul { Rounding, Int64Product, HighHalf };
Halide::Expr multiply_by_quantized_multiplier(Halide::Expr x, Halide::Expr multiplier, Halide::Expr shift,
                                              int64_t max_abs_x = -1, int max_shift = 30,
                                              HighMul form = HighMul::Rounding, int min_shift = -31);

// Kernel function name: <model>_u8_<kind>_<index> (or _i8_).
std::string kernel_name_q(const std::string& model, const Node& n, int index);

// Whether conv, pointwise and FC layers accumulate 4-wide 8-bit dot products:
// u8 x i8 (x86 VNNI vpdpbusd, HVX vrmpy), i8 x u8 (vpdpbusd with the int8
// activations as its signed operand, broadcast from memory, and the weights
// unsigned) or i8 x i8 (arm64 sdot). The activations are moved into the input
// operand's signedness (x ^ 0x80) and the weights into its 8-bit type, with
// the shifts corrected by per-pixel input sums and the bias. In that form L.r =
// (4, channel groups of 4) for pointwise and FC (the plain forms: 1 dimension),
// (4, channel groups of 4, kw, kh) for a window (plain: 3), and L.sum_f(x, y)
// (L.sum_f() for FC) the input sums, left undefined where no correction is needed.
// U8xI8Pairs is u8 x i8 for x86 without VNNI: 16-bit products summed in pairs
// (vpmaddwd). Its L.r reduces a pair, (2, channel groups of 4[, kw, kh]), and
// L.acc has an extra innermost pure dimension h: acc(h, c, ...) sums channels
// 4g + 2h and 4g + 2h + 1 of every group g, so one vpmaddwd adds into a vector of
// (h, c) lanes without shuffles; the output adds the two halves (dot_sum).
enum class DotProducts { None, U8xI8, I8xU8, I8xI8, U8xI8Pairs };

// Whether lowered layer L is in the U8xI8Pairs form: acc has the extra pair dimension h.
inline bool pairs_form(const LayerFunc& L) { return L.acc.defined() && L.acc.dimensions() > L.output.dimensions(); }

// The data input of quantized layer `n`, seen through Reshape views (throws for a
// malformed graph or a missing per-tensor quantisation).
const Node& quantized_data_input(const Graph& g, const Node& n);

// Builds the integer algorithm for quantized layer node `n` (throws mncc::Error
// naming the node for anything outside the supported set). With a dot-product
// form, depthwise layers also sum runs of taps in int16 where that is exact
// (HVX, which passes None for them, keeps one 32-bit sum per tap).
// int64_lanes: the target has 64-bit vector lanes (x86; see HighMul).
LayerFunc lower_layer_q(const Graph& g, const Node& n, const std::string& fn_name, DotProducts dot = DotProducts::None,
                        bool int64_lanes = false);

}  // namespace mncc
