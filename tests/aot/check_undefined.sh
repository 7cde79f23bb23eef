#!/bin/bash
# check_undefined.sh LIB.a: every symbol LIB.a leaves undefined must come from
# libc, libm, libpthread or libdl (no libstdc++, no libHalide).
set -euo pipefail
lib=$1
cc=${CC:-cc}
undef=$(nm -u "$lib" | awk '$1 == "U" { print $2 }' | sort -u)
defined=$(nm --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u)
external=$(comm -23 <(echo "$undef") <(echo "$defined"))
system=$(for l in libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2; do
           nm -D --defined-only "$($cc -print-file-name=$l)"; done | awk '{ print $NF }' | sed 's/@.*//' | sort -u)
bad=$(comm -23 <(echo "$external") <(echo "$system"))
if [ -z "$external" ] || ! grep -qx pthread_create <<<"$external"; then
  echo "FAIL: expected pthread_create among the undefined symbols of $lib"; exit 1
fi
if [ -n "$bad" ]; then
  echo "FAIL: $lib needs symbols outside libc/libm/libpthread/libdl:"; echo "$bad"; exit 1
fi
echo "OK: $(echo "$external" | wc -l) external symbols, all from libc/libm/libpthread/libdl"
