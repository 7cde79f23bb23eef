// Halide algorithms for quantized (TFLite uint8/int8) layers, bit-exact to the
// integer reference kernels (reference/quantized.h).
//
// Same conventions as layers.h (one pipeline per layer, (c, x, y) buffers,
// fixed extents, constants captured as Halide buffers), with 8-bit activations:
//  - Conv/Depthwise/FC: acc = bias'(c) + sum x * w'(c), all int32, where
//    w' = w - w_zp(c) and bias' = bias - x_zp * sum w' are folded at compile
//    time. Padding reads x_zp, so every tap is counted and the fold is exact
//    (the reference skips padding taps, whose terms are zero).
//  - Requantisation: TFLite's MultiplyByQuantizedMultiplier written out in
//    int64 (exact, no Halide rounding intrinsics), per output channel, then
//    + y_zp and the activation clamp in the quantized domain.
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

// Kernel function name: <model>_u8_<kind>_<index> (or _i8_).
std::string kernel_name_q(const std::string& model, const Node& n, int index);

// Builds the integer algorithm for quantized layer node `n` (throws mncc::Error
// naming the node for anything outside the supported set). `dot_products`:
// uint8 pointwise layers as 4-wide u8 x i8 dot products (for x86 VNNI), with
// L.r = (4, ci / 4) and the per-pixel input sum in L.sum_f(x, y).
LayerFunc lower_layer_q(const Graph& g, const Node& n, const std::string& fn_name, bool dot_products = false);

}  // namespace mncc
