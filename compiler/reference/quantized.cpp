#include "reference/quantized.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mncc::quant {
namespace {

constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();

int32_t sat32(int64_t v) { return int32_t(std::min(std::max(v, kI32Min), kI32Max)); }

// round(v) as int32 without overflow for hostile scales.
int32_t round_sat(double v) {
    v = std::round(v);
    if (!(v >= double(kI32Min))) return int32_t(kI32Min);  // also NaN
    if (v >= double(kI32Max)) return int32_t(kI32Max);
    return int32_t(v);
}

int32_t clamp(int64_t v, Range r) { return int32_t(std::min<int64_t>(std::max<int64_t>(v, r.lo), r.hi)); }

}  // namespace

Multiplier quantize_multiplier(double real) {
    if (!(real > 0) || !std::isfinite(real)) return {};
    int shift = 0;
    const double q = std::frexp(real, &shift);  // real = q * 2^shift, q in [0.5, 1)
    int64_t fixed = int64_t(std::round(q * double(int64_t(1) << 31)));
    if (fixed == (int64_t(1) << 31)) {
        fixed /= 2;
        ++shift;
    }
    if (shift < -31) return {};
    if (shift > 30) return {int32_t(kI32Max), 30};
    return {int32_t(fixed), shift};
}

int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
    if (a == b && a == int32_t(kI32Min)) return int32_t(kI32Max);
    const int64_t ab = int64_t(a) * int64_t(b);
    const int64_t nudge = ab >= 0 ? (int64_t(1) << 30) : (1 - (int64_t(1) << 30));
    return int32_t((ab + nudge) / (int64_t(1) << 31));  // C++ division truncates toward zero, as gemmlowp's
}

int32_t rounding_divide_by_pot(int32_t x, int exponent) {
    if (exponent <= 0) return x;
    const int32_t mask = int32_t((int64_t(1) << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t multiply_by_quantized_multiplier(int32_t x, Multiplier m) {
    const int left = m.shift > 0 ? m.shift : 0, right = m.shift > 0 ? 0 : -m.shift;
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(sat32(int64_t(x) * (int64_t(1) << left)), m.multiplier),
                                  right);
}

Range dtype_range(DType t) {
    switch (t) {
        case DType::UInt8: return {0, 255};
        case DType::Int8: return {-128, 127};
        default: return {int32_t(kI32Min), int32_t(kI32Max)};
    }
}

Range activation_range(DType t, const Quantization& q, Activation a) {
    Range r = dtype_range(t);
    if (a == Activation::None || q.empty()) return r;
    auto quantize = [&](float v) { return sat32(int64_t(q.zero_point[0]) + round_sat(double(v / q.scale[0]))); };
    r.lo = std::max(r.lo, quantize(0.0f));
    if (a == Activation::Relu6) r.hi = std::min(r.hi, quantize(6.0f));
    return r;
}

std::vector<Multiplier> layer_multipliers(const Node& input, const Node& layer) {
    const Quantization& wq = layer.weights.quant;
    const int64_t cout = layer.weights.shape.back();
    const double in_s = input.quant.scale.at(0), out_s = layer.quant.scale.at(0);
    std::vector<Multiplier> m;
    for (int64_t c = 0; c < cout; ++c) {
        const double real = wq.scale.size() == 1
                                ? double(float(input.quant.scale[0] * wq.scale[0])) / out_s  // TFLite: float product
                                : in_s * double(wq.scale_at(c)) / out_s;
        m.push_back(quantize_multiplier(real));
    }
    return m;
}

std::vector<int32_t> conv(const Node& in, const Node& n, const std::vector<int32_t>& x) {
    const int64_t H = in.shape[1], W = in.shape[2], C = in.shape[3];
    const int64_t OH = n.shape[1], OW = n.shape[2], OC = n.shape[3];
    const bool depthwise = n.op == Op::DepthwiseConv2D;
    const std::vector<Multiplier> mult = layer_multipliers(in, n);
    const Range range = activation_range(n.dtype, n.quant, n.activation);
    const int32_t in_zp = in.quant.zero_point[0], out_zp = n.quant.zero_point[0];
    const std::vector<int32_t>& w = n.weights.qdata;
    std::vector<int32_t> y(static_cast<size_t>(OH * OW * OC));
    std::vector<int64_t> acc(static_cast<size_t>(OC));
    for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
            for (int64_t co = 0; co < OC; ++co) acc[size_t(co)] = n.bias.qdata[size_t(co)];
            for (int64_t ky = 0; ky < n.kernel_h; ++ky) {
                const int64_t iy = oy * n.stride_h - n.pad_top + ky;
                if (iy < 0 || iy >= H) continue;  // padding is the input zero point: contributes 0
                for (int64_t kx = 0; kx < n.kernel_w; ++kx) {
                    const int64_t ix = ox * n.stride_w - n.pad_left + kx;
                    if (ix < 0 || ix >= W) continue;
                    const int32_t* px = &x[size_t((iy * W + ix) * C)];
                    if (depthwise) {
                        const int32_t* pw = &w[size_t((ky * n.kernel_w + kx) * C)];
                        for (int64_t c = 0; c < C; ++c)
                            acc[size_t(c)] += int64_t(px[c] - in_zp) * (pw[c] - n.weights.quant.zero_point_at(c));
                    } else {
                        const int32_t* pw = &w[size_t((ky * n.kernel_w + kx) * C * OC)];
                        for (int64_t ci = 0; ci < C; ++ci) {
                            const int64_t xv = px[ci] - in_zp;
                            for (int64_t co = 0; co < OC; ++co)
                                acc[size_t(co)] += xv * (pw[ci * OC + co] - n.weights.quant.zero_point_at(co));
                        }
                    }
                }
            }
            int32_t* py = &y[size_t((oy * OW + ox) * OC)];
            for (int64_t c = 0; c < OC; ++c)
                py[c] = clamp(int64_t(multiply_by_quantized_multiplier(sat32(acc[size_t(c)]), mult[size_t(c)])) + out_zp,
                              range);
        }
    return y;
}

std::vector<int32_t> fully_connected(const Node& in, const Node& n, const std::vector<int32_t>& x) {
    const int64_t CI = n.weights.shape[0], CO = n.weights.shape[1];
    const std::vector<Multiplier> mult = layer_multipliers(in, n);
    const Range range = activation_range(n.dtype, n.quant, n.activation);
    const int32_t in_zp = in.quant.zero_point[0], out_zp = n.quant.zero_point[0];
    std::vector<int32_t> y(static_cast<size_t>(CO));
    for (int64_t co = 0; co < CO; ++co) {
        int64_t acc = n.bias.qdata[size_t(co)];
        const int32_t w_zp = n.weights.quant.zero_point_at(co);
        for (int64_t ci = 0; ci < CI; ++ci)
            acc += int64_t(x[size_t(ci)] - in_zp) * (n.weights.qdata[size_t(ci * CO + co)] - w_zp);
        y[size_t(co)] = clamp(int64_t(multiply_by_quantized_multiplier(sat32(acc), mult[size_t(co)])) + out_zp, range);
    }
    return y;
}

std::vector<int32_t> avg_pool(const Node& in, const Node& n, const std::vector<int32_t>& x) {
    const int64_t H = in.shape[1], W = in.shape[2], C = in.shape[3];
    const int64_t OH = n.shape[1], OW = n.shape[2];
    const Range range = activation_range(n.dtype, n.quant, n.activation);
    std::vector<int32_t> y(static_cast<size_t>(OH * OW * C));
    std::vector<int64_t> acc(static_cast<size_t>(C));
    for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
            std::fill(acc.begin(), acc.end(), 0);
            int64_t count = 0;
            for (int64_t ky = 0; ky < n.kernel_h; ++ky) {
                const int64_t iy = oy * n.stride_h - n.pad_top + ky;
                if (iy < 0 || iy >= H) continue;
                for (int64_t kx = 0; kx < n.kernel_w; ++kx) {
                    const int64_t ix = ox * n.stride_w - n.pad_left + kx;
                    if (ix < 0 || ix >= W) continue;
                    ++count;
                    for (int64_t c = 0; c < C; ++c) acc[size_t(c)] += x[size_t((iy * W + ix) * C + c)];
                }
            }
            for (int64_t c = 0; c < C; ++c) {
                const int64_t a = acc[size_t(c)];
                // Rounded to nearest, half away from zero (TFLite: (acc + count/2) / count for acc >= 0).
                const int64_t avg = count == 0 ? 0 : a >= 0 ? (a + count / 2) / count : (a - count / 2) / count;
                y[size_t((oy * OW + ox) * C + c)] = clamp(avg, range);
            }
        }
    return y;
}

std::vector<int32_t> softmax(const Node& in, const Node& n, const std::vector<int32_t>& x) {
    const size_t C = size_t(n.shape.back());
    const Range range = dtype_range(n.dtype);
    const double s = in.quant.scale[0], out_s = n.quant.scale[0];
    std::vector<int32_t> y(x.size());
    std::vector<double> e(C);
    for (size_t row = 0; row + C <= x.size(); row += C) {
        const int32_t mx = *std::max_element(x.begin() + long(row), x.begin() + long(row + C));
        double sum = 0;
        for (size_t c = 0; c < C; ++c) sum += e[c] = std::exp(s * double(int64_t(x[row + c]) - mx));
        for (size_t c = 0; c < C; ++c)
            y[row + c] = clamp(int64_t(round_sat(e[c] / sum / out_s)) + n.quant.zero_point[0], range);
    }
    return y;
}

std::vector<int32_t> add(const Node& a, const Node& b, const Node& n, const std::vector<int32_t>& xa,
                         const std::vector<int32_t>& xb) {
    constexpr int kLeftShift = 20;
    const double twice_max = 2.0 * std::max(a.quant.scale[0], b.quant.scale[0]);
    const Multiplier ma = quantize_multiplier(a.quant.scale[0] / twice_max);
    const Multiplier mb = quantize_multiplier(b.quant.scale[0] / twice_max);
    const Multiplier mo = quantize_multiplier(twice_max / (double(1 << kLeftShift) * n.quant.scale[0]));
    const Range range = activation_range(n.dtype, n.quant, n.activation);
    std::vector<int32_t> y(xa.size());
    for (size_t i = 0; i < y.size(); ++i) {
        const int32_t sa = multiply_by_quantized_multiplier(sat32(int64_t(xa[i] - a.quant.zero_point[0]) * (1 << kLeftShift)), ma);
        const int32_t sb = multiply_by_quantized_multiplier(sat32(int64_t(xb[i] - b.quant.zero_point[0]) * (1 << kLeftShift)), mb);
        y[i] = clamp(int64_t(multiply_by_quantized_multiplier(sat32(int64_t(sa) + sb), mo)) + n.quant.zero_point[0], range);
    }
    return y;
}

std::vector<int32_t> quantize(const Node& n, const std::vector<float>& x) {
    const Range range = dtype_range(n.dtype);
    std::vector<int32_t> y(x.size());
    for (size_t i = 0; i < x.size(); ++i)
        y[i] = clamp(int64_t(round_sat(double(x[i] / n.quant.scale[0]))) + n.quant.zero_point[0], range);
    return y;
}

std::vector<int32_t> requantize(const Node& in, const Node& n, const std::vector<int32_t>& x) {
    const Multiplier m = quantize_multiplier(double(in.quant.scale[0]) / double(n.quant.scale[0]));
    const Range range = dtype_range(n.dtype);
    std::vector<int32_t> y(x.size());
    for (size_t i = 0; i < x.size(); ++i)
        y[i] = clamp(int64_t(multiply_by_quantized_multiplier(sat32(int64_t(x[i]) - in.quant.zero_point[0]), m)) +
                         n.quant.zero_point[0],
                     range);
    return y;
}

std::vector<float> dequantize(const Quantization& q, const std::vector<int32_t>& x) {
    std::vector<float> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = float(double(q.scale[0]) * (int64_t(x[i]) - q.zero_point[0]));
    return y;
}

}  // namespace mncc::quant
