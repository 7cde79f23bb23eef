// Default arm64 (NEON) CPU schedules. The x86 schedules (schedules/x86.h) are
// written against knobs, with the vector width taken from the target (4 f32
// lanes on NEON), so arm64 reuses their structure and only picks its own
// defaults: accumulator tiles sized for 32 128-bit NEON registers.
#pragma once

#include <vector>

#include <Halide.h>

#include "schedules/x86.h"

namespace mncc {

// The x86 knob space with arm64 defaults (every default is one of the choices).
const std::vector<KnobDecl>& arm64_knob_space(KernelKind k);
Knobs arm64_default_knobs(KernelKind k);
void apply_arm64_schedule(LayerFunc& L, const Halide::Target& t, const Knobs& knobs);

}  // namespace mncc
