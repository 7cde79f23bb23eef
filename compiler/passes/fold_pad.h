// fold_pad: an explicit zero Pad of H/W in front of a VALID conv/depthwise
// (TF-slim's fixed_padding, MobileNet v2 exports) is the same as the conv
// reading zeros outside its input, so it becomes the conv's pad_* and no
// padded copy of the activation is ever made.
#pragma once

#include "ir/ir.h"

namespace mncc {
void fold_pad(Graph& g);
}
