#include "bench/harness_text.h"

namespace mncc {

std::string timing_program_helpers() {
    return R"(static double mncc_wall_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
static double mncc_cpu_s() {
    timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}
static void mncc_describe(void* p, halide_type_t type, int rank, const int* ext, halide_dimension_t* d,
                          halide_buffer_t* b) {
    *b = halide_buffer_t();
    b->host = static_cast<uint8_t*>(p);
    b->type = type;
    b->dimensions = rank;
    b->dim = d;
    int stride = 1;
    for (int i = 0; i < rank; ++i) { d[i] = halide_dimension_t(0, ext[i], stride); stride *= ext[i]; }
}
)";
}

}  // namespace mncc
