// Passes: the structural effect of each pass, semantics preserved end to end
// (naive evaluator of the front-end graph vs the reference interpreter on the
// final graph), validate's error rules, the memory plan and the IR dumps.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

#include <unistd.h>

#include "passes/canonicalize.h"
#include "passes/fold_batchnorm.h"
#include "passes/fold_pad.h"
#include "passes/fuse_activation.h"
#include "passes/fuse_bias.h"
#include "passes/passes.h"
#include "passes/plan_memory.h"
#include "passes/resolve_identity.h"
#include "passes/validate.h"
#include "reference/interpreter.h"
#include "support/error.h"
#include "test_passes_graphs.h"

using namespace mncc;
using namespace mncc_test;

namespace {

int find(const Graph& g, const std::string& name) {
    for (const Node& n : g.nodes)
        if (n.name == name) return n.id;
    ADD_FAILURE() << "no node " << name;
    return -1;
}

std::vector<Op> live_ops(const Graph& g) {
    std::vector<Op> ops;
    for (int id : g.topo_order()) ops.push_back(g.node(id).op);
    return ops;
}

bool has_live(const Graph& g, Op op) {
    for (Op o : live_ops(g))
        if (o == op) return true;
    return false;
}

// Runs the passes before `stop` (in pipeline order).
void run_until(Graph& g, const std::string& stop) {
    const std::pair<std::string, void (*)(Graph&)> passes[] = {
        {"resolve_identity", resolve_identity}, {"fold_batchnorm", fold_batchnorm}, {"fuse_bias", fuse_bias},
        {"fuse_activation", fuse_activation},   {"fold_pad", fold_pad},             {"canonicalize", canonicalize}};
    for (const auto& p : passes) {
        if (p.first == stop) return;
        p.second(g);
    }
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

std::vector<float> random_input(const Graph& g, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<float> v(static_cast<size_t>(num_elements(g.node(g.input).shape)));
    for (float& x : v) x = static_cast<float>(rng() / 4294967296.0 * 2.0 - 1.0);
    return v;
}

}  // namespace

TEST(ResolveIdentity, RemovesIdentityAndTurnsSqueezeIntoReshape) {
    Graph g = full_graph();
    resolve_identity(g);
    EXPECT_FALSE(has_live(g, Op::Identity));
    EXPECT_FALSE(has_live(g, Op::Squeeze));
    EXPECT_TRUE(g.node(find(g, "id")).dead);
    EXPECT_EQ(g.node(find(g, "conv0")).inputs, std::vector<int>{g.input});
    const Node& sq = g.node(find(g, "logits/squeeze"));
    EXPECT_EQ(sq.op, Op::Reshape);
    EXPECT_EQ(sq.shape, (Shape{1, 5}));
}

TEST(ResolveIdentity, CollapsesReshapeChainsAndDropsShapeOps) {
    Builder b;
    int x = b.input({1, 1, 1, 8});
    int s1 = b.reshape(Op::Squeeze, x, {1, 8}, "squeeze");
    int r1 = b.reshape(Op::Reshape, s1, {2, 4}, "reshape");
    int r2 = b.reshape(Op::Reshape, r1, {1, 8}, "flat");
    int sm = b.unary(Op::Softmax, r2, "softmax");
    int shp = b.add(Op::Shape, "shape", {sm}, {2}).id;
    int back = b.reshape(Op::Reshape, sm, {1, 8}, "reshape_1");
    b.g.node(back).inputs.push_back(shp);
    Graph g = b.g;
    resolve_identity(g);
    // One Reshape from the input to [1,8]; the trailing Reshape_1 changes nothing.
    EXPECT_EQ(g.output, sm);
    EXPECT_EQ(live_ops(g), (std::vector<Op>{Op::Input, Op::Reshape, Op::Softmax}));
    EXPECT_EQ(g.node(sm).inputs, std::vector<int>{r2});
    EXPECT_EQ(g.node(r2).inputs, std::vector<int>{x});
    EXPECT_TRUE(g.node(shp).dead);
    EXPECT_TRUE(g.node(back).dead);
}

TEST(FoldBatchnorm, FoldsThroughBiasAddInDouble) {
    Graph g = full_graph();
    const Graph before = g;
    run_until(g, "fold_batchnorm");
    fold_batchnorm(g);
    EXPECT_FALSE(has_live(g, Op::BatchNorm));
    EXPECT_FALSE(has_live(g, Op::Mul));
    EXPECT_TRUE(g.node(find(g, "conv0/bias")).dead);
    EXPECT_EQ(g.node(find(g, "conv0/relu6")).inputs, std::vector<int>{find(g, "conv0")});
    const Node& bn = before.node(find(before, "conv0/bn"));
    const Node& ba = before.node(find(before, "conv0/bias"));
    const Node& c0 = before.node(find(before, "conv0"));
    const Node& c1 = g.node(find(g, "conv0"));
    for (int c = 0; c < 4; ++c) {
        double s = double(bn.bn_gamma.data[c]) / std::sqrt(double(bn.bn_var.data[c]) + double(bn.bn_epsilon));
        double bias = (double(ba.value.data[c]) - bn.bn_mean.data[c]) * s + bn.bn_beta.data[c];
        EXPECT_FLOAT_EQ(c1.bias.data[c], static_cast<float>(bias));
        // HWIO: output channel is the fastest-varying index.
        EXPECT_FLOAT_EQ(c1.weights.data[5 * 4 + c], static_cast<float>(c0.weights.data[5 * 4 + c] * s));
    }
    // Mul(const) scales the depthwise weights; its Add is left for fuse_bias.
    EXPECT_EQ(g.node(find(g, "dw1/add")).inputs, std::vector<int>{find(g, "dw1")});
    // dw3 had no bias: the batch norm creates one.
    EXPECT_EQ(g.node(find(g, "dw3")).bias.shape, (Shape{6}));
}

TEST(FoldBatchnorm, LeavesBatchNormWhoseConvHasTwoUsers) {
    Builder b;
    int x = b.input({1, 4, 4, 2});
    int c = b.conv(x, 1, 2, 1, Padding::Valid, "conv");
    int bn = b.batchnorm(c, "bn");
    int add = b.add(Op::Add, "add", {bn, c}, {1, 4, 4, 2}).id;
    b.out(add);
    Graph g = b.g;
    fold_batchnorm(g);
    EXPECT_FALSE(g.node(bn).dead);
    EXPECT_EQ(error_of([&] { run_passes(g); }),
              "test.pb: node 'bn' (BatchNorm): batch norm could not be folded into a preceding convolution (it must "
              "directly follow a Conv2D, DepthwiseConv2D or FullyConnected whose result has no other use)");
}

TEST(FoldBatchnorm, RejectsBadParameters) {
    Builder b;
    int x = b.input({1, 4, 4, 2});
    int c = b.conv(x, 1, 3, 1, Padding::Valid, "conv");
    int bn = b.batchnorm(c, "bn");
    Graph g = b.g;
    g.node(bn).bn_gamma.data.resize(2);
    EXPECT_EQ(error_of([&] { fold_batchnorm(g); }),
              "test.pb: node 'bn' (BatchNorm): constant has 2 values, expected 1 or 3 (one per channel)");
    g = b.g;
    g.node(bn).bn_var.data = {-1.0f, 1.0f, 1.0f};
    EXPECT_EQ(error_of([&] { fold_batchnorm(g); }),
              "test.pb: node 'bn' (BatchNorm): variance + epsilon is not positive");
}

TEST(FuseBias, BiasAddAndConstAddBecomeLayerBias) {
    Graph g = full_graph();
    run_until(g, "fuse_bias");
    const Graph before = g;
    fuse_bias(g);
    EXPECT_FALSE(has_live(g, Op::BiasAdd));
    EXPECT_FALSE(has_live(g, Op::Add));
    const Node& add = before.node(find(before, "dw1/add"));
    for (int c = 0; c < 4; ++c)
        EXPECT_FLOAT_EQ(g.node(find(g, "dw1")).bias.data[c],
                        before.node(find(before, "dw1")).bias.data[c] + add.value.data[c]);
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        if (n.op == Op::Conv2D || n.op == Op::DepthwiseConv2D) {
            EXPECT_EQ(n.bias.shape, (Shape{n.shape[3]})) << n.name;
        }
    }
    // conv2 had no bias at all: zeros.
    for (float v : g.node(find(g, "conv2")).bias.data) EXPECT_EQ(v, 0.0f);
}

TEST(FuseActivation, MovesReluAndRelu6IntoTheLayer) {
    Graph g = full_graph();
    run_until(g, "fuse_activation");
    fuse_activation(g);
    EXPECT_FALSE(has_live(g, Op::Relu));
    EXPECT_FALSE(has_live(g, Op::Relu6));
    EXPECT_EQ(g.node(find(g, "conv0")).activation, Activation::Relu6);
    EXPECT_EQ(g.node(find(g, "dw1")).activation, Activation::Relu);
    EXPECT_EQ(g.node(find(g, "dw3")).activation, Activation::Relu6);
    EXPECT_EQ(g.node(find(g, "conv2")).activation, Activation::None);
}

TEST(FuseActivation, KeepsReluAfterASharedResultOrASecondActivation) {
    Builder b;
    int x = b.input({1, 2, 2, 2});
    int c = b.conv(x, 1, 2, 1, Padding::Valid, "conv");
    int r1 = b.unary(Op::Relu, c, "relu");
    int r2 = b.unary(Op::Relu6, r1, "relu6");
    int add = b.add(Op::Add, "add", {r2, c}, {1, 2, 2, 2}).id;
    b.out(add);
    Graph g = b.g;
    fuse_activation(g);
    EXPECT_FALSE(g.node(r1).dead);
    EXPECT_EQ(g.node(c).activation, Activation::None);
    EXPECT_EQ(error_of([&] { run_passes(g); }),
              "test.pb: node 'relu' (Relu): unsupported op in the final network (no layer kernel; it could not be "
              "fused or folded)");
}

TEST(FoldPad, ExplicitPadBecomesConvPadding) {
    Graph g = full_graph();
    run_until(g, "fold_pad");
    fold_pad(g);
    EXPECT_FALSE(has_live(g, Op::Pad));
    const Node& c = g.node(find(g, "conv2"));
    EXPECT_EQ(c.padding, Padding::Explicit);
    EXPECT_EQ((std::vector<int>{c.pad_top, c.pad_bottom, c.pad_left, c.pad_right}), (std::vector<int>{1, 1, 1, 1}));
    EXPECT_EQ(c.inputs, std::vector<int>{find(g, "dw1")});
    EXPECT_EQ(c.shape, (Shape{1, 3, 3, 6}));
}

TEST(FoldPad, KeepsPadBeforeAPaddedConv) {
    Builder b;
    int x = b.input({1, 4, 4, 1});
    int p = b.pad(x, 1, 0, 1, 0, "pad");
    b.conv(p, 3, 1, 1, Padding::Same, "conv");
    Graph g = b.g;
    fold_pad(g);
    EXPECT_FALSE(g.node(p).dead);
}

TEST(Canonicalize, MeanToAvgPoolAndLogitsToFullyConnected) {
    Graph g = full_graph(false);
    run_until(g, "canonicalize");
    canonicalize(g);
    const Node& pool = g.node(find(g, "pool"));
    EXPECT_EQ(pool.op, Op::AvgPool);
    EXPECT_EQ(pool.kernel_h, 2);
    EXPECT_EQ(pool.kernel_w, 2);
    EXPECT_EQ(pool.shape, (Shape{1, 1, 1, 6}));
    // Mean's [1,6] followed by the model's Reshape back to [1,1,1,6]: no view left.
    const Node& fc = g.node(find(g, "logits"));
    EXPECT_EQ(fc.op, Op::FullyConnected);
    EXPECT_EQ(fc.inputs, std::vector<int>{pool.id});
    EXPECT_EQ(fc.weights.shape, (Shape{6, 5}));
    EXPECT_EQ(live_ops(g), (std::vector<Op>{Op::Input, Op::Conv2D, Op::DepthwiseConv2D, Op::Conv2D,
                                            Op::DepthwiseConv2D, Op::AvgPool, Op::FullyConnected, Op::Reshape,
                                            Op::Softmax}));
    EXPECT_EQ(g.node(g.node(g.output).inputs[0]).shape, (Shape{1, 5}));
    EXPECT_NO_THROW(validate(g));
}

TEST(Canonicalize, SoftmaxOn4DGetsReshapes) {
    Graph g = full_graph(true);
    run_until(g, "canonicalize");
    canonicalize(g);
    const Node& sm = g.node(find(g, "softmax"));
    EXPECT_EQ(sm.shape, (Shape{1, 5}));
    EXPECT_EQ(g.node(sm.inputs[0]).op, Op::Reshape);
    EXPECT_EQ(g.node(sm.inputs[0]).shape, (Shape{1, 5}));
    // The output keeps the model's [1,1,1,5] through a view.
    EXPECT_EQ(g.node(g.output).op, Op::Reshape);
    EXPECT_EQ(g.node(g.output).shape, (Shape{1, 1, 1, 5}));
    EXPECT_NO_THROW(validate(g));
}

TEST(RunPasses, PreservesSemantics) {
    for (bool keep : {false, true}) {
        Graph g = full_graph(keep);
        const Graph original = g;
        run_passes(g);
        for (int id : g.topo_order()) {
            Op op = g.node(id).op;
            EXPECT_TRUE(op == Op::Input || op == Op::Conv2D || op == Op::DepthwiseConv2D || op == Op::AvgPool ||
                        op == Op::FullyConnected || op == Op::Softmax || op == Op::Reshape)
                << op_name(op);
        }
        for (uint32_t seed : {1u, 2u, 3u}) {
            std::vector<float> in = random_input(g, seed);
            std::vector<double> want = naive_eval(original, in);
            std::vector<float> got = run_reference(g, in);
            ASSERT_EQ(got.size(), want.size());
            for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << i;
        }
    }
}

TEST(RunPasses, PreservesSemanticsOfIntermediateActivations) {
    // Stop at dw1/relu so the checked values are unbounded conv outputs, not probabilities.
    Graph g = full_graph();
    g.output = find(g, "dw1/relu");
    const Graph original = g;
    run_passes(g);
    std::vector<float> in = random_input(g, 7);
    std::vector<double> want = naive_eval(original, in);
    std::vector<float> got = run_reference(g, in);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6 * std::max(1.0, std::fabs(want[i])));
}

// ---- validate: one malformed graph per rule, message checked ----

namespace {

Graph valid_final() {
    Builder b;
    int x = b.input({1, 6, 6, 3});
    x = b.conv(x, 3, 4, 2, Padding::Same, "conv");
    x = b.dw(x, 3, 1, Padding::Same, "dw");
    x = b.mean(x, true, "pool");
    x = b.conv(x, 1, 5, 1, Padding::Valid, "fc");
    x = b.reshape(Op::Squeeze, x, {1, 5}, "flat");
    b.unary(Op::Softmax, x, "softmax");
    Graph g = b.g;
    run_passes(g);
    return g;
}

struct Case {
    const char* name;
    std::function<void(Graph&)> mutate;
    const char* message;
};

}  // namespace

TEST(Validate, AcceptsTheFinalGraph) { EXPECT_NO_THROW(validate(valid_final())); }

TEST(Validate, RejectsEachMalformedGraph) {
    auto node = [](Graph& g, const char* name) -> Node& { return g.node(find(g, name)); };
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<Case> cases = {
        {"no output", [](Graph& g) { g.output = -1; }, "test.pb: graph has no output"},
        {"input count", [&](Graph& g) { node(g, "dw").inputs.push_back(g.input); },
         "test.pb: node 'dw' (DepthwiseConv2D): must have exactly one data input"},
        {"add inputs", [&](Graph& g) { node(g, "dw").op = Op::Add; },
         "test.pb: node 'dw' (Add): needs exactly two data inputs"},
        {"empty shape", [&](Graph& g) { node(g, "softmax").shape.clear(); },
         "test.pb: node 'softmax' (Softmax): has no static shape"},
        {"zero dim", [&](Graph& g) { node(g, "dw").shape[1] = 0; },
         "test.pb: node 'dw' (DepthwiseConv2D): shape [1,0,3,4] has a dimension < 1"},
        {"second input", [](Graph& g) { g.input = -1; }, "test.pb: node 'input' (Input): is not the graph's input"},
        {"input rank", [](Graph& g) { g.node(g.input).shape = {1, 108}; },
         "test.pb: node 'input' (Input): input must be [1,H,W,C]"},
        {"weights rank", [&](Graph& g) { node(g, "conv").weights.shape = {3, 3, 12}; },
         "test.pb: node 'conv' (Conv2D): weights [3,3,12] are not [kernel_h,kernel_w,cin,cout]"},
        {"channel mismatch",
         [&](Graph& g) {
             node(g, "conv").weights.shape = {3, 3, 4, 3};
             node(g, "conv").shape[3] = 3;
             node(g, "conv").bias.shape = {3};
         },
         "test.pb: node 'conv' (Conv2D): weights expect 4 input channels, input [1,6,6,3] has 3"},
        {"dw channel mismatch", [&](Graph& g) { node(g, "dw").weights.shape = {3, 3, 5}; node(g, "dw").shape[3] = 5; },
         "test.pb: node 'dw' (DepthwiseConv2D): weights have 5 channels, input [1,3,3,4] has 4"},
        {"dw weights rank", [&](Graph& g) { node(g, "dw").weights.shape = {3, 3, 4, 1}; },
         "test.pb: node 'dw' (DepthwiseConv2D): weights [3,3,4,1] are not [kernel_h,kernel_w,channels]"},
        {"output shape", [&](Graph& g) { node(g, "conv").shape = {1, 2, 2, 4}; },
         "test.pb: node 'conv' (Conv2D): output shape [1,2,2,4] does not match [1,3,3,4] computed from the input "
         "and attributes"},
        {"kernel", [&](Graph& g) { node(g, "pool").kernel_h = 0; },
         "test.pb: node 'pool' (AvgPool): kernel size must be at least 1"},
        {"stride", [&](Graph& g) { node(g, "dw").stride_w = 0; },
         "test.pb: node 'dw' (DepthwiseConv2D): stride must be at least 1"},
        {"negative pad", [&](Graph& g) { node(g, "dw").pad_left = -1; },
         "test.pb: node 'dw' (DepthwiseConv2D): padding must not be negative"},
        {"pad >= kernel", [&](Graph& g) { node(g, "dw").pad_bottom = 3; },
         "test.pb: node 'dw' (DepthwiseConv2D): padding must be smaller than the kernel"},
        {"kernel > input", [&](Graph& g) { node(g, "pool").kernel_h = 5; },
         "test.pb: node 'pool' (AvgPool): kernel is larger than the padded input [1,3,3,4]"},
        {"window input rank",
         [&](Graph& g) {
             Node& r = g.add(Op::Reshape, "flat_input");
             r.inputs = {g.input};
             r.shape = {1, 108};
             node(g, "conv").inputs = {r.id};
         },
         "test.pb: node 'conv' (Conv2D): input must be [1,H,W,C], got [1,108]"},
        {"weights size", [&](Graph& g) { node(g, "conv").weights.data.pop_back(); },
         "test.pb: node 'conv' (Conv2D): weights has 107 values for shape [3,3,3,4]"},
        {"NaN weight", [&](Graph& g) { node(g, "dw").weights.data[5] = nan; },
         "test.pb: node 'dw' (DepthwiseConv2D): weights contain a non-finite value"},
        {"bias shape", [&](Graph& g) { node(g, "fc").bias.shape = {4}; },
         "test.pb: node 'fc' (FullyConnected): bias shape [4] is not [5]"},
        {"inf bias", [&](Graph& g) { node(g, "conv").bias.data[0] = INFINITY; },
         "test.pb: node 'conv' (Conv2D): bias contain a non-finite value"},
        {"fc weights rank", [&](Graph& g) { node(g, "fc").weights.shape = {1, 4, 5}; },
         "test.pb: node 'fc' (FullyConnected): weights [1,4,5] are not [cin,cout]"},
        {"fc input", [&](Graph& g) { node(g, "fc").inputs = {find(g, "dw")}; },
         "test.pb: node 'fc' (FullyConnected): input must be [1,C] or [1,1,1,C], got [1,3,3,4]"},
        {"fc channels", [&](Graph& g) { node(g, "fc").weights.shape = {5, 4}; },
         "test.pb: node 'fc' (FullyConnected): weights expect 5 input channels, input [1,1,1,4] has 4"},
        {"fc outputs", [&](Graph& g) { node(g, "fc").shape = {1, 1, 1, 6}; },
         "test.pb: node 'fc' (FullyConnected): output shape [1,1,1,6] does not match 5 outputs"},
        {"softmax input", [&](Graph& g) { node(g, "softmax").inputs = {find(g, "fc")}; },
         "test.pb: node 'softmax' (Softmax): input must be [1,C], got [1,1,1,5]"},
        {"softmax shape", [&](Graph& g) { node(g, "softmax").shape = {5, 1}; },
         "test.pb: node 'softmax' (Softmax): output shape differs from the input shape"},
        {"reshape size", [&](Graph& g) { node(g, "flat").shape = {1, 6}; },
         "test.pb: node 'flat' (Reshape): reshape from [1,1,1,5] to [1,6] changes the size"},
        {"add shapes",
         [&](Graph& g) {
             node(g, "dw").op = Op::Add;
             node(g, "dw").inputs = {find(g, "conv"), g.input};
         },
         "test.pb: node 'dw' (Add): inputs and output must have the same shape"},
        {"activation", [&](Graph& g) { node(g, "pool").activation = Activation::Relu; },
         "test.pb: node 'pool' (AvgPool): only conv/FC layers carry an activation"},
        {"dead node used", [&](Graph& g) { node(g, "dw").dead = true; },
         "test.pb: node 'dw' (DepthwiseConv2D): removed node is still used"},
        {"unsupported op", [&](Graph& g) { node(g, "dw").op = Op::Mean; },
         "test.pb: node 'dw' (Mean): unsupported op in the final network (no layer kernel; it could not be fused or "
         "folded)"},
        {"batch norm", [&](Graph& g) { node(g, "dw").op = Op::BatchNorm; },
         "test.pb: node 'dw' (BatchNorm): batch norm could not be folded into a preceding convolution (it must "
         "directly follow a Conv2D, DepthwiseConv2D or FullyConnected whose result has no other use)"},
    };
    for (const Case& c : cases) {
        Graph g = valid_final();
        c.mutate(g);
        EXPECT_EQ(error_of([&] { validate(g); }), c.message) << c.name;
    }
}

TEST(Validate, ReportsFrontEndOpsLeftOver) {
    // A Relu straight after the input has no layer to fuse into.
    Builder b;
    int x = b.input({1, 2, 2, 1});
    b.unary(Op::Relu, x, "lonely_relu");
    Graph g = b.g;
    EXPECT_EQ(error_of([&] { run_passes(g); }),
              "test.pb: node 'lonely_relu' (Relu): unsupported op in the final network (no layer kernel; it could "
              "not be fused or folded)");
}

TEST(ResolveIdentity, RejectsIdentityWithoutInput) {
    Builder b;
    b.input({1, 2, 2, 1});
    int id = b.add(Op::Identity, "broken", {}, {1, 2, 2, 1}).id;
    b.out(id);
    Graph g = b.g;
    EXPECT_EQ(error_of([&] { resolve_identity(g); }), "test.pb: node 'broken' (Identity): Identity has no input");
}

TEST(ResolveIdentity, RejectsReshapeWithoutInput) {
    Builder b;
    b.input({1, 2, 2, 1});
    int id = b.add(Op::Squeeze, "broken", {}, {1, 4}).id;
    b.out(id);
    Graph g = b.g;
    EXPECT_EQ(error_of([&] { resolve_identity(g); }), "test.pb: node 'broken' (Squeeze): no data input");
}

TEST(FoldBatchnorm, RejectsBiasOfTheWrongSize) {
    Builder b;
    int x = b.input({1, 2, 2, 1});
    int c = b.conv(x, 1, 3, 1, Padding::Valid, "conv");
    b.batchnorm(c, "bn");
    Graph g = b.g;
    g.node(c).bias = Tensor{{2}, {0, 0}};
    EXPECT_EQ(error_of([&] { fold_batchnorm(g); }),
              "test.pb: node 'conv' (Conv2D): weights/bias do not match the output channel count");
}

// ---- memory plan ----

namespace {

// MobileNet v1 (width 0.25, 128x128) as a front-end graph: conv/dw/pw with BN + Relu6.
Graph mobilenet_like(int res = 128, double alpha = 0.25) {
    Builder b;
    auto depth = [&](int c) { return std::max(static_cast<int>(c * alpha), 8); };
    int x = b.input({1, res, res, 3});
    auto block = [&](int in, bool dw, int k, int cout, int stride, const std::string& name) {
        int y = dw ? b.dw(in, k, stride, Padding::Same, name) : b.conv(in, k, cout, stride, Padding::Same, name);
        y = b.batchnorm(y, name + "/bn");
        return b.unary(Op::Relu6, y, name + "/relu6");
    };
    x = block(x, false, 3, depth(32), 2, "Conv2d_0");
    const int spec[13][2] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1},
                             {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
    for (int i = 0; i < 13; ++i) {
        std::string n = "Conv2d_" + std::to_string(i + 1);
        x = block(x, true, 3, 0, spec[i][1], n + "_depthwise");
        x = block(x, false, 1, depth(spec[i][0]), 1, n + "_pointwise");
    }
    x = b.mean(x, true, "AvgPool");
    x = b.conv(x, 1, 1001, 1, Padding::Valid, "Logits");
    x = b.with_const(Op::BiasAdd, x, "Logits/bias");
    x = b.reshape(Op::Squeeze, x, {1, 1001}, "SpatialSqueeze");
    b.unary(Op::Softmax, x, "Predictions");
    return b.g;
}

int64_t bytes_of(const Graph& g, int id) { return (num_elements(g.node(id).shape) * 4 + 63) / 64 * 64; }

// Checks the plan against liveness intervals computed here from the graph.
void check_plan(const Graph& g) {
    std::vector<int> order = g.topo_order();
    std::vector<int> root(g.nodes.size(), -1);
    std::vector<size_t> first(g.nodes.size()), last(g.nodes.size());
    for (size_t i = 0; i < order.size(); ++i) {
        const Node& n = g.node(order[i]);
        ASSERT_GE(g.arena_offset[n.id], 0) << n.name;
        EXPECT_EQ(g.arena_offset[n.id] % 64, 0) << n.name;
        if (n.op == Op::Reshape) {
            root[n.id] = root[n.inputs[0]];
            EXPECT_EQ(g.arena_offset[n.id], g.arena_offset[n.inputs[0]]) << n.name;
        } else {
            root[n.id] = n.id;
            first[n.id] = last[n.id] = i;
            EXPECT_LE(g.arena_offset[n.id] + bytes_of(g, n.id), g.arena_bytes) << n.name;
        }
        for (int in : n.inputs) last[root[in]] = std::max(last[root[in]], i);
    }
    last[root[g.output]] = order.size();
    int pairs = 0;
    for (int a : order)
        for (int b : order) {
            if (a >= b || root[a] != a || root[b] != b) continue;
            bool overlap_in_time = first[a] <= last[b] && first[b] <= last[a];
            if (!overlap_in_time) continue;
            ++pairs;
            int64_t a0 = g.arena_offset[a], a1 = a0 + bytes_of(g, a);
            int64_t b0 = g.arena_offset[b], b1 = b0 + bytes_of(g, b);
            EXPECT_TRUE(a1 <= b0 || b1 <= a0) << g.node(a).name << " and " << g.node(b).name << " overlap";
        }
    EXPECT_GT(pairs, 0);
}

}  // namespace

TEST(PlanMemory, MobileNetChainPingPongsWithinTenPercentOfTheLowerBound) {
    for (auto [res, alpha] : {std::pair<int, double>{128, 0.25}, {160, 0.5}, {224, 1.0}}) {
        Graph g = mobilenet_like(res, alpha);
        run_passes(g);
        check_plan(g);
        // Lower bound by hand: the largest input + output of any layer.
        int64_t lb = 0;
        for (int id : g.topo_order())
            if (g.node(id).op != Op::Input && g.node(id).op != Op::Reshape)
                lb = std::max(lb, bytes_of(g, id) + bytes_of(g, g.node(id).inputs[0]));
        EXPECT_EQ(g.arena_lower_bound, lb);
        EXPECT_LE(double(g.arena_bytes), 1.10 * double(g.arena_lower_bound)) << res;
        EXPECT_GE(g.arena_bytes, g.arena_lower_bound);
    }
}

TEST(PlanMemory, ResidualAddKeepsBothOperandsAlive) {
    Builder b;
    int x = b.input({1, 8, 8, 4});
    int c1 = b.conv(x, 1, 4, 1, Padding::Valid, "c1");
    int c2 = b.conv(c1, 1, 16, 1, Padding::Valid, "c2");
    int c3 = b.conv(c2, 1, 4, 1, Padding::Valid, "c3");
    int add = b.add(Op::Add, "add", {c1, c3}, {1, 8, 8, 4}).id;
    b.out(add);
    Graph g = b.g;
    run_passes(g);
    check_plan(g);
}

// ---- IR dumps ----

TEST(RunPasses, DumpsTheIrAfterEveryPass) {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("mncc_test_dump_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    Graph g = full_graph();
    run_passes(g, PassOptions{(dir / "sub").string()});
    const char* names[] = {"01-resolve_identity", "02-fold_batchnorm", "03-fuse_bias", "04-fuse_activation",
                           "05-fold_pad",         "06-canonicalize",   "07-validate",  "08-plan_memory"};
    std::vector<std::string> texts;
    for (const char* n : names) {
        std::ifstream f(dir / "sub" / (std::string(n) + ".txt"));
        ASSERT_TRUE(f) << n;
        texts.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    size_t files = 0;
    for (auto& e : fs::directory_iterator(dir / "sub")) files += e.is_regular_file();
    EXPECT_EQ(files, 8u);
    EXPECT_EQ(texts[0].find("Identity"), std::string::npos);
    EXPECT_NE(texts[0].find("BatchNorm 'conv0/bn'"), std::string::npos);
    EXPECT_EQ(texts[1].find("BatchNorm"), std::string::npos);
    EXPECT_NE(texts[3].find("relu6"), std::string::npos);
    EXPECT_NE(texts[5].find("FullyConnected 'logits'"), std::string::npos);
    EXPECT_EQ(texts[6], texts[5]);  // validate changes nothing
    EXPECT_NE(texts[7].find("# arena "), std::string::npos);
    EXPECT_EQ(texts[7], dump_ir(g));
    fs::remove_all(dir);
}

TEST(RunPasses, DumpDirectoryErrors) {
    namespace fs = std::filesystem;
    fs::path file = fs::temp_directory_path() / ("mncc_test_dump_file_" + std::to_string(::getpid()));
    std::ofstream(file) << "x";
    Graph g = full_graph();
    std::string msg = error_of([&] { run_passes(g, PassOptions{(file / "d").string()}); });
    EXPECT_EQ(msg.rfind((file / "d").string() + ": cannot create IR dump directory: ", 0), 0u) << msg;
    fs::remove(file);

    // The directory exists but a dump file cannot be written (a directory is in its way).
    fs::path dir = fs::temp_directory_path() / ("mncc_test_dump_blocked_" + std::to_string(::getpid()));
    fs::create_directories(dir / "01-resolve_identity.txt");
    g = full_graph();
    EXPECT_EQ(error_of([&] { run_passes(g, PassOptions{dir.string()}); }),
              (dir / "01-resolve_identity.txt").string() + ": cannot write IR dump");
    fs::remove_all(dir);
}
