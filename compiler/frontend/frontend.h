// Front ends: model file -> mncc::Graph with static shapes.
//
// Each reader checks everything it takes from the file (sizes, types, shapes,
// references between nodes) and throws mncc::Error with "FILE: node 'N' (OP):
// reason" on anything it cannot represent exactly. The graph it returns still
// holds the source's op structure (Identity, BatchNorm, Relu6, ...); the passes
// turn it into layers.
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

// Reads a TensorFlow frozen GraphDef (binary protobuf).
Graph load_tf_graphdef(const std::string& path, const FrontendOptions& opts = {});
// Same, from bytes already in memory (`path` is used in messages only).
Graph parse_tf_graphdef(const std::string& bytes, const std::string& path, const FrontendOptions& opts = {});

// Picks the front end by file contents/extension. Throws for unknown formats.
Graph load_model(const std::string& path, const FrontendOptions& opts = {});

}  // namespace mncc
