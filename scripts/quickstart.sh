#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install what is missing, build
# mncc, compile a trained MobileNet from ../shared for this host, link the
# classify example against the generated library, and classify a photo.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
shared="$root/../shared"
photo="${1:-$shared/images/cat.bmp}"

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target mncc

model="$shared/models/derived/mobilenet_v1_0.5_160_dequant_frozen.pb"
echo "== mncc inspect (summary)"
build/compiler/driver/mncc inspect "$model" | tail -n 8
echo "== mncc compile $model --target=host -o build/quickstart"
rm -rf build/quickstart
time build/compiler/driver/mncc compile "$model" --target=host -o build/quickstart
ls -l build/quickstart
echo "== build examples/classify (mncc_add_model links the same model)"
cmake --build build -j"$(nproc)" --target classify
echo "== classify $photo"
build/examples/classify/classify "$photo" "$shared/labels/labels_mobilenet_quant_v1_224.txt" 5
echo "== reference interpreter on the same photo"
build/compiler/driver/mncc run "$model" --image "$photo" --labels "$shared/labels/labels_mobilenet_quant_v1_224.txt" --top 5
