#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run every test.
#   build/       Release build: unit, correctness, aot and error tests
#   build-asan/  the front ends and the mncc command under AddressSanitizer + UBSan,
#                running the unit and error tests (malformed inputs must not crash)
# Prints its duration. Exit status is non-zero if any test failed.
set -euo pipefail
start=$(date +%s)
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/setup.sh
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest -j"$jobs" --output-on-failure)

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMNCC_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" --target mncc_sanitized_tests
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest -j"$jobs" --output-on-failure -L sanitized)

# A bounded fuzz run of the front end, passes and interpreter (needs clang).
if command -v clang++-14 >/dev/null &&
   dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed"; then
  scripts/fuzz.sh 60
fi

end=$(date +%s)
echo "test suite took $((end - start)) s"
