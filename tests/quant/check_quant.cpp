// Runs one generated quantized library on photos and compares it with the integer
// reference interpreter (tests/quant/quant_reference.cpp) bit for bit; plain C++17
// with no test framework so that it cross-builds (-static) and runs under qemu.
// Built once per library with MODEL (the library's name) and MODEL_UPPER defined.
//
//   check_quant [--skip-unless avx2|avx512|avx512vnni] SIZE PPM_DIR PHOTO,... REF_DIR EXPECTED_TSV
//
// For every photo PPM_DIR/PHOTO_SIZE.ppm (already the model's input size):
//  - MODEL_run on the raw RGB bytes (uint8 models' input: scale 1/128, zp 128; int8
//    models', scale 1/128, zp 0: the bytes minus 128) equals REF_DIR/PHOTO.out
//    exactly, with 1 and with 2 threads;
//  - the integer logits, read from the caller's arena at REF_DIR/logits_offset.txt
//    after the run, equal REF_DIR/PHOTO.logits exactly;
//  - MODEL_run_rgb8 on the same photo gives the same output (the TFLite front
//    end's RGB8 preprocessing maps byte b to q = b for uint8, b - 128 for int8);
//  - every top-5 score of EXPECTED_TSV is within 2 of ours, and our top-1 is the
//    expected top-1 (or ties with it there); EXPECTED_TSV "-" (synth models): no
//    such table.
// Exit 0 on success, 1 on a mismatch, 77 (CTest skip) when the CPU lacks the feature.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#define MNCC_STR2(x) #x
#define MNCC_STR(x) MNCC_STR2(x)
#define MNCC_CAT2(a, b) a##b
#define MNCC_CAT(a, b) MNCC_CAT2(a, b)
#define API(f) MNCC_CAT(MODEL, f)
#define CONST(f) MNCC_CAT(MODEL_UPPER, f)   // MODEL_UPPER: MODEL in capitals
#include MNCC_STR(MODEL.h)

#include "../support/shared_data.h"

namespace {

// The library's element types, from MODEL_run's signature.
template <typename I, typename O>
I input_type(int (*)(const I*, O*, void*));
template <typename I, typename O>
O output_type(int (*)(const I*, O*, void*));
using In = decltype(input_type(&API(_run)));
using Out = decltype(output_type(&API(_run)));

using mncc_test::read_ppm;
using mncc_test::slurp;

// Expected top-5 per photo from the ../shared table: "photo<TAB>input<TAB>i:s i:s ...".
std::vector<std::pair<int, int>> expected_top5(const std::string& tsv, const std::string& photo) {
    std::istringstream lines(slurp(tsv));
    for (std::string line; std::getline(lines, line);) {
        std::istringstream f(line);
        std::string name, input, pair;
        std::getline(f, name, '\t');
        std::getline(f, input, '\t');
        if (name != photo) continue;
        std::vector<std::pair<int, int>> r;
        while (f >> pair) r.push_back({std::atoi(pair.c_str()), std::atoi(pair.c_str() + pair.find(':') + 1)});
        return r;
    }
    return {};
}

int diff_count(const std::string& want, const void* got, size_t n) {
    if (want.size() != n) return -1;
    int d = 0;
    for (size_t i = 0; i < n; ++i) d += want[i] != static_cast<const char*>(got)[i];
    return d;
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
    if (argc - a != 5) {
        std::fprintf(stderr, "usage: check_quant [--skip-unless FEATURE] SIZE PPM_DIR PHOTOS REF_DIR EXPECTED_TSV\n");
        return 2;
    }
    const std::string size = argv[a], ppm_dir = argv[a + 1], ref_dir = argv[a + 3], tsv = argv[a + 4];
    std::vector<std::string> photos;
    std::istringstream list(argv[a + 2]);
    for (std::string p; std::getline(list, p, ',');) photos.push_back(p);
    const long logits_offset = std::atol(slurp(ref_dir + "/logits_offset.txt").c_str());
    const size_t n_out = CONST(_OUTPUT_SIZE);
    void* arena = std::aligned_alloc(CONST(_ARENA_ALIGNMENT), (API(_arena_bytes)() + 63) / 64 * 64);
    std::vector<Out> out(n_out), out2(n_out), out_rgb(n_out);
    int failures = 0;
    for (const std::string& photo : photos) {
        int w = 0, h = 0;
        const std::vector<uint8_t> px = read_ppm(ppm_dir + "/" + photo + "_" + size + ".ppm", w, h);
        if (px.empty() || size_t(w) * h * 3 != size_t(CONST(_INPUT_SIZE))) {
            std::printf("%s: cannot read the photo, or it is not the input size\n", photo.c_str());
            return 1;
        }
        const bool have_tsv = tsv != "-";
        std::vector<std::pair<int, int>> want5 = have_tsv ? expected_top5(tsv, photo) : std::vector<std::pair<int, int>>{};
        std::vector<In> in(px.size());
        for (size_t i = 0; i < px.size(); ++i) in[i] = In(std::is_signed<In>::value ? int(px[i]) - 128 : int(px[i]));
        API(_set_num_threads)(1);
        int st = API(_run)(in.data(), out.data(), arena);
        const int logit_diffs = diff_count(slurp(ref_dir + "/" + photo + ".logits"), static_cast<char*>(arena) + logits_offset, n_out);
        API(_set_num_threads)(2);
        st |= API(_run)(in.data(), out2.data(), arena);
        st |= API(_run_rgb8)(px.data(), w, h, w * 3, out_rgb.data(), nullptr);
        if (st != 0 || (have_tsv && want5.size() != 5)) {
            std::printf("%s: status %d, %zu expected scores\n", photo.c_str(), st, want5.size());
            return 1;
        }
        const int out_diffs = diff_count(slurp(ref_dir + "/" + photo + ".out"), out.data(), n_out);
        const bool threads_same = std::memcmp(out.data(), out2.data(), n_out) == 0;
        const bool rgb_same = std::memcmp(out.data(), out_rgb.data(), n_out) == 0;
        size_t top = 0;
        for (size_t i = 1; i < n_out; ++i)
            if (out[i] > out[top]) top = i;
        int worst = 0;
        for (const auto& [idx, score] : want5) worst = std::max(worst, std::abs(int(out[size_t(idx)]) - score));
        if (!have_tsv) want5 = {{int(top), int(out[top])}};
        const bool top_ok = int(top) == want5[0].first || int(out[top]) == int(out[size_t(want5[0].first)]);
        const bool ok = out_diffs == 0 && logit_diffs == 0 && threads_same && rgb_same && worst <= 2 && top_ok;
        failures += !ok;
        std::printf("%s: output %d bytes differ from the reference, logits %d; 1 vs 2 threads %s; rgb8 %s; "
                    "top-1 %zu (%d), expected %d (%d), worst expected-score diff %d: %s\n",
                    photo.c_str(), out_diffs, logit_diffs, threads_same ? "same" : "DIFFERENT",
                    rgb_same ? "same" : "DIFFERENT", top, int(out[top]), want5[0].first, want5[0].second, worst,
                    ok ? "ok" : "FAIL");
    }
    std::free(arena);
    return failures ? 1 : 0;
}
