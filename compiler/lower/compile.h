// `mncc compile`: lower the layer graph to Halide, schedule it for a target,
// and emit one self-contained static library with a C/C++ header.
#pragma once

#include <string>

#include "ir/ir.h"

namespace mncc {

struct CompileOptions {
    std::string target = "host";   // host, x86-64-avx2, x86-64-avx512, halide:<x86-64 linux target string>
    std::string out_dir;           // written atomically: nothing there on failure
    std::string name = "mobilenet";
    std::string schedule_file;     // optional tuned schedule (mncc tune)
    std::string model_file;        // for the manifest (sha256)
    std::string cxx = "c++";       // compiler for the emitted glue
    std::string ar = "ar";
};

void compile_model(const Graph& g, const CompileOptions& opts);

}  // namespace mncc
