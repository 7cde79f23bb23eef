// Synth MobileNet v1 1.0/224 (no trained model of that size exists here),
// compiled once at build time by `mncc compile`, against the reference
// interpreter on the same graph: probabilities within 1e-5 absolute, and (for
// the library compiled with --output at the logits) logits within 1e-4 of the
// logits' range. Built once per library with MODEL (its name) and SEED defined.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "frontend/frontend.h"
#include "frontend/synth.h"
#include "passes/passes.h"
#include "reference/interpreter.h"

#define MNCC_STR2(x) #x
#define MNCC_STR(x) MNCC_STR2(x)
#define MNCC_CAT2(a, b) a##b
#define MNCC_CAT(a, b) MNCC_CAT2(a, b)
#define API(f) MNCC_CAT(MODEL, f)
#include MNCC_STR(MODEL.h)

TEST(AotSynth224, MatchesReferenceInterpreter) {
    mncc::SynthOptions so;  // 1.0/224, 1001 classes, seed 1: what `mncc synth` wrote
    mncc::FrontendOptions fo;
    fo.output_name = OUTPUT_NODE;
    mncc::Graph g = mncc::parse_tf_graphdef(mncc::synth_tf_graphdef(so), "synth.pb", fo);
    mncc::run_passes(g);

    std::vector<float> input(224 * 224 * 3);
    for (size_t i = 0; i < input.size(); ++i) input[i] = float(int(i * 7919 % 255)) / 127.5f - 1.0f;
    const std::vector<float> want = mncc::run_reference(g, input);

    void* arena = std::aligned_alloc(64, API(_arena_bytes)());
    std::vector<float> got(want.size());
    ASSERT_EQ(got.size(), 1001u);
    ASSERT_EQ(API(_run)(input.data(), got.data(), arena), 0);
    std::free(arena);

    float range = 0, worst = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        range = std::max(range, std::fabs(want[i]));
        worst = std::max(worst, std::fabs(got[i] - want[i]));
    }
    if (LOGITS) {
        EXPECT_GT(range, 1.0f);  // real logits, not a flat vector
        EXPECT_LE(worst, 1e-4f * range) << "logit range " << range;
    } else {
        EXPECT_LE(worst, 1e-5f);
    }
}
