// canonicalize: one spelling per layer, so lowering and the interpreter
// handle fewer cases.
//  - Mean over H,W is a global AvgPool (followed by a Reshape to [1,C] when
//    the Mean dropped those dims).
//  - A 1x1 Conv2D on a 1x1 map (TF-slim's Logits) is a FullyConnected with
//    weights [cin,cout]; its shape and any following Reshape stay as they are.
//  - Softmax reads a [1,C] tensor: a Reshape is inserted in front (and after,
//    to restore the node's shape) when the model applied it to [1,1,1,C].
#pragma once

#include "ir/ir.h"

namespace mncc {
void canonicalize(Graph& g);
}
