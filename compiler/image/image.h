// Image files for `mncc run` and the tests: decode with Debian's stb_image
// (JPEG, PNG, BMP, PPM/PGM), then the shared preprocessing of
// runtime/mncc_preprocess.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace mncc {

struct Image {
    int width = 0, height = 0;
    std::vector<uint8_t> rgb;   // width * height * 3, rows packed
};

// Throws mncc::Error "FILE: not an image (REASON)" for anything stb can't decode.
Image load_image(const std::string& path);

// Centre crop, resize to the graph's input size, normalise with its Preprocess.
// An image already at the input size (e.g. the reference PPMs) is only normalised.
std::vector<float> preprocess_image(const Image& img, const Graph& g);

// Reads a text file of labels, one per line (empty vector if path is empty).
std::vector<std::string> load_labels(const std::string& path);

}  // namespace mncc
