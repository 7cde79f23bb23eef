// The reference interpreter: the oracle for every other test.
//
// Plain C++ loops over the final layer IR (after run_passes), accumulation in
// double, TF SAME padding exactly. Slow on purpose: nothing clever to get wrong.
#pragma once

#include <vector>

#include "ir/ir.h"

namespace mncc {

// input: NHWC float, num_elements(graph input shape). Returns the output
// node's values. Throws mncc::Error on a size mismatch.
std::vector<float> run_reference(const Graph& g, const std::vector<float>& input);

}  // namespace mncc
