// plan_memory: every activation lives in one arena the generated code gets
// from the caller, so the library never allocates. Each live node gets a
// 64-byte aligned offset; a buffer is reusable once its last consumer ran
// (Reshape aliases its input). Placing each output at the end of the free
// space opposite its input turns a chain into ping-pong between the two ends,
// which needs no more than the largest input+output pair
// (arena_lower_bound) of any layer.
#pragma once

#include "ir/ir.h"

namespace mncc {
constexpr int64_t kArenaAlignment = 64;
void plan_memory(Graph& g);
}
