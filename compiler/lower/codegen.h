// Text emission for `mncc compile`: the C/C++ header, the glue source that runs
// the per-layer Halide kernels over the arena, and the JSON manifest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace mncc {

// Where a tensor lives at run time: the caller's input or output array, or the arena.
enum class Place { Input, Output, Arena };

struct TensorRef {
    Place place = Place::Arena;
    int64_t offset = 0;            // bytes into the arena (Place::Arena)
    std::vector<int> extents;      // Halide dims, innermost first: (c, x, y) or (c)
    DType dtype = DType::Float32;  // element type (quantized models: uint8/int8)
};

struct EmittedLayer {
    std::string node_name, op, kind, fn_name, activation;
    Shape in_shape, out_shape;
    TensorRef in, out;
    int64_t mult_adds = 0, params = 0;
    std::string knobs_json;        // the schedule knobs used, as a JSON object
};

struct ModelInfo {
    std::string name;              // C identifier, prefix of every symbol
    std::string model_file, model_sha256, input_name, output_name;
    int in_h = 0, in_w = 0, in_c = 0;
    int64_t in_offset = 0;         // arena offset of the input region (RGB8 entry point)
    int64_t output_size = 0, arena_bytes = 0, mult_adds = 0, params = 0, weights_bytes = 0;
    Preprocess preprocess;
    // Quantized models: the input/output element types and quantisation, and the
    // arena offset of a float scratch image for the RGB8 entry point.
    bool quantized = false;
    DType in_dtype = DType::Float32, out_dtype = DType::Float32;
    Quantization in_quant, out_quant;
    int64_t scratch_offset = 0;
    std::string target, halide_target, schedule, version;
    std::vector<EmittedLayer> layers;
};

constexpr int kLibArenaAlignment = 64;

// A node name made safe for a C comment: printable ASCII only, no comment delimiters.
std::string comment_safe(const std::string& s);

std::string emit_header(const ModelInfo& m);
// `preprocess_header` and `thread_pool_header` are the text of runtime/mncc_preprocess.h
// and runtime/mncc_thread_pool.h, pasted in (the pool only into hosted glue).
std::string emit_glue(const ModelInfo& m, const std::string& preprocess_header, const std::string& thread_pool_header);
std::string emit_manifest(const ModelInfo& m);

}  // namespace mncc
