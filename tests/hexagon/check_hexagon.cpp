// Runs a `--target=hexagon` library's harness (tests/hexagon/run_model.c) under
// qemu-hexagon on photos and compares it with the integer reference interpreter
// (tests/quant/quant_reference.cpp), bit for bit, like tests/quant/check_quant.cpp
// does for the CPU targets:
//
//   check_hexagon QEMU RUN_MODEL SIZE PPM_DIR PHOTO,... REF_DIR EXPECTED_TSV
//
// For every photo PPM_DIR/PHOTO_SIZE.ppm: the output equals REF_DIR/PHOTO.out, the
// integer logits (read from the arena at REF_DIR/logits_offset.txt) REF_DIR/PHOTO.logits,
// the RGB8 entry point's output the same output; the top-1 is the expected one (or
// ties with it) and every expected top-5 score is within 2 (EXPECTED_TSV "-", for
// synth models: no such table). Exit 0 or 1.
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "../support/shared_data.h"

namespace {

using mncc_test::slurp;

// The program's stdout (binary), or "" with `ok` false when it fails.
std::string run(const std::string& command, bool& ok) {
    std::string out;
    FILE* p = popen(command.c_str(), "r");
    if (!p) {
        ok = false;
        return out;
    }
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    const int status = pclose(p);
    ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return out;
}

int diff_count(const std::string& want, const std::string& got) {
    if (want.size() != got.size()) return -1;
    int d = 0;
    for (size_t i = 0; i < want.size(); ++i) d += want[i] != got[i];
    return d;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 8) {
        std::fprintf(stderr, "usage: check_hexagon QEMU RUN_MODEL SIZE PPM_DIR PHOTOS REF_DIR EXPECTED_TSV\n");
        return 2;
    }
    const std::string qemu = argv[1], harness = argv[2], size = argv[3], ppm_dir = argv[4], ref_dir = argv[6];
    const bool have_tsv = std::string(argv[7]) != "-";
    const std::vector<mncc_test::ExpectedRow> expected =
        have_tsv ? mncc_test::read_expected(argv[7]) : std::vector<mncc_test::ExpectedRow>{};
    const std::string offset = std::to_string(std::atol(slurp(ref_dir + "/logits_offset.txt").c_str()));
    std::istringstream list(argv[5]);
    int failures = 0, photos = 0;
    for (std::string photo; std::getline(list, photo, ',');) {
        ++photos;
        const std::string want = slurp(ref_dir + "/" + photo + ".out"), want_logits = slurp(ref_dir + "/" + photo + ".logits");
        const size_t n = want.size();
        auto row = std::find_if(expected.begin(), expected.end(), [&](const auto& r) { return r.photo == photo; });
        const std::string ppm = ppm_dir + "/" + photo + "_" + size + ".ppm";
        bool ok = true;
        const auto t0 = std::chrono::steady_clock::now();
        const std::string got = run("'" + qemu + "' '" + harness + "' '" + ppm + "' " + offset, ok);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!ok || n == 0 || got.size() != 3 * n || (have_tsv && (row == expected.end() || row->top5.size() != 5))) {
            std::printf("%s: the harness failed or gave %zu bytes for %zu outputs (%zu expected scores)\n", photo.c_str(),
                        got.size(), n, !have_tsv || row == expected.end() ? size_t(0) : row->top5.size());
            ++failures;
            continue;
        }
        const std::string out = got.substr(0, n), logits = got.substr(n, n), rgb = got.substr(2 * n, n);
        const int out_diffs = diff_count(want, out), logit_diffs = diff_count(want_logits, logits);
        const bool rgb_same = rgb == out;
        const auto score = [&](size_t i) { return int(static_cast<unsigned char>(out[i])); };
        size_t top = 0;
        for (size_t i = 1; i < n; ++i)
            if (score(i) > score(top)) top = i;
        int worst = 0, want_top = int(top);
        if (have_tsv) {
            for (size_t k = 0; k < 5; ++k)
                worst = std::max(worst, std::abs(score(size_t(row->top5[k])) - int(row->scores[k])));
            want_top = row->top5[0];
        }
        const bool top_ok = int(top) == want_top || score(top) == score(size_t(want_top));
        const bool good = out_diffs == 0 && logit_diffs == 0 && rgb_same && worst <= 2 && top_ok;
        failures += !good;
        std::printf("%s: output %d bytes differ from the reference, logits %d; rgb8 %s; top-1 %zu (%d), expected %d; "
                    "worst expected-score diff %d; %.1f s under qemu: %s\n",
                    photo.c_str(), out_diffs, logit_diffs, rgb_same ? "same" : "DIFFERENT", top, score(top),
                    want_top, worst, seconds, good ? "ok" : "FAIL");
    }
    return failures || photos == 0 ? 1 : 0;
}
