// Hexagon HVX schedules for the quantized layers (compiler/lower/layers_q.h), for
// `--target=hexagon` (hexagon-32-noos, 128-byte HVX vectors: 128 x u8, 64 x i16 or
// 32 x i32 lanes per vector). Integer results should be exact whatever the schedule,
// and are bit-identical to every other target with these schedules (but see below).
//
// Scheduled: conv and FC (vectors over output channels, 8/16-bit vector multiplies); the
// requantisation is int32 HVX code (vmpye/vmpyo). Loops run on the calling thread:
// the standalone runtime's thread pool is serial, and each HVX context would need its
// own lock on a real DSP.
//
// NOT scheduled (Halide's default, scalar), pointwise and depthwise: with the current
// algorithms of layers_q.cpp (8-bit dot-product form, 16-bit depthwise products) every
// vectorised schedule tried gives wrong bytes under qemu-hexagon, though the same
// algorithms are exact on x86 and through the default schedule here: pointwise as vrmpy
// (atomic 4-channel reduction, input sums per row or at root) and as plain int32 lanes
// over channels; depthwise with u8 vectors over channels (x tiles vectorised too below
// 128 channels). Layer by layer: conv + FC scheduled is exact; adding either pointwise
// or depthwise is not (0.25/128, cat: 50-110 of 1001 output bytes differ). Earlier
// versions of the algorithms were exact with vrmpy pointwise and vector depthwise
// schedules; which construct HVX code generation (or qemu) gets wrong is not known yet.
// AvgPool stays scalar too: Halide 14 fails on its vectorised division by the valid-tap
// count for a 5x5 window ("HexagonOptimize.cpp: Cannot interleave native vectors of
// type uint64x128"; 4x4 compiles). The first conv's 8 or 16 channels fill part of a
// vector (vectors over pixels instead were worse: stride-6 gathers); Halide 14 has no
// vrmpy below 32 int32 lanes ("halide.hexagon.add_4mpy.vb.b not found").
//
// Knobs are declared like the CPU schedules' (schedules/x86.h), with defaults, not tuned.
// Measured: nothing meaningful. The only Hexagon here is qemu-hexagon on the shared
// x86 machine, where a photo takes seconds and scalar code runs faster than HVX code
// (emulation cost); that says nothing about a DSP.
#pragma once

#include <vector>

#include <Halide.h>

#include "lower/layers.h"
#include "schedules/x86.h"

namespace mncc {

const std::vector<KnobDecl>& hexagon_q_knob_space(KernelKind k);
Knobs hexagon_q_default_knobs(KernelKind k);

// Schedules quantized layer L for Hexagon target `t`; `knobs` must hold a value
// for every knob of L.kind.
void apply_hexagon_schedule(LayerFunc& L, const Halide::Target& t, const Knobs& knobs);

}  // namespace mncc
