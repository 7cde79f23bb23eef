// Front end on real models (../shared derived frozen graphs) and on synth.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "frontend/frontend.h"
#include "frontend/synth.h"
#include "proto/tensorflow_graph.pb.h"
#include "support/error.h"

namespace mncc {
namespace {

std::string shared_model(const std::string& name) {
    return std::string(MNCC_SHARED_DIR) + "/models/derived/" + name;
}

std::string read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

const Node& by_name(const Graph& g, const std::string& name) {
    for (const Node& n : g.nodes)
        if (n.name == name) return n;
    throw std::runtime_error("no node " + name);
}

std::map<Op, int> op_counts(const Graph& g) {
    std::map<Op, int> c;
    for (int id : g.topo_order()) c[g.node(id).op]++;
    return c;
}

// Structure every TF-slim MobileNet v1 front-end graph shares.
void expect_mobilenet_v1(const Graph& g, int res, int64_t first_depth, int64_t last_depth, int64_t pool) {
    const Node& in = g.node(g.input);
    EXPECT_EQ(in.op, Op::Input);
    EXPECT_EQ(in.name, "input");
    EXPECT_EQ(in.shape, (Shape{1, res, res, 3}));
    const Node& out = g.node(g.output);
    EXPECT_EQ(out.name, "MobilenetV1/Predictions/Reshape_1");
    EXPECT_EQ(out.op, Op::Reshape);
    EXPECT_EQ(out.shape, (Shape{1, 1001}));
    auto c = op_counts(g);
    EXPECT_EQ(c[Op::Conv2D], 15);
    EXPECT_EQ(c[Op::DepthwiseConv2D], 13);
    EXPECT_EQ(c[Op::BatchNorm], 27);
    EXPECT_EQ(c[Op::Relu6], 27);
    EXPECT_EQ(c[Op::AvgPool], 1);
    EXPECT_EQ(c[Op::BiasAdd], 1);
    EXPECT_EQ(c[Op::Squeeze], 1);
    EXPECT_EQ(c[Op::Reshape], 2);
    EXPECT_EQ(c[Op::Softmax], 1);
    EXPECT_EQ(c[Op::Const], 0);     // constants are bound into their consumers
    EXPECT_EQ(c[Op::Identity], 0);  // the "/read" Identities are constant, so bound too

    const Node& conv0 = by_name(g, "MobilenetV1/MobilenetV1/Conv2d_0/Conv2D");
    EXPECT_EQ(conv0.inputs, std::vector<int>{g.input});
    EXPECT_EQ(conv0.weights.shape, (Shape{3, 3, 3, first_depth}));
    EXPECT_EQ(conv0.weights.data.size(), size_t(27 * first_depth));
    EXPECT_EQ(conv0.shape, (Shape{1, res / 2, res / 2, first_depth}));
    EXPECT_EQ(conv0.stride_h, 2);
    EXPECT_EQ(conv0.padding, Padding::Same);
    // TF SAME at an even size and stride 2: the one extra row/column goes bottom/right.
    EXPECT_EQ(conv0.pad_top, 0);
    EXPECT_EQ(conv0.pad_bottom, 1);
    EXPECT_EQ(conv0.pad_left, 0);
    EXPECT_EQ(conv0.pad_right, 1);
    const Node& dw1 = by_name(g, "MobilenetV1/MobilenetV1/Conv2d_1_depthwise/depthwise");
    EXPECT_EQ(dw1.op, Op::DepthwiseConv2D);
    EXPECT_EQ(dw1.weights.shape, (Shape{3, 3, first_depth}));
    EXPECT_EQ(dw1.pad_top, 1);
    EXPECT_EQ(dw1.pad_bottom, 1);
    const Node& bn = by_name(g, "MobilenetV1/MobilenetV1/Conv2d_0/BatchNorm/FusedBatchNorm");
    EXPECT_EQ(bn.inputs, std::vector<int>{conv0.id});
    EXPECT_EQ(bn.bn_gamma.shape, (Shape{first_depth}));
    EXPECT_FLOAT_EQ(bn.bn_epsilon, 0.001f);
    const Node& last = by_name(g, "MobilenetV1/MobilenetV1/Conv2d_13_pointwise/Conv2D");
    EXPECT_EQ(last.weights.shape, (Shape{1, 1, last_depth, last_depth}));
    EXPECT_EQ(last.shape, (Shape{1, pool, pool, last_depth}));
    const Node& avg = by_name(g, "MobilenetV1/Logits/AvgPool_1a/AvgPool");
    EXPECT_EQ(avg.kernel_h, pool);
    EXPECT_EQ(avg.kernel_w, pool);
    EXPECT_EQ(avg.padding, Padding::Valid);
    EXPECT_EQ(avg.shape, (Shape{1, 1, 1, last_depth}));
    const Node& logits = by_name(g, "MobilenetV1/Logits/Conv2d_1c_1x1/Conv2D");
    EXPECT_EQ(logits.weights.shape, (Shape{1, 1, last_depth, 1001}));
    const Node& bias = by_name(g, "MobilenetV1/Logits/Conv2d_1c_1x1/BiasAdd");
    EXPECT_EQ(bias.value.shape, (Shape{1001}));
    const Node& sq = by_name(g, "MobilenetV1/Logits/SpatialSqueeze");
    EXPECT_EQ(sq.axes, (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(sq.shape, (Shape{1, 1001}));
    EXPECT_EQ(by_name(g, "MobilenetV1/Predictions/Reshape").shape, (Shape{1, 1001}));
    const Node& shp = by_name(g, "MobilenetV1/Predictions/Shape");
    EXPECT_EQ(shp.op, Op::Shape);
    EXPECT_EQ(shp.value.data, (std::vector<float>{1, 1001}));
    EXPECT_EQ(by_name(g, "MobilenetV1/Predictions/Softmax").inputs,
              std::vector<int>{by_name(g, "MobilenetV1/Predictions/Reshape").id});
}

class SharedModels : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::filesystem::exists(shared_model("mobilenet_v1_0.25_128_dequant_frozen.pb")))
            GTEST_SKIP() << "../shared not present";
    }
};

TEST_F(SharedModels, V1_025_128Structure) {
    Graph g = load_tf_graphdef(shared_model("mobilenet_v1_0.25_128_dequant_frozen.pb"));
    expect_mobilenet_v1(g, 128, 8, 256, 4);
    // README: the derived graphs' batch norms are gamma 1, mean 0, variance 0.999.
    const Node& bn = by_name(g, "MobilenetV1/MobilenetV1/Conv2d_5_pointwise/BatchNorm/FusedBatchNorm");
    for (size_t k = 0; k < bn.bn_var.data.size(); ++k) {
        EXPECT_FLOAT_EQ(bn.bn_gamma.data[k], 1.0f);
        EXPECT_FLOAT_EQ(bn.bn_mean.data[k], 0.0f);
        EXPECT_FLOAT_EQ(bn.bn_var.data[k], 0.999f);
    }
}

TEST_F(SharedModels, V1_05_160Structure) {
    Graph g = load_model(shared_model("mobilenet_v1_0.5_160_dequant_frozen.pb"));
    expect_mobilenet_v1(g, 160, 16, 512, 5);
    EXPECT_EQ(g.source_file, shared_model("mobilenet_v1_0.5_160_dequant_frozen.pb"));
}

// The first weight of Conv2d_0 straight from the file's bytes: the last node
// attribute decoding is little-endian float, HWIO order kept.
TEST_F(SharedModels, WeightsMatchFileBytes) {
    const std::string path = shared_model("mobilenet_v1_0.25_128_dequant_frozen.pb");
    tensorflow::GraphDef gd;
    ASSERT_TRUE(gd.ParseFromString(read_bytes(path)));
    const std::string& content = gd.node(1).attr().at("value").tensor().tensor_content();
    ASSERT_EQ(gd.node(1).name(), "MobilenetV1/Conv2d_0/weights");
    Graph g = load_tf_graphdef(path);
    const Node& conv0 = by_name(g, "MobilenetV1/MobilenetV1/Conv2d_0/Conv2D");
    for (size_t k : {size_t(0), size_t(1), size_t(100), size_t(215)}) {
        const auto* b = reinterpret_cast<const unsigned char*>(content.data() + 4 * k);
        uint32_t u = uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
        float f;
        std::memcpy(&f, &u, 4);
        EXPECT_EQ(conv0.weights.data[k], f) << k;
    }
}

// synth writes the same node names, ops, inputs and attribute keys, in the
// same order, as the shared derived graph of the same size.
TEST_F(SharedModels, SynthMatchesDerivedStructure) {
    tensorflow::GraphDef real, syn;
    ASSERT_TRUE(real.ParseFromString(read_bytes(shared_model("mobilenet_v1_0.25_128_dequant_frozen.pb"))));
    SynthOptions o;
    o.alpha = 0.25;
    o.resolution = 128;
    ASSERT_TRUE(syn.ParseFromString(synth_tf_graphdef(o)));
    ASSERT_EQ(real.node_size(), syn.node_size());
    for (int k = 0; k < real.node_size(); ++k) {
        const auto &a = real.node(k), &b = syn.node(k);
        EXPECT_EQ(a.name(), b.name());
        EXPECT_EQ(a.op(), b.op()) << a.name();
        EXPECT_EQ(std::vector<std::string>(a.input().begin(), a.input().end()),
                  std::vector<std::string>(b.input().begin(), b.input().end()))
            << a.name();
        std::vector<std::string> ka, kb;
        for (auto& [key, v] : a.attr()) ka.push_back(key);
        for (auto& [key, v] : b.attr()) kb.push_back(key);
        std::sort(ka.begin(), ka.end());
        std::sort(kb.begin(), kb.end());
        EXPECT_EQ(ka, kb) << a.name();
        if (a.op() == "Const") continue;  // values differ, the rest must not
        for (auto& [key, v] : a.attr()) {
            auto it = b.attr().find(key);
            ASSERT_NE(it, b.attr().end()) << a.name() << " " << key;
            EXPECT_EQ(v.SerializeAsString(), it->second.SerializeAsString()) << a.name() << " " << key;
        }
    }
    EXPECT_EQ(real.versions().producer(), syn.versions().producer());
}

TEST(Synth, Alpha1_224) {
    SynthOptions o;  // alpha 1.0, 224
    Graph g = parse_tf_graphdef(synth_tf_graphdef(o), "synth.pb");
    expect_mobilenet_v1(g, 224, 32, 1024, 7);
}

TEST(Synth, Alpha025_128) {
    SynthOptions o;
    o.alpha = 0.25;
    o.resolution = 128;
    Graph g = parse_tf_graphdef(synth_tf_graphdef(o), "synth.pb");
    expect_mobilenet_v1(g, 128, 8, 256, 4);
}

TEST(Synth, OddResolutionAndClasses) {
    SynthOptions o;
    o.alpha = 0.5;
    o.resolution = 100;  // 50, 25, 13, 7, 4
    o.classes = 10;
    Graph g = parse_tf_graphdef(synth_tf_graphdef(o), "synth.pb");
    EXPECT_EQ(g.node(g.output).shape, (Shape{1, 10}));
    const Node& avg = by_name(g, "MobilenetV1/Logits/AvgPool_1a/AvgPool");
    EXPECT_EQ(avg.kernel_h, 4);
    // Conv2d_4_depthwise: 25 -> 13 with stride 2 pads one row on each side.
    const Node& dw = by_name(g, "MobilenetV1/MobilenetV1/Conv2d_4_depthwise/depthwise");
    EXPECT_EQ(dw.shape, (Shape{1, 13, 13, 64}));
    EXPECT_EQ(dw.pad_top, 1);
    EXPECT_EQ(dw.pad_bottom, 1);
}

TEST(Synth, DeterministicAndSeeded) {
    SynthOptions o;
    o.alpha = 0.25;
    o.resolution = 64;
    std::string a = synth_tf_graphdef(o), b = synth_tf_graphdef(o);
    EXPECT_EQ(a, b);
    o.seed = 2;
    std::string c = synth_tf_graphdef(o);
    EXPECT_EQ(a.size(), c.size());
    EXPECT_NE(a, c);
}

TEST(Synth, RejectsBadOptions) {
    SynthOptions o;
    o.alpha = 0;
    EXPECT_THROW(synth_tf_graphdef(o), Error);
    o.alpha = 1;
    o.resolution = 0;
    EXPECT_THROW(synth_tf_graphdef(o), Error);
    o.resolution = 224;
    o.classes = 0;
    EXPECT_THROW(synth_tf_graphdef(o), Error);
}

TEST(Synth, BatchNormStatisticsNonTrivial) {
    SynthOptions o;
    o.alpha = 0.25;
    o.resolution = 64;
    Graph g = parse_tf_graphdef(synth_tf_graphdef(o), "synth.pb");
    for (const Node& n : g.nodes) {
        if (n.op != Op::BatchNorm) continue;
        auto any = [](const Tensor& t, auto pred) { return std::any_of(t.data.begin(), t.data.end(), pred); };
        EXPECT_TRUE(any(n.bn_gamma, [](float v) { return std::fabs(v - 1) > 0.1f; })) << n.name;
        EXPECT_TRUE(any(n.bn_mean, [](float v) { return std::fabs(v) > 0.1f; })) << n.name;
        EXPECT_TRUE(any(n.bn_var, [](float v) { return std::fabs(v - 1) > 0.1f; })) << n.name;
        EXPECT_TRUE(any(n.bn_var, [](float v) { return v > 0; })) << n.name;
    }
}

// A direct NHWC evaluation of the front-end graph (independent of the
// passes): every Relu6 sees inputs below 0, most also above 6, so both clamps
// are exercised, none saturates, and the softmax is finite and not one-hot.
TEST(Synth, ActivationsExerciseBothRelu6Clamps) {
    SynthOptions o;
    o.alpha = 0.25;
    o.resolution = 64;
    o.classes = 20;
    Graph g = parse_tf_graphdef(synth_tf_graphdef(o), "synth.pb");
    std::vector<std::vector<float>> val(g.nodes.size());
    int relu6 = 0, relu6_above = 0;
    for (int id : g.topo_order()) {
        const Node& n = g.node(id);
        std::vector<float>& y = val[id];
        y.assign(num_elements(n.shape), 0.0f);
        if (n.op == Op::Input) {
            for (size_t k = 0; k < y.size(); ++k) y[k] = float((k * 37 % 255) / 127.5 - 1.0);
            continue;
        }
        const Node& p = g.node(n.inputs[0]);
        const std::vector<float>& x = val[p.id];
        const int64_t C = p.shape.back();
        switch (n.op) {
            case Op::Conv2D:
            case Op::DepthwiseConv2D:
            case Op::AvgPool: {
                const int64_t H = p.shape[1], W = p.shape[2], OH = n.shape[1], OW = n.shape[2], OC = n.shape[3];
                for (int64_t oy = 0; oy < OH; ++oy)
                    for (int64_t ox = 0; ox < OW; ++ox)
                        for (int64_t oc = 0; oc < OC; ++oc) {
                            double s = 0;
                            int cnt = 0;
                            for (int ky = 0; ky < n.kernel_h; ++ky)
                                for (int kx = 0; kx < n.kernel_w; ++kx) {
                                    int64_t iy = oy * n.stride_h + ky - n.pad_top, ix = ox * n.stride_w + kx - n.pad_left;
                                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                    const float* xp = &x[(iy * W + ix) * C];
                                    ++cnt;
                                    if (n.op == Op::AvgPool) s += xp[oc];
                                    else if (n.op == Op::DepthwiseConv2D) s += xp[oc] * n.weights.data[(ky * n.kernel_w + kx) * C + oc];
                                    else
                                        for (int64_t ic = 0; ic < C; ++ic)
                                            s += xp[ic] * n.weights.data[((ky * n.kernel_w + kx) * C + ic) * OC + oc];
                                }
                            y[(oy * OW + ox) * OC + oc] = float(n.op == Op::AvgPool ? s / cnt : s);
                        }
                break;
            }
            case Op::BatchNorm:
                for (size_t k = 0; k < y.size(); ++k) {
                    size_t c = k % C;
                    y[k] = (x[k] - n.bn_mean.data[c]) * n.bn_gamma.data[c] / std::sqrt(n.bn_var.data[c] + n.bn_epsilon) +
                           n.bn_beta.data[c];
                }
                break;
            case Op::Relu6: {
                int64_t below = 0, above = 0;
                for (size_t k = 0; k < y.size(); ++k) {
                    below += x[k] < 0, above += x[k] > 6;
                    y[k] = std::min(std::max(x[k], 0.0f), 6.0f);
                }
                EXPECT_GT(below, 0) << n.name;
                relu6++, relu6_above += above > 0;
                EXPECT_GT(int64_t(y.size()) - below - above, int64_t(y.size()) / 4) << n.name;
                break;
            }
            case Op::BiasAdd:
                for (size_t k = 0; k < y.size(); ++k) y[k] = x[k] + n.value.data[k % C];
                break;
            case Op::Softmax: {
                float m = *std::max_element(x.begin(), x.end());
                double sum = 0;
                for (size_t k = 0; k < y.size(); ++k) sum += y[k] = std::exp(x[k] - m);
                for (float& v : y) v = float(v / sum);
                break;
            }
            default: y = x;  // Squeeze, Reshape, Shape: same data
        }
    }
    EXPECT_EQ(relu6, 27);
    EXPECT_GE(relu6_above, 20);
    const std::vector<float>& out = val[g.output];
    ASSERT_EQ(out.size(), 20u);
    double sum = 0;
    for (float v : out) {
        EXPECT_TRUE(std::isfinite(v));
        sum += v;
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
    EXPECT_LT(*std::max_element(out.begin(), out.end()), 0.99f);
}

}  // namespace
}  // namespace mncc
