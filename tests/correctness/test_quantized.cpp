// The published uint8 MobileNets (../shared/models/*_quant.tflite) through the
// TFLite front end, the passes and the integer reference: every photo against
// expected/*_quant.tsv, agreement with the derived float graphs, the integer
// logits, and `mncc inspect` / `mncc run` on the .tflite files. Plus the
// quantized TFLite files `mncc synth --quantize` writes (no ../shared needed).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "frontend/frontend.h"
#include "frontend/synth.h"
#include "reference/quantized.h"
#include "passes/passes.h"
#include "reference/inspect.h"
#include "reference/interpreter.h"
#include "../support/shared_data.h"

namespace {

using namespace mncc;
const std::string kShared = MNCC_SHARED_DIR;

struct Model {
    const char* name;      // mobilenet_v1_0.25_128
    int size;
};
const Model kModels[] = {{"mobilenet_v1_0.25_128", 128}, {"mobilenet_v1_0.5_160", 160}};

std::string tflite_path(const Model& m) { return kShared + "/models/" + m.name + "_quant.tflite"; }

Graph load(const std::string& path) {
    Graph g = load_model(path);
    run_passes(g);
    return g;
}

std::vector<float> as_float(const std::vector<int32_t>& v) { return {v.begin(), v.end()}; }

class Quantized : public ::testing::TestWithParam<Model> {};

TEST_P(Quantized, MatchesExpectedScoresOnEveryPhoto) {
    const Model m = GetParam();
    if (!std::filesystem::exists(tflite_path(m))) GTEST_SKIP() << "../shared absent";
    Graph g = load(tflite_path(m));
    Graph f = load(kShared + "/models/derived/" + m.name + "_dequant_frozen.pb");
    const auto rows = mncc_test::read_expected(kShared + "/models/expected/" + m.name + "_quant.tsv");
    ASSERT_EQ(rows.size(), 6u);
    for (const auto& row : rows) {
        int w = 0, h = 0;
        const std::vector<uint8_t> rgb = mncc_test::read_ppm(kShared + "/" + row.input, w, h);
        ASSERT_EQ(w, m.size) << row.input;
        ASSERT_EQ(h, m.size) << row.input;
        const std::vector<int32_t> out = run_reference_int(g, {rgb.begin(), rgb.end()});  // raw RGB bytes
        ASSERT_EQ(out.size(), 1001u);
        for (size_t k = 0; k < row.top5.size(); ++k)
            EXPECT_NEAR(out[size_t(row.top5[k])], row.scores[k], 2) << row.photo << " class " << row.top5[k];
        // Same top-1, ties broken by the lower index (the .tsv lists ties that way).
        const int top1 = mncc_test::top_indices(as_float(out), 1)[0];
        EXPECT_EQ(top1, row.top5[0]) << row.photo;

        // The float graph rebuilt from the same weights agrees on the class.
        std::vector<float> x(rgb.size());
        for (size_t i = 0; i < rgb.size(); ++i) x[i] = float(rgb[i]) / 127.5f - 1.0f;
        EXPECT_EQ(mncc_test::top_indices(run_reference(f, x), 1)[0], top1) << row.photo;

        // run_reference on the dequantized input gives the dequantized output.
        std::vector<float> real(rgb.size());
        for (size_t i = 0; i < rgb.size(); ++i) real[i] = g.preprocess.scale * rgb[i] + g.preprocess.offset;
        const std::vector<float> probs = run_reference(g, real);
        for (size_t c = 0; c < out.size(); ++c) ASSERT_EQ(probs[c], float(out[c]) / 256.0f) << row.photo;
    }
}

TEST_P(Quantized, IntegerLogitsBeforeSoftmax) {
    const Model m = GetParam();
    if (!std::filesystem::exists(tflite_path(m))) GTEST_SKIP() << "../shared absent";
    Graph g = load(tflite_path(m));
    int w = 0, h = 0;
    const auto rgb = mncc_test::read_ppm(kShared + "/images/ppm/cat_" + std::to_string(m.size) + ".ppm", w, h);
    RefValue in{DType::UInt8, {}, {rgb.begin(), rgb.end()}};
    const auto values = run_reference_all(g, in);
    // The logits: the FullyConnected feeding the softmax (through a Reshape).
    int logits = -1;
    for (int id : g.topo_order())
        if (g.node(id).op == Op::FullyConnected) logits = id;
    ASSERT_GE(logits, 0);
    const RefValue& l = values[size_t(logits)];
    EXPECT_EQ(l.dtype, DType::UInt8);
    ASSERT_EQ(l.q.size(), 1001u);
    for (int32_t v : l.q) ASSERT_TRUE(v >= 0 && v <= 255);
    // Softmax is monotonic: the largest logit is the top class.
    EXPECT_EQ(mncc_test::top_indices(as_float(l.q), 1)[0], mncc_test::top_indices(as_float(values[size_t(g.output)].q), 1)[0]);
    EXPECT_EQ(values[size_t(g.output)].q, run_reference_int(g, in.q));
}

TEST_P(Quantized, InspectCountsMultAdds) {
    const Model m = GetParam();
    if (!std::filesystem::exists(tflite_path(m))) GTEST_SKIP() << "../shared absent";
    const auto j = inspect_json(load(tflite_path(m)));
    const double ma = double(j["totals"]["mult_adds"].get<int64_t>()) / 1e6;
    // MobileNet paper, Table 6/7: 0.25/128 ~ 14 M, 0.5/160 ~ 77 M (plus the 1001-way FC).
    EXPECT_NEAR(ma, m.size == 128 ? 14.0 : 77.0, m.size == 128 ? 0.6 : 1.5);
    EXPECT_EQ(j["input"]["dtype"], "uint8");
    EXPECT_EQ(j["output"]["dtype"], "uint8");
    EXPECT_EQ(j["layers"].size(), 31u);  // 27 conv/dw + pool + FC + reshape + softmax
}

INSTANTIATE_TEST_SUITE_P(Models, Quantized, ::testing::ValuesIn(kModels),
                         [](const auto& info) { return std::string(info.param.size == 128 ? "v1_025_128" : "v1_05_160"); });

std::string run_cmd(const std::string& cmd, int& status) {
    std::string out;
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    char buf[4096];
    while (p && fgets(buf, sizeof buf, p)) out += buf;
    status = p ? pclose(p) : -1;
    return out;
}

TEST(QuantizedCli, InspectAndRun) {
    const std::string model = kShared + "/models/mobilenet_v1_0.25_128_quant.tflite";
    if (!std::filesystem::exists(model)) GTEST_SKIP() << "../shared absent";
    int status = 0;
    std::string out = run_cmd(std::string(MNCC_BIN) + " inspect " + model, status);
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("input  input 1x128x128x3 uint8"), std::string::npos) << out;
    EXPECT_NE(out.find("total  13.5"), std::string::npos) << out;
    out = run_cmd(std::string(MNCC_BIN) + " run " + model + " --image " + kShared + "/images/cat.bmp --top 1 --labels " +
                      kShared + "/labels/labels_mobilenet_quant_v1_224.txt",
                  status);
    EXPECT_EQ(status, 0) << out;
    int cls = -1, raw = -1;
    char label[256] = {0};
    float prob = 0;
    ASSERT_EQ(std::sscanf(out.c_str(), "%d\t%255[^\t]\t%f\t%d", &cls, label, &prob, &raw), 4) << out;
    EXPECT_TRUE(cls == 282 || cls == 283 || cls == 286) << out;  // any cat
    EXPECT_NEAR(prob, float(raw) / 256.0f, 1e-6);  // printed with 6 decimals
    // A truncated copy is a one-line error, not a crash.
    const std::string bad = (std::filesystem::temp_directory_path() / "mncc_truncated.tflite").string();
    {
        const std::string bytes = mncc_test::slurp(model);
        FILE* f = std::fopen(bad.c_str(), "wb");
        ASSERT_TRUE(f);
        std::fwrite(bytes.data(), 1, bytes.size() / 3, f);
        std::fclose(f);
    }
    out = run_cmd(std::string(MNCC_BIN) + " inspect " + bad, status);
    EXPECT_NE(status, 0);
    EXPECT_NE(out.find("mncc: error: " + bad + ": truncated or corrupt TFLite file"), std::string::npos) << out;
    std::filesystem::remove(bad);
}

// The command line: `mncc synth --quantize int8` (and a bad type), then `mncc
// bench` on the quantized file: int8 kernel buffers, a per-layer breakdown.
TEST(QuantizedCli, SynthQuantizeAndBench) {
    const std::string model = (std::filesystem::temp_directory_path() / "mncc_cli_synth_i8.tflite").string();
    int status = 0;
    std::string out = run_cmd(std::string(MNCC_BIN) + " synth --alpha 0.25 --resolution 32 --classes 10 --quantize int8 -o " + model, status);
    ASSERT_EQ(status, 0) << out;
    out = run_cmd(std::string(MNCC_BIN) + " inspect " + model, status);
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("input  input 1x32x32x3 int8"), std::string::npos) << out;
    out = run_cmd(std::string(MNCC_BIN) + " bench " + model + " --runs 3 --json", status);
    ASSERT_EQ(status, 0) << out;
    const nlohmann::json j = nlohmann::json::parse(out.substr(out.find('{')));
    EXPECT_GT(j["median_ms"].get<double>(), 0);
    ASSERT_EQ(j["layers"].size(), 30u);   // 27 conv layers, pool, FC, softmax
    for (const auto& L : j["layers"]) {
        EXPECT_NE(L["kernel"].get<std::string>().find("_i8_"), std::string::npos) << L;
        EXPECT_GT(L["median_ms"].get<double>(), 0) << L;
    }
    out = run_cmd(std::string(MNCC_BIN) + " synth --quantize int4 -o " + model, status);
    EXPECT_EQ(WEXITSTATUS(status), 2) << out;
    EXPECT_NE(out.find("--quantize must be uint8 or int8, not 'int4'"), std::string::npos) << out;
    std::filesystem::remove(model);
}

// `mncc synth --quantize`: deterministic bytes; the file reads back with the
// model's integer types (int8: per-channel symmetric int8 weights; uint8:
// per-tensor uint8), and on a smooth test image every conv layer's outputs use
// their range: some at each end of the ReLU6 clamp, most in between (the
// logits too, without a clamp).
TEST(QuantizedSynth, ReadsBackAndActivationsUseTheirRange) {
    for (SynthQuant q : {SynthQuant::Int8, SynthQuant::UInt8}) {
        SCOPED_TRACE(q == SynthQuant::Int8 ? "int8" : "uint8");
        SynthOptions so;
        so.alpha = 0.25;
        so.resolution = 96;
        so.quantize = q;
        const std::string bytes = synth_tflite_quantized(so);
        EXPECT_EQ(bytes, synth_tflite_quantized(so));
        const std::string path = (std::filesystem::temp_directory_path() / "mncc_synth_q.tflite").string();
        {
            FILE* f = std::fopen(path.c_str(), "wb");
            ASSERT_TRUE(f);
            std::fwrite(bytes.data(), 1, bytes.size(), f);
            std::fclose(f);
        }
        Graph g = load(path);
        std::filesystem::remove(path);
        const DType dt = q == SynthQuant::Int8 ? DType::Int8 : DType::UInt8;
        const Node& in = g.node(g.input);
        ASSERT_EQ(in.dtype, dt);
        EXPECT_EQ(g.node(g.output).shape, (Shape{1, 1001}));
        // A smooth colour gradient in [-1, 1], as bytes would give it.
        std::vector<float> image(size_t(num_elements(in.shape)));
        for (size_t i = 0; i < image.size(); ++i) image[i] = float((i * 37 + (i / 3) * 11) % 256) / 128.0f - 1.0f;
        RefValue x;
        x.dtype = dt;
        x.q = quantize_input(g, image);
        const std::vector<RefValue> v = run_reference_all(g, x);
        int convs = 0;
        for (const Node& n : g.nodes) {
            if (n.op != Op::Conv2D && n.op != Op::DepthwiseConv2D && n.op != Op::FullyConnected) continue;
            ++convs;
            EXPECT_EQ(n.weights.dtype, dt) << n.name;
            EXPECT_EQ(n.weights.quant.scale.size(), q == SynthQuant::Int8 ? size_t(n.weights.shape.back()) : 1u) << n.name;
            const std::vector<int32_t>& y = v[size_t(n.id)].q;
            ASSERT_FALSE(y.empty()) << n.name;
            const quant::Range r = quant::activation_range(n.dtype, n.quant, n.activation);
            size_t lo = 0, hi = 0;
            for (int32_t e : y) lo += e == r.lo, hi += e == r.hi;
            const double n_all = double(y.size());
            EXPECT_LT(lo / n_all, 0.9) << n.name;
            EXPECT_LT(hi / n_all, 0.5) << n.name;
            EXPECT_GT((n_all - lo - hi) / n_all, 0.1) << n.name;
            if (n.activation == Activation::Relu6) {
                EXPECT_GT(lo + hi, 0u) << n.name;
            }
        }
        EXPECT_EQ(convs, 28);   // 27 conv/dw/pw layers and the 1x1 logits (read as FullyConnected)
        // The probabilities are not all on one class.
        const std::vector<int32_t>& p = v[size_t(g.output)].q;
        const int32_t zp = g.node(g.output).quant.zero_point[0];
        EXPECT_LT(*std::max_element(p.begin(), p.end()) - zp, 200);
    }
}

}  // namespace
