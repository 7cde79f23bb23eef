// fuse_bias: a BiasAdd (or Add of a constant) right after a conv/depthwise/FC
// is the layer's own bias; folding it saves a pass over the activation. After
// this pass every weighted layer has a bias tensor (zeros if the model had
// none), so lowering and the interpreter have one code path.
#pragma once

#include "ir/ir.h"

namespace mncc {
void fuse_bias(Graph& g);
}
