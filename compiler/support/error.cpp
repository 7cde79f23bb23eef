#include "support/error.h"

#include <cstdint>
#include <limits>

namespace mncc {

std::string node_error(const std::string& file, const std::string& node, const std::string& op,
                       const std::string& reason) {
    std::string m = file.empty() ? std::string("<model>") : file;
    m += ": node '" + node + "'";
    if (!op.empty()) m += " (" + op + ")";
    m += ": " + reason;
    return m;
}

int64_t checked_mul(int64_t a, int64_t b, const char* what) {
    int64_t r;
    if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r))
        throw Error(std::string("size overflow computing ") + what);
    return r;
}

int64_t checked_add(int64_t a, int64_t b, const char* what) {
    int64_t r;
    if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r))
        throw Error(std::string("size overflow computing ") + what);
    return r;
}

}  // namespace mncc
