// Default x86 CPU schedules, one per layer kind, kept apart from the algorithms
// (compiler/lower/layers.h).
//
// Every schedule vectorises over channels (c is innermost in memory), runs rows
// or output-channel tiles in parallel unless the layer is a few microseconds of
// work (the parallel knob), and parallelises only pure dimensions: each output value is
// computed by one fixed sequence of operations whatever the thread count, so
// results are bit-identical for 1 and N threads. Intermediates are small
// constant-size tiles computed inside the output's loops (stack or registers),
// never compute_root buffers, so a call does no heap allocation.
//
// Knobs are declared TVM style: each kind lists its knobs with a default and
// the values a tuner may pick among. Tile sizes are clamped to the layer's
// extents (tails use ShiftInwards: overlapping tiles recompute equal values).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <Halide.h>

#include "lower/layers.h"

namespace mncc {

struct KnobDecl {
    std::string name;
    int default_value;
    std::vector<int> choices;   // includes default_value
    std::string doc;
};

using Knobs = std::map<std::string, int>;

const char* kernel_kind_name(KernelKind k);              // "conv", "pointwise", ...
const std::vector<KnobDecl>& x86_knob_space(KernelKind k);
Knobs x86_default_knobs(KernelKind k);

// Whether pointwise node `pw` of `g` absorbs its producing depthwise node into one
// kernel (lower_fused): fusable_depthwise(g, pw) and pw's knob fuse is 1.
// Decided per kind or node name, never per kernel index.
bool x86_fuse(const Graph& g, const Node& pw, const Knobs& knobs);

// The pointwise knobs a fused kernel's schedule does not use (schedule_fused): the
// tuner and the sweep leave them at their defaults.
const std::set<std::string>& x86_fused_ignored_knobs();

// Schedules L.output (and its intermediates) for CPU target `t`. `knobs` must
// hold a value for every knob of L.kind.
void apply_x86_schedule(LayerFunc& L, const Halide::Target& t, const Knobs& knobs);

}  // namespace mncc
