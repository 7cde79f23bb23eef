#!/bin/sh
# Builds an `mncc compile --emit=c++` output the way an app would, with any C++17
# compiler: every kernel source, the glue, the check app, the runtime object.
#   build_emitted_cxx.sh CXX DIR NAME CHECK_SOURCE HALIDE_RUNTIME_INCLUDE OUT_APP
set -eu
cxx=$1 dir=$2 name=$3 check=$4 halide_inc=$5 app=$6
obj=$dir/obj
mkdir -p "$obj"
ls "$dir/${name}_kernels/"*.cpp | xargs -P 2 -I SRC sh -c \
  "$cxx -O2 -std=c++17 -w -Wno-psabi -c SRC -o $obj/\$(basename SRC .cpp).o"
"$cxx" -O2 -std=c++17 -Wall -Wextra -Werror -I "$dir" -I "$halide_inc" -c "$dir/$name.cpp" -o "$obj/glue.o"
"$cxx" -O2 -std=c++17 -Wall -Wextra -Werror -DMODEL="$name" -I "$dir" "$check" "$obj"/*.o \
  "$dir/${name}_halide_runtime.o" -lpthread -ldl -lm -o "$app"
