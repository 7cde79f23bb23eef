#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan+UBSan) in build-fuzz/ and fuzzes
# the front ends, the passes and the reference interpreter for SECONDS in all
# (default 60), a third each:
#   fuzz_graphdef  raw bytes; seeds: small `mncc synth` models and the
#                  ../shared v1 .pb files, copied to a temp dir
#   fuzz_tflite    raw bytes; seeds: the ../shared .tflite files, copied
#   fuzz_edits     edit lists applied to a valid synth model
# Crashes go to a temp dir whose path is printed; the exit status is non-zero
# if one was found. See docs/fuzzing.md.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
seconds=${1:-60}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

CC=clang-14 CXX=clang++-14 cmake -S tests/fuzz -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null

work=$(mktemp -d -t mncc-fuzz.XXXXXX)
mkdir -p "$work/seeds" "$work/seeds-tflite" "$work/crashes"
build-fuzz/fuzz_seeds "$work/seeds"
for f in ../shared/models/derived/mobilenet_v1_*_frozen.pb; do
  if [ -f "$f" ]; then cp "$f" "$work/seeds/"; fi
done
for f in ../shared/models/*.tflite; do
  if [ -f "$f" ]; then cp "$f" "$work/seeds-tflite/"; fi
done

# Keep each exec quick and small: a slow input or a big allocation is a bug too.
failed=0
run() {  # TARGET SECONDS [SEED_DIRS and FLAGS...]
  local target=$1 secs=$2
  shift 2
  mkdir -p "$work/corpus-$target"
  echo "fuzz: $target for ${secs}s, log $work/$target.log"
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 UBSAN_OPTIONS=print_stacktrace=1 \
    "build-fuzz/$target" "$work/corpus-$target" "$@" \
      -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 -malloc_limit_mb=512 \
      -artifact_prefix="$work/crashes/$target-" -print_final_stats=1 >"$work/$target.log" 2>&1 || failed=1
  grep -E "DONE|ERROR|SUMMARY|stat::number_of_executed_units" "$work/$target.log" || true
}
third=$(( (seconds + 2) / 3 ))
run fuzz_graphdef "$third" "$work/seeds" -max_len=3000000
run fuzz_tflite "$third" "$work/seeds-tflite" -max_len=2000000
run fuzz_edits "$third" -max_len=256 -len_control=0

crashes=$(find "$work/crashes" -type f | wc -l)
echo "fuzz: ${seconds}s, crashes in $work/crashes: $crashes"
if [ "$failed" -ne 0 ] || [ "$crashes" -ne 0 ]; then
  echo "fuzz: FAILED"
  exit 1
fi
rm -rf "$work"/corpus-* "$work/seeds" "$work/seeds-tflite"  # the grown corpus is large; the logs stay
