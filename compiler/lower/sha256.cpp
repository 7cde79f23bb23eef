#include "lower/sha256.h"

#include <openssl/evp.h>

#include "support/error.h"

namespace mncc {

std::string sha256_hex(const std::string& bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr))
        throw Error("sha256: OpenSSL digest failed");
    static const char* hex = "0123456789abcdef";
    std::string r;
    for (unsigned int i = 0; i < len; ++i) {
        r += hex[digest[i] >> 4];
        r += hex[digest[i] & 15];
    }
    return r;
}

}  // namespace mncc
