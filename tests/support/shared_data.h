// Readers for the test data in ../shared (header-only, for every test binary):
// the expected-output tables, float32 output vectors and the PPM inputs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace mncc_test {

// What `--skip-unless FEATURE` of the check apps asks: does this CPU have FEATURE
// (avx2 = AVX2 + FMA, avx512 = AVX-512F, avx512vnni = AVX-512 VNNI + BW)? True for
// other names and off x86-64, where the app runs whatever it was built for.
inline bool cpu_has(const char* feature) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    const std::string f = feature;
    if (f == "avx512vnni") return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
    if (f == "avx512") return __builtin_cpu_supports("avx512f");
    if (f == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    (void)feature;
#endif
    return true;
}

inline std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// One row of ../shared/models/expected/<model>.tsv.
struct ExpectedRow {
    std::string photo;            // "cat"
    std::string input;            // "images/ppm/cat_128.ppm", relative to ../shared
    std::vector<int> top5;        // class indices, best first
    std::vector<double> scores;   // their scores
};

inline std::vector<ExpectedRow> read_expected(const std::string& tsv_path) {
    std::vector<ExpectedRow> rows;
    std::istringstream in(slurp(tsv_path));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        ExpectedRow r;
        std::string item;
        ls >> r.photo >> r.input;
        while (ls >> item) {
            const size_t colon = item.find(':');
            r.top5.push_back(std::stoi(item.substr(0, colon)));
            r.scores.push_back(std::stod(item.substr(colon + 1)));
        }
        rows.push_back(r);
    }
    return rows;
}

// Little-endian float32 vector (expected/<model>/<photo>.f32).
inline std::vector<float> read_f32(const std::string& path) {
    const std::string b = slurp(path);
    std::vector<float> v(b.size() / sizeof(float));
    std::copy(b.data(), b.data() + v.size() * sizeof(float), reinterpret_cast<char*>(v.data()));
    return v;
}

// Binary P6 PPM with maxval 255 and no comments, as the shared files are
// written. Returns RGB bytes, or an empty vector if the file is not that.
inline std::vector<uint8_t> read_ppm(const std::string& path, int& w, int& h) {
    std::istringstream in(slurp(path));
    std::string magic;
    int maxval = 0;
    w = h = 0;
    in >> magic >> w >> h >> maxval;
    in.get();
    if (magic != "P6" || maxval != 255 || w <= 0 || h <= 0) return {};
    std::vector<uint8_t> px(size_t(w) * size_t(h) * 3);
    in.read(reinterpret_cast<char*>(px.data()), std::streamsize(px.size()));
    if (!in) px.clear();
    return px;
}

// Indices of the k largest values, ties broken by the lower index.
inline std::vector<int> top_indices(const std::vector<float>& v, size_t k) {
    std::vector<int> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    k = std::min(k, idx.size());
    std::partial_sort(idx.begin(), idx.begin() + long(k), idx.end(),
                      [&](int a, int b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
    return {idx.begin(), idx.begin() + long(k)};
}

}  // namespace mncc_test
