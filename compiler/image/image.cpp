#include "image/image.h"

#include <fstream>

#include <stb/stb_image.h>

#include "../../runtime/mncc_preprocess.h"
#include "support/error.h"

namespace mncc {

Image load_image(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(path + ": cannot open image file");
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (bytes.empty()) throw Error(path + ": not an image (empty file)");
    if (bytes.size() > (size_t(1) << 30)) throw Error(path + ": image file too large (over 1 GiB)");
    int w = 0, h = 0, c = 0;
    const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
    if (!stbi_info_from_memory(data, static_cast<int>(bytes.size()), &w, &h, &c))
        throw Error(path + ": not an image (" + stbi_failure_reason() + ")");
    if (w <= 0 || h <= 0 || int64_t(w) * h > (int64_t(1) << 28))
        throw Error(path + ": image dimensions " + std::to_string(w) + "x" + std::to_string(h) + " out of range");
    stbi_uc* px = stbi_load_from_memory(data, static_cast<int>(bytes.size()), &w, &h, &c, 3);
    if (!px) throw Error(path + ": not an image (" + stbi_failure_reason() + ")");
    Image img;
    img.width = w;
    img.height = h;
    img.rgb.assign(px, px + size_t(w) * size_t(h) * 3);
    stbi_image_free(px);
    return img;
}

std::vector<float> preprocess_image(const Image& img, const Graph& g) {
    const Shape& s = g.node(g.input).shape;
    if (s.size() != 4 || s[1] != s[2] || s[3] != 3)
        throw Error(g.source_file + ": input '" + g.node(g.input).name + "' of shape " + shape_str(s) +
                    " is not a square RGB image");
    const int size = static_cast<int>(s[1]);
    std::vector<float> out(size_t(size) * size * 3);
    if (mncc_preprocess_rgb8(img.rgb.data(), img.width, img.height, img.width * 3, size, g.preprocess.scale,
                             g.preprocess.offset, out.data()) != 0)
        throw Error("image preprocessing failed");
    return out;
}

std::vector<std::string> load_labels(const std::string& path) {
    std::vector<std::string> labels;
    if (path.empty()) return labels;
    std::ifstream f(path);
    if (!f) throw Error(path + ": cannot open labels file");
    std::string line;
    while (std::getline(f, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        labels.push_back(line);
    }
    return labels;
}

}  // namespace mncc
