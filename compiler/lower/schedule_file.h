// Schedule files for `mncc compile --schedule`: knob overrides per layer kind
// and, in files written by `mncc tune`, per layer.
//
// Per-kind file (hand-written): {"pointwise": {"x_block": 4}, ...}.
// Tuned file: {"mncc_schedule": 1, "model_sha256": ..., "target": ..., "version": ...,
//   "defaults": {kind: {knob: value}}   (optional)
//   "layers": [{"index": i, "name": node, "kind": ..., "knobs": {...}, "time_ms": ..., "default_ms": ...}]}
// A layer entry matches the i-th kernel of the network by "index" and/or "name"
// (both given: both must match). A tuned file made for another model, target or
// mncc version is rejected.
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
    std::string file;
    // The knobs for kernel `index` (node `name`, kind `kind`); throws when the
    // file's entry for that layer is of another kind.
    const Knobs& knobs_for(int index, const std::string& name, KernelKind kind) const;
};

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
