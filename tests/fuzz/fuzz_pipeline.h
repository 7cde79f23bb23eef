// The pipeline every fuzz target drives: model bytes -> front end ->
// passes -> inspect, and the reference interpreter when the graph is cheap
// enough to run quickly. mncc::Error is the expected outcome for bad input;
// anything else (a crash, a sanitizer report, another exception, a timeout,
// a huge allocation) is a bug.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "frontend/tflite.h"
#include "passes/passes.h"
#include "reference/inspect.h"
#include "reference/interpreter.h"
#include "support/error.h"

namespace mncc_fuzz {

// Work of one interpreter run, roughly: every output element reads a window
// (and, for Conv2D, every input channel).
inline int64_t reference_cost(const mncc::Graph& g) {
    int64_t cost = 0;
    for (int id : g.topo_order()) {
        const mncc::Node& n = g.node(id);
        int64_t per = int64_t(n.kernel_h) * n.kernel_w;
        if (!n.inputs.empty() && (n.op == mncc::Op::Conv2D || n.op == mncc::Op::FullyConnected))
            per *= g.node(n.inputs[0]).shape.back();
        cost += mncc::num_elements(n.shape) * per;
    }
    return cost;
}

enum class Format { GraphDef, TFLite };

inline void run_pipeline(const std::string& bytes, Format format = Format::GraphDef) {
    try {
        mncc::Graph g = format == Format::TFLite ? mncc::parse_tflite(bytes, "fuzz.tflite")
                                                 : mncc::parse_tf_graphdef(bytes, "fuzz.pb");
        mncc::run_passes(g);
        (void)mncc::inspect_table(g);
        if (reference_cost(g) < 5'000'000) {
            const int64_t n = mncc::num_elements(g.node(g.input).shape);
            std::vector<float> input(static_cast<size_t>(n));
            for (int64_t i = 0; i < n; ++i) input[size_t(i)] = float(i % 255) / 127.5f - 1.0f;
            (void)mncc::run_reference(g, input);
        }
    } catch (const mncc::Error&) {
        // Bad input, reported as it should be.
    }
}

}  // namespace mncc_fuzz
