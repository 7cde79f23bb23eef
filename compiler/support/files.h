// Small file and shell helpers shared by the compiler's commands, so every
// file is read, written and quoted the same way.
#pragma once

#include <string>

namespace mncc {

// The whole file; throws mncc::Error "WHO: cannot read 'PATH'".
std::string read_file(const std::string& path, const std::string& who);

// Writes through PATH.tmp<pid> and a rename, so readers (and a command killed
// half way) see the old file or the new one, never a half-written one.
// Throws mncc::Error "WHO: cannot write 'PATH'...".
void write_file_atomic(const std::string& path, const std::string& bytes, const std::string& who);

// `s` as one single-quoted POSIX shell word.
std::string shell_quote(const std::string& s);

}  // namespace mncc
