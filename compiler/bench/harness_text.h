// C++ source text shared by the timing programs that `mncc bench` and
// `mncc tune` generate and compile against a library or candidate kernels:
// the clocks and the halide_buffer_t set-up, written once.
#pragma once

#include <string>

namespace mncc {

// Defines, as static functions of the generated program (after its includes
// of <chrono>, <ctime> and "HalideRuntime.h"):
//   double mncc_wall_s();  // steady clock, seconds
//   double mncc_cpu_s();   // CPU time of the whole process, seconds: with one
//                          // thread it ignores time-sharing of the core
//   void mncc_describe(void* p, halide_type_t type, int rank, const int* ext,
//                      halide_dimension_t* d, halide_buffer_t* b);
//                          // a dense buffer over p, dimension 0 innermost
std::string timing_program_helpers();

}  // namespace mncc
