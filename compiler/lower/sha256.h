// SHA-256 (FIPS 180-4) for the manifest's model checksum.
#pragma once

#include <string>

namespace mncc {

std::string sha256_hex(const std::string& bytes);

}  // namespace mncc
