#include "support/files.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/error.h"

namespace mncc {

std::string read_file(const std::string& path, const std::string& who) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(who + ": cannot read '" + path + "'");
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void write_file_atomic(const std::string& path, const std::string& bytes, const std::string& who) {
    const std::string tmp = path + ".tmp" + std::to_string(getpid());
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!f.good()) {
            std::remove(tmp.c_str());
            throw Error(who + ": cannot write '" + path + "'");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        throw Error(who + ": cannot write '" + path + "': " + ec.message());
    }
}

std::string shell_quote(const std::string& s) {
    std::string r = "'";
    for (char ch : s) r += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return r + "'";
}

}  // namespace mncc
