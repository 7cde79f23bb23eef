// A shared float MobileNet's generated library (built once by mncc_aot_gen) on
// every reference photo: probabilities within 1e-5 of expected/<model>/<photo>.f32
// and the top-5 of the .tsv, through both entry points. Compiled once per
// model with MODEL (the library name), MODEL_SIZE, MODEL_KEY (expected/ name),
// MODEL_SHA256 (README) defined.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#define MNCC_STR2(x) #x
#define MNCC_STR(x) MNCC_STR2(x)
#define MNCC_CAT2(a, b) a##b
#define MNCC_CAT(a, b) MNCC_CAT2(a, b)
#define API(f) MNCC_CAT(MODEL, f)
#include MNCC_STR(MODEL.h)

#include "../support/shared_data.h"

using namespace mncc_test;

namespace {

const std::string kShared = MNCC_SHARED_DIR;
const std::string kKey = MODEL_KEY;

// A caller arena from the library's own size query.
struct Arena {
    Arena() : p(std::aligned_alloc(64, (API(_arena_bytes)() + 63) / 64 * 64)) {}
    ~Arena() { std::free(p); }
    void* p;
};

class AotModel : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::ifstream(kShared + "/models/expected/" + kKey + ".tsv")) GTEST_SKIP() << "no ../shared";
    }
};

TEST_F(AotModel, EveryPhotoMatchesExpectedOutputs) {
    const std::vector<ExpectedRow> all = read_expected(kShared + "/models/expected/" + kKey + ".tsv");
    ASSERT_GE(all.size(), 6u);
    Arena arena;
    for (const ExpectedRow& e : all) {
        SCOPED_TRACE(e.photo);
        int w = 0, h = 0;
        const std::vector<uint8_t> px =
            read_ppm(kShared + "/images/ppm/" + e.photo + "_" + std::to_string(MODEL_SIZE) + ".ppm", w, h);
        ASSERT_EQ(w, MODEL_SIZE);
        ASSERT_EQ(h, MODEL_SIZE);
        const std::vector<float> want = read_f32(kShared + "/models/expected/" + kKey + "/" + e.photo + ".f32");
        ASSERT_EQ(want.size(), 1001u);

        std::vector<float> input(px.size());
        for (size_t i = 0; i < px.size(); ++i) input[i] = px[i] / 127.5f - 1.0f;
        std::vector<float> by_float(1001), by_rgb(1001);
        ASSERT_EQ(API(_run)(input.data(), by_float.data(), arena.p), 0);
        ASSERT_EQ(API(_run_rgb8)(px.data(), w, h, w * 3, by_rgb.data(), arena.p), 0);
        for (const std::vector<float>* got : {&by_float, &by_rgb}) {
            for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR((*got)[i], want[i], 1e-5) << "class " << i;
            EXPECT_EQ(top_indices(*got, 5), e.top5);
            for (size_t k = 0; k < 5; ++k) EXPECT_NEAR((*got)[e.top5[k]], e.scores[k], 1e-5);
        }
    }
}

TEST_F(AotModel, OneAndTwoThreadsBitIdentical) {
    std::vector<float> input(size_t(MODEL_SIZE) * MODEL_SIZE * 3);
    for (size_t i = 0; i < input.size(); ++i) input[i] = float(int(i * 7919 % 255)) / 127.5f - 1.0f;
    Arena arena;
    std::vector<float> one(1001), two(1001), again(1001);
    ASSERT_EQ(API(_set_num_threads)(1), 0);
    ASSERT_EQ(API(_run)(input.data(), one.data(), arena.p), 0);
    ASSERT_EQ(API(_set_num_threads)(2), 0);
    ASSERT_EQ(API(_run)(input.data(), two.data(), arena.p), 0);
    ASSERT_EQ(API(_run)(input.data(), again.data(), nullptr), 0);
    EXPECT_EQ(one, two);
    EXPECT_EQ(one, again);
}

TEST_F(AotModel, ManifestNamesTheModelFile) {
    const auto j = nlohmann::json::parse(slurp(MODEL_MANIFEST));
    EXPECT_EQ(j["model"]["sha256"], MODEL_SHA256);
    EXPECT_EQ(j["arena_bytes"].get<size_t>(), API(_arena_bytes)());
    EXPECT_EQ(j["classes"], 1001);
    // conv + 13 x (dw + pw) + pool + fc + softmax, less one kernel per fused pair: by
    // default a pair fuses exactly when its pointwise weights fit 128 KiB.
    size_t fused = 0;
    for (size_t i = 0; i < j["layers"].size(); ++i) {
        const auto& l = j["layers"][i];
        if (l["kind"] != "pointwise") continue;
        const int64_t pw_weight_bytes = l["input_shape"][3].get<int64_t>() * l["output_shape"][3].get<int64_t>() * 4;
        if (l["op"] == "DepthwiseConv2D+Conv2D") {
            ++fused;
            EXPECT_LE(pw_weight_bytes, 128 * 1024) << l["name"];
        } else {
            ASSERT_GT(i, 0u);
            EXPECT_EQ(j["layers"][i - 1]["kind"], "depthwise");
            EXPECT_GT(pw_weight_bytes, 128 * 1024) << l["name"];
        }
    }
    EXPECT_GE(fused, 1u);
    EXPECT_EQ(j["layers"].size() + fused, 30u);
    EXPECT_EQ(j["input"]["shape"], nlohmann::json({1, MODEL_SIZE, MODEL_SIZE, 3}));
}

}  // namespace
