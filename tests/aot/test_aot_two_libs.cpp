// Two mncc libraries linked into one application (synth 1.0/224 compiled
// twice: to the probabilities and, with --output, to the logits). Each `.a`
// carries its own copy of the Halide runtime; its symbols are weak, so the
// link succeeds and both networks share one runtime; each runs its parallel
// loops on its own thread pool (runtime/mncc_thread_pool.h), handing the other's
// loops on. The probabilities library must equal softmax of the logits
// library's output, also when both run at the same time on two threads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <thread>
#include <vector>

#include "synth224_logits.h"
#include "synth224_probs.h"

namespace {

std::vector<float> input() {
    std::vector<float> v(SYNTH224_PROBS_INPUT_SIZE);
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(int(i * 7919 % 255)) / 127.5f - 1.0f;
    return v;
}

std::vector<double> softmax(const std::vector<float>& x) {
    double m = x[0], s = 0;
    for (float v : x) m = std::max(m, double(v));
    std::vector<double> r(x.size());
    for (size_t i = 0; i < x.size(); ++i) s += r[i] = std::exp(double(x[i]) - m);
    for (double& v : r) v /= s;
    return r;
}

void expect_consistent(const std::vector<float>& probs, const std::vector<float>& logits) {
    const std::vector<double> want = softmax(logits);
    double worst = 0, top = 0;
    for (size_t i = 0; i < probs.size(); ++i) worst = std::max(worst, std::fabs(probs[i] - want[i])), top = std::max(top, want[i]);
    EXPECT_GT(top, 0.01);  // a peaked distribution, not a flat one
    EXPECT_LE(worst, 1e-6);
}

}  // namespace

TEST(AotTwoLibraries, SameNetworkTwoOutputsAgree) {
    static_assert(int(SYNTH224_PROBS_INPUT_SIZE) == int(SYNTH224_LOGITS_INPUT_SIZE), "same network");
    const std::vector<float> in = input();
    std::vector<float> probs(SYNTH224_PROBS_OUTPUT_SIZE), logits(SYNTH224_LOGITS_OUTPUT_SIZE);
    ASSERT_EQ(synth224_probs_run(in.data(), probs.data(), nullptr), SYNTH224_PROBS_OK);
    ASSERT_EQ(synth224_logits_run(in.data(), logits.data(), nullptr), SYNTH224_LOGITS_OK);
    expect_consistent(probs, logits);
}

TEST(AotTwoLibraries, ConcurrentRunsWithOwnArenas) {
    const std::vector<float> in = input();
    ASSERT_EQ(synth224_probs_set_num_threads(2), 0);
    ASSERT_EQ(synth224_logits_set_num_threads(2), 0);
    void* pa = std::aligned_alloc(SYNTH224_PROBS_ARENA_ALIGNMENT, SYNTH224_PROBS_ARENA_BYTES);
    void* la = std::aligned_alloc(SYNTH224_LOGITS_ARENA_ALIGNMENT, SYNTH224_LOGITS_ARENA_BYTES);
    std::vector<float> probs(SYNTH224_PROBS_OUTPUT_SIZE), logits(SYNTH224_LOGITS_OUTPUT_SIZE);
    int rp = -1, rl = -1;
    std::thread tp([&] { for (int i = 0; i < 3 && (rp = synth224_probs_run(in.data(), probs.data(), pa)) == 0; ++i) {} });
    std::thread tl([&] { for (int i = 0; i < 3 && (rl = synth224_logits_run(in.data(), logits.data(), la)) == 0; ++i) {} });
    tp.join();
    tl.join();
    std::free(pa);
    std::free(la);
    ASSERT_EQ(rp, 0);
    ASSERT_EQ(rl, 0);
    expect_consistent(probs, logits);
}
