// SHA-256 of the model file for the manifest (OpenSSL libcrypto).
#pragma once

#include <string>

namespace mncc {

std::string sha256_hex(const std::string& bytes);

}  // namespace mncc
