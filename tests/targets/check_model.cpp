// Runs one generated library on photos and compares with reference outputs; plain
// C++17 with no test framework so that it cross-builds (-static) and runs under
// qemu. Built once per library with MODEL (the library's name) defined.
//
//   check_model [--skip-unless avx2|avx512] SIZE PPM_DIR PHOTO,PHOTO,... REF_DIR...
//
// For every photo, PPM_DIR/PHOTO_SIZE.ppm goes through MODEL_run_rgb8; the output
// must be within 1e-5 of REF_DIR/PHOTO.f32 for every REF_DIR, with the same top-5.
// Exit 0 on success, 1 on a mismatch, 77 (CTest skip) when the CPU lacks the feature.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#define MNCC_STR2(x) #x
#define MNCC_STR(x) MNCC_STR2(x)
#define MNCC_CAT2(a, b) a##b
#define MNCC_CAT(a, b) MNCC_CAT2(a, b)
#define API(f) MNCC_CAT(MODEL, f)
#include MNCC_STR(MODEL.h)

#include "../support/shared_data.h"

namespace {

using mncc_test::read_ppm;
using mncc_test::slurp;

std::vector<int> top5(const std::vector<float>& v) {
    std::vector<int> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + 5, idx.end(),
                      [&](int a, int b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
    return {idx.begin(), idx.begin() + 5};
}

}  // namespace

int main(int argc, char** argv) {
    int a = 1;
    if (argc > 2 && std::strcmp(argv[1], "--skip-unless") == 0) {
        if (!mncc_test::cpu_has(argv[2])) {
            std::printf("skipped: this CPU has no %s\n", argv[2]);
            return 77;
        }
        a = 3;
    }
    if (argc - a < 4) {
        std::fprintf(stderr, "usage: check_model [--skip-unless FEATURE] SIZE PPM_DIR PHOTOS REF_DIR...\n");
        return 2;
    }
    const std::string size = argv[a], ppm_dir = argv[a + 1];
    std::vector<std::string> photos;
    std::istringstream list(argv[a + 2]);
    for (std::string p; std::getline(list, p, ',');) photos.push_back(p);
    std::vector<float> out(1001);   // the shared models' classes
    int failures = 0;
    for (const std::string& photo : photos) {
        int w = 0, h = 0;
        const std::vector<uint8_t> px = read_ppm(ppm_dir + "/" + photo + "_" + size + ".ppm", w, h);
        if (px.empty()) {
            std::printf("%s: cannot read the photo\n", photo.c_str());
            return 1;
        }
        const int st = API(_run_rgb8)(px.data(), w, h, w * 3, out.data(), nullptr);
        if (st != 0) {
            std::printf("%s: status %d (%s)\n", photo.c_str(), st, API(_status_string)(st));
            return 1;
        }
        for (int r = a + 3; r < argc; ++r) {
            const std::string raw = slurp(std::string(argv[r]) + "/" + photo + ".f32");
            std::vector<float> want(raw.size() / 4);
            std::memcpy(want.data(), raw.data(), want.size() * 4);
            if (want.size() != out.size()) {
                std::printf("%s: %s has %zu floats, want %zu\n", photo.c_str(), argv[r], want.size(), out.size());
                return 1;
            }
            double worst = 0;
            for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, double(std::fabs(out[i] - want[i])));
            const bool ok = worst <= 1e-5 && top5(out) == top5(want);
            failures += !ok;
            std::printf("%s vs %s: max |diff| %.3g, top-5 %s: %s\n", photo.c_str(), argv[r], worst,
                        top5(out) == top5(want) ? "equal" : "DIFFERENT", ok ? "ok" : "FAIL");
        }
    }
    return failures ? 1 : 0;
}
