// Front ends: model file -> mncc::Graph with static shapes.
//
// Each reader checks everything it takes from the file (sizes, types, shapes,
// references between nodes) and throws mncc::Error with "FILE: node 'N' (OP):
// reason" on anything it cannot represent exactly. The graph it returns still
// holds the source's op structure (Identity, BatchNorm, Relu6, ...); the passes
// turn it into layers.
//
// What the TF GraphDef reader returns (the passes rely on this):
// - Only nodes the output depends on; each source node maps to at most one
//   IR node with the same name, and every IR node has its static `shape`.
// - Constants are bound at parse time, following Identity chains from Const:
//   no Op::Const node and no weight "/read" Identity is emitted, and every
//   `inputs` entry is a computed (data) node. Constants live on the consumer:
//     Conv2D           inputs [x]; weights HWIO [kh,kw,cin,cout]; bias empty
//     DepthwiseConv2D  inputs [x]; weights [kh,kw,c] (TF's [kh,kw,c,1])
//     FullyConnected   inputs [x] (2-D [N,cin]); weights [cin,cout] (MatMul,
//                      transpose_b already applied); bias empty
//     BiasAdd          inputs [x]; value [C] (C = last dim of x)
//     Mul / Add        inputs [x]; value [C] (per channel) or [1] (scalar),
//                      either operand order in the file
//     Add              inputs [a, b] when both are computed (same shape)
//     BatchNorm        inputs [x]; bn_gamma/beta/mean/var [C], bn_epsilon
//                      (FusedBatchNorm and V3, is_training false)
//   Conv2D, DepthwiseConv2D and AvgPool carry kernel_*, stride_*, padding
//   (Same/Valid) and the exact pad_* (TF SAME: odd extra at bottom/right);
//   activation is None and bias empty: fusing BiasAdd/BatchNorm/Relu* is the
//   passes' job.
// - Other ops: Input (the one Placeholder, [1,H,W,C] float), Identity (on the
//   data path only), Relu, Relu6, Softmax, Pad (padding Explicit, pad_* of H
//   and W, shape padded; the front end does not check that a conv follows),
//   Mean (axes {1,2}, keep_dims; shape [N,1,1,C] or [N,C]), Squeeze (axes =
//   the dims removed, sorted), Reshape (inputs [x], the static target shape;
//   a -1 or a Shape op source already resolved), Shape (inputs [x], shape
//   [rank], value = x's dims as floats). A Shape node feeding a Reshape is
//   emitted but nothing references it, so it is unreachable from the output.
// - Graph::input is the Input node, Graph::output the requested or the unique
//   sink node (e.g. MobilenetV1/Predictions/Reshape_1, a Reshape of Softmax).
#pragma once

#include <string>

#include "ir/ir.h"

namespace mncc {

struct FrontendOptions {
    std::string input_name;   // override the automatically found input Placeholder
    std::string output_name;  // override the automatically found output node
};

// Explicit limits on what a model file may ask for.
constexpr int64_t kMaxModelFileBytes = int64_t(1) << 30;  // 1 GiB
constexpr int64_t kMaxNodes = 100000;
constexpr int64_t kMaxRank = 8;
constexpr int64_t kMaxDim = int64_t(1) << 20;              // per dimension
constexpr int64_t kMaxTensorElements = int64_t(1) << 28;   // per tensor
// Elements of all splat constants (one value repeated) together: a few bytes
// of file must not ask for gigabytes of memory.
constexpr int64_t kMaxSplatElements = int64_t(1) << 24;

// Reads a TensorFlow frozen GraphDef (binary protobuf). Supported ops:
// Placeholder, Const, Identity, Conv2D, DepthwiseConv2dNative, BiasAdd,
// FusedBatchNorm(V3), Mul, Add, AddV2, Relu, Relu6, AvgPool, Mean, Squeeze,
// Reshape, Shape, Softmax, MatMul, Pad. Control inputs ("^x") are ignored;
// "x:0" is x, other output ports are rejected.
Graph load_tf_graphdef(const std::string& path, const FrontendOptions& opts = {});
// Same, from bytes already in memory (`path` is used in messages only).
Graph parse_tf_graphdef(const std::string& bytes, const std::string& path, const FrontendOptions& opts = {});

// Picks the front end by file contents/extension: .pb, or any file that parses
// as a GraphDef with nodes, is read as one; anything else throws
// "FILE: unknown model format ...".
Graph load_model(const std::string& path, const FrontendOptions& opts = {});

}  // namespace mncc
