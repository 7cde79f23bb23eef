// Integer reference kernels for quantized (TFLite uint8/int8) layers: the
// oracle the quantized lowering must match bit for bit.
//
// Written from TFLite's documented reference integer semantics:
//  - Values are held as int32 (uint8/int8 activations, int32 bias).
//  - Conv2D / DepthwiseConv2D / FullyConnected:
//      acc = bias[c] + sum (x - x_zp) * (w - w_zp[c])        (int32; padding taps skipped)
//      y   = clamp(multiply_by_quantized_multiplier(acc, M[c]) + y_zp, lo, hi)
//    M[c] = quantize_multiplier(real[c]) with real[c] = x_scale * w_scale[c] / y_scale
//    (per-tensor weights: the product x_scale*w_scale rounded to float first,
//    as TFLite does; per-channel: all in double). [lo, hi] = activation_range.
//  - AvgPool: input and output share quantisation; acc = sum of valid taps,
//    y = clamp(round_div(acc, count), lo, hi), round half away from zero.
//  - Softmax: computed in double from the dequantized input and requantised:
//      p = exp(s*(q - max q)) / sum, s = x_scale;  y = clamp(round(p / y_scale) + y_zp)
//    (TFLite's own uint8 softmax uses a fixed-point exp and can differ by 1-2
//    LSB; the ../shared expected outputs were made this float way.)
//  - Add: TFLite's scheme: both inputs shifted left by 20, rescaled to
//    2*max(scale_a, scale_b), summed, rescaled to the output.
//  - Quantize: float -> round(x / scale) + zp (float division), clamped;
//    integer -> integer: multiply_by_quantized_multiplier(q - zp_in, M(in/out)) + zp_out.
//  - Dequantize: scale * (q - zp), computed in double, stored as float.
// Accumulators are int64 saturated to int32 (valid models never saturate;
// this only keeps hostile files free of undefined behaviour).
#pragma once

#include <cstdint>
#include <vector>

#include "ir/ir.h"

namespace mncc::quant {

// real ~= multiplier * 2^(shift - 31); multiplier in [2^30, 2^31) or 0.
struct Multiplier {
    int32_t multiplier = 0;
    int shift = 0;
};

// TFLite's QuantizeMultiplier: frexp, then the fraction rounded (half away
// from zero) to Q31.
Multiplier quantize_multiplier(double real);
// gemmlowp's SaturatingRoundingDoublingHighMul: round(a*b / 2^31), saturating INT32_MIN*INT32_MIN.
int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b);
// gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded half away from zero.
int32_t rounding_divide_by_pot(int32_t x, int exponent);
// TFLite's MultiplyByQuantizedMultiplier: left shift for shift > 0, SRDHM, rounding right shift.
int32_t multiply_by_quantized_multiplier(int32_t x, Multiplier m);

// The representable range of an integer type ([0,255], [-128,127], int32).
struct Range {
    int32_t lo, hi;
};
Range dtype_range(DType t);
// TFLite's CalculateActivationRangeQuantized: Relu -> [max(lo, q(0)), hi],
// Relu6 -> [max(lo, q(0)), min(hi, q(6))], with q(v) = zp + round(v / scale).
Range activation_range(DType t, const Quantization& q, Activation a);

// The per-output-channel requantisation of a weighted layer (one entry per
// output channel), given its input node: what a lowering bakes in.
std::vector<Multiplier> layer_multipliers(const Node& input, const Node& layer);

// Layer kernels. `x` is the input node's integer values (NHWC, row-major),
// `in` the input node (for its shape and quantisation); each returns the
// node's integer output values.
std::vector<int32_t> conv(const Node& in, const Node& n, const std::vector<int32_t>& x);  // Conv2D, DepthwiseConv2D
std::vector<int32_t> fully_connected(const Node& in, const Node& n, const std::vector<int32_t>& x);
std::vector<int32_t> avg_pool(const Node& in, const Node& n, const std::vector<int32_t>& x);
std::vector<int32_t> softmax(const Node& in, const Node& n, const std::vector<int32_t>& x);
std::vector<int32_t> add(const Node& a, const Node& b, const Node& n, const std::vector<int32_t>& xa,
                         const std::vector<int32_t>& xb);
std::vector<int32_t> quantize(const Node& n, const std::vector<float>& x);                     // float input
std::vector<int32_t> requantize(const Node& in, const Node& n, const std::vector<int32_t>& x);  // integer input
std::vector<float> dequantize(const Quantization& q, const std::vector<int32_t>& x);

}  // namespace mncc::quant
