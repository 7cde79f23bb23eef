// validate: the gate between the passes and code generation. Lowering assumes
// a chain of supported layers with consistent static shapes and finite
// weights; anything else (a batch norm that could not be folded, an op mncc
// has no kernel for, a channel mismatch from a corrupt file) is reported here
// as "FILE: node 'N' (OP): reason" instead of producing a wrong library.
#pragma once

#include "ir/ir.h"

namespace mncc {
void validate(const Graph& g);
}
