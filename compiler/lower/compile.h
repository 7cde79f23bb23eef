// `mncc compile`: lower the layer graph to Halide, schedule it for a target,
// and emit one self-contained static library with a C/C++ header.
#pragma once

#include <string>
#include <vector>

#include "ir/ir.h"

namespace mncc {

struct CompileOptions {
    std::string target = "host";   // a known_targets() name, or halide:<x86-64/arm-64 linux target string>
    std::string out_dir;           // written atomically: nothing there on failure
    std::string name = "mobilenet";
    std::string schedule_file;     // optional tuned schedule (mncc tune)
    std::string model_file;        // for the manifest (sha256)
    std::string cxx;               // compiler for the emitted glue; empty: the target's default
    std::string ar;                // archiver; empty: the target's default
    // "library": libNAME.a. "c++": portable C++ sources instead (Halide's C backend,
    // one NAME_kernels/<kernel>.cpp per layer) plus the Halide runtime as an object
    // for the target (NAME_halide_runtime.o); the caller builds them.
    std::string emit = "library";
};

// A target `mncc compile --target` knows, and the tools its libraries need.
struct TargetInfo {
    std::string name, halide_target, description;
    std::string cxx, ar;           // default glue compiler and archiver on this host
    std::string package;           // Debian package providing them
};

const std::vector<TargetInfo>& known_targets();
// Whether `tool` (a name looked up in PATH, or a path) is an executable file.
bool tool_available(const std::string& tool);

void compile_model(const Graph& g, const CompileOptions& opts);

}  // namespace mncc
