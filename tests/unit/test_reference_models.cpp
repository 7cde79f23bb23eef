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

using namespace mncc;
namespace fs = std::filesystem;

namespace {

const fs::path kShared = MNCC_SHARED_DIR;

// Binary PPM (P6, maxval 255) -> NHWC float, x/127.5 - 1 like TF-slim.
std::vector<float> read_ppm(const fs::path& path, int* w, int* h) {
    std::ifstream f(path, std::ios::binary);
    std::string magic;
    int maxval = 0;
    f >> magic >> *w >> *h >> maxval;
    f.get();
    EXPECT_EQ(magic, "P6");
    EXPECT_EQ(maxval, 255);
    std::vector<unsigned char> bytes(static_cast<size_t>(*w) * *h * 3);
    f.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    EXPECT_TRUE(f) << path;
    std::vector<float> x(bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i) x[i] = bytes[i] / 127.5f - 1.0f;
    return x;
}

std::vector<float> read_f32(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    std::vector<float> v(1001);
    f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
    EXPECT_TRUE(f) << path;
    return v;
}

struct Expected {
    std::string image, input;
    std::vector<std::pair<int, double>> top5;
};

std::vector<Expected> read_tsv(const fs::path& path) {
    std::ifstream f(path);
    std::vector<Expected> rows;
    std::string line;
    std::getline(f, line);  // header
    while (std::getline(f, line)) {
        std::istringstream is(line);
        Expected e;
        std::string item;
        is >> e.image >> e.input;
        while (is >> item) e.top5.push_back({std::stoi(item.substr(0, item.find(':'))), std::stod(item.substr(item.find(':') + 1))});
        rows.push_back(e);
    }
    return rows;
}

void check_model(const std::string& model) {
    const fs::path pb = kShared / "models/derived" / (model + "_frozen.pb");
    if (!fs::exists(pb)) GTEST_SKIP() << pb << " not present";
    Graph g = load_tf_graphdef(pb.string());
    run_passes(g);
    const std::vector<Expected> rows = read_tsv(kShared / "models/expected" / (model + ".tsv"));
    ASSERT_GE(rows.size(), 4u);
    for (const Expected& e : rows) {
        int w = 0, h = 0;
        std::vector<float> x = read_ppm(kShared / e.input, &w, &h);
        std::vector<float> y = run_reference(g, x);
        ASSERT_EQ(y.size(), 1001u);
        std::vector<int> idx(y.size());
        std::iota(idx.begin(), idx.end(), 0);
        std::partial_sort(idx.begin(), idx.begin() + 5, idx.end(), [&](int a, int b) { return y[a] > y[b]; });
        ASSERT_EQ(e.top5.size(), 5u);
        for (int k = 0; k < 5; ++k) {
            EXPECT_EQ(idx[k], e.top5[k].first) << model << " " << e.image << " rank " << k;
            EXPECT_NEAR(y[idx[k]], e.top5[k].second, 2e-6) << model << " " << e.image << " rank " << k;
        }
        const std::vector<float> want = read_f32(kShared / "models/expected" / model / (e.image + ".f32"));
        for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-5) << model << " " << e.image << " " << i;
    }
}

}  // namespace

TEST(ReferenceModels, MobileNetV1_025_128) { check_model("mobilenet_v1_0.25_128_dequant"); }
TEST(ReferenceModels, MobileNetV1_05_160) { check_model("mobilenet_v1_0.5_160_dequant"); }
