// CPU schedules for the quantized layers (compiler/lower/layers_q.h), for x86-64
// and arm64 alike: int32 lanes of the target's natural vector width over output
// channels, rows (or, for large weights, output-channel tiles) in parallel
// when the layer's estimated time is worth a fork, accumulator tiles computed
// per (channel tile, x tile) in registers; in the dot-product forms the 4 taps of r.x reduce inside
// each lane (vpdpbusd, vpmaddwd, sdot). Only pure dimensions are parallel or
// vectorised, and the reductions are exact: integer results are the same
// whatever the schedule, target or thread count.
#pragma once

#include <Halide.h>

#include "lower/layers.h"

namespace mncc {

void apply_quantized_schedule(LayerFunc& L, const Halide::Target& t);

}  // namespace mncc
