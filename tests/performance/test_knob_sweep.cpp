// Every declared x86 knob value, applied to every layer of the hand-made net
// (all layer kinds, odd channel counts, tails), JIT-compiled for the host and
// compared with the reference interpreter's output of that layer within 1e-5.
// Sampled by default (config i takes choice i mod |choices| of every knob, so
// each value appears at least once); MNCC_FULL_SWEEP=1 runs the whole
// cartesian product (the performance_full_sweep target).
#include <cstdlib>

#include <gtest/gtest.h>

#include "hand_net.h"
#include "lower/layers.h"
#include "reference/interpreter.h"
#include "schedules/x86.h"

namespace {

using namespace mncc;

std::vector<Knobs> configs(KernelKind k) {
    const auto& space = x86_knob_space(k);
    std::vector<Knobs> r;
    if (std::getenv("MNCC_FULL_SWEEP")) {
        r.push_back({});
        for (const KnobDecl& d : space) {
            std::vector<Knobs> next;
            for (const Knobs& base : r)
                for (int v : d.choices) {
                    Knobs kk = base;
                    kk[d.name] = v;
                    next.push_back(kk);
                }
            r = next;
        }
        return r;
    }
    size_t n = 1;
    for (const KnobDecl& d : space) n = std::max(n, d.choices.size());
    for (size_t i = 0; i < n; ++i) {
        Knobs kk;
        for (const KnobDecl& d : space) kk[d.name] = d.choices[i % d.choices.size()];
        r.push_back(kk);
    }
    return r;
}

std::string describe(const Knobs& k) {
    std::string s;
    for (const auto& [name, v] : k) s += name + "=" + std::to_string(v) + " ";
    return s;
}

TEST(KnobSweep, EveryKnobValueMatchesTheReference) {
    const Graph g = make_hand_net();
    const std::vector<float> input = hand_net_input();
    const Halide::Target host = Halide::get_jit_target_from_environment();
    int checked = 0;
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        if (n.op == Op::Input || n.op == Op::Reshape || n.dead) continue;
        Graph gi = g, go = g;
        gi.output = n.inputs[0];
        go.output = id;
        const std::vector<float> in = run_reference(gi, input), want = run_reference(go, input);
        const KernelKind kind = lower_layer(g, n, "probe").kind;
        for (const Knobs& k : configs(kind)) {
            LayerFunc L = lower_layer(g, n, "k" + std::to_string(id));
            apply_x86_schedule(L, host, k);
            const bool four_d = L.input.dimensions() == 3;
            const Shape& s = g.node(n.inputs[0]).shape;
            Halide::Buffer<float> bin = four_d ? Halide::Buffer<float>(int(s[3]), int(s[2]), int(s[1]))
                                               : Halide::Buffer<float>(int(in.size()));
            std::copy(in.begin(), in.end(), bin.data());
            L.input.set(bin);
            Halide::Buffer<float> out = four_d ? Halide::Buffer<float>(L.out_c, L.out_w, L.out_h)
                                               : Halide::Buffer<float>(L.out_c);
            L.output.realize(out, host);
            ASSERT_EQ(size_t(out.number_of_elements()), want.size()) << n.name;
            for (size_t i = 0; i < want.size(); ++i)
                ASSERT_NEAR(out.data()[i], want[i], 1e-5) << n.name << " " << describe(k) << " element " << i;
            ++checked;
        }
    }
    EXPECT_GT(checked, 20);
}

}  // namespace
