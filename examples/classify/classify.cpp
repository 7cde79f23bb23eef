// classify: label a photo with a MobileNet compiled by mncc.
//
//   classify photo.jpg [labels.txt] [top]
//
// Uses only the emitted header and library: the RGB8 entry point does the
// model's crop, resize and normalisation, so decoded pixels go straight in.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include <stb/stb_image.h>

#include "mobilenet.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s IMAGE [LABELS] [TOP]\n", argv[0]);
        return 2;
    }
    int width = 0, height = 0, channels = 0;
    unsigned char* rgb = stbi_load(argv[1], &width, &height, &channels, 3);
    if (!rgb) {
        std::fprintf(stderr, "classify: %s: not an image (%s)\n", argv[1], stbi_failure_reason());
        return 1;
    }
    std::vector<std::string> labels;
    if (argc > 2) {
        std::ifstream f(argv[2]);
        for (std::string line; std::getline(f, line);) labels.push_back(line);
    }
    const int top = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;

    // The arena holds every intermediate activation: sized and aligned by the
    // header's constants, owned by the app, one per thread making calls.
    void* arena = std::aligned_alloc(MOBILENET_ARENA_ALIGNMENT, MOBILENET_ARENA_BYTES);
    Mobilenet model(arena);
    std::vector<float> probs(MOBILENET_OUTPUT_SIZE);
    int status = model.run_rgb8(rgb, width, height, width * 3, probs.data());
    stbi_image_free(rgb);
    std::free(arena);
    if (status != MOBILENET_OK) {
        std::fprintf(stderr, "classify: inference failed: %s\n", mobilenet_status_string(status));
        return 1;
    }

    std::vector<int> idx(probs.size());
    std::iota(idx.begin(), idx.end(), 0);
    const int k = std::min<int>(top, static_cast<int>(idx.size()));
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                      [&](int a, int b) { return probs[a] > probs[b] || (probs[a] == probs[b] && a < b); });
    for (int i = 0; i < k; ++i) {
        const int c = idx[i];
        std::printf("%d\t%s\t%.6f\n", c, c < static_cast<int>(labels.size()) ? labels[c].c_str() : "", probs[c]);
    }
    return 0;
}
