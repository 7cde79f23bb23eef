// `mncc synth`: MobileNet v1 as a TF-slim style frozen GraphDef with
// deterministic random weights, for any width multiplier and resolution.
// Tests and benchmarks use it where no trained model exists.
#pragma once

#include <cstdint>
#include <string>

namespace mncc {

// Integer MobileNets as TFLite files: uint8 (per-tensor asymmetric uint8 weights,
// TFLite's older scheme, like ../shared's *_quant.tflite) or int8 (int8
// activations, symmetric per-channel int8 weights: TFLite's int8 scheme, XNNPACK qs8).
enum class SynthQuant { None, UInt8, Int8 };

struct SynthOptions {
    double alpha = 1.0;       // width multiplier; depth = max(int(c * alpha), 8)
    int resolution = 224;     // input is [1, resolution, resolution, 3]
    int classes = 1001;
    uint64_t seed = 1;
    SynthQuant quantize = SynthQuant::None;   // synth_tflite_quantized only
};

// Serialized tensorflow.GraphDef bytes. Same op set and node naming as
// ../shared/models/derived/*_frozen.pb (Conv2D/DepthwiseConv2dNative +
// FusedBatchNorm + Relu6, AvgPool, logits Conv2D + BiasAdd, Squeeze, Reshape,
// Softmax, Shape + Reshape to Predictions/Reshape_1).
std::string synth_tf_graphdef(const SynthOptions& opts);

// Serialized TFLite flatbuffer (mncc's schema subset) of the same network with
// opts.quantize's integer types: the float synth's weights with batch norm
// folded, quantized (weights by their range, biases as int32 at input scale x
// weight scale). Activations: ReLU6 outputs at scale 6/255 (so they span the
// whole 8-bit range and clamp at both ends), the image at 1/128 around 0, the
// logits at 16/255 around 0, the softmax at 1/256; ops CONV_2D,
// DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, CONV_2D 1x1 logits, RESHAPE, SOFTMAX as in
// TFLite's own MobileNet v1 files, and TF-slim's tensor names.
std::string synth_tflite_quantized(const SynthOptions& opts);

}  // namespace mncc
