#!/usr/bin/env bash
# `mncc bench` end to end on a tiny synth model: the JSON report against
# `mncc inspect` (mult-adds, one row per kernel, GFLOP/s = 2 x mult-adds / median)
# and its error paths (a failing --runner, a bad option). Times are not checked.
set -euo pipefail
mncc="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$mncc" synth --alpha 0.25 --resolution 32 --classes 10 -o "$work/m.pb"
"$mncc" inspect "$work/m.pb" --json > "$work/inspect.json"
"$mncc" bench "$work/m.pb" --runs 3 --warmup 1 --peak-gflops 100 --json --report "$work/r.svg" > "$work/bench.json"
"$mncc" bench "$work/m.pb" --runs 1 --warmup 0 --peak-gflops 100 --report "$work/r.html" > /dev/null
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
i, b = json.load(open(w + "/inspect.json")), json.load(open(w + "/bench.json"))
assert b["mult_adds"] == i["totals"]["mult_adds"], (b["mult_adds"], i["totals"])
kernels = [l for l in i["layers"] if l["op"] not in ("Input", "Reshape")]
# A fused depthwise -> pointwise pair (on by default for small pointwise weights)
# is one kernel, named for both: "<model>_f32_dw3x3s1_pw_<index>".
fused = [l for l in b["layers"] if "_dw" in l["kernel"] and "_pw_" in l["kernel"]]
assert fused and len(b["layers"]) + len(fused) == len(kernels), (len(b["layers"]), len(fused), len(kernels))
assert [l["kernel"] for l in b["layers"]][:2] == ["bench_f32_conv3x3s2_0", "bench_f32_dw3x3s1_pw_1"], b["layers"][:2]
assert [l["kind"] for l in b["layers"]][:2] == ["conv", "pointwise"], b["layers"][:2]
assert 0 < b["min_ms"] <= b["median_ms"] <= b["max_ms"], b
assert abs(b["gflops"] - 2 * b["mult_adds"] / (b["median_ms"] * 1e6)) < 1e-6 * b["gflops"]
assert b["peak_gflops"] == 100 and abs(b["percent_of_peak"] - b["gflops"]) < 1e-9
assert abs(sum(l["share"] for l in b["layers"]) - 1) < 1e-9
print("bench json ok")
# The --report chart: one time bar (with the kernel in its title) and one
# mult-add bar per layer, lengths proportional to the shares in the JSON.
import xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(w + "/r.svg").getroot()
bars = [r for r in root.iter(ns + "rect") if r.find(ns + "title") is not None]
assert [r.find(ns + "title").text.split(" (")[0] for r in bars] == [l["kernel"] for l in b["layers"]], "one bar per layer"
t = sum(l["median_ms"] for l in b["layers"]); m = sum(l["mult_adds"] for l in b["layers"])
widths = [float(r.get("width")) for r in bars]
scale = max(widths) / max(l["median_ms"] / t for l in b["layers"])
for wd, l in zip(widths, b["layers"]):
    assert abs(wd - scale * l["median_ms"] / t) < 0.2, (wd, l)
html = open(w + "/r.html").read()
assert html.startswith("<!DOCTYPE html>") and html.count("<tr>") == len(b["layers"]) + 1 and "<svg" in html
print("bench report ok")
PY
set +e
msg="$("$mncc" bench "$work/m.pb" --runs 1 --report "$work/r.png" 2>&1)"; rc=$?
set -e
[ "$rc" = 1 ] && [ "$msg" = "mncc: error: bench: report file '$work/r.png' must end in .svg or .html" ] || { echo "bad report: rc=$rc '$msg'"; exit 1; }
set +e
msg="$("$mncc" bench "$work/m.pb" --runs 1 --runner false 2>&1)"; rc=$?
set -e
[ "$rc" = 1 ] && [[ "$msg" == "mncc: error: bench: 'false '"*"failed"* ]] || { echo "runner failure: rc=$rc '$msg'"; exit 1; }
set +e
msg="$("$mncc" bench "$work/m.pb" --peak-gflops -3 2>&1)"; rc=$?
set -e
[ "$rc" = 2 ] && [[ "$msg" == *"usage error: --peak-gflops must be positive"* ]] || { echo "bad option: rc=$rc '$msg'"; exit 1; }
echo "bench errors ok"
