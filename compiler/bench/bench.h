// `mncc bench`: compile a model for a target, build a timing program against
// the generated library, run it, and report latency, GFLOP/s and % of FMA peak
// (whole network and per layer).
#pragma once

#include <string>

#include "ir/ir.h"

namespace mncc {

struct BenchOptions {
    std::string target = "host";
    std::string model_file;      // for the manifest
    std::string schedule_file;   // optional knob overrides (as for compile)
    int threads = 1;
    int runs = 50;               // timed runs (after warm-up) of the whole network and of each layer
    int warmup = 5;
    double peak_gflops = 0;      // per-thread FMA peak; 0 = measure it
    std::string runner;          // optional command prefix for the timing program (e.g. "taskset -c 0")
    std::string keep_dir;        // keep the generated library and program here instead of a temp dir
    bool json = false;
    std::string report_file;     // optional per-layer chart, .svg or .html (bench/report.h)
    std::string cxx = "c++";
};

// Prints the report on stdout; throws mncc::Error on failure.
void run_bench(const Graph& g, const BenchOptions& opts);

}  // namespace mncc
