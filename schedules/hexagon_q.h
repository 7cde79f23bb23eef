// Hexagon HVX schedules for the quantized layers (compiler/lower/layers_q.h), for
// `--target=hexagon` (hexagon-32-noos, 128-byte HVX vectors: 128 x u8, 64 x i16 or
// 32 x i32 lanes per vector). Integer results should be exact whatever the schedule,
// and are bit-identical to every other target with these schedules (but see below).
//
// Scheduled: conv and FC (vectors over output channels, 8/16-bit vector multiplies);
// pointwise (u8 x i8 vrmpy dot products, 32 int32 lanes per vector, for 32 or more
// output channels; else int32 lanes over channels and pixels) and depthwise (16-bit
// products) with their u8 output in tiles of channels x pixels vectorised as one
// 64- or 128-lane u8 vector. The requantisation is int32 HVX code (vmpye/vmpyo).
// Loops run on the calling thread: the standalone runtime's thread pool is serial, and
// each HVX context would need its own lock on a real DSP.
//
// What gives wrong bytes under qemu-hexagon with Halide 14 (the schedules avoid it;
// found with one-line pipelines AOT-compiled for hexagon and x86 and compared, see
// schedules/hexagon_q.cpp): (1) any int32 -> u8 narrowing of exactly 32 lanes (a
// quarter vector; e.g. cast<uint8_t>(clamp(x, 0, 255)) vectorised by 32: every other
// byte wrong; 8, 16, 64, 128 and 256 lanes are exact), which a 32-channel output
// vector is; (2) a vector of 32-byte channel runs read at a stride of 2 pixels (u8
// in(c, 2 * x + 1, y) over 32 c x 2 or 4 x lanes), so stride-2 depthwise layers with
// 32 channels stay scalar. The requantisation itself (rounding_mul_shift_right,
// shifts, selects) is exact on vectors. Which of LLVM's Hexagon code generation or
// qemu's HVX emulation is wrong is not settled (no DSP here).
// AvgPool stays scalar: Halide 14 fails on its vectorised division by the valid-tap
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
