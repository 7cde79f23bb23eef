#include "lower/layers_q.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "reference/quantized.h"
#include "support/error.h"

namespace mncc {

using namespace Halide;

namespace {

constexpr int64_t kMaxExtent = int64_t(1) << 24;

[[noreturn]] void fail(const Graph& g, const Node& n, const std::string& why) {
    throw Error(node_error(g.source_file, n.name, op_name(n.op), why));
}

Type halide_type(const Graph& g, const Node& n, DType t) {
    if (t == DType::UInt8) return UInt(8);
    if (t == DType::Int8) return Int(8);
    fail(g, n, std::string("quantized lowering needs uint8 or int8 activations, not ") + dtype_name(t));
}

// The data input, seen through Reshape views (which share their producer's quantisation).
const Node& data_input(const Graph& g, const Node& n) {
    if (n.inputs.empty() || n.inputs[0] < 0 || n.inputs[0] >= static_cast<int>(g.nodes.size()))
        fail(g, n, "has no data input");
    int id = n.inputs[0];
    for (size_t guard = 0; g.node(id).op == Op::Reshape && guard <= g.nodes.size(); ++guard) {
        if (g.node(id).inputs.empty()) fail(g, n, "malformed Reshape input");
        id = g.node(id).inputs[0];
    }
    const Node& in = g.node(id);
    halide_type(g, n, in.dtype);
    if (in.quant.scale.size() != 1 || in.quant.zero_point.size() != 1 || !(in.quant.scale[0] > 0))
        fail(g, n, "input '" + in.name + "' needs one positive per-tensor scale");
    return in;
}

int dim(const Graph& g, const Node& n, int64_t v, const char* what) {
    if (v < 1 || v > kMaxExtent) fail(g, n, std::string(what) + " " + std::to_string(v) + " out of range");
    return static_cast<int>(v);
}

struct Hwc { int c, w, h; };
Hwc nhwc(const Graph& g, const Node& n, const Shape& s, const char* what) {
    if (s.size() != 4 || s[0] != 1) fail(g, n, std::string(what) + " shape " + shape_str(s) + " is not [1,H,W,C]");
    return {dim(g, n, s[3], "channels"), dim(g, n, s[2], "width"), dim(g, n, s[1], "height")};
}

int flat(const Graph& g, const Node& n, const Shape& s, const char* what) {
    if (s.empty() || s[0] != 1) fail(g, n, std::string(what) + " shape " + shape_str(s) + " is not [1,...]");
    return dim(g, n, num_elements(s), what);
}

void check_window(const Graph& g, const Node& n, const Hwc& in, const Hwc& out) {
    if (n.kernel_h < 1 || n.kernel_w < 1 || n.kernel_h * int64_t(n.kernel_w) > 1024) fail(g, n, "bad kernel size");
    if (n.stride_h < 1 || n.stride_w < 1 || n.stride_h > 64 || n.stride_w > 64) fail(g, n, "bad stride");
    for (int p : {n.pad_top, n.pad_bottom, n.pad_left, n.pad_right})
        if (p < 0 || p >= std::max(n.kernel_h, n.kernel_w)) fail(g, n, "bad padding " + std::to_string(p));
    const int64_t oh = (int64_t(in.h) + n.pad_top + n.pad_bottom - n.kernel_h) / n.stride_h + 1;
    const int64_t ow = (int64_t(in.w) + n.pad_left + n.pad_right - n.kernel_w) / n.stride_w + 1;
    if (int64_t(in.h) + n.pad_top + n.pad_bottom < n.kernel_h || oh != out.h || ow != out.w)
        fail(g, n, "output spatial size does not match input, kernel, stride and padding");
}

// Folded weights and bias of a weighted layer: w' = w - w_zp(c) as int16 in the
// Halide order `dims` (c innermost, then the IR's other dims reversed), and
// bias' = bias - x_zp * sum w' (checked to fit int32).
struct Folded {
    Buffer<int16_t> w;
    Buffer<int32_t> b;
};
Folded fold(const Graph& g, const Node& n, const Node& in, const Shape& want, const std::vector<int>& dims) {
    const Tensor& W = n.weights;
    const int64_t co = want.back();
    if (W.shape != want || int64_t(W.qdata.size()) != num_elements(want) || W.quant.empty() ||
        (W.quant.scale.size() != 1 && int64_t(W.quant.scale.size()) != co) ||
        W.quant.zero_point.size() != W.quant.scale.size())
        fail(g, n, "quantized weights " + shape_str(W.shape) + ", expected " + shape_str(want) +
                       " with per-tensor or per-channel quantisation");
    if (n.bias.shape != Shape{co} || int64_t(n.bias.qdata.size()) != co) fail(g, n, "needs an int32 bias of " + std::to_string(co));
    Folded f{Buffer<int16_t>(dims, n.name + "_w"), Buffer<int32_t>(int(co), n.name + "_b")};
    std::vector<int64_t> sum(size_t(co), 0);
    int16_t* dst = f.w.data();   // dense, same row-major order as qdata (co innermost)
    for (size_t i = 0; i < W.qdata.size(); ++i) {
        const int64_t c = int64_t(i) % co;
        const int64_t v = int64_t(W.qdata[i]) - W.quant.zero_point_at(c);
        if (v < -32768 || v > 32767) fail(g, n, "weight value out of the 8-bit range");
        dst[i] = int16_t(v);
        sum[size_t(c)] += v;
    }
    const int64_t x_zp = in.quant.zero_point[0];
    for (int64_t c = 0; c < co; ++c) {
        const int64_t b = n.bias.qdata[size_t(c)] - x_zp * sum[size_t(c)];
        if (b < std::numeric_limits<int32_t>::min() || b > std::numeric_limits<int32_t>::max())
            fail(g, n, "bias minus the input zero point term overflows int32");
        f.b(int(c)) = int32_t(b);
    }
    return f;
}

// The requantisation multiplier and shift of output channel c, as in
// quant::layer_multipliers: constants when every channel shares them (uint8
// per-tensor weights), else per-channel int32 tables. Plus what bounds the
// requantisation's input: |acc| = |bias + sum (x - x_zp) w'| <= |bias| +
// max |x - x_zp| * sum |w'| over every channel, and the largest left shift.
struct Requant {
    Buffer<int32_t> mult, shift;
    bool uniform = true;
    int64_t max_abs_acc = 0;
    int max_shift = std::numeric_limits<int>::min();   // the largest shift (< 0: right shifts only)
    int min_shift = std::numeric_limits<int>::max();   // the smallest
    HighMul high_mul = HighMul::Rounding;
    Expr multiplier(Expr c) const { return uniform ? Expr(mult(0)) : mult(std::move(c)); }
    Expr shift_of(Expr c) const { return uniform ? Expr(shift(0)) : shift(std::move(c)); }
};
Requant requant_params(const Node& in, const Node& n, const std::string& name, bool int64_lanes) {
    const std::vector<quant::Multiplier> m = quant::layer_multipliers(in, n);
    const int co = int(m.size());
    Requant r{Buffer<int32_t>(co, name + "_m"), Buffer<int32_t>(co, name + "_s")};
    r.high_mul = int64_lanes ? HighMul::Int64Product : HighMul::Rounding;
    for (int c = 0; c < co; ++c) {
        r.mult(c) = m[size_t(c)].multiplier;
        r.shift(c) = m[size_t(c)].shift;
        r.uniform = r.uniform && m[size_t(c)].multiplier == m[0].multiplier && m[size_t(c)].shift == m[0].shift;
        r.max_shift = std::max(r.max_shift, m[size_t(c)].shift);
        r.min_shift = std::min(r.min_shift, m[size_t(c)].shift);
    }
    const quant::Range x = quant::dtype_range(in.dtype);
    const int64_t x_zp = in.quant.zero_point[0], dx = std::max(x_zp - x.lo, x.hi - x_zp);
    std::vector<int64_t> sum(size_t(co), 0);   // (fold() has checked the shapes)
    for (size_t i = 0; i < n.weights.qdata.size(); ++i)
        sum[i % size_t(co)] += std::abs(int64_t(n.weights.qdata[i]) - n.weights.quant.zero_point_at(int64_t(i % size_t(co))));
    for (int c = 0; c < co; ++c)
        r.max_abs_acc = std::max(r.max_abs_acc, std::abs(int64_t(n.bias.qdata[size_t(c)])) + dx * sum[size_t(c)]);
    return r;
}

Expr finish(Expr acc, const Requant& q, Expr c, const Node& n, Type out_t) {
    const quant::Range r = quant::activation_range(n.dtype, n.quant, n.activation);
    Expr y = multiply_by_quantized_multiplier(acc, q.multiplier(c), q.shift_of(c), q.max_abs_acc, q.max_shift, q.high_mul,
                                              q.min_shift) +
             n.quant.zero_point[0];
    return cast(out_t, clamp(y, r.lo, r.hi));
}

void check_output_quant(const Graph& g, const Node& n) {
    if (n.quant.scale.size() != 1 || n.quant.zero_point.size() != 1 || !(n.quant.scale[0] > 0))
        fail(g, n, "output needs one positive per-tensor scale");
}

Func padded_input(LayerFunc& L, const Node& in, const Hwc& s) {
    return BoundaryConditions::constant_exterior(L.input, cast(L.input.type(), in.quant.zero_point[0]),
                                                 {{Expr(), Expr()}, {0, s.w}, {0, s.h}});
}

bool is_pointwise(const Node& n) {
    return n.op == Op::Conv2D && n.kernel_h == 1 && n.kernel_w == 1 && n.stride_h == 1 && n.stride_w == 1 &&
           n.pad_top == 0 && n.pad_bottom == 0 && n.pad_left == 0 && n.pad_right == 0;
}

// The 8-bit types of a dot-product form's input and weight operands (dot is not None).
Type dot_input_type(DotProducts dot) { return dot == DotProducts::U8xI8 || dot == DotProducts::U8xI8Pairs ? UInt(8) : Int(8); }
Type dot_weight_type(DotProducts dot) { return dot == DotProducts::I8xU8 ? UInt(8) : Int(8); }

// Weighted layers as 4-wide 8-bit dot products (u8 x i8: x86 VNNI vpdpbusd, HVX
// vrmpy; i8 x u8: vpdpbusd with int8 activations; i8 x i8: arm64 sdot; u8 x i8 in
// pairs: x86 vpmaddwd without VNNI, see DotProducts). The input channels are
// padded to C4 = a multiple of 4 (the padding channels repeat the last one with
// w' = 0); the taps of an output are
// read in the dot product's input type u_t as u = x - s_x (x ^ 0x80 when the
// signedness differs, s_x = +-128), the weights in the 8-bit type w_t as
// w8 = w' - s_w(c) (int8: s_w = 128 - w_zp for uint8 weights, -w_zp for int8;
// uint8: s_w = -w_zp for uint8 weights, -128 - w_zp for int8), so that
//   sum x w' = sum u w8 + s_w(c) * sum u + s_x * sum w'
// The last term folds into the bias; sum u is L.sum_f(x, y) (L.sum_f() for FC),
// left undefined when every s_w is 0 (symmetric int8 weights). L.r = (4, C4 / 4,
// kw, kh) for a window, (4, C4 / 4) for pointwise and FC: 4 consecutive channels
// per dot product (the pairs form: 2; row_groups below: (4, groups, 1, kh)). Weights
// are packed [kh][kw][C4 / 4][co][4]: one vector of output channels reads 4 * V bytes.
// Returns false (nothing defined) when the folded bias would not fit int32.
bool lower_dot(const Graph& g, const Node& n, const Node& in_n, LayerFunc& L, DotProducts dot) {
    const Type u_t = dot_input_type(dot), w_t = dot_weight_type(dot);
    const bool pairs = dot == DotProducts::U8xI8Pairs;
    const bool fc = n.op == Op::FullyConnected;
    const int ci = fc ? flat(g, n, in_n.shape, "input") : nhwc(g, n, in_n.shape, "input").c;
    const int co = fc ? flat(g, n, n.shape, "output") : nhwc(g, n, n.shape, "output").c;
    const int kw = fc ? 1 : n.kernel_w, kh = fc ? 1 : n.kernel_h, cg = (ci + 3) / 4;
    // A window over a channel count that is not a multiple of 4 (the first conv's
    // RGB) takes each window row's kw * ci bytes, contiguous in memory, as groups of 4
    // (row_groups: the input seen as (ci * w, h), a window row at ((x s - pad) ci, y));
    // the last group's spare bytes belong to the next pixel, with weight 0. Padding
    // each pixel's channels to 4 instead made every group a gather (min(i, ci - 1)):
    // synth 1.0/224 int8 first conv, `mncc bench`, VNNI 0.24 -> 0.21 ms, AVX2 0.80-1.04
    // -> 0.52 ms (2026-11-29). The kernel's input extents are then (ci * w, h) (manifest
    // "input_extents").
    const bool row_groups = L.kind == KernelKind::Conv && ci % 4 != 0;
    const int groups = row_groups ? (kw * ci + 3) / 4 : cg;   // per window position (row_groups: per row)
    const int positions = row_groups ? kh : kw * kh;
    Folded f = fc ? fold(g, n, in_n, {ci, co}, {co, ci}) : fold(g, n, in_n, {kh, kw, ci, co}, {co, ci, kw, kh});
    const int16_t* w = f.w.data();   // [ky][kx][ci][co]
    const bool unsigned_w = n.weights.dtype == DType::UInt8;
    const int s_x = in_n.dtype == (u_t.is_uint() ? DType::UInt8 : DType::Int8) ? 0 : (u_t.is_uint() ? -128 : 128);
    Buffer<> wp(w_t, {4, co, groups * positions}, L.fn_name + "_wp");
    Buffer<int32_t> bias(co, L.fn_name + "_bd"), s_w(co, L.fn_name + "_sw");
    bool any_s_w = false;
    for (int c = 0; c < co; ++c) {
        s_w(c) = (w_t.is_int() ? (unsigned_w ? 128 : 0) : (unsigned_w ? 0 : -128)) - n.weights.quant.zero_point_at(c);
        any_s_w = any_s_w || s_w(c) != 0;
        int64_t sum = 0;
        // Position k (row_groups: ky, else ky * kw + kx), byte i of its groups (row_groups:
        // kx * ci + channel, else the channel): tap (k * span + i) of [ky][kx][ci].
        const int span = row_groups ? kw * ci : ci;
        for (int k = 0; k < positions; ++k)
            for (int i = 0; i < groups * 4; ++i) {
                const int wv = i < span ? w[(size_t(k) * size_t(span) + size_t(i)) * size_t(co) + size_t(c)] : 0;
                sum += wv;
                if (w_t.is_int())
                    wp.as<int8_t>()(i % 4, c, k * groups + i / 4) = int8_t(wv - s_w(c));
                else
                    wp.as<uint8_t>()(i % 4, c, k * groups + i / 4) = uint8_t(wv - s_w(c));
            }
        const int64_t b = int64_t(f.b(c)) + int64_t(s_x) * sum;
        if (b < std::numeric_limits<int32_t>::min() || b > std::numeric_limits<int32_t>::max()) return false;
        bias(c) = int32_t(b);
    }
    Var c = L.c, x = L.x, y = L.y;
    // Input channel i of the window position (kx, ky), in the dot product's input type.
    Func padded;
    if (row_groups) {
        const Hwc s = nhwc(g, n, in_n.shape, "input");
        L.input = ImageParam(L.input.type(), 2, L.input.name());
        fix_shape(L.input, {s.c * s.w, s.h});
        padded = BoundaryConditions::constant_exterior(L.input, cast(L.input.type(), in_n.quant.zero_point[0]),
                                                       {{0, s.c * s.w}, {0, s.h}});
    } else if (L.kind == KernelKind::Conv) {
        padded = padded_input(L, in_n, nhwc(g, n, in_n.shape, "input"));
    }
    auto tap = [&](Expr i, Expr kx, Expr ky) {
        if (ci % 4 && !row_groups) i = min(i, ci - 1);
        Expr v = fc ? L.input(i)
                 : L.kind == KernelKind::Pointwise ? L.input(i, x, y)
                 : row_groups ? padded((x * n.stride_w - n.pad_left) * ci + i, y * n.stride_h - n.pad_top + ky)
                              : padded(i, x * n.stride_w - n.pad_left + kx, y * n.stride_h - n.pad_top + ky);
        return s_x == 0 ? v : reinterpret(u_t, v ^ cast(L.input.type(), 128));
    };
    // A window's RDom is (4, groups, kw, kh) (row_groups: kw is 1); pointwise and FC
    // have no window: (4, C4 / 4).
    const bool window = L.kind == KernelKind::Conv;
    const Region dims = window ? Region{{0, 4}, {0, groups}, {0, row_groups ? 1 : kw}, {0, kh}} : Region{{0, 4}, {0, cg}};
    auto position = [&](const RDom& r) { return window ? std::make_pair(Expr(r.z), Expr(r.w)) : std::make_pair(Expr(0), Expr(0)); };
    Region acc_dims = dims;
    if (pairs) acc_dims[0] = Range(0, 2);
    L.r = RDom(acc_dims, "r");
    L.acc = Func(L.fn_name + "_acc");
    std::vector<Var> px = fc ? std::vector<Var>{} : std::vector<Var>{x, y}, cpx{c};
    cpx.insert(cpx.end(), px.begin(), px.end());
    const Var h("h");
    if (pairs) cpx.insert(cpx.begin(), h);
    Expr init = bias(c);
    if (any_s_w) {
        RDom rs(dims, "rs");
        L.rs = rs;
        L.sum_f = Func(L.fn_name + "_sumx");
        L.sum_f(px) = 0;
        L.sum_f(px) += cast<int32_t>(tap(rs.y * 4 + rs.x, position(rs).first, position(rs).second));
        init += s_w(c) * L.sum_f(px);
    }
    const auto [kx, ky] = position(L.r);
    const Expr i = pairs ? 2 * h + L.r.x : Expr(L.r.x);   // the channel within its group of 4
    L.acc(cpx) = pairs ? select(h == 0, init, 0) : init;
    const Expr position_index = row_groups ? ky : ky * kw + kx;
    L.acc(cpx) += cast<int32_t>(tap(L.r.y * 4 + i, kx, ky)) * cast<int32_t>(wp(i, c, position_index * groups + L.r.y));
    return true;
}

// The dot-product form's accumulator at `args`: the sum of the two halves in the
// pairs form (acc(h, ...)), else acc itself.
Expr dot_sum(const LayerFunc& L, const std::vector<Expr>& args) {
    if (L.acc.dimensions() == int(args.size())) return L.acc(args);
    std::vector<Expr> a0{0}, a1{1};
    a0.insert(a0.end(), args.begin(), args.end());
    a1.insert(a1.end(), args.begin(), args.end());
    return L.acc(a0) + L.acc(a1);
}

void lower_conv(const Graph& g, const Node& n, const Node& in_n, LayerFunc& L, Type out_t, DotProducts dot, bool int64_lanes) {
    const Hwc in = nhwc(g, n, in_n.shape, "input"), out = nhwc(g, n, n.shape, "output");
    check_window(g, n, in, out);
    // Pointwise reads the input directly, in whole groups of 4 channels.
    if (dot != DotProducts::None && (L.kind == KernelKind::Conv || in.c % 4 == 0) &&
        lower_dot(g, n, in_n, L, dot)) {
        L.output(L.c, L.x, L.y) = finish(dot_sum(L, {L.c, L.x, L.y}), requant_params(in_n, n, L.fn_name, int64_lanes), L.c, n, out_t);
        if (L.input.dimensions() == 3) fix_shape(L.input, {in.c, in.w, in.h});   // else (c * w, h): lower_dot
        L.out_c = out.c, L.out_w = out.w, L.out_h = out.h;
        return;
    }
    Folded f = fold(g, n, in_n, {n.kernel_h, n.kernel_w, in.c, out.c}, {out.c, in.c, n.kernel_w, n.kernel_h});
    Requant q = requant_params(in_n, n, L.fn_name, int64_lanes);
    Var c = L.c, x = L.x, y = L.y;
    L.acc = Func(L.fn_name + "_acc");
    L.acc(c, x, y) = f.b(c);
    if (L.kind == KernelKind::Pointwise) {
        L.r = RDom(0, in.c, "r");
        L.acc(c, x, y) += cast<int32_t>(L.input(L.r, x, y)) * cast<int32_t>(f.w(c, L.r, 0, 0));
    } else {
        Func padded = padded_input(L, in_n, in);
        L.r = RDom({{0, in.c}, {0, n.kernel_w}, {0, n.kernel_h}}, "r");
        L.acc(c, x, y) += cast<int32_t>(padded(L.r.x, x * n.stride_w - n.pad_left + L.r.y, y * n.stride_h - n.pad_top + L.r.z)) *
                          cast<int32_t>(f.w(c, L.r.x, L.r.y, L.r.z));
    }
    L.output(c, x, y) = finish(L.acc(c, x, y), q, c, n, out_t);
    fix_shape(L.input, {in.c, in.w, in.h});
    L.out_c = out.c, L.out_w = out.w, L.out_h = out.h;
}

// Products in 16 bits: the weights as int8 w8 = w' - s_w(c) (s_w = 128 - w_zp for
// uint8 weights, -w_zp for int8), so |x * w8| <= 255 * 128 fits int16 (one
// vpmullw / vpmaddwd-class multiply instead of a 32-bit one); the shift comes
// back as s_w(c) * (the taps' sum of x) where some s_w is not 0. With
// partial_sums16, runs of consecutive taps are also summed in int16 (vpaddw, one
// widening per run) while max |x| * sum |w8| over the run fits int16 in every
// channel (int8 activations with full-range weights: pairs of taps).
void lower_depthwise(const Graph& g, const Node& n, const Node& in_n, LayerFunc& L, Type out_t, bool partial_sums16,
                     bool int64_lanes) {
    const Hwc in = nhwc(g, n, in_n.shape, "input"), out = nhwc(g, n, n.shape, "output");
    if (in.c != out.c) fail(g, n, "depthwise output channels differ from input channels");
    check_window(g, n, in, out);
    Folded f = fold(g, n, in_n, {n.kernel_h, n.kernel_w, in.c}, {in.c, n.kernel_w, n.kernel_h});
    Requant q = requant_params(in_n, n, L.fn_name, int64_lanes);
    if (int64_lanes) q.high_mul = HighMul::HighHalf;   // see HighMul
    Buffer<int8_t> w8({in.c, n.kernel_w, n.kernel_h}, L.fn_name + "_w8");
    Buffer<int32_t> s_w(in.c, L.fn_name + "_sw");
    bool any_s_w = false, uniform = true;
    for (int c = 0; c < in.c; ++c) {
        s_w(c) = (n.weights.dtype == DType::UInt8 ? 128 : 0) - n.weights.quant.zero_point_at(c);
        any_s_w = any_s_w || s_w(c) != 0;
        uniform = uniform && s_w(c) == s_w(0);
        for (int ky = 0; ky < n.kernel_h; ++ky)
            for (int kx = 0; kx < n.kernel_w; ++kx) w8(c, kx, ky) = int8_t(f.w(c, kx, ky) - s_w(c));
    }
    Func padded = padded_input(L, in_n, in);
    Var c = L.c, x = L.x, y = L.y;
    const Type sum_t = n.kernel_h * n.kernel_w <= 128 ? Int(16) : Int(32);   // 128 * 255 fits int16
    const int x_max = in_n.dtype == DType::UInt8 ? 255 : 128;
    std::vector<int64_t> bound(size_t(in.c), 0);
    Expr sum = f.b(c), sum_x = cast(sum_t, 0), part;
    for (int ky = 0; ky < n.kernel_h; ++ky)
        for (int kx = 0; kx < n.kernel_w; ++kx) {
            Expr v = padded(c, x * n.stride_w - n.pad_left + kx, y * n.stride_h - n.pad_top + ky);
            Expr prod = cast<int16_t>(v) * cast<int16_t>(w8(c, kx, ky));
            bool fits = part.defined() && partial_sums16;
            for (int ch = 0; fits && ch < in.c; ++ch)
                fits = bound[size_t(ch)] + x_max * std::abs(int(w8(ch, kx, ky))) <= 32767;
            if (!fits) {
                if (part.defined()) sum += cast<int32_t>(part);
                part = prod;
                std::fill(bound.begin(), bound.end(), 0);
            } else {
                part += prod;
            }
            for (int ch = 0; ch < in.c; ++ch) bound[size_t(ch)] += x_max * std::abs(int(w8(ch, kx, ky)));
            sum_x += cast(sum_t, v);
        }
    sum += cast<int32_t>(part);
    if (any_s_w) sum += (uniform ? Expr(s_w(0)) : s_w(c)) * cast<int32_t>(sum_x);
    L.output(c, x, y) = finish(sum, q, c, n, out_t);
    fix_shape(L.input, {in.c, in.w, in.h});
    L.out_c = out.c, L.out_w = out.w, L.out_h = out.h;
}

void lower_fc(const Graph& g, const Node& n, const Node& in_n, LayerFunc& L, Type out_t, DotProducts dot, bool int64_lanes) {
    const int ci = flat(g, n, in_n.shape, "input"), co = flat(g, n, n.shape, "output");
    fix_shape(L.input, {ci});
    L.out_c = co;
    if (dot != DotProducts::None && ci % 4 == 0 && lower_dot(g, n, in_n, L, dot)) {
        L.output(L.c) = finish(dot_sum(L, {L.c}), requant_params(in_n, n, L.fn_name, int64_lanes), L.c, n, out_t);
        return;
    }
    Folded f = fold(g, n, in_n, {ci, co}, {co, ci});
    Requant q = requant_params(in_n, n, L.fn_name, int64_lanes);
    L.r = RDom(0, ci, "r");
    L.acc = Func(L.fn_name + "_acc");
    L.acc(L.c) = f.b(L.c);
    L.acc(L.c) += cast<int32_t>(L.input(L.r)) * cast<int32_t>(f.w(L.c, L.r));
    L.output(L.c) = finish(L.acc(L.c), q, L.c, n, out_t);
}

// Integer mean of the valid taps, rounded half away from zero.
void lower_avgpool(const Graph& g, const Node& n, const Node& in_n, LayerFunc& L, Type out_t) {
    const Hwc in = nhwc(g, n, in_n.shape, "input"), out = nhwc(g, n, n.shape, "output");
    if (in.c != out.c) fail(g, n, "pool output channels differ from input channels");
    check_window(g, n, in, out);
    Func padded = BoundaryConditions::constant_exterior(L.input, cast(L.input.type(), 0), {{Expr(), Expr()}, {0, in.w}, {0, in.h}});
    Var c = L.c, x = L.x, y = L.y;
    Expr x0 = x * n.stride_w - n.pad_left, y0 = y * n.stride_h - n.pad_top;
    Expr sum = 0;
    for (int ky = 0; ky < n.kernel_h; ++ky)
        for (int kx = 0; kx < n.kernel_w; ++kx) sum += cast<int32_t>(padded(c, x0 + kx, y0 + ky));
    Expr count = max((min(x0 + n.kernel_w, in.w) - max(x0, 0)) * (min(y0 + n.kernel_h, in.h) - max(y0, 0)), 1);
    Expr half = count / 2;
    Expr avg = select(sum >= 0, (sum + half) / count, -((half - sum) / count));
    const quant::Range r = quant::activation_range(n.dtype, n.quant, n.activation);
    L.output(c, x, y) = cast(out_t, clamp(avg, r.lo, r.hi));
    fix_shape(L.input, {in.c, in.w, in.h});
    L.out_c = out.c, L.out_w = out.w, L.out_h = out.h;
}

Expr f64(double v) { return Internal::make_const(Float(64), v); }

// Like the reference: p = exp(s*(q - max q)) / sum in double, then round(p / y_scale) + y_zp.
void lower_softmax(const Graph& g, const Node& n, const Node& in_n, LayerFunc& L, Type out_t) {
    const int ci = flat(g, n, in_n.shape, "input"), co = flat(g, n, n.shape, "output");
    if (ci != co) fail(g, n, "softmax output size differs from input");
    RDom r(0, ci, "r");
    L.max_f = Func(L.fn_name + "_max");
    L.max_f() = cast<int32_t>(L.input(0));
    L.max_f() = max(L.max_f(), cast<int32_t>(L.input(r)));
    auto e = [&](Expr i) {
        return exp(f64(in_n.quant.scale[0]) * cast<double>(cast<int32_t>(L.input(i)) - L.max_f()));
    };
    L.sum_f = Func(L.fn_name + "_sum");
    L.sum_f() = f64(0);
    L.sum_f() += e(r);
    Expr v = e(L.c) / L.sum_f() / f64(n.quant.scale[0]);
    Expr fl = floor(v);
    Expr rounded = fl + select(v - fl >= f64(0.5), f64(1), f64(0));   // half away from zero (v >= 0)
    const quant::Range range = quant::dtype_range(n.dtype);
    Expr q = cast<int32_t>(clamp(rounded, f64(-1e9), f64(1e9))) + n.quant.zero_point[0];
    L.output(L.c) = cast(out_t, clamp(q, range.lo, range.hi));
    fix_shape(L.input, {ci});
    L.out_c = co;
}

}  // namespace

Expr multiply_by_quantized_multiplier(Expr x, Expr multiplier, Expr shift, int64_t max_abs_x, int max_shift, HighMul form,
                                      int min_shift) {
    const Expr lo = Int(32).min(), hi = Int(32).max();
    Expr left = max(shift, 0), right = max(-shift, 0);
    // What the bound proves: |x * 2^left| < 2^30, so the shift does not saturate
    // and, as |high mul| <= |its input| for a multiplier below 2^31, adding half
    // of 2^right (at most 2^30) to it cannot overflow.
    const int max_left = std::max(max_shift, 0);
    const bool small = max_abs_x >= 0 && max_abs_x < (int64_t(1) << 30) && max_shift <= 30 &&
                       (max_abs_x << max_left) < (int64_t(1) << 30);
    // Saturating x * 2^left (compared before shifting, so nothing overflows); no
    // shift at all when every shift is a right shift.
    Expr a = small ? (max_shift <= 0 ? x : x << left)
                   : select(x > (hi >> left), hi, select(x < (lo >> left), lo, x << left));
    // gemmlowp's SaturatingRoundingDoublingHighMul is floor((a*b + 2^30) / 2^31), saturated:
    // exactly Halide's rounding_mul_shift_right(a, b, 31) (only INT_MIN * INT_MIN saturates).
    // With |a| < 2^30 nothing saturates, and on int64 lanes the product is written out.
    const Expr one = Internal::make_const(UInt(32), 1);
    if (small && form == HighMul::HighHalf && (max_abs_x << max_left) < (int64_t(1) << 28)) {
        // |a| < 2^28: the high multiply as the high half of a 32 x 32-bit product, which
        // LLVM gives x86 as vpmuldq on the even and the odd lanes (no widening to and
        // narrowing from 64-bit lanes). hi = floor(4a * b / 2^32) = floor(a*b / 2^30), and
        // h = floor((a*b + 2^30) / 2^31) = floor((hi + 1) / 2) (floor(floor(y) / 2) =
        // floor(y / 2)). That halving folds into the rounding divide below: with u = hi + 1,
        // floor((floor(u / 2) + half + s) / 2^r) = floor((u + 2 half + 2 s) / 2^(r + 1)),
        // s = -[h < 0 and r > 0], h < 0 exactly when u < 0. r = min(right, 30): from a
        // right shift of 30 on the result is 0 (|h| < 2^28 < half), and so is the
        // clamped form's (0 < u + 2^30 + 2 s < 2^31), which keeps the shift below 32
        // (no clamp when every shift is at least -30).
        Expr hi_mul = cast<int32_t>((cast<int64_t>(a << 2) * cast<int64_t>(multiplier)) >> 32);
        Expr u = hi_mul + 1, r = min_shift >= -30 ? right : min(right, 30);
        Expr two_half = cast<int32_t>(one << cast<uint32_t>(r)) & -2;   // 2 half: 0 for r = 0
        Expr two_s = max_shift < 0 ? (u >> 31) << 1 : ((u >> 31) << 1) & select(r > 0, -1, 0);
        return (u + two_half + two_s) >> (r + 1);
    }
    Expr h = small && form != HighMul::Rounding
                 ? cast<int32_t>((cast<int64_t>(a) * cast<int64_t>(multiplier) + Expr(int64_t(1) << 30)) >> 31)
                 : Internal::rounding_mul_shift_right(a, multiplier, 31);
    // RoundingDivideByPOT: half away from zero (rounding_shift_right would round half up).
    if (small) {   // floor((h + half - [h < 0 and right > 0]) / 2^right); right > 0 for sure when max_shift < 0
        Expr half = cast<int32_t>((one << cast<uint32_t>(right)) >> 1);
        return (h + half + (max_shift < 0 ? h >> 31 : (h >> 31) & select(right > 0, -1, 0))) >> right;
    }
    Expr mask = cast<int32_t>((one << cast<uint32_t>(right)) - one);
    Expr threshold = (mask >> 1) + select(h < 0, 1, 0);
    return (h >> right) + select((h & mask) > threshold, 1, 0);
}

bool is_quantized_layer(const Node& n) { return n.dtype != DType::Float32; }

const Node& quantized_data_input(const Graph& g, const Node& n) { return data_input(g, n); }

std::string kernel_name_q(const std::string& model, const Node& n, int index) {
    std::string s = kernel_name(model, n, index);
    return s.replace(model.size(), 5, n.dtype == DType::Int8 ? "_i8_" : "_u8_");
}

LayerFunc lower_layer_q(const Graph& g, const Node& n, const std::string& fn_name, DotProducts dot, bool int64_lanes) {
    LayerFunc L;
    L.fn_name = fn_name;
    const Type out_t = halide_type(g, n, n.dtype);
    check_output_quant(g, n);
    const Node& in = data_input(g, n);
    const bool four_d = n.op != Op::FullyConnected && n.op != Op::Softmax;
    L.input = ImageParam(halide_type(g, n, in.dtype), four_d ? 3 : 1, fn_name + "_in");
    L.output = Func(fn_name);
    switch (n.op) {
        case Op::Conv2D:
            L.kind = is_pointwise(n) ? KernelKind::Pointwise : KernelKind::Conv;
            lower_conv(g, n, in, L, out_t, dot, int64_lanes);
            break;
        case Op::DepthwiseConv2D:
            L.kind = KernelKind::Depthwise;
            lower_depthwise(g, n, in, L, out_t, dot != DotProducts::None, int64_lanes);
            break;
        case Op::AvgPool:
            if (in.quant.scale != n.quant.scale || in.quant.zero_point != n.quant.zero_point)
                fail(g, n, "quantized AvgPool needs the same input and output quantisation");
            L.kind = KernelKind::AvgPool;
            lower_avgpool(g, n, in, L, out_t);
            break;
        case Op::FullyConnected: L.kind = KernelKind::FullyConnected; lower_fc(g, n, in, L, out_t, dot, int64_lanes); break;
        case Op::Softmax: L.kind = KernelKind::Softmax; lower_softmax(g, n, in, L, out_t); break;
        default: fail(g, n, std::string("the quantized lowering does not support ") + op_name(n.op) + " yet");
    }
    if (four_d)
        fix_shape(L.output.output_buffer(), {L.out_c, L.out_w, L.out_h});
    else
        fix_shape(L.output.output_buffer(), {L.out_c});
    L.mult_adds = node_mult_adds(g, n);
    L.io_bytes = num_elements(in.shape) + num_elements(n.shape);   // 8-bit activations
    return L;
}

}  // namespace mncc
