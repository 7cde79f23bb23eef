#!/bin/sh
# Checks that a `--target=hexagon` library's kernels are HVX code, from their
# disassembly (128-byte HVX, v66):
#   check_hvx.sh LLVM_AR LLVM_OBJDUMP libNAME.a
# - every object is a Hexagon ELF (QUALCOMM DSP6);
# - the conv and fully connected kernels (*_conv*, *_fc_*) multiply HVX vectors of
#   8- or 16-bit lanes by vectors or broadcast scalars (the accumulation's products,
#   e.g. `vN:M.w = vmpy(vN.h,vN.h)`, `vN.h = vmpy(vN.h,rN.h):sat`; the
#   requantisation's 32-bit vmpye/vmpyo do not count). Pointwise and depthwise
#   kernels are scalar for now (schedules/hexagon_q.h says why) and not checked.
# Exit 0 or 1, naming the kernels that fail.
set -eu
ar=$1 objdump=$2
lib=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
"$ar" x "$lib"
status=0 kernels=0
for o in *.o; do
    if ! "$objdump" -f "$o" | grep -q 'file format elf32-hexagon'; then
        echo "$o: not a Hexagon object"
        status=1
        continue
    fi
    case $o in
        *_conv*.o | *_fc_*.o) pattern='= vmpy[a-z]*\(v[0-9]+\.u?[bh],[vr][0-9]+\.u?[bh]\)' ;;
        *) continue ;;
    esac
    kernels=$((kernels + 1))
    n=$("$objdump" -d --mattr=+hvxv66,+hvx-length128b "$o" | grep -cE "$pattern" || true)
    echo "$o: $n 8/16-bit vector multiplies"
    [ "$n" -gt 0 ] || status=1
done
if [ "$kernels" -eq 0 ]; then
    echo "no convolution kernels in $lib"
    status=1
fi
exit $status
