#!/bin/sh
# Checks that a `--target=hexagon` library's kernels are HVX code, from their
# disassembly (128-byte HVX, v66):
#   check_hvx.sh LLVM_AR LLVM_OBJDUMP libNAME.a [SCALAR_KERNELS]
# - every object is a Hexagon ELF (QUALCOMM DSP6);
# - the conv, fully connected, pointwise and depthwise kernels (*_conv*, *_fc_*,
#   *_pw_*, *_dw*) multiply HVX vectors of 8- or 16-bit lanes by vectors or broadcast
#   scalars (the accumulation's products, e.g. `vN:M.w = vmpy(vN.h,vN.h)`,
#   `vN.h = vmpy(vN.h,rN.h):sat`, `vN:M.h = vmpy(vN.ub,vN.b)`; the requantisation's
#   32-bit vmpye/vmpyo do not count);
#   or use vrmpy (the pointwise kernels' 4-channel u8 x i8 dot products, with 32 or
#   more output channels; so at least one pointwise kernel must);
# - SCALAR_KERNELS (an extended regular expression on the object names) lists the
#   kernels schedules/hexagon_q.cpp leaves scalar on purpose (strided depthwise with
#   32 channels: see there); they must hold no such multiply, so the list stays exact.
# Exit 0 or 1, naming the kernels that fail.
set -eu
ar=$1 objdump=$2
lib=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
scalar=${4:-'^$'}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
"$ar" x "$lib"
status=0 kernels=0 vrmpys=0
mpy='= vmpy[a-z]*\(v[0-9]+\.u?[bh],[vr][0-9]+\.u?[bh]\)'
for o in *.o; do
    if ! "$objdump" -f "$o" | grep -q 'file format elf32-hexagon'; then
        echo "$o: not a Hexagon object"
        status=1
        continue
    fi
    case $o in
        *_conv*.o | *_fc_*.o | *_pw_*.o | *_dw*.o) ;;
        *) continue ;;
    esac
    kernels=$((kernels + 1))
    "$objdump" -d --mattr=+hvxv66,+hvx-length128b "$o" > "$o.s"
    n=$(grep -cE "$mpy" "$o.s" || true)
    r=$(grep -cE '= vrmpy\(v[0-9]+\.ub,v[0-9]+\.b\)' "$o.s" || true)
    vrmpys=$((vrmpys + r))
    echo "$o: $n 8/16-bit vector multiplies, $r vrmpy"
    if echo "$o" | grep -qE "$scalar"; then
        if [ "$n" -gt 0 ] || [ "$r" -gt 0 ]; then
            echo "$o: listed as scalar but holds HVX multiplies (update the list)"
            status=1
        fi
    elif [ "$n" -eq 0 ] && [ "$r" -eq 0 ]; then
        echo "$o: no HVX multiplies"
        status=1
    fi
done
if [ "$kernels" -eq 0 ]; then
    echo "no convolution kernels in $lib"
    status=1
fi
if ls ./*_pw_*.o >/dev/null 2>&1 && [ "$vrmpys" -eq 0 ]; then
    echo "no vrmpy in any pointwise kernel"
    status=1
fi
exit $status
