// `mncc tune`: per-layer search over the knobs each schedule declares, timed on
// the device through a runner, cached on disk, written as a schedule file for
// `mncc compile --schedule`.
//
// For each layer (in the order `mncc compile` numbers its kernels): the default
// knobs first, then one-knob-at-a-time variations, then the combination of the
// best value of each knob and random combinations, up to --trials candidates.
// The candidates of one batch are compiled into one timing program (one kernel
// each, the layer's input and its reference output embedded), shipped to the
// device by running it under the runner once per candidate (a crash or timeout
// costs only that candidate). A candidate counts only when its output matches
// the reference interpreter's output of the layer (|a-b| <= 1e-5 * max(1, |ref|)).
#pragma once

#include <string>

#include "ir/ir.h"

namespace mncc {

struct TuneOptions {
    std::string target = "host";
    std::string model_file;          // hashed into the schedule (compile checks it)
    std::string out_file;            // the schedule (JSON), written atomically
    std::string runner;              // command prefix: "", "ssh host", "qemu-aarch64 -L /usr/aarch64-linux-gnu"
    std::string cache_file;          // empty: $MNCC_TUNE_CACHE, else ~/.cache/mncc/tune-cache.json
    std::string cxx;                 // compiler for the timing programs; empty: the target's
    // Optional schedule file (mncc compile --schedule) whose knobs each layer's search
    // starts from; its fuse values decide which depthwise -> pointwise pairs are
    // tuned as one fused kernel. Empty: the target's defaults.
    std::string schedule_file;
    int trials = 8;                  // candidates per layer, the default included
    int runs = 9;                    // timed samples per candidate (median)
    int threads = 1;
    double min_gain = 0.03;          // a candidate must beat the default by this fraction
    double budget_s = 0;             // 0: no limit; past it, remaining layers keep the default
    double timeout_s = 120;          // per candidate run
    int stop_after_layers = -1;      // testing: stop (error) after this many layers
};

// Prints one progress line per layer and a final table on stdout.
void run_tune(const Graph& g, const TuneOptions& opts);

// "20m", "90s", "1h", "45" (seconds) -> seconds; throws mncc::Error otherwise.
double parse_duration(const std::string& s);

}  // namespace mncc
