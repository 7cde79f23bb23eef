#include "lower/layers.h"

#include <cstring>

#include "support/error.h"

namespace mncc {

using namespace Halide;

namespace {

// Halide indexes with int32 and limits a buffer to 2^31 bytes.
constexpr int64_t kMaxExtent = int64_t(1) << 24;
constexpr int64_t kMaxBufferElements = int64_t(1) << 28;

[[noreturn]] void fail(const Graph& g, const Node& n, const std::string& why) {
    throw Error(node_error(g.source_file, n.name, op_name(n.op), why));
}

const Node& data_input(const Graph& g, const Node& n) {
    if (n.inputs.empty() || n.inputs[0] < 0 || n.inputs[0] >= static_cast<int>(g.nodes.size()))
        fail(g, n, "has no data input");
    return g.node(n.inputs[0]);
}

int dim(const Graph& g, const Node& n, int64_t v, const char* what) {
    if (v < 1 || v > kMaxExtent) fail(g, n, std::string(what) + " " + std::to_string(v) + " out of range");
    return static_cast<int>(v);
}

// [1,H,W,C] -> {C, W, H}.
struct Hwc { int c, w, h; };
Hwc nhwc(const Graph& g, const Node& n, const Shape& s, const char* what) {
    if (s.size() != 4 || s[0] != 1)
        fail(g, n, std::string(what) + " shape " + shape_str(s) + " is not [1,H,W,C]");
    if (num_elements(s) > kMaxBufferElements) fail(g, n, std::string(what) + " is too large");
    return {dim(g, n, s[3], "channels"), dim(g, n, s[2], "width"), dim(g, n, s[1], "height")};
}

int flat(const Graph& g, const Node& n, const Shape& s, const char* what) {
    if (s.empty() || s[0] != 1) fail(g, n, std::string(what) + " shape " + shape_str(s) + " is not [1,...]");
    return dim(g, n, num_elements(s), what);
}

void check_tensor(const Graph& g, const Node& n, const Tensor& t, const Shape& want, const char* what) {
    if (t.shape != want || static_cast<int64_t>(t.data.size()) != num_elements(want))
        fail(g, n, std::string(what) + " shape " + shape_str(t.shape) + ", expected " + shape_str(want));
}

// Window attributes shared by Conv2D, DepthwiseConv2D and AvgPool; checks that
// the output extent is what TF's arithmetic gives for these pads and strides.
void check_window(const Graph& g, const Node& n, const Hwc& in, const Hwc& out) {
    if (n.kernel_h < 1 || n.kernel_w < 1 || n.kernel_h * int64_t(n.kernel_w) > 1024) fail(g, n, "bad kernel size");
    if (n.stride_h < 1 || n.stride_w < 1 || n.stride_h > 64 || n.stride_w > 64) fail(g, n, "bad stride");
    for (int p : {n.pad_top, n.pad_bottom, n.pad_left, n.pad_right})
        if (p < 0 || p > 1024) fail(g, n, "bad padding " + std::to_string(p));
    // An AvgPool window entirely in the padding would divide by zero.
    if (n.op == Op::AvgPool && (n.pad_top >= n.kernel_h || n.pad_bottom >= n.kernel_h ||
                                n.pad_left >= n.kernel_w || n.pad_right >= n.kernel_w))
        fail(g, n, "pool padding must be smaller than the window");
    const int64_t oh = (int64_t(in.h) + n.pad_top + n.pad_bottom - n.kernel_h) / n.stride_h + 1;
    const int64_t ow = (int64_t(in.w) + n.pad_left + n.pad_right - n.kernel_w) / n.stride_w + 1;
    if (int64_t(in.h) + n.pad_top + n.pad_bottom < n.kernel_h || oh != out.h || ow != out.w)
        fail(g, n, "output spatial size does not match input, kernel, stride and padding");
}

Buffer<float> constant(const Tensor& t, const std::vector<int>& halide_dims, const std::string& name) {
    Buffer<float> b(halide_dims, name);
    std::memcpy(b.data(), t.data.data(), t.data.size() * sizeof(float));
    return b;
}

Expr activate(Expr v, Activation a) {
    switch (a) {
        case Activation::None: return v;
        case Activation::Relu: return max(v, 0.0f);
        case Activation::Relu6: return clamp(v, 0.0f, 6.0f);
    }
    return v;
}

std::string window_suffix(const Node& n) {
    std::string s = std::to_string(n.kernel_h) + "x" + std::to_string(n.kernel_w) + "s" + std::to_string(n.stride_h);
    if (n.stride_w != n.stride_h) s += "x" + std::to_string(n.stride_w);
    return s;
}

bool is_pointwise(const Node& n) {
    return n.op == Op::Conv2D && n.kernel_h == 1 && n.kernel_w == 1 && n.stride_h == 1 && n.stride_w == 1 &&
           n.pad_top == 0 && n.pad_bottom == 0 && n.pad_left == 0 && n.pad_right == 0;
}

// ---- Conv2D (standard, any window) ---------------------------------------
// acc(co, x, y) = bias(co) + sum_{ky,kx,ci} in(ci, x*s-pl+kx, y*s-pt+ky) * w(co, ci, kx, ky)
void lower_conv(const Graph& g, const Node& n, LayerFunc& L) {
    const Hwc in = nhwc(g, n, data_input(g, n).shape, "input"), out = nhwc(g, n, n.shape, "output");
    check_window(g, n, in, out);
    check_tensor(g, n, n.weights, {n.kernel_h, n.kernel_w, in.c, out.c}, "weights");
    check_tensor(g, n, n.bias, {out.c}, "bias");
    // HWIO memory is (co, ci, kx, ky) with co innermost: vector loads over co.
    Buffer<float> w = constant(n.weights, {out.c, in.c, n.kernel_w, n.kernel_h}, L.fn_name + "_w");
    Buffer<float> b = constant(n.bias, {out.c}, L.fn_name + "_b");
    Func padded = BoundaryConditions::constant_exterior(L.input, 0.0f, {{Expr(), Expr()}, {0, in.w}, {0, in.h}});
    L.r = RDom({{0, in.c}, {0, n.kernel_w}, {0, n.kernel_h}}, "r");
    Var c = L.c, x = L.x, y = L.y;
    L.acc = Func(L.fn_name + "_acc");
    L.acc(c, x, y) = b(c);
    L.acc(c, x, y) += padded(L.r.x, x * n.stride_w - n.pad_left + L.r.y, y * n.stride_h - n.pad_top + L.r.z) *
                      w(c, L.r.x, L.r.y, L.r.z);
    L.output(c, x, y) = activate(L.acc(c, x, y), n.activation);
    fix_shape(L.input, {in.c, in.w, in.h});
    L.out_c = out.c, L.out_w = out.w, L.out_h = out.h;
}

// ---- DepthwiseConv2D (multiplier 1) ----------------------------------------
// f(c, x, y) = bias(c) + sum_{ky,kx} in(c, x*s-pl+kx, y*s-pt+ky) * w(c, kx, ky), unrolled in the
// algorithm (windows are small): no reduction stage, no intermediate. Reads L.input;
// returns the output extents.
Hwc define_depthwise(const Graph& g, const Node& n, LayerFunc& L, Func f, const std::string& name) {
    const Hwc in = nhwc(g, n, data_input(g, n).shape, "input"), out = nhwc(g, n, n.shape, "output");
    if (in.c != out.c) fail(g, n, "depthwise output channels differ from input channels");
    check_window(g, n, in, out);
    check_tensor(g, n, n.weights, {n.kernel_h, n.kernel_w, in.c}, "weights");
    check_tensor(g, n, n.bias, {out.c}, "bias");
    Buffer<float> w = constant(n.weights, {in.c, n.kernel_w, n.kernel_h}, name + "_w");
    Buffer<float> b = constant(n.bias, {out.c}, name + "_b");
    Func padded = BoundaryConditions::constant_exterior(L.input, 0.0f, {{Expr(), Expr()}, {0, in.w}, {0, in.h}});
    Var c = L.c, x = L.x, y = L.y;
    Expr sum = b(c);
    for (int ky = 0; ky < n.kernel_h; ++ky)
        for (int kx = 0; kx < n.kernel_w; ++kx)
            sum += padded(c, x * n.stride_w - n.pad_left + kx, y * n.stride_h - n.pad_top + ky) * w(c, kx, ky);
    f(c, x, y) = activate(sum, n.activation);
    fix_shape(L.input, {in.c, in.w, in.h});
    return out;
}

void lower_depthwise(const Graph& g, const Node& n, LayerFunc& L) {
    const Hwc out = define_depthwise(g, n, L, L.output, L.fn_name);
    L.out_c = out.c, L.out_w = out.w, L.out_h = out.h;
}

// ---- Pointwise (1x1 Conv2D, stride 1, no padding) ---------------------------
// acc(co, x, y) = bias(co) + sum_ci in(ci, x, y) * w(co, ci); weights [ci][co], co innermost.
// `in` is L.pw_in: the input, or the fused depthwise stage.
void lower_pointwise(const Graph& g, const Node& n, LayerFunc& L) {
    const Hwc in = nhwc(g, n, data_input(g, n).shape, "input"), out = nhwc(g, n, n.shape, "output");
    if (in.w != out.w || in.h != out.h) fail(g, n, "pointwise output spatial size differs from input");
    check_tensor(g, n, n.weights, {1, 1, in.c, out.c}, "weights");
    check_tensor(g, n, n.bias, {out.c}, "bias");
    Buffer<float> w = constant(n.weights, {out.c, in.c}, L.fn_name + "_w");
    Buffer<float> b = constant(n.bias, {out.c}, L.fn_name + "_b");
    L.r = RDom(0, in.c, "r");
    Var c = L.c, x = L.x, y = L.y;
    if (!L.dw.defined()) {
        L.pw_in = L.input;
        fix_shape(L.input, {in.c, in.w, in.h});
    }
    L.acc = Func(L.fn_name + "_acc");
    L.acc(c, x, y) = b(c);
    L.acc(c, x, y) += L.pw_in(L.r, x, y) * w(c, L.r);
    L.output(c, x, y) = activate(L.acc(c, x, y), n.activation);
    L.out_c = out.c, L.out_w = out.w, L.out_h = out.h;
    L.weights = w, L.bias = b, L.activation = n.activation;
}

// ---- AvgPool ------------------------------------------------------------------
// Sum of the window's valid elements divided by their count (TF excludes padding).
void lower_avgpool(const Graph& g, const Node& n, LayerFunc& L) {
    const Hwc in = nhwc(g, n, data_input(g, n).shape, "input"), out = nhwc(g, n, n.shape, "output");
    if (in.c != out.c) fail(g, n, "pool output channels differ from input channels");
    check_window(g, n, in, out);
    Func padded = BoundaryConditions::constant_exterior(L.input, 0.0f, {{Expr(), Expr()}, {0, in.w}, {0, in.h}});
    Var c = L.c, x = L.x, y = L.y;
    Expr x0 = x * n.stride_w - n.pad_left, y0 = y * n.stride_h - n.pad_top;
    Expr sum = 0.0f;
    for (int ky = 0; ky < n.kernel_h; ++ky)
        for (int kx = 0; kx < n.kernel_w; ++kx) sum += padded(c, x0 + kx, y0 + ky);
    Expr count = (min(x0 + n.kernel_w, in.w) - max(x0, 0)) * (min(y0 + n.kernel_h, in.h) - max(y0, 0));
    L.output(c, x, y) = sum / cast<float>(count);
    fix_shape(L.input, {in.c, in.w, in.h});
    L.out_c = out.c, L.out_w = out.w, L.out_h = out.h;
}

// ---- FullyConnected -----------------------------------------------------------
// acc(co) = bias(co) + sum_ci in(ci) * w(co, ci); weights [ci][co], co innermost.
void lower_fc(const Graph& g, const Node& n, LayerFunc& L) {
    const int ci = flat(g, n, data_input(g, n).shape, "input"), co = flat(g, n, n.shape, "output");
    check_tensor(g, n, n.weights, {ci, co}, "weights");
    check_tensor(g, n, n.bias, {co}, "bias");
    Buffer<float> w = constant(n.weights, {co, ci}, L.fn_name + "_w");
    Buffer<float> b = constant(n.bias, {co}, L.fn_name + "_b");
    L.r = RDom(0, ci, "r");
    Var c = L.c;
    L.acc = Func(L.fn_name + "_acc");
    L.acc(c) = b(c);
    L.acc(c) += L.input(L.r) * w(c, L.r);
    L.output(c) = activate(L.acc(c), n.activation);
    fix_shape(L.input, {ci});
    L.out_c = co;
}

// ---- Softmax ---------------------------------------------------------------------
// exp(v - max) / sum(exp(v - max)), reductions in a fixed serial order.
void lower_softmax(const Graph& g, const Node& n, LayerFunc& L) {
    const int ci = flat(g, n, data_input(g, n).shape, "input"), co = flat(g, n, n.shape, "output");
    if (ci != co) fail(g, n, "softmax output size differs from input");
    RDom r(0, ci, "r");
    L.max_f = Func(L.fn_name + "_max");
    L.max_f() = L.input(0);
    L.max_f() = max(L.max_f(), L.input(r));
    L.sum_f = Func(L.fn_name + "_sum");
    L.sum_f() = 0.0f;
    L.sum_f() += exp(L.input(r) - L.max_f());
    L.output(L.c) = exp(L.input(L.c) - L.max_f()) / L.sum_f();
    fix_shape(L.input, {ci});
    L.out_c = co;
}

LayerFunc new_layer(const std::string& fn_name, bool four_d) {
    LayerFunc L;
    L.fn_name = fn_name;
    L.input = ImageParam(Float(32), four_d ? 3 : 1, fn_name + "_in");
    L.output = Func(fn_name);
    return L;
}

}  // namespace

void fix_shape(OutputImageParam p, const std::vector<int>& extents) {
    int stride = 1;
    for (size_t i = 0; i < extents.size(); ++i) {
        p.dim(static_cast<int>(i)).set_bounds(0, extents[i]).set_stride(stride);
        stride *= extents[i];
    }
}

std::string kernel_name(const std::string& model, const Node& n, int index) {
    std::string k;
    switch (n.op) {
        case Op::Conv2D: k = is_pointwise(n) ? "pw" : "conv" + window_suffix(n); break;
        case Op::DepthwiseConv2D: k = "dw" + window_suffix(n); break;
        case Op::AvgPool: k = "avgpool" + window_suffix(n); break;
        case Op::FullyConnected: k = "fc"; break;
        case Op::Softmax: k = "softmax"; break;
        default: k = "unsupported"; break;
    }
    return model + "_f32_" + k + "_" + std::to_string(index);
}

std::string fused_kernel_name(const std::string& model, const Node& dw, int index) {
    return model + "_f32_dw" + window_suffix(dw) + "_pw_" + std::to_string(index);
}

LayerFunc lower_layer(const Graph& g, const Node& n, const std::string& fn_name) {
    const bool four_d = n.op != Op::FullyConnected && n.op != Op::Softmax;
    LayerFunc L = new_layer(fn_name, four_d);
    switch (n.op) {
        case Op::Conv2D:
            if (is_pointwise(n)) {
                L.kind = KernelKind::Pointwise;
                lower_pointwise(g, n, L);
            } else {
                L.kind = KernelKind::Conv;
                lower_conv(g, n, L);
            }
            break;
        case Op::DepthwiseConv2D: L.kind = KernelKind::Depthwise; lower_depthwise(g, n, L); break;
        case Op::AvgPool: L.kind = KernelKind::AvgPool; lower_avgpool(g, n, L); break;
        case Op::FullyConnected: L.kind = KernelKind::FullyConnected; lower_fc(g, n, L); break;
        case Op::Softmax: L.kind = KernelKind::Softmax; lower_softmax(g, n, L); break;
        default: fail(g, n, std::string("the Halide lowering does not support ") + op_name(n.op) + " yet");
    }
    if (four_d)
        fix_shape(L.output.output_buffer(), {L.out_c, L.out_w, L.out_h});
    else
        fix_shape(L.output.output_buffer(), {L.out_c});
    L.mult_adds = node_mult_adds(g, n);
    L.io_bytes = (num_elements(data_input(g, n).shape) + num_elements(n.shape)) * 4;
    return L;
}

int fusable_depthwise(const Graph& g, const Node& pw) {
    if (!is_pointwise(pw) || pw.dtype != DType::Float32 || pw.inputs.size() != 1) return -1;
    const int id = pw.inputs[0];
    if (id < 0 || id >= static_cast<int>(g.nodes.size()) || id == g.output) return -1;
    const Node& dw = g.node(id);
    if (dw.op != Op::DepthwiseConv2D || dw.dead || dw.dtype != DType::Float32) return -1;
    const std::vector<int> users = g.consumers(id);
    return users.size() == 1 && users[0] == pw.id ? id : -1;
}

LayerFunc lower_fused(const Graph& g, const Node& dw, const Node& pw, const std::string& fn_name) {
    if (fusable_depthwise(g, pw) != dw.id) fail(g, pw, "cannot absorb '" + dw.name + "': fusion needs a float pointwise layer that is the only consumer of "
                    "a float depthwise layer");
    LayerFunc L = new_layer(fn_name, true);
    L.kind = KernelKind::Pointwise;
    L.dw = Func(fn_name + "_dw");
    const Hwc mid = define_depthwise(g, dw, L, L.dw, fn_name + "_dw");
    L.pw_in = L.dw;
    L.dw_c = mid.c;
    lower_pointwise(g, pw, L);
    fix_shape(L.output.output_buffer(), {L.out_c, L.out_w, L.out_h});
    L.mult_adds = node_mult_adds(g, dw) + node_mult_adds(g, pw);
    L.io_bytes = (num_elements(data_input(g, dw).shape) + num_elements(pw.shape)) * 4;
    return L;
}

void pack_pointwise_weights(LayerFunc& L, int tile, bool flat_pixels) {
    const int co = L.weights.dim(0).extent(), ci = L.weights.dim(1).extent();
    if (L.kind != KernelKind::Pointwise || tile < 1 || co % tile != 0)
        throw Error("pack_pointwise_weights: " + L.fn_name + " cannot be packed in tiles of " + std::to_string(tile));
    Buffer<float> wp({tile, ci, co / tile}, L.fn_name + "_wp");
    for (int o = 0; o < co / tile; ++o)
        for (int i = 0; i < ci; ++i)
            for (int t = 0; t < tile; ++t) wp(t, i, o) = L.weights(o * tile + t, i);
    Var c = L.c, x = L.x, y = L.y, p = L.p;
    L.r = RDom(0, ci, "r");
    L.acc = Func(L.fn_name + "_acc");
    L.output = Func(L.fn_name);
    if (flat_pixels) {
        // Pixels past the map read the last pixel: a schedule may round acc's pixel
        // loop up to whole register tiles (an update stage cannot shift its tail
        // inwards, which would add a partial sum twice); those values are never read.
        const int w = L.out_w;
        Expr q = min(p, w * L.out_h - 1);
        L.acc(c, p) = L.bias(c);
        L.acc(c, p) += L.pw_in(L.r, q % w, q / w) * wp(c % tile, L.r, c / tile);
        L.flat = Func(L.fn_name + "_flat");
        L.flat(c, p) = activate(L.acc(c, p), L.activation);
        L.output(c, x, y) = L.flat(c, x + y * w);
    } else {
        L.acc(c, x, y) = L.bias(c);
        L.acc(c, x, y) += L.pw_in(L.r, x, y) * wp(c % tile, L.r, c / tile);
        L.output(c, x, y) = activate(L.acc(c, x, y), L.activation);
    }
    fix_shape(L.output.output_buffer(), {L.out_c, L.out_w, L.out_h});
}

}  // namespace mncc
