// Schedule files for `mncc compile --schedule`: knob overrides per layer kind
// and, in files written by `mncc tune`, per layer.
//
// Per-kind file (hand-written): {"pointwise": {"x_block": 4}, ...}.
// Tuned file: {"mncc_schedule": 1, "model_sha256": ..., "target": ..., "version": ...,
//   "defaults": {kind: {knob: value}}   (optional)
//   "layers": [{"index": i, "name": node, "kind": ..., "knobs": {...}, "time_ms": ..., "default_ms": ...}]}
// A layer entry matches the i-th kernel of the network by "index" and/or "name"
// (both given: both must match; a fused kernel's name is "<depthwise>+<pointwise>",
// so a file tuned for another fusion layout is rejected). A tuned file made for
// another model, target or mncc version is rejected.
#pragma once

#include <map>
#include <string>

#include "lower/layers.h"
#include "schedules/x86.h"

namespace mncc {

struct ScheduleKnobs {
    std::map<KernelKind, Knobs> by_kind;     // always complete (target defaults + overrides)
    std::map<int, std::pair<KernelKind, Knobs>> by_index;   // per-layer overrides (complete knob sets)
    std::map<std::string, std::pair<KernelKind, Knobs>> by_name;
    std::map<int, std::string> index_names;  // by_index entries that also name their kernel
    std::string file;
    // The knobs for kernel `index` (node `name`, kind `kind`); throws when the
    // file's entry for that layer is of another kind.
    const Knobs& knobs_for(int index, const std::string& name, KernelKind kind) const;
    // The knobs for kernel `name` by name or kind only (what decides fusion, before
    // kernels are numbered).
    const Knobs& knobs_by_name(const std::string& name, KernelKind kind) const;
};

// Pointwise node id -> id of the depthwise node it absorbs into one kernel
// (fusable_depthwise, and x86_fuse with the pointwise's knobs by name, first as
// the fused kernel "<dw>+<pw>", then as itself, else by kind). Float networks only.
std::map<int, int> fused_pairs(const Graph& g, const ScheduleKnobs& knobs);
std::string fused_name(const Node& dw, const Node& pw);   // "<dw>+<pw>"

// What the schedule must have been made for; empty sha256 skips the model check.
struct ScheduleExpect {
    std::string model_sha256, target, version;
};

const std::vector<KnobDecl>& knob_space_for(bool arm, KernelKind k);
Knobs default_knobs_for(bool arm, KernelKind k);

// Empty `file`: the target's defaults. Throws mncc::Error naming the file on
// malformed input, unknown kinds/knobs/values, or a file for another model/target/version.
ScheduleKnobs load_schedule_file(const std::string& file, bool arm, const ScheduleExpect& expect);

}  // namespace mncc
