# Targets (engineer T): the same model compiled for arm64 (run under qemu),
# AVX2 and AVX-512, each library compiled ONCE at build time by `mncc compile`
# and checked by tests/targets/check_model.cpp against the reference
# interpreter's outputs (`mncc run --save-output`, also built once) and
# ../shared's expected outputs. Needs ../shared; without it nothing is added.
set(MNCC_TARGETS_DIR ${CMAKE_CURRENT_BINARY_DIR}/targets)
set(MNCC_TARGETS_MODEL ${MNCC_SHARED_DIR}/models/derived/mobilenet_v1_0.25_128_dequant_frozen.pb)
set(MNCC_TARGETS_EXPECTED ${MNCC_SHARED_DIR}/models/expected/mobilenet_v1_0.25_128_dequant)
set(MNCC_TARGETS_PHOTOS bird cat dragonfly grace_hopper hot_dog parrot)
set(MNCC_TARGETS_PPM ${MNCC_SHARED_DIR}/images/ppm)

if (EXISTS ${MNCC_TARGETS_MODEL})
  # The reference interpreter on every photo.
  set(refs)
  foreach (photo ${MNCC_TARGETS_PHOTOS})
    set(ref ${MNCC_TARGETS_DIR}/reference/${photo}.f32)
    add_custom_command(OUTPUT ${ref}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${MNCC_TARGETS_DIR}/reference
      COMMAND mncc run ${MNCC_TARGETS_MODEL} --image ${MNCC_TARGETS_PPM}/${photo}_128.ppm --save-output ${ref}
      DEPENDS mncc ${MNCC_TARGETS_MODEL} VERBATIM)
    list(APPEND refs ${ref})
  endforeach ()
  add_custom_target(mncc_targets_reference DEPENDS ${refs})
  string(REPLACE ";" "," photo_list "${MNCC_TARGETS_PHOTOS}")
  set(check_args 128 ${MNCC_TARGETS_PPM} ${photo_list} ${MNCC_TARGETS_DIR}/reference ${MNCC_TARGETS_EXPECTED})

  # One library of the model for `target`, named `name`.
  function (mncc_targets_lib name target)
    set(dir ${MNCC_TARGETS_DIR}/${name})
    add_custom_command(OUTPUT ${dir}/lib${name}.a ${dir}/${name}.h ${dir}/${name}.json
      COMMAND mncc compile ${MNCC_TARGETS_MODEL} --target=${target} --name ${name} -o ${dir}
      DEPENDS mncc ${MNCC_TARGETS_MODEL}
      COMMENT "mncc: compiling the 0.25/128 model for ${target}" VERBATIM)
    add_custom_target(mncc_targets_${name}_lib DEPENDS ${dir}/lib${name}.a)
  endfunction ()

  # x86-64 AVX2 and AVX-512 (the latter skipped at run time on CPUs without it).
  foreach (isa avx2 avx512)
    set(name mnv1_${isa})
    mncc_targets_lib(${name} x86-64-${isa})
    add_executable(test_targets_${isa} targets/check_model.cpp)
    add_dependencies(test_targets_${isa} mncc_targets_${name}_lib mncc_targets_reference)
    target_include_directories(test_targets_${isa} PRIVATE ${MNCC_TARGETS_DIR}/${name})
    target_compile_definitions(test_targets_${isa} PRIVATE MODEL=${name})
    target_link_libraries(test_targets_${isa} PRIVATE ${MNCC_TARGETS_DIR}/${name}/lib${name}.a Threads::Threads ${CMAKE_DL_LIBS} m)
    add_test(NAME test_targets_${isa} COMMAND test_targets_${isa} --skip-unless ${isa} ${check_args})
    set_tests_properties(test_targets_${isa} PROPERTIES SKIP_RETURN_CODE 77)
  endforeach ()

  # --emit=c++: the kernels as C++ source (Halide's C backend), built by the
  # project's C++ compiler (tests/targets/build_emitted_cxx.sh).
  set(dir ${MNCC_TARGETS_DIR}/mnv1_cxx)
  set(app ${MNCC_TARGETS_DIR}/check_model_cxx)
  add_custom_command(OUTPUT ${app}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${dir}
    COMMAND mncc compile ${MNCC_TARGETS_MODEL} --emit=c++ --name mnv1_cxx -o ${dir}
    COMMAND ${MNCC_TEST_DIR}/targets/build_emitted_cxx.sh ${CMAKE_CXX_COMPILER} ${dir} mnv1_cxx
            ${MNCC_TEST_DIR}/targets/check_model.cpp ${MNCC_HALIDE_RUNTIME_DIR} ${app}
    DEPENDS mncc ${MNCC_TARGETS_MODEL} ${MNCC_TEST_DIR}/targets/check_model.cpp
            ${MNCC_TEST_DIR}/targets/build_emitted_cxx.sh
    COMMENT "mncc: the 0.25/128 model as C++ source, built with ${CMAKE_CXX_COMPILER}" VERBATIM)
  add_custom_target(mncc_targets_cxx_app ALL DEPENDS ${app} mncc_targets_reference)
  add_test(NAME test_targets_emit_cxx COMMAND ${app} ${check_args})

  # Errors: a missing cross compiler names the Debian package; unknown and
  # unsupported targets list what is known. Nothing is written to -o.
  add_test(NAME test_targets_error_no_cross_compiler
           COMMAND ${CMAKE_COMMAND} -E env PATH=/nonexistent $<TARGET_FILE:mncc> compile ${MNCC_TARGETS_MODEL}
                   --target=arm64 -o ${MNCC_TARGETS_DIR}/never)
  set_tests_properties(test_targets_error_no_cross_compiler PROPERTIES PASS_REGULAR_EXPRESSION
    "mncc: error: compile: target 'arm64' needs 'aarch64-linux-gnu-g\\+\\+', which is not installed \\(Debian: apt-get install g\\+\\+-aarch64-linux-gnu\\)")
  add_test(NAME test_targets_error_unknown_target
           COMMAND mncc compile ${MNCC_TARGETS_MODEL} --target=riscv -o ${MNCC_TARGETS_DIR}/never)
  set_tests_properties(test_targets_error_unknown_target PROPERTIES PASS_REGULAR_EXPRESSION
    "unknown target 'riscv' \\(known: host, x86-64-avx2, x86-64-avx512, x86-64-avx512-vnni, arm64, arm64-dotprod, hexagon, halide:<target string>; see mncc targets\\)")
  add_test(NAME test_targets_error_unsupported_target
           COMMAND mncc compile ${MNCC_TARGETS_MODEL} --target=halide:arm-32-linux -o ${MNCC_TARGETS_DIR}/never)
  set_tests_properties(test_targets_error_unsupported_target PROPERTIES PASS_REGULAR_EXPRESSION
    "target 'halide:arm-32-linux' is not supported yet")
  add_test(NAME test_targets_list COMMAND mncc targets)
  set_tests_properties(test_targets_list PROPERTIES PASS_REGULAR_EXPRESSION
    "x86-64-avx2 .*halide target: x86-64-linux-sse41-avx-f16c-fma-avx2\n.*x86-64-avx512 .*halide target: x86-64-linux-sse41-avx-f16c-fma-avx2-avx512-avx512_skylake\n.*x86-64-avx512-vnni .*halide target: [^\n]*-avx512_sapphirerapids\n.*arm64 +AArch64 Linux with NEON.*halide target: arm-64-linux\n.*g\\+\\+-aarch64-linux-gnu.*arm64-dotprod .*halide target: arm-64-linux-arm_dot_prod\n.*hexagon .*halide target: hexagon-32-noos-hvx_128-hvx_v66\n.*clang-14 llvm-14")

  # arm64: cross-built, linked statically, run under qemu-aarch64.
  find_program(MNCC_AARCH64_CXX aarch64-linux-gnu-g++)
  find_program(MNCC_QEMU_AARCH64 qemu-aarch64)
  if (MNCC_AARCH64_CXX AND MNCC_QEMU_AARCH64)
    set(name mnv1_arm64)
    set(dir ${MNCC_TARGETS_DIR}/${name})
    mncc_targets_lib(${name} arm64)
    set(app ${MNCC_TARGETS_DIR}/check_model_arm64)
    add_custom_command(OUTPUT ${app}
      COMMAND ${MNCC_AARCH64_CXX} -static -O2 -std=c++17 -Wall -Wextra -Werror -DMODEL=${name} -I ${dir}
              ${MNCC_TEST_DIR}/targets/check_model.cpp ${dir}/lib${name}.a -lpthread -ldl -lm -o ${app}
      DEPENDS ${MNCC_TEST_DIR}/targets/check_model.cpp ${dir}/lib${name}.a
      COMMENT "aarch64-linux-gnu-g++: the arm64 check app" VERBATIM)
    add_custom_target(mncc_targets_arm64_app ALL DEPENDS ${app} mncc_targets_reference)
    add_test(NAME test_targets_arm64_qemu
             COMMAND ${MNCC_QEMU_AARCH64} -L /usr/aarch64-linux-gnu ${app} ${check_args})
  else ()
    add_test(NAME test_targets_arm64_qemu
             COMMAND sh -c "echo 'skipped: needs aarch64-linux-gnu-g++ (g++-aarch64-linux-gnu) and qemu-aarch64 (qemu-user)'; exit 77")
    set_tests_properties(test_targets_arm64_qemu PROPERTIES SKIP_RETURN_CODE 77)
  endif ()
endif ()

# libclang over the emitted header and glue (the hand net's, built by compile.cmake,
# and text emitted for hostile node names).
find_library(MNCC_LIBCLANG NAMES clang-14 clang HINTS /usr/lib/llvm-14/lib)
find_path(MNCC_LIBCLANG_INCLUDE clang-c/Index.h HINTS /usr/lib/llvm-14/include)
if (MNCC_LIBCLANG AND MNCC_LIBCLANG_INCLUDE)
  add_executable(test_codegen_clang targets/test_codegen_clang.cpp)
  add_dependencies(test_codegen_clang mncc_aot_hand_lib)
  target_include_directories(test_codegen_clang PRIVATE ${PROJECT_SOURCE_DIR}/compiler ${MNCC_LIBCLANG_INCLUDE})
  target_compile_definitions(test_codegen_clang PRIVATE MNCC_AOT_DIR="${MNCC_AOT_DIR}"
    MNCC_HALIDE_RUNTIME_DIR="${MNCC_HALIDE_RUNTIME_DIR}")
  target_link_libraries(test_codegen_clang PRIVATE mncc_lower ${MNCC_LIBCLANG} nlohmann_json::nlohmann_json GTest::gtest_main)
  gtest_discover_tests(test_codegen_clang DISCOVERY_TIMEOUT 30)
endif ()
