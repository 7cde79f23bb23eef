// The reference interpreter: the oracle for every other test.
//
// Plain C++ loops over the final layer IR (after run_passes), accumulation in
// double, TF SAME padding exactly. Slow on purpose: nothing clever to get wrong.
// Quantized nodes (dtype != Float32, TFLite graphs) run the integer kernels of
// reference/quantized.h exactly.
#pragma once

#include <vector>

#include "ir/ir.h"

namespace mncc {

// input: NHWC float, num_elements(graph input shape). Returns the output
// node's values. Throws mncc::Error on a size mismatch.
// For a quantized graph the float input is quantized with the input's
// parameters first (exact for values made by Graph::preprocess from RGB
// bytes) and an integer output is returned dequantized.
std::vector<float> run_reference(const Graph& g, const std::vector<float>& input);

// One node's value: float32 values, or the integer values of a quantized
// tensor (uint8/int8/int32, held as int32).
struct RefValue {
    DType dtype = DType::Float32;
    std::vector<float> f;        // when dtype == Float32
    std::vector<int32_t> q;      // otherwise
};

// Runs the graph and returns every node's value, indexed by node id (empty
// for nodes not on the path to the output). `input` must have the input
// node's dtype. Reshape nodes hold a copy of their input's values.
// This is how tests reach intermediate tensors, e.g. the integer logits
// before the softmax.
std::vector<RefValue> run_reference_all(const Graph& g, const RefValue& input);

// Integer-in, integer-out run of a quantized graph, e.g. raw RGB bytes into
// a uint8 MobileNet: returns the output node's integer values.
std::vector<int32_t> run_reference_int(const Graph& g, const std::vector<int32_t>& input);

// The integer input of a quantized graph for real values `input` (what
// run_reference does first): round(x / scale) + zero_point, clamped.
std::vector<int32_t> quantize_input(const Graph& g, const std::vector<float>& input);

}  // namespace mncc
