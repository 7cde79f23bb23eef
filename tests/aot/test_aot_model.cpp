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

namespace {

const std::string kShared = MNCC_SHARED_DIR;
const std::string kKey = MODEL_KEY;

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Binary P6 PPM, no comments (the shared files are written that way).
std::vector<uint8_t> read_ppm(const std::string& path, int& w, int& h) {
    std::istringstream in(slurp(path));
    std::string magic;
    int maxval = 0;
    in >> magic >> w >> h >> maxval;
    in.get();
    std::vector<uint8_t> px(size_t(w) * h * 3);
    in.read(reinterpret_cast<char*>(px.data()), std::streamsize(px.size()));
    if (magic != "P6" || maxval != 255 || !in) px.clear();
    return px;
}

struct Expected {
    std::string photo;
    std::vector<int> top5;
    std::vector<float> scores;
};

std::vector<Expected> read_tsv() {
    std::vector<Expected> r;
    std::istringstream in(slurp(kShared + "/models/expected/" + kKey + ".tsv"));
    std::string line;
    std::getline(in, line);   // header
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        Expected e;
        std::string ppm, item;
        ls >> e.photo >> ppm;
        while (ls >> item) {
            e.top5.push_back(std::stoi(item.substr(0, item.find(':'))));
            e.scores.push_back(std::stof(item.substr(item.find(':') + 1)));
        }
        r.push_back(e);
    }
    return r;
}

std::vector<int> top5(const std::vector<float>& v) {
    std::vector<int> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + 5, idx.end(),
                      [&](int a, int b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
    return {idx.begin(), idx.begin() + 5};
}

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
    const std::vector<Expected> all = read_tsv();
    ASSERT_GE(all.size(), 6u);
    Arena arena;
    for (const Expected& e : all) {
        SCOPED_TRACE(e.photo);
        int w = 0, h = 0;
        const std::vector<uint8_t> px =
            read_ppm(kShared + "/images/ppm/" + e.photo + "_" + std::to_string(MODEL_SIZE) + ".ppm", w, h);
        ASSERT_EQ(w, MODEL_SIZE);
        ASSERT_EQ(h, MODEL_SIZE);
        const std::string raw = slurp(kShared + "/models/expected/" + kKey + "/" + e.photo + ".f32");
        std::vector<float> want(raw.size() / 4);
        std::memcpy(want.data(), raw.data(), want.size() * 4);
        ASSERT_EQ(want.size(), 1001u);

        std::vector<float> input(px.size());
        for (size_t i = 0; i < px.size(); ++i) input[i] = px[i] / 127.5f - 1.0f;
        std::vector<float> by_float(1001), by_rgb(1001);
        ASSERT_EQ(API(_run)(input.data(), by_float.data(), arena.p), 0);
        ASSERT_EQ(API(_run_rgb8)(px.data(), w, h, w * 3, by_rgb.data(), arena.p), 0);
        for (const std::vector<float>* got : {&by_float, &by_rgb}) {
            for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR((*got)[i], want[i], 1e-5) << "class " << i;
            EXPECT_EQ(top5(*got), e.top5);
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
    EXPECT_EQ(j["layers"].size(), 30u);   // conv + 13 x (dw + pw) + pool + fc + softmax
    EXPECT_EQ(j["input"]["shape"], nlohmann::json({1, MODEL_SIZE, MODEL_SIZE, 3}));
}

}  // namespace
