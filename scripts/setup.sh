#!/usr/bin/env bash
# Installs the Debian 12 packages mncc needs to build, test and cross-compile.
# Idempotent and quick when everything is present: apt runs only for what is missing.
set -euo pipefail

packages=(
  g++ cmake make binutils pkg-config
  libhalide14-0-dev            # Halide 14: lowering, schedules, AOT codegen, runtime
  libprotobuf-dev protobuf-compiler   # TensorFlow GraphDef front end
  libflatbuffers-dev flatbuffers-compiler   # TFLite front end (flatc + Verifier)
  libstb-dev                   # image decoding (JPEG, PNG, BMP, PPM)
  nlohmann-json3-dev           # manifests, inspect --json
  libssl-dev                   # SHA-256 of model files (libcrypto)
  libgtest-dev                 # test suite
  libclang-14-dev              # codegen checks on the emitted header and glue
  clang-14 libclang-rt-14-dev  # libFuzzer build (scripts/fuzz.sh)
  g++-aarch64-linux-gnu qemu-user  # --target=arm64: cross glue compiler/archiver, tests under qemu-aarch64
  llvm-14 lld-14               # --target=hexagon: llvm-ar-14 (with clang-14), lld and llvm-objdump-14 for the tests under qemu-hexagon
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
