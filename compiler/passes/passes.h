// The pass pipeline: front-end graph -> layer graph ready for lowering.
//
// Order: resolve_identity, fold_batchnorm, fuse_bias, fuse_activation,
// fold_pad, canonicalize, validate, plan_memory. Each pass lives in its own
// .h/.cpp pair with a comment saying why it exists.
#pragma once

#include <string>

#include "ir/ir.h"

namespace mncc {

struct PassOptions {
    std::string dump_dir;   // when set, write DIR/NN-<pass>.txt (dump_ir) after every pass
};

void run_passes(Graph& g, const PassOptions& opts = {});

// Human-readable IR listing, one line per live node, stable across runs.
std::string dump_ir(const Graph& g);

}  // namespace mncc
