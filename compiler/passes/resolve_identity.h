// resolve_identity: drop the nodes that only rename or re-describe data.
//
// TF graphs carry Identity (`.../read`), Shape (feeding a Reshape whose result
// is already static) and Squeeze/Reshape chains around the logits. None of
// them moves data, so the later passes see conv -> conv adjacency directly and
// one Reshape (a view) remains wherever the static shape really changes.
#pragma once

#include "ir/ir.h"

namespace mncc {
void resolve_identity(Graph& g);
}
