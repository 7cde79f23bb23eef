// TFLite flatbuffer front end (schema v3, file identifier "TFL3").
//
// TFLite graphs are already layer graphs, so each operator becomes one IR
// layer node named after its output tensor, with constants in IR layouts:
//   CONV_2D            Conv2D, filter OHWI [cout,kh,kw,cin] -> HWIO [kh,kw,cin,cout]
//   DEPTHWISE_CONV_2D  DepthwiseConv2D, filter [1,kh,kw,c] -> [kh,kw,c] (depth_multiplier 1)
//   FULLY_CONNECTED    FullyConnected, weights [cout,cin] -> [cin,cout]; a Reshape to
//                      [1,cin] is inserted in front when the input has another shape
//   AVERAGE_POOL_2D    AvgPool (no fused activation)
//   SOFTMAX            Softmax on [1,C] (Reshapes around it when needed), beta 1
//   RESHAPE            Reshape;  PAD  Pad (H and W only; fold_pad merges it into a conv)
//   ADD                Add of two computed tensors of one shape (no fused activation)
//   QUANTIZE / DEQUANTIZE   Quantize / Dequantize
// Every node carries its output tensor's dtype and quantisation (ir.h). Quantized
// constants keep the file's integers exactly in Tensor::qdata (per-channel
// scales move with the output channel to the last dim); weighted layers always
// get a bias (int32 zeros with scale input_scale*weight_scale when absent).
// For an integer input, Graph::preprocess is its dequantisation
// (scale, -zero_point*scale): real RGB bytes are the uint8 model input.
// Everything read from the file is checked (flatbuffers Verifier first, then
// indices, shapes, buffer sizes, scales, zero points) and reported as
// "FILE: node 'N' (OP): reason".
#pragma once

#include <string>

#include "frontend/frontend.h"
#include "ir/ir.h"

namespace mncc {

// True when `bytes` carry TFLite's file identifier "TFL3" at offset 4.
bool looks_like_tflite(const std::string& bytes);

// Parses a TFLite model already in memory (`path` is used in messages only).
// The input/output options select subgraph inputs/outputs by tensor name.
Graph parse_tflite(const std::string& bytes, const std::string& path, const FrontendOptions& opts = {});

}  // namespace mncc
