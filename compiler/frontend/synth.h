// `mncc synth`: MobileNet v1 as a TF-slim style frozen GraphDef with
// deterministic random weights, for any width multiplier and resolution.
// Tests and benchmarks use it where no trained model exists.
#pragma once

#include <cstdint>
#include <string>

namespace mncc {

struct SynthOptions {
    double alpha = 1.0;       // width multiplier; depth = max(int(c * alpha), 8)
    int resolution = 224;     // input is [1, resolution, resolution, 3]
    int classes = 1001;
    uint64_t seed = 1;
};

// Serialized tensorflow.GraphDef bytes. Same op set and node naming as
// ../shared/models/derived/*_frozen.pb (Conv2D/DepthwiseConv2dNative +
// FusedBatchNorm + Relu6, AvgPool, logits Conv2D + BiasAdd, Squeeze, Reshape,
// Softmax, Shape + Reshape to Predictions/Reshape_1).
std::string synth_tf_graphdef(const SynthOptions& opts);

}  // namespace mncc
