// mncc IR: a typed graph of layers with static shapes.
//
// The front ends translate a model file into this graph, one Node per source op
// that matters, with every output shape known at compile time. Passes then
// rewrite it in place (fold batch norm, fuse activations, ...) until only
// "layer" ops remain: Input, Conv2D, DepthwiseConv2D, AvgPool, FullyConnected,
// Softmax, Reshape (a no-op view) and Add. The reference interpreter, the
// inspector and the Halide lowering all read that final form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mncc {

// Activation tensors are float32. Shapes are NHWC for 4-D tensors and [N, C]
// for 2-D ones. Batch is 1 for every network mncc compiles.
using Shape = std::vector<int64_t>;

std::string shape_str(const Shape& s);       // "[1,224,224,3]"
int64_t num_elements(const Shape& s);        // product of dims (checked: throws on overflow)

// Element types. Everything is Float32 unless a quantized front end (TFLite)
// says otherwise; integer values of every type are held as int32 in memory.
enum class DType { Float32, UInt8, Int8, Int32 };
const char* dtype_name(DType t);             // "float32", "uint8", "int8", "int32"
int64_t dtype_bytes(DType t);                // 4, 1, 1, 4: the arena size of one element

// Affine quantisation of a tensor: real = scale * (q - zero_point).
// One entry = per tensor; several = per channel, indexed by the LAST dimension
// (the output channel in every IR weight layout: HWIO, [kh,kw,c], [cin,cout]),
// so layout changes by the passes never move the channel axis.
struct Quantization {
    std::vector<float> scale;                // empty: not quantized
    std::vector<int32_t> zero_point;         // same length as scale
    bool empty() const { return scale.empty(); }
    float scale_at(int64_t c) const { return scale.size() == 1 ? scale[0] : scale.at(size_t(c)); }
    int32_t zero_point_at(int64_t c) const { return zero_point.size() == 1 ? zero_point[0] : zero_point.at(size_t(c)); }
};

// A constant tensor (weights, biases, batch-norm statistics, shape vectors).
// Quantized constants (dtype != Float32) keep the file's integers exactly in
// `qdata` (the authority for integer kernels) with `quant`; `data` then holds
// the same values dequantized (scale*(q-zp)), so float-only code (validate,
// inspect, dumps) reads them as usual.
struct Tensor {
    Shape shape;
    std::vector<float> data;                 // row-major, size == num_elements(shape)
    DType dtype = DType::Float32;
    std::vector<int32_t> qdata{};            // row-major integer values when dtype != Float32
    Quantization quant{};
};

enum class Op {
    // Front-end level ops (removed or folded by passes).
    Const,            // constant tensor in `value`
    Identity,         // y = x
    Shape,            // the static shape of inputs[0], as a 1-D tensor
    Squeeze,          // drop size-1 dims (`axes`, or all when empty)
    BiasAdd,          // y = x + value (per channel)
    BatchNorm,        // y = (x - mean) * gamma / sqrt(var + eps) + beta, inference
    Mul,              // y = x * value (per channel or scalar constant)
    Relu,             // y = max(x, 0)
    Relu6,            // y = min(max(x, 0), 6)
    Pad,              // explicit zero padding of H and W (`pad_*`)
    Mean,             // mean over `axes` (H and W), keep_dims or not
    // Layer ops (the final IR).
    Input,            // network input (Placeholder), shape in `shape`
    Conv2D,           // standard convolution; weights HWIO [kh,kw,cin,cout]
    DepthwiseConv2D,  // depthwise, multiplier 1; weights [kh,kw,c]
    AvgPool,          // average over a kh x kw window (VALID) or global
    FullyConnected,   // y = x * W + b; weights [cin, cout]
    Softmax,          // over the last dim
    Reshape,          // same data, new static shape (a view)
    Add,              // elementwise sum of two tensors (residual), or + constant
    // Quantized graphs (TFLite) only; both are layer ops.
    Quantize,         // float -> dtype/quant of the node, or integer -> integer requantisation
    Dequantize,       // integer input -> float32: scale * (q - zero_point)
};

const char* op_name(Op op);

enum class Activation { None, Relu, Relu6 };
const char* activation_name(Activation a);

// TF's padding rule the op was written with; pad_* always holds the exact
// amounts (TF SAME puts the odd extra row/column at the bottom/right).
enum class Padding { Valid, Same, Explicit };
const char* padding_name(Padding p);

struct Node {
    int id = -1;                  // index in Graph::nodes
    std::string name;             // source node name, kept for messages and code comments
    Op op = Op::Identity;
    std::vector<int> inputs;      // producer node ids (data first, constants after)
    Shape shape;                  // static output shape

    // Convolution / pooling attributes.
    int kernel_h = 1, kernel_w = 1;
    int stride_h = 1, stride_w = 1;
    Padding padding = Padding::Valid;
    int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
    Activation activation = Activation::None;  // fused activation (after bias)

    // Constants owned by the node once bound: conv/fc weights and bias,
    // Const values, BiasAdd/Mul/Add constants.
    Tensor weights;
    Tensor bias;                  // empty == no bias
    Tensor value;                 // Const, BiasAdd, Mul, Add-with-constant

    // BatchNorm (inference) parameters, per channel.
    Tensor bn_gamma, bn_beta, bn_mean, bn_var;
    float bn_epsilon = 0.001f;

    // Mean / Squeeze axes, Reshape/Mean keep_dims.
    std::vector<int64_t> axes;
    bool keep_dims = false;

    bool dead = false;            // removed by a pass; skipped by everyone

    // The element type and quantisation of this node's OUTPUT (activation).
    // Float32 with empty quant for every float graph. In a quantized graph a
    // Conv2D/DepthwiseConv2D/FullyConnected reads integer input (its input
    // node's dtype/quant), has integer weights (weights.qdata/quant, per tensor
    // or per output channel) and an Int32 bias (bias.qdata, scale =
    // input_scale*weight_scale, zero point 0), accumulates in int32 and
    // requantises to this dtype/quant, clamping to the activation range.
    // Reshape is a view: its dtype/quant equal its input's.
    DType dtype = DType::Float32;
    Quantization quant{};
};

// How the network's float input is made from 8-bit RGB: x * scale + offset
// (TF-slim default: x/127.5 - 1).
struct Preprocess {
    float scale = 1.0f / 127.5f;
    float offset = -1.0f;
};

struct Graph {
    std::string source_file;      // for messages and the manifest
    std::vector<Node> nodes;      // topological order is not assumed by front ends
    int input = -1;               // the Input node
    int output = -1;              // the node whose value is the network output
    Preprocess preprocess;

    // Filled by the memory planner: per node byte offset into the arena
    // (-1 for nodes that own no activation memory), and the arena size.
    std::vector<int64_t> arena_offset;
    int64_t arena_bytes = 0;
    int64_t arena_lower_bound = 0;

    Node& add(Op op, const std::string& name);
    const Node& node(int id) const { return nodes.at(id); }
    Node& node(int id) { return nodes.at(id); }

    // Live nodes reachable backwards from `output`, producers before consumers.
    // Throws mncc::Error on a cycle.
    std::vector<int> topo_order() const;
    // Ids of live nodes that read node `id`.
    std::vector<int> consumers(int id) const;
    // Replace every use of `from` (and `output` if it is `from`) by `to`.
    void replace_uses(int from, int to);
};

// Mult-adds and parameters of a layer node, as the MobileNet paper counts them
// (Tables 2, 6, 7): mult-adds of conv and FC layers, parameters = weights.
// Biases (folded batch norm) and activations are excluded from both; the
// paper's shares only add up this way.
int64_t node_mult_adds(const Graph& g, const Node& n);
int64_t node_params(const Node& n);

// Table 2 categories of the MobileNet paper.
enum class LayerKind { Conv, Depthwise, Pointwise, FullyConnected, Pool, Softmax, Other };
LayerKind layer_kind(const Graph& g, const Node& n);
const char* layer_kind_name(LayerKind k);

}  // namespace mncc
