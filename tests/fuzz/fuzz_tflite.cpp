// libFuzzer target: raw bytes as a TFLite flatbuffer (truncations, offsets past
// the end, corrupt tables, anything). See fuzz_pipeline.h for what counts as a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mncc_fuzz::run_pipeline(std::string(reinterpret_cast<const char*>(data), size), mncc_fuzz::Format::TFLite);
    return 0;
}
