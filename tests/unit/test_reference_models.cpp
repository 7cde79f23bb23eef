// The shared trained MobileNet v1 float graphs end to end through the front
// end, the passes and the reference interpreter, against the expected outputs
// in ../shared/models/expected (an independent NumPy run of the same .pb).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "frontend/frontend.h"
#include "passes/passes.h"
#include "reference/interpreter.h"
#include "../support/shared_data.h"

using namespace mncc;
using namespace mncc_test;
namespace fs = std::filesystem;

namespace {

const fs::path kShared = MNCC_SHARED_DIR;

void check_model(const std::string& model) {
    const fs::path pb = kShared / "models/derived" / (model + "_frozen.pb");
    if (!fs::exists(pb)) GTEST_SKIP() << pb << " not present";
    Graph g = load_tf_graphdef(pb.string());
    run_passes(g);
    const std::vector<ExpectedRow> rows = read_expected((kShared / "models/expected" / (model + ".tsv")).string());
    ASSERT_GE(rows.size(), 4u);
    for (const ExpectedRow& e : rows) {
        int w = 0, h = 0;
        const std::vector<uint8_t> px = read_ppm((kShared / e.input).string(), w, h);
        ASSERT_FALSE(px.empty()) << e.input;
        std::vector<float> x(px.size());
        for (size_t i = 0; i < px.size(); ++i) x[i] = px[i] / 127.5f - 1.0f;  // TF-slim: x/127.5 - 1
        std::vector<float> y = run_reference(g, x);
        ASSERT_EQ(y.size(), 1001u);
        const std::vector<int> idx = top_indices(y, 5);
        ASSERT_EQ(e.top5.size(), 5u);
        for (int k = 0; k < 5; ++k) {
            EXPECT_EQ(idx[k], e.top5[k]) << model << " " << e.photo << " rank " << k;
            EXPECT_NEAR(y[idx[k]], e.scores[k], 2e-6) << model << " " << e.photo << " rank " << k;
        }
        const std::vector<float> want = read_f32((kShared / "models/expected" / model / (e.photo + ".f32")).string());
        ASSERT_EQ(want.size(), 1001u);
        for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-5) << model << " " << e.photo << " " << i;
    }
}

}  // namespace

TEST(ReferenceModels, MobileNetV1_025_128) { check_model("mobilenet_v1_0.25_128_dequant"); }
TEST(ReferenceModels, MobileNetV1_05_160) { check_model("mobilenet_v1_0.5_160_dequant"); }
