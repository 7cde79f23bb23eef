// fold_batchnorm: inference batch norm is a per-channel affine map, so after a
// conv/depthwise/FC it folds into the layer's weights and bias (computed in
// double): w' = w*s, b' = (b - mean)*s + beta with s = gamma/sqrt(var + eps).
// The unfused form Mul(const) [-> Add(const)] is the same map; the Mul scale
// folds here and the Add becomes bias in fuse_bias. A BiasAdd between the
// layer and the batch norm is absorbed first. Only layers whose result feeds
// nothing else are rewritten; anything left is reported by validate.
#pragma once

#include "ir/ir.h"

namespace mncc {
void fold_batchnorm(Graph& g);
}
