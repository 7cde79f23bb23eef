// Every declared x86 knob value, applied to every layer of the hand-made net
// (all layer kinds, odd channel counts, tails), JIT-compiled for the host and
// compared with the reference interpreter's output of that layer within 1e-5.
// Sampled by default (config i takes choice i mod |choices| of every knob, so
// each value appears at least once); MNCC_FULL_SWEEP=1 runs the whole
// cartesian product (the performance_full_sweep target). Then the pointwise
// flat-pixel schedule on channel counts it applies to, the parallel policy, and
// the fused depthwise -> pointwise kernels under every pointwise knob value.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "frontend/frontend.h"
#include "frontend/synth.h"
#include "hand_net.h"
#include "lower/layers.h"
#include "lower/schedule_file.h"
#include "passes/passes.h"
#include "reference/interpreter.h"
#include "schedules/x86.h"

namespace {

using namespace mncc;

// Knobs named in `fixed` keep their defaults (they do not change the schedule swept).
std::vector<Knobs> configs(KernelKind k, const std::set<std::string>& fixed = {}) {
    std::vector<KnobDecl> space;
    for (KnobDecl d : x86_knob_space(k)) {
        if (fixed.count(d.name)) d.choices = {d.default_value};
        space.push_back(d);
    }
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

// A deterministic input in [-1, 1] for the graph's input shape.
std::vector<float> sweep_input(const Graph& g) {
    std::vector<float> v(static_cast<size_t>(num_elements(g.node(g.input).shape)));
    for (size_t i = 0; i < v.size(); ++i) v[i] = float((i * 7919) % 2001) / 1000.0f - 1.0f;
    return v;
}

// Reference values around one kernel of `g`: its input (the output of node `from`,
// or `input` itself for the graph input) and its output (node `to`).
struct KernelIO {
    std::vector<float> in, want;
};
KernelIO kernel_io(const Graph& g, int from, int to, const std::vector<float>& input) {
    Graph gi = g, go = g;
    gi.output = from;
    go.output = to;
    return {from == g.input ? input : run_reference(gi, input), run_reference(go, input)};
}

// `v` as a kernel's input buffer: (c, x, y) for an [1,H,W,C] shape, else 1-D.
Halide::Buffer<float> input_buffer(const Shape& s, const std::vector<float>& v) {
    Halide::Buffer<float> b = s.size() == 4 ? Halide::Buffer<float>(int(s[3]), int(s[2]), int(s[1]))
                                            : Halide::Buffer<float>(int(v.size()));
    std::copy(v.begin(), v.end(), b.data());
    return b;
}

// L JIT-compiled for `t` and run on `in`.
Halide::Buffer<float> realize(LayerFunc& L, const Halide::Target& t, const Halide::Buffer<float>& in) {
    L.input.set(in);
    Halide::Buffer<float> out = in.dimensions() == 3 ? Halide::Buffer<float>(L.out_c, L.out_w, L.out_h)
                                                     : Halide::Buffer<float>(L.out_c);
    L.output.realize(out, t);
    return out;
}

// Same size as `want` and within 1e-5 of it everywhere (the first mismatch named).
::testing::AssertionResult near_reference(const Halide::Buffer<float>& out, const std::vector<float>& want) {
    if (size_t(out.number_of_elements()) != want.size())
        return ::testing::AssertionFailure() << out.number_of_elements() << " elements, want " << want.size();
    for (size_t i = 0; i < want.size(); ++i)
        if (!(std::abs(double(out.data()[i]) - double(want[i])) <= 1e-5))
            return ::testing::AssertionFailure() << "element " << i << ": " << out.data()[i] << ", want " << want[i];
    return ::testing::AssertionSuccess();
}

TEST(KnobSweep, EveryKnobValueMatchesTheReference) {
    const Graph g = make_hand_net();
    const std::vector<float> input = hand_net_input();
    const Halide::Target host = Halide::get_jit_target_from_environment();
    int checked = 0;
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        if (n.op == Op::Input || n.op == Op::Reshape || n.dead) continue;
        const KernelIO io = kernel_io(g, n.inputs[0], id, input);
        const Halide::Buffer<float> bin = input_buffer(g.node(n.inputs[0]).shape, io.in);
        const KernelKind kind = lower_layer(g, n, "probe").kind;
        // fuse decides the kernel list, not this kernel's schedule (swept below).
        for (const Knobs& k : configs(kind, {"fuse"})) {
            LayerFunc L = lower_layer(g, n, "k" + std::to_string(id));
            apply_x86_schedule(L, host, k);
            ASSERT_TRUE(near_reference(realize(L, host, bin), io.want)) << n.name << " " << describe(k);
            ++checked;
        }
    }
    EXPECT_GT(checked, 20);
}

// Input [1,h,w,cin] -> pointwise layers with `couts` output channels (ReLU6).
Graph pointwise_net(int h, int w, int cin, const std::vector<int>& couts) {
    Graph g;
    g.source_file = "pointwise_net";
    Node& in = g.add(Op::Input, "input");
    in.shape = {1, h, w, cin};
    g.input = in.id;
    int prev = in.id;
    uint64_t s = 7;
    auto rnd = [&](float scale) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return scale * (static_cast<float>((s >> 40) & 0xffffff) / 8388608.0f - 1.0f);
    };
    for (int cout : couts) {
        const int ci = static_cast<int>(g.node(prev).shape[3]);
        Node& n = g.add(Op::Conv2D, "pw" + std::to_string(cout));
        n.inputs = {prev};
        n.kernel_h = n.kernel_w = n.stride_h = n.stride_w = 1;
        n.shape = {1, h, w, cout};
        n.activation = Activation::Relu6;
        n.weights.shape = {1, 1, ci, cout};
        for (int i = 0; i < ci * cout; ++i) n.weights.data.push_back(rnd(0.5f));
        n.bias.shape = {cout};
        for (int i = 0; i < cout; ++i) n.bias.data.push_back(rnd(0.5f));
        prev = n.id;
    }
    g.output = prev;
    return g;
}

// flat 0, then flat 1 with every x_block and co_vectors value (paired; all
// combinations with MNCC_FULL_SWEEP), with each vector width, parallel on and off.
std::vector<Knobs> flat_configs() {
    std::vector<Knobs> r;
    Knobs k = x86_default_knobs(KernelKind::Pointwise);
    k["flat"] = 0;
    r.push_back(k);
    const std::vector<int> xbs{1, 2, 4, 6, 8}, cvs{0, 1, 2, 3, 4};
    for (size_t i = 0; i < xbs.size(); ++i)
        for (size_t j = 0; j < cvs.size(); ++j) {
            if (!std::getenv("MNCC_FULL_SWEEP") && i != j) continue;
            k["flat"] = 1, k["x_block"] = xbs[i], k["co_vectors"] = cvs[j], k["parallel"] = int(i % 2);
            k["vector_width"] = std::vector<int>{0, 4, 8, 16}[(i + j) % 4];
            r.push_back(k);
        }
    return r;
}

// 32 -> 48 -> 64 channels on a 7x5 map pack into 16-lane tiles; 6-pixel tiles do
// not divide the 35-pixel map (the last tile overlaps the one before). 16 -> 64
// on 13x14: a 64-channel tile's map exceeds the 16 KiB stack buffer, so bands of 2 rows.
TEST(KnobSweep, FlatPixelPointwiseMatchesTheReference) {
    const Halide::Target host = Halide::get_jit_target_from_environment();
    int flat_checked = 0, layers = 0;
    for (const Graph& g : {pointwise_net(7, 5, 32, {48, 64}), pointwise_net(14, 13, 16, {64})}) {
        const std::vector<float> input = sweep_input(g);
        for (int id : g.topo_order()) {
            const Node& n = g.node(id);
            if (n.op != Op::Conv2D) continue;
            const KernelIO io = kernel_io(g, n.inputs[0], id, input);
            const Halide::Buffer<float> bin = input_buffer(g.node(n.inputs[0]).shape, io.in);
            ++layers;
            for (const Knobs& k : flat_configs()) {
                const int flat = k.at("flat");
                LayerFunc L = lower_layer(g, n, "f" + std::to_string(id));
                apply_x86_schedule(L, host, k);
                EXPECT_EQ(L.flat.defined(), flat == 1) << n.name << " " << describe(k);
                flat_checked += L.flat.defined();
                ASSERT_TRUE(near_reference(realize(L, host, bin), io.want)) << n.name << " " << describe(k);
            }
        }
    }
    EXPECT_EQ(flat_checked, layers * (static_cast<int>(flat_configs().size()) - 1));
    EXPECT_EQ(layers, 3);
}

// The lowered statement (or, with `assembly`, the x86 assembly) of `L`'s pipeline.
std::string compiled_text(LayerFunc& L, const Halide::Target& t, bool assembly = false) {
    char tmpl[] = "/tmp/mncc_stmt_XXXXXX";
    const int fd = mkstemp(tmpl);
    if (fd < 0) return "";
    close(fd);
    if (assembly)
        L.output.compile_to_assembly(tmpl, {L.input}, t);
    else
        L.output.compile_to_lowered_stmt(tmpl, {L.input}, Halide::Text, t);
    std::stringstream text;
    text << std::ifstream(tmpl).rdbuf();
    std::remove(tmpl);
    return text.str();
}

// Whether the lowered pipeline of `L` has a parallel loop.
bool has_parallel_loop(LayerFunc& L, const Halide::Target& t) {
    return compiled_text(L, t).find("halide_do_par_for") != std::string::npos;
}

// The default parallel policy: layers of a few microseconds run serially (a
// fork/join costs more), large ones in parallel; the knob forces either.
TEST(ParallelPolicy, TinyLayersRunSeriallyLargeOnesInParallel) {
    const Halide::Target host = Halide::get_jit_target_from_environment().with_feature(Halide::Target::NoRuntime);
    const Graph g = make_hand_net();
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        if (n.op != Op::Conv2D && n.op != Op::DepthwiseConv2D) continue;
        for (int p : {-1, 0, 1}) {
            LayerFunc L = lower_layer(g, n, "t" + std::to_string(id));
            Knobs k = x86_default_knobs(L.kind);
            k["parallel"] = p;
            apply_x86_schedule(L, host, k);
            EXPECT_EQ(has_parallel_loop(L, host), p == 1) << n.name << " parallel=" << p;
        }
    }
    // 56x56, 128 -> 128 channels: 25.7 M mult-adds, about 0.2 ms.
    const Graph big = pointwise_net(56, 56, 128, {128});
    LayerFunc L = lower_layer(big, big.node(big.output), "big");
    apply_x86_schedule(L, host, x86_default_knobs(L.kind));
    EXPECT_TRUE(has_parallel_loop(L, host));
}

// The loop of the first parallel loop in `L`'s lowered pipeline, from the name of
// its closure (<func>_par_for_<func>_s0_<var>, e.g. "pw__1_s0_c_co"), or "" when none.
std::string parallel_loop_var(LayerFunc& L, const Halide::Target& t) {
    const std::string s = compiled_text(L, t), tag = "_par_for_";
    const size_t p = s.find(tag);
    if (p == std::string::npos) return "";
    const size_t b = p + tag.size();
    return s.substr(b, s.find(' ', b) - b);
}

// co_outer -1: output-channel tiles outermost, and split between the threads, only
// for weights above 1 MiB, or above 256 KiB when a tile's whole map fits one flat
// band (7x7); otherwise rows outermost and split, like the depthwise layers around
// them (the 14x14x512 layers of 1.0/224, whose 1 MiB of weights an L2 holds).
TEST(ParallelPolicy, PointwiseSplitsRowsUnlessTheWeightsAreLarge) {
    const Halide::Target host = Halide::get_jit_target_from_environment().with_feature(Halide::Target::NoRuntime);
    struct Case {
        int hw, cin, cout;
        bool channel_tiles;
    };
    for (const Case& c : {Case{14, 512, 512, false}, Case{14, 256, 512, false}, Case{28, 128, 256, false},
                          Case{7, 1024, 1024, true}, Case{7, 256, 512, true}, Case{28, 512, 1024, true}}) {
        const Graph g = pointwise_net(c.hw, c.hw, c.cin, {c.cout});
        LayerFunc L = lower_layer(g, g.node(g.output), "pw");
        apply_x86_schedule(L, host, x86_default_knobs(L.kind));
        const std::string var = parallel_loop_var(L, host);
        EXPECT_NE(var.find(c.channel_tiles ? "_s0_c_co" : "_s0_y"), std::string::npos)
            << c.hw << "x" << c.hw << " " << c.cin << " -> " << c.cout << ": parallel loop " << var;
        // The knob overrides the rule either way.
        for (int forced : {0, 1}) {
            LayerFunc F = lower_layer(g, g.node(g.output), "pw");
            Knobs k = x86_default_knobs(F.kind);
            k["co_outer"] = forced;
            k["flat"] = 0;
            apply_x86_schedule(F, host, k);
            const std::string v = parallel_loop_var(F, host);
            EXPECT_NE(v.find(forced ? "_s0_c_co" : "_s0_y"), std::string::npos) << c.hw << " co_outer=" << forced << ": " << v;
        }
    }
}

// Depthwise layers go parallel from an estimated 2 us, like the others (the pool
// keeps each thread's rows on its core): every stride-1 one of synth 1.0/224 and of
// 0.25/128 down to 8x8x128 (2.6 us), while 0.25/128's 4x4x256 (1.3 us) stays serial.
TEST(ParallelPolicy, DepthwiseFromTwoMicroseconds) {
    const Halide::Target host = Halide::get_jit_target_from_environment().with_feature(Halide::Target::NoRuntime);
    int parallel = 0, serial = 0;
    for (const SynthOptions& o : {SynthOptions{}, SynthOptions{0.25, 128}}) {
        Graph g = parse_tf_graphdef(synth_tf_graphdef(o), "synth.pb", FrontendOptions{});
        run_passes(g);
        for (int id : g.topo_order()) {
            const Node& n = g.node(id);
            if (n.op != Op::DepthwiseConv2D || n.stride_h != 1) continue;
            const bool want = n.shape[1] > 4;
            LayerFunc L = lower_layer(g, n, "dw" + std::to_string(id));
            apply_x86_schedule(L, host, x86_default_knobs(L.kind));
            EXPECT_EQ(has_parallel_loop(L, host), want) << o.alpha << " " << n.name;
            ++(want ? parallel : serial);
        }
    }
    EXPECT_EQ(parallel, 17);
    EXPECT_EQ(serial, 1);
}

// k_block: reduction chunks reused by all register tiles of a band of rows. 160 -> 64
// channels on 13x14 (bands of 4 rows, the last shifted inwards, tiles rounded up
// past the map's end; 160 is no multiple of 64 or 128, so chunks of 40 and 80),
// then 64 -> 48 (one chunk: not blocked). Every declared value with varied tiles,
// vector widths and parallel on and off: within 1e-5 of the reference, bit-identical
// serial and parallel (only output-channel tiles run in parallel), and no heap
// allocation (the band's buffer stays under Halide's 16 KiB stack limit).
TEST(KnobSweep, KBlockedPointwiseMatchesTheReference) {
    const Halide::Target host = Halide::get_jit_target_from_environment();
    const Halide::Target asm_target = host.with_feature(Halide::Target::NoRuntime);
    const Graph g = pointwise_net(14, 13, 160, {64, 48});
    const std::vector<float> input = sweep_input(g);
    const std::vector<int> xbs{1, 2, 4, 6, 8}, cvs{0, 1, 2, 3, 4}, vws{0, 4, 8, 16};
    int blocked = 0, configs = 0;
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        if (n.op != Op::Conv2D) continue;
        const KernelIO io = kernel_io(g, n.inputs[0], id, input);
        const std::vector<float>& want = io.want;
        const Halide::Buffer<float> bin = input_buffer(g.node(n.inputs[0]).shape, io.in);
        for (const KnobDecl& d : x86_knob_space(KernelKind::Pointwise)) {
            if (d.name != "k_block") continue;
            for (size_t ci = 0; ci < d.choices.size(); ++ci)
                for (size_t j = 0; j < xbs.size(); ++j) {
                    if (!std::getenv("MNCC_FULL_SWEEP") && j != ci % xbs.size() && j != 3) continue;
                    Knobs k = x86_default_knobs(KernelKind::Pointwise);
                    k["k_block"] = d.choices[ci], k["x_block"] = xbs[j], k["co_vectors"] = cvs[(ci + j) % cvs.size()];
                    k["vector_width"] = vws[(ci + 2 * j) % vws.size()];
                    std::vector<Halide::Buffer<float>> outs;
                    bool is_blocked = false;
                    for (int p : {0, 1}) {
                        k["parallel"] = p;
                        LayerFunc L = lower_layer(g, n, "b" + std::to_string(id));
                        apply_x86_schedule(L, host, k);
                        is_blocked = compiled_text(L, host).find("_intm") != std::string::npos;
                        if (is_blocked && p == 0) {
                            EXPECT_EQ(compiled_text(L, asm_target, true).find("halide_malloc"), std::string::npos)
                                << n.name << " " << describe(k);
                        }
                        outs.push_back(realize(L, host, bin));
                        ASSERT_TRUE(near_reference(outs.back(), want)) << n.name << " " << describe(k);
                    }
                    for (size_t i = 0; i < want.size(); ++i)
                        ASSERT_EQ(outs[0].data()[i], outs[1].data()[i]) << n.name << " " << describe(k) << " element " << i;
                    const int kb = d.choices[ci];
                    if (kb == 0 || n.name == "pw48") {
                        EXPECT_FALSE(is_blocked) << n.name << " " << describe(k);
                    }
                    if (kb == 64 || kb == 128) {
                        EXPECT_EQ(is_blocked, n.name == "pw64") << n.name << " " << describe(k);
                    }
                    blocked += is_blocked;
                    ++configs;
                }
        }
    }
    EXPECT_GT(blocked, 2);
    EXPECT_GT(configs, 10);
}

// Stack buffers of pointwise schedules stay within Halide 14's 16 KiB stack limit
// (larger MemoryType::Stack allocations call halide_malloc on every call): flat
// pixels by default and with flat 1 on the 9x9 and 10x10 maps of MobileNet at 288
// and 320 pixels (1024 channels), and the 14x14x512 -> 512 layer K-blocked by the
// L1 budget (k_block -1: chunks of 128).
TEST(KnobSweep, PointwiseStackBuffersStayOffTheHeap) {
    const Halide::Target host = Halide::get_jit_target_from_environment().with_feature(Halide::Target::NoRuntime);
    struct Case {
        int hw, cin, cout;
        const char* knob;
        int value;
    };
    for (const Case& c : {Case{9, 128, 1024, "flat", -1}, Case{9, 128, 1024, "flat", 1},
                          Case{10, 128, 1024, "flat", -1}, Case{10, 128, 1024, "flat", 1},
                          Case{10, 128, 1024, "k_block", -1}, Case{14, 512, 512, "k_block", -1}}) {
        const Graph g = pointwise_net(c.hw, c.hw, c.cin, {c.cout});
        LayerFunc L = lower_layer(g, g.node(g.output), "s");
        Knobs k = x86_default_knobs(L.kind);
        k[c.knob] = c.value;
        apply_x86_schedule(L, host, k);
        const std::string what = std::to_string(c.hw) + "x" + std::to_string(c.hw) + " " + describe(k);
        if (c.value == 1) {
            EXPECT_TRUE(L.flat.defined()) << what;
        }
        if (c.hw == 14) {
            EXPECT_NE(compiled_text(L, host).find("_intm"), std::string::npos) << what;
        }
        EXPECT_EQ(compiled_text(L, host, true).find("halide_malloc"), std::string::npos) << what;
    }
}

// Input [1,h,w,c] -> 3x3 depthwise (stride, TF SAME pads, ReLU6) -> pointwise to
// `cout` channels (ReLU6): one fusable pair.
Graph dw_pw_net(int h, int w, int c, int stride, int cout) {
    Graph g;
    g.source_file = "dw_pw_net";
    Node& in = g.add(Op::Input, "input");
    in.shape = {1, h, w, c};
    g.input = in.id;
    const int in_id = in.id;   // g.add may move the nodes
    uint64_t s = 11;
    auto rnd = [&](float scale) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return scale * (static_cast<float>((s >> 40) & 0xffffff) / 8388608.0f - 1.0f);
    };
    const int oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride;
    const int ph = std::max((oh - 1) * stride + 3 - h, 0), pw = std::max((ow - 1) * stride + 3 - w, 0);
    Node& dw = g.add(Op::DepthwiseConv2D, "dw");
    dw.inputs = {in_id};
    dw.kernel_h = dw.kernel_w = 3;
    dw.stride_h = dw.stride_w = stride;
    dw.pad_top = ph / 2, dw.pad_bottom = ph - ph / 2, dw.pad_left = pw / 2, dw.pad_right = pw - pw / 2;
    dw.shape = {1, oh, ow, c};
    dw.activation = Activation::Relu6;
    dw.weights.shape = {3, 3, c};
    for (int i = 0; i < 9 * c; ++i) dw.weights.data.push_back(rnd(1.5f));
    dw.bias.shape = {c};
    for (int i = 0; i < c; ++i) dw.bias.data.push_back(rnd(0.5f));
    const int dw_id = dw.id;
    Node& pwn = g.add(Op::Conv2D, "pw");
    pwn.inputs = {dw_id};
    pwn.kernel_h = pwn.kernel_w = pwn.stride_h = pwn.stride_w = 1;
    pwn.shape = {1, oh, ow, cout};
    pwn.activation = Activation::Relu6;
    pwn.weights.shape = {1, 1, c, cout};
    // Smaller weights for wide reductions keep float rounding well under 1e-5.
    for (int i = 0; i < c * cout; ++i) pwn.weights.data.push_back(rnd(0.5f * std::min(1.0f, 64.0f / float(c))));
    pwn.bias.shape = {cout};
    for (int i = 0; i < cout; ++i) pwn.bias.data.push_back(rnd(0.5f));
    g.output = pwn.id;
    return g;
}

// Every pointwise knob value (sampled; all combinations with MNCC_FULL_SWEEP) on
// fused kernels: the hand net's two pairs (odd channel counts, stride 1 and 2 with
// asymmetric pads), 24 -> 40 channels at stride 2 on an 11x10 map, and 1024 -> 16
// on 5x6 (the depthwise tile shrinks to 4 pixels to fit its 16 KiB buffer), each
// against the reference interpreter's output of the pointwise node.
// What schedule_fused ignores, kept at the defaults (the full sweep stays small).
std::set<std::string> fused_fixed_knobs() {
    std::set<std::string> r = x86_fused_ignored_knobs();
    r.insert("fuse");
    return r;
}

TEST(KnobSweep, FusedDepthwisePointwiseMatchesTheReference) {
    const Halide::Target host = Halide::get_jit_target_from_environment();
    int fused = 0, checked = 0;
    for (const Graph& g : {make_hand_net(), dw_pw_net(11, 10, 24, 2, 40), dw_pw_net(5, 6, 1024, 1, 16)}) {
        const std::vector<float> input = g.source_file == "dw_pw_net" ? sweep_input(g) : hand_net_input();
        for (int id : g.topo_order()) {
            const Node& pw = g.node(id);
            const int dw = fusable_depthwise(g, pw);
            if (dw < 0) continue;
            ++fused;
            const KernelIO io = kernel_io(g, g.node(dw).inputs[0], id, input);
            const Halide::Buffer<float> bin = input_buffer(g.node(g.node(dw).inputs[0]).shape, io.in);
            for (const Knobs& k : configs(KernelKind::Pointwise, fused_fixed_knobs())) {
                LayerFunc L = lower_fused(g, g.node(dw), pw, "u" + std::to_string(id));
                apply_x86_schedule(L, host, k);
                ASSERT_TRUE(near_reference(realize(L, host, bin), io.want)) << pw.name << " " << describe(k);
                ++checked;
            }
        }
    }
    EXPECT_EQ(fused, 4);
    EXPECT_GE(checked, 4 * 5);
}

// The fused kernel's depthwise tile (all channels x the tile's pixels) stays on
// the stack: 512 and 1024 channels (MobileNet's widest) with every x_block.
TEST(KnobSweep, FusedDepthwiseBufferStaysOffTheHeap) {
    const Halide::Target host = Halide::get_jit_target_from_environment().with_feature(Halide::Target::NoRuntime);
    for (int c : {512, 1024})
        for (int xb : {6, 8}) {
            const Graph g = dw_pw_net(7, 7, c, 1, 64);
            LayerFunc L = lower_fused(g, g.node(1), g.node(2), "h");
            Knobs k = x86_default_knobs(L.kind);
            k["x_block"] = xb;
            apply_x86_schedule(L, host, k);
            EXPECT_EQ(compiled_text(L, host, true).find("halide_malloc"), std::string::npos) << c << " " << describe(k);
        }
}

// Which pairs fuse: fuse 1 and 0 force it, -1 (the default) fuses when the pointwise
// weights fit 128 KiB; never when the depthwise has another consumer, is the graph
// output or is quantized.
TEST(Fusion, DecidedByTheKnobAndTheGraph) {
    Knobs k = x86_default_knobs(KernelKind::Pointwise);
    const Graph small = dw_pw_net(8, 8, 128, 1, 256), large = dw_pw_net(4, 4, 256, 1, 256);
    EXPECT_EQ(fusable_depthwise(small, small.node(2)), 1);
    EXPECT_EQ(fusable_depthwise(small, small.node(1)), -1);   // not a pointwise
    EXPECT_TRUE(x86_fuse(small, small.node(2), k));
    EXPECT_FALSE(x86_fuse(large, large.node(2), k));
    EXPECT_FALSE(x86_fuse(small, small.node(2), default_knobs_for(true, KernelKind::Pointwise)));   // arm64
    for (int f : {-1, 0, 1}) {
        k["fuse"] = f;
        EXPECT_EQ(x86_fuse(small, small.node(2), k), f != 0) << f;
        EXPECT_EQ(x86_fuse(large, large.node(2), k), f == 1) << f;
    }
    Graph two = small;
    Node& other = two.add(Op::Relu, "other");
    other.inputs = {1};
    other.shape = two.node(1).shape;
    EXPECT_EQ(fusable_depthwise(two, two.node(2)), -1);
    Graph out = small;
    out.output = 1;
    EXPECT_EQ(fusable_depthwise(out, out.node(2)), -1);
    const Graph q = [] {
        Graph g = dw_pw_net(8, 8, 64, 1, 64);
        g.node(1).dtype = DType::UInt8;
        return g;
    }();
    EXPECT_EQ(fusable_depthwise(q, q.node(2)), -1);
}

}  // namespace
