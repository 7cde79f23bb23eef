// Image decoding and the shared preprocessing (runtime/mncc_preprocess.h).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "../../runtime/mncc_preprocess.h"
#include "image/image.h"
#include "support/error.h"

namespace fs = std::filesystem;

namespace {

mncc::Graph graph_with_input(int size) {
    mncc::Graph g;
    mncc::Node& in = g.add(mncc::Op::Input, "input");
    in.shape = {1, size, size, 3};
    g.input = in.id;
    g.output = in.id;
    return g;
}

fs::path shared() { return fs::path(MNCC_SHARED_DIR); }

}  // namespace

TEST(Image, PpmAtModelSizeIsOnlyNormalised) {
    fs::path p = shared() / "images/ppm/bird_128.ppm";
    if (!fs::exists(p)) GTEST_SKIP();
    mncc::Image img = mncc::load_image(p.string());
    ASSERT_EQ(img.width, 128);
    ASSERT_EQ(img.height, 128);
    std::vector<float> x = mncc::preprocess_image(img, graph_with_input(128));
    ASSERT_EQ(x.size(), img.rgb.size());
    for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], img.rgb[i] / 127.5 - 1.0, 1e-6) << i;
}

// The photo, cropped and resized by mncc, reproduces the reference PPM input
// (made with PIL) to within one 8-bit step, nearly everywhere exactly.
TEST(Image, CropAndResizeReproducesReferenceInputs) {
    for (const char* name : {"cat", "bird", "grace_hopper"}) {
        for (int size : {96, 160, 224}) {
            fs::path bmp = shared() / "images" / (std::string(name) + ".bmp");
            fs::path ppm = shared() / "images/ppm" / (std::string(name) + "_" + std::to_string(size) + ".ppm");
            if (!fs::exists(bmp)) GTEST_SKIP();
            mncc::Image photo = mncc::load_image(bmp.string()), ref = mncc::load_image(ppm.string());
            mncc::Graph g = graph_with_input(size);
            g.preprocess.scale = 1.0f;
            g.preprocess.offset = 0.0f;
            std::vector<float> x = mncc::preprocess_image(photo, g);
            size_t same = 0;
            for (size_t i = 0; i < x.size(); ++i) {
                ASSERT_LE(std::fabs(x[i] - ref.rgb[i]), 1.0f) << name << " " << size << " at " << i;
                same += x[i] == ref.rgb[i];
            }
            EXPECT_GE(double(same) / x.size(), 0.99) << name << " " << size;
        }
    }
}

TEST(Image, RowStrideAndBadArguments) {
    // A 5x3 image stored with 4 bytes of padding per row gives the same result as packed.
    std::vector<uint8_t> packed(5 * 3 * 3), strided(3 * (5 * 3 + 4), 0xEE);
    for (size_t i = 0; i < packed.size(); ++i) packed[i] = static_cast<uint8_t>(i * 37);
    for (int y = 0; y < 3; ++y)
        std::copy(packed.begin() + y * 15, packed.begin() + (y + 1) * 15, strided.begin() + y * 19);
    std::vector<float> a(4 * 4 * 3), b(4 * 4 * 3);
    ASSERT_EQ(mncc_preprocess_rgb8(packed.data(), 5, 3, 15, 4, 1.0f, 0.0f, a.data()), 0);
    ASSERT_EQ(mncc_preprocess_rgb8(strided.data(), 5, 3, 19, 4, 1.0f, 0.0f, b.data()), 0);
    EXPECT_EQ(a, b);
    EXPECT_EQ(mncc_preprocess_rgb8(nullptr, 5, 3, 15, 4, 1.0f, 0.0f, a.data()), -1);
    EXPECT_EQ(mncc_preprocess_rgb8(packed.data(), 5, 3, 14, 4, 1.0f, 0.0f, a.data()), -1);
    EXPECT_EQ(mncc_preprocess_rgb8(packed.data(), 0, 3, 15, 4, 1.0f, 0.0f, a.data()), -1);
    EXPECT_EQ(mncc_preprocess_rgb8(packed.data(), 5, 3, 15, 0, 1.0f, 0.0f, a.data()), -1);
}

TEST(Image, UniformImageStaysUniform) {
    std::vector<uint8_t> grey(17 * 11 * 3, 200);
    std::vector<float> out(8 * 8 * 3);
    ASSERT_EQ(mncc_preprocess_rgb8(grey.data(), 17, 11, 17 * 3, 8, 1.0f / 127.5f, -1.0f, out.data()), 0);
    for (float v : out) EXPECT_FLOAT_EQ(v, 200 / 127.5f - 1.0f);
}

TEST(ImageErrors, NotAnImage) {
    fs::path p = fs::temp_directory_path() / "mncc_not_an_image.png";
    std::ofstream(p) << "hello";
    try {
        mncc::load_image(p.string());
        FAIL() << "no error";
    } catch (const mncc::Error& e) {
        EXPECT_NE(std::string(e.what()).find(p.string() + ": not an image"), std::string::npos) << e.what();
    }
    fs::path empty = fs::temp_directory_path() / "mncc_empty_image.bmp";
    std::ofstream(empty).close();
    EXPECT_THROW(mncc::load_image(empty.string()), mncc::Error);
    EXPECT_THROW(mncc::load_image("/nonexistent/x.bmp"), mncc::Error);
}
