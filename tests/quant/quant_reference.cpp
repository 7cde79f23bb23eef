// Writes the integer reference interpreter's results for a quantized model, the
// oracle tests/quant/check_quant.cpp compares compiled libraries against. Built
// for the host and run once at build time:
//
//   quant_reference MODEL SIZE PPM_DIR PHOTO,PHOTO,... OUT_DIR
//
// The input is the photo's RGB bytes (minus 128 for an int8 input, as
// check_quant feeds it). OUT_DIR/PHOTO.out: the output node's values (one byte each), OUT_DIR/PHOTO.logits:
// the integer logits (the layer feeding the softmax, through Reshape views), and
// OUT_DIR/logits_offset.txt: the logits' arena offset in the compiled library
// (the same passes plan the same arena).
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "passes/passes.h"
#include "reference/interpreter.h"
#include "support/error.h"

namespace {

std::vector<int32_t> read_ppm(const std::string& path, int size) {
    std::ifstream f(path, std::ios::binary);
    std::string magic;
    int w = 0, h = 0, maxval = 0;
    f >> magic >> w >> h >> maxval;
    f.get();
    std::vector<unsigned char> px(size_t(w) * size_t(h) * 3);
    f.read(reinterpret_cast<char*>(px.data()), std::streamsize(px.size()));
    if (magic != "P6" || maxval != 255 || w != size || h != size || !f) throw mncc::Error(path + ": not a " + std::to_string(size) + "x" + std::to_string(size) + " P6 PPM");
    return {px.begin(), px.end()};
}

void write_bytes(const std::string& path, const std::vector<int32_t>& v) {
    std::ofstream f(path, std::ios::binary);
    for (int32_t x : v) f.put(static_cast<char>(static_cast<unsigned char>(x & 0xff)));
    if (!f) throw mncc::Error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: quant_reference MODEL SIZE PPM_DIR PHOTOS OUT_DIR\n");
        return 2;
    }
    try {
        const std::string size = argv[2], dir = argv[5];
        mncc::Graph g = mncc::load_model(argv[1]);
        mncc::run_passes(g);
        int logits = g.node(g.output).inputs.at(0);
        while (g.node(logits).op == mncc::Op::Reshape) logits = g.node(logits).inputs.at(0);
        std::ofstream(dir + "/logits_offset.txt") << g.arena_offset.at(size_t(logits)) << "\n";
        std::istringstream list(argv[4]);
        for (std::string photo; std::getline(list, photo, ',');) {
            mncc::RefValue in;
            in.dtype = g.node(g.input).dtype;
            in.q = read_ppm(std::string(argv[3]) + "/" + photo + "_" + size + ".ppm", std::stoi(size));
            if (in.dtype == mncc::DType::Int8)   // int8 input, scale 1/128, zero point 0: the bytes minus 128
                for (int32_t& v : in.q) v -= 128;
            const std::vector<mncc::RefValue> all = mncc::run_reference_all(g, in);
            write_bytes(dir + "/" + photo + ".out", all.at(size_t(g.output)).q);
            write_bytes(dir + "/" + photo + ".logits", all.at(size_t(logits)).q);
        }
    } catch (const mncc::Error& e) {
        std::fprintf(stderr, "quant_reference: %s\n", e.what());
        return 1;
    }
    return 0;
}
