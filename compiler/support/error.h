// mncc::Error: the one exception type the compiler throws for bad input.
//
// Every message names where the problem is (file, node) and why, so the CLI
// can print it as one line and exit non-zero. Generated libraries never throw.
#pragma once

#include <stdexcept>
#include <string>

namespace mncc {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// "FILE: node 'NAME' (OP): REASON" — the canonical message shape.
std::string node_error(const std::string& file, const std::string& node, const std::string& op,
                       const std::string& reason);

// Checked arithmetic for sizes computed from file contents.
int64_t checked_mul(int64_t a, int64_t b, const char* what);
int64_t checked_add(int64_t a, int64_t b, const char* what);

}  // namespace mncc
