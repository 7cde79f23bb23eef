// Builds the test libraries once at build time:
//   mncc_aot_gen hand OUT_DIR DATA_DIR      the hand-made net as `hand`, plus
//                                           DATA_DIR/hand_{input,expected}.f32 (reference interpreter)
//   mncc_aot_gen model MODEL NAME OUT_DIR   a model file through the front end and passes
//   mncc_aot_gen synth ALPHA RES NAME OUT_DIR  a synthetic MobileNet v1 (prints the compile time)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "frontend/frontend.h"
#include "frontend/synth.h"
#include "hand_net.h"
#include "lower/compile.h"
#include "passes/passes.h"
#include "reference/interpreter.h"
#include "support/error.h"

namespace {

void write_f32(const std::string& path, const std::vector<float>& v) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
    if (!f) throw mncc::Error("cannot write " + path);
}

void compile_timed(const mncc::Graph& g, mncc::CompileOptions& o) {
    auto t0 = std::chrono::steady_clock::now();
    mncc::compile_model(g, o);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("compiled %s in %.2f s\n", o.name.c_str(), s);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        mncc::CompileOptions o;
        if (mode == "hand" && argc == 4) {
            mncc::Graph g = mncc::make_hand_net();
            o.name = "hand";
            o.out_dir = argv[2];
            compile_timed(g, o);
            const std::string data = argv[3];
            write_f32(data + "/hand_input.f32", mncc::hand_net_input());
            write_f32(data + "/hand_expected.f32", mncc::run_reference(g, mncc::hand_net_input()));
        } else if (mode == "model" && argc == 5) {
            mncc::Graph g = mncc::load_model(argv[2]);
            mncc::run_passes(g);
            o.model_file = argv[2];
            o.name = argv[3];
            o.out_dir = argv[4];
            compile_timed(g, o);
        } else if (mode == "synth" && argc == 6) {
            mncc::SynthOptions so;
            so.alpha = std::atof(argv[2]);
            so.resolution = std::atoi(argv[3]);
            mncc::Graph g = mncc::parse_tf_graphdef(mncc::synth_tf_graphdef(so), "synth.pb");
            mncc::run_passes(g);
            o.name = argv[4];
            o.out_dir = argv[5];
            compile_timed(g, o);
        } else {
            std::fprintf(stderr, "usage: mncc_aot_gen hand OUT DATA | model FILE NAME OUT | synth ALPHA RES NAME OUT\n");
            return 2;
        }
    } catch (const mncc::Error& e) {
        std::fprintf(stderr, "mncc_aot_gen: %s\n", e.what());
        return 1;
    }
    return 0;
}
