// fuse_activation: Relu/Relu6 after a conv/depthwise/FC becomes the layer's
// `activation`, applied to each output as it is produced (after the bias)
// instead of another pass over memory.
#pragma once

#include "ir/ir.h"

namespace mncc {
void fuse_activation(Graph& g);
}
