#!/usr/bin/env bash
# Performance snapshot: `mncc bench` on synthetic MobileNet v1 1.0/224 and
# 0.25/128, float and int8 (`mncc synth --quantize int8`: int8 activations,
# per-channel int8 weights), at 1 and 2 threads, the peers (XNNPACK, ONNX Runtime) from
# ../shared/peers/run.sh --quick when their packages are installed, and a
# ratio table (float rows against the peers' f32 variants, int8 rows against
# XNNPACK qs8-subgraph and ONNX Runtime u8s8-qlinear). Timing only: nothing here is a test.
#   scripts/bench.sh [--runs N] [--build DIR] [--no-peers]
# Each configuration runs in its own process; the two models alternate
# (interleaved) over --rounds rounds, the peers run once per round, and the table
# shows the median of the per-round medians, mncc's and the peers'. CPU ms is process CPU time per inference: at 1 thread it is
# insensitive to other processes sharing the core; at 2 threads it sums both. Each peer
# cell also gives mncc's minimum over the peer's minimum (the fastest runs of each).
# "steal %" is the range over the rounds of the vCPU time the host took while a
# configuration ran (/proc/stat), as a share of its busy time: rounds with a few
# percent measured up to 1.4x slower (synth 1.0/224 fp32, 1 thread, 2026-11-29).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build" runs=100 rounds=2 peers=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --no-peers) peers=0; shift ;;
    *) echo "usage: scripts/bench.sh [--runs N] [--rounds N] [--build DIR] [--no-peers]" >&2; exit 2 ;;
  esac
done
mncc="$build/compiler/driver/mncc"
[ -x "$mncc" ] || { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build "$build" -j2 --target mncc; }
work="$(mktemp -d /tmp/mncc-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

echo "# mncc bench  $(date -u +%Y-%m-%dT%H:%MZ)  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')  $(nproc) cores"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# alpha:resolution:type; the files are synth_<alpha>_<resolution>_<type>.{pb,tflite}.
models="1.0:224:f32 0.25:128:f32 1.0:224:int8 0.25:128:int8"
file() { local a r q; IFS=: read -r a r q <<< "$1"; [ "$q" = f32 ] && echo "$work/synth_${a}_${r}_f32.pb" || echo "$work/synth_${a}_${r}_${q}.tflite"; }
for m in $models; do
  IFS=: read -r a r q <<< "$m"
  if [ "$q" = f32 ]; then "$mncc" synth --alpha "$a" --resolution "$r" -o "$(file "$m")"
  else "$mncc" synth --alpha "$a" --resolution "$r" --quantize "$q" -o "$(file "$m")"; fi
done
# Steal and busy ticks of all CPUs (/proc/stat): on a virtual machine, the time the host
# ran something else on our vCPUs while they had work, the main source of noise here.
steal_busy() { awk '/^cpu /{print $9, $2 + $3 + $4 + $9}' /proc/stat; }
if [ "$peers" = 1 ] && { [ ! -x "$root/../shared/peers/run.sh" ] || ! dpkg -s libxnnpack-dev >/dev/null 2>&1; }; then
  echo "# peers skipped (../shared/peers or libxnnpack-dev missing; see ../shared/peers/README.md)"
  peers=0
fi
for r in $(seq 1 "$rounds"); do
  for t in 1 2; do
    for m in $models; do
      before="$(steal_busy)"
      "$mncc" bench "$(file "$m")" --target=host --threads "$t" --runs "$runs" --json > "$work/r${r}_t${t}_${m//:/_}.json"
      echo "$before $(steal_busy)" > "$work/r${r}_t${t}_${m//:/_}.steal"
    done
  done
  # The peers once per round, right after mncc's configurations: the host's slow and
  # fast phases last minutes, so one peer run at the end could fall in another phase.
  if [ "$peers" = 1 ]; then
    "$root/../shared/peers/run.sh" --quick > "$work/peers_r$r.log" 2>&1 || echo "# peers failed: see $work/peers_r$r.log" >&2
    cp "${PEERS_BUILD:-/tmp/mncc-peers}/results/summary.md" "$work/peers_r$r.md" 2>/dev/null || true
  fi
done

python3 - "$work" "$rounds" <<'PY'
import json, re, statistics, sys, os
work, rounds = sys.argv[1], int(sys.argv[2])
# Per (model, threads, type) and peer variant: the median over the rounds of its median and CPU ms.
runs_of = {}
for r in range(1, rounds + 1):
    p = os.path.join(work, f"peers_r{r}.md")
    if not os.path.exists(p):
        continue
    # Rows "| engine | variant | model | thr | median ms | min | max | p10 | p90 | n | CPU ms | ...":
    # f32 variants for the float rows, qs8 (XNNPACK) and u8s8 (ONNX Runtime) for the int8 ones.
    for line in open(p):
        c = [x.strip() for x in line.strip().strip("|").split("|")]
        if len(c) >= 11 and re.fullmatch(r"[0-9.]+x[0-9]+", c[2]):
            q = "f32" if c[1].startswith("f32") else "int8" if c[1].startswith(("qs8", "u8s8")) else None
            if q:
                runs_of.setdefault((c[2], int(c[3]), q), {}).setdefault(c[0] + " " + c[1], []).append(
                    (float(c[4]), float(c[10]), float(c[5])))
# Per variant: the median over the rounds of its median and CPU ms, and its minimum over the rounds.
peers = {key: [(n, statistics.median(v for v, _, _ in rs), statistics.median(pc for _, pc, _ in rs), min(mn for _, _, mn in rs))
               for n, rs in variants.items()]
         for key, variants in runs_of.items()}
print()
def steal(path):
    s0, b0, s1, b1 = (int(v) for v in open(path).read().split())
    return 100.0 * (s1 - s0) / max(b1 - b0, 1)
# The ratio of the minima compares the fastest runs: the least disturbed by the host's slow phases.
print("| model | threads | mncc median ms | CPU ms | min ms | GFLOP/s (int8: GOP/s) | % of FMA peak | steal % | peer: median ms, CPU ms (mncc/peer wall, CPU, min) |")
print("|---|---|---|---|---|---|---|---|---|")
for m in ("1.0:224:f32", "0.25:128:f32", "1.0:224:int8", "0.25:128:int8"):
    a, res, q = m.split(":")
    for t in (1, 2):
        rs = [json.load(open(os.path.join(work, f"r{r}_t{t}_{m.replace(':', '_')}.json"))) for r in range(1, rounds + 1)]
        st = [steal(os.path.join(work, f"r{r}_t{t}_{m.replace(':', '_')}.steal")) for r in range(1, rounds + 1)]
        med = statistics.median(r["median_ms"] for r in rs)
        cpu = statistics.median(r["cpu_median_ms"] for r in rs)
        key = (f"{float(a):.2f}x{res}", t, q)
        lo = min(r["min_ms"] for r in rs)
        pe = "; ".join(f"{n} {v:.2f}, {pc:.2f} ({med / v:.2f}x, {cpu / pc:.2f}x, {lo / mn:.2f}x)"
                       for n, v, pc, mn in peers.get(key, [])) or "-"
        print(f"| {a}/{res}{' int8' if q == 'int8' else ''} | {t} | {med:.3f} | {cpu:.3f} | "
              f"{lo:.3f} | {statistics.median(r['gflops'] for r in rs):.1f} | "
              f"{statistics.median(r['percent_of_peak'] for r in rs):.1f} | {min(st):.1f}-{max(st):.1f} | {pe} |")
PY
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
