// Halide algorithms for the layer ops, one per layer kind, target-free.
//
// Each layer becomes its own Halide pipeline taking one input buffer and
// writing one output buffer. 4-D activations are Halide buffers with dims
// (c, x, y): NHWC memory order, c innermost; FullyConnected and Softmax see
// their [1,C] (or [1,1,1,C]) tensors as 1-D buffers of C floats. Buffer
// extents and strides are fixed at compile time: the glue always passes
// exactly these shapes. Weights and biases are Halide::Buffer constants the
// pipeline captures, so they end up as constant data in the object file.
// Schedules live apart, in schedules/.
#pragma once

#include <string>
#include <vector>

#include <Halide.h>

#include "ir/ir.h"

namespace mncc {

enum class KernelKind { Conv, Depthwise, Pointwise, AvgPool, FullyConnected, Softmax };

// One lowered layer: the funcs a schedule needs and the static extents.
struct LayerFunc {
    KernelKind kind;
    std::string fn_name;          // the exported symbol, e.g. mobilenet_f32_dw3x3s1_4
    Halide::ImageParam input;
    Halide::Func output;          // (c, x, y) or (c)
    Halide::Func acc;             // reduction stage for Conv/Pointwise/FC, else undefined
    Halide::RDom r;               // acc's reduction domain
    Halide::Func max_f, sum_f;    // Softmax's scalar reductions; quantized dot products' input sums
    Halide::RDom rs;              // sum_f's reduction domain in the quantized dot-product form
    Halide::Var c{"c"}, x{"x"}, y{"y"};
    int out_c = 1, out_w = 1, out_h = 1;
    // Pointwise only: what pack_pointwise_weights rebuilds the layer from.
    Halide::Buffer<float> weights, bias;   // (co, ci), (co)
    Activation activation = Activation::None;
    // Float layers: the work a schedule sizes its parallelism by (0 when unknown).
    int64_t mult_adds = 0;
    int64_t io_bytes = 0;         // input plus output activations
    // Pointwise with flat pixels (pack_pointwise_weights): acc and flat are (c, p),
    // p = x + y * out_w, and output(c, x, y) copies flat.
    Halide::Func flat;
    Halide::Var p{"p"};
    // Pointwise only: what acc reduces over, (ci, x, y): the input, or in a fused
    // kernel (lower_fused) the depthwise stage dw, which reads the input.
    Halide::Func pw_in, dw;
    int dw_c = 0;                 // fused: the depthwise stage's channels (= the pointwise's input channels)
};

// Exact buffer shape for a kernel's input or output: `extents` innermost first,
// dense strides, so nothing is queried at run time and the emitted glue must pass
// exactly these shapes (compile.cpp reads them back for the manifest).
void fix_shape(Halide::OutputImageParam p, const std::vector<int>& extents);

// Kernel function name: <model>_f32_<kind><kxk>s<stride>_<index>.
std::string kernel_name(const std::string& model, const Node& n, int index);

// Fused kernel name: <model>_f32_dw<kxk>s<stride>_pw_<index>.
std::string fused_kernel_name(const std::string& model, const Node& dw, int index);

// Builds the algorithm for layer node `n` of `g` (checks the shapes it relies on;
// throws mncc::Error naming the node otherwise).
LayerFunc lower_layer(const Graph& g, const Node& n, const std::string& fn_name);

// The DepthwiseConv2D node a pointwise node `pw` can absorb, or -1: pw is a float
// pointwise Conv2D (1x1, stride 1, no padding) whose data input is a float
// DepthwiseConv2D that has no other consumer and is not the graph's output.
int fusable_depthwise(const Graph& g, const Node& pw);

// One kernel for depthwise node `dw` followed by pointwise node `pw`
// (fusable_depthwise(g, pw) == dw.id): kind Pointwise, input dw's input, output
// pw's output; dw is a Func the schedule computes inside the pointwise's tiles.
LayerFunc lower_fused(const Graph& g, const Node& dw, const Node& pw, const std::string& fn_name);

// Redefines pointwise layer L (same name, input and result) with its weights
// repacked at compile time as [co / tile][ci][tile]: the weights of one input
// channel for one register tile of `tile` output channels are one contiguous
// run, and the reduction walks them sequentially. Requires out_c % tile == 0.
// flat_pixels: compute over the map's pixels as one dimension (acc, flat),
// so register tiles of pixels do not stop at row ends.
void pack_pointwise_weights(LayerFunc& L, int tile, bool flat_pixels);

}  // namespace mncc
