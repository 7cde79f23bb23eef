// Writes the fuzzer's seed corpus: small `mncc synth` MobileNets (several
// widths and resolutions) as DIR/synth_A_R.pb.
#include <cstdio>
#include <fstream>
#include <string>

#include "frontend/synth.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
        return 2;
    }
    const double alphas[] = {0.25, 0.5};
    const int resolutions[] = {32, 48, 64};
    for (double a : alphas)
        for (int r : resolutions) {
            mncc::SynthOptions o;
            o.alpha = a;
            o.resolution = r;
            o.classes = a == 0.25 ? 10 : 1001;
            const std::string path = std::string(argv[1]) + "/synth_" + std::to_string(int(a * 100)) + "_" +
                                     std::to_string(r) + ".pb";
            std::ofstream(path, std::ios::binary) << mncc::synth_tf_graphdef(o);
        }
    return 0;
}
