# Performance (engineer B): the knob-space correctness sweep. Timing lives in
# `mncc bench` and scripts/bench.sh, never in the default suite.
add_executable(test_knob_sweep performance/test_knob_sweep.cpp aot/hand_net.cpp)
target_include_directories(test_knob_sweep PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/compiler ${PROJECT_SOURCE_DIR}/tests/aot)
target_link_libraries(test_knob_sweep PRIVATE mncc_lower mncc_frontend mncc_reference mncc_passes Halide::Halide GTest::gtest_main)
gtest_discover_tests(test_knob_sweep DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 300)
# The whole cartesian product of every knob space (~5000 JIT compiles, about half
# an hour): not in the default suite.
add_custom_target(performance_full_sweep
  COMMAND ${CMAKE_COMMAND} -E env MNCC_FULL_SWEEP=1 $<TARGET_FILE:test_knob_sweep>
  DEPENDS test_knob_sweep USES_TERMINAL)
# `mncc bench` end to end (report consistency and error messages; no timing checks).
add_test(NAME test_bench_cli COMMAND ${PROJECT_SOURCE_DIR}/tests/performance/bench_cli.sh $<TARGET_FILE:mncc>)
# The flat-pixel pointwise schedule, and fusion (every depthwise computed inside
# its pointwise's kernel, with the arena replanned for it), each forced on every
# pointwise layer of the trained 0.25/128 model, for AVX2 (16 registers: 2x6 tiles)
# and for arm64 (NEON, run under qemu), against the reference interpreter: the
# sweep above JIT-compiles single layers for this host only.
if (DEFINED check_args)
  function (mncc_sched_lib name target sched)
    set(dir ${MNCC_TARGETS_DIR}/${name})
    add_custom_command(OUTPUT ${dir}/lib${name}.a ${dir}/${name}.h
      COMMAND mncc compile ${MNCC_TARGETS_MODEL} --target=${target} --name ${name} --schedule ${sched} -o ${dir}
      DEPENDS mncc ${MNCC_TARGETS_MODEL} ${sched}
      COMMENT "mncc: the 0.25/128 model for ${target}, schedule ${sched}" VERBATIM)
  endfunction ()
  foreach (variant flat fused)
    set(sched ${MNCC_TEST_DIR}/performance/${variant}.schedule.json)
    set(name mnv1_avx2_${variant})
    mncc_sched_lib(${name} x86-64-avx2 ${sched})
    add_custom_target(mncc_performance_avx2_${variant}_lib DEPENDS ${MNCC_TARGETS_DIR}/${name}/lib${name}.a)
    add_executable(test_performance_${variant}_avx2 targets/check_model.cpp)
    add_dependencies(test_performance_${variant}_avx2 mncc_performance_avx2_${variant}_lib mncc_targets_reference)
    target_include_directories(test_performance_${variant}_avx2 PRIVATE ${MNCC_TARGETS_DIR}/${name})
    target_compile_definitions(test_performance_${variant}_avx2 PRIVATE MODEL=${name})
    target_link_libraries(test_performance_${variant}_avx2 PRIVATE ${MNCC_TARGETS_DIR}/${name}/lib${name}.a
      Threads::Threads ${CMAKE_DL_LIBS} m)
    add_test(NAME test_performance_${variant}_avx2 COMMAND test_performance_${variant}_avx2 --skip-unless avx2 ${check_args})
    set_tests_properties(test_performance_${variant}_avx2 PROPERTIES SKIP_RETURN_CODE 77)
    if (MNCC_AARCH64_CXX AND MNCC_QEMU_AARCH64)
      set(name mnv1_arm64_${variant})
      set(dir ${MNCC_TARGETS_DIR}/${name})
      mncc_sched_lib(${name} arm64 ${sched})
      set(app ${MNCC_TARGETS_DIR}/check_model_arm64_${variant})
      add_custom_command(OUTPUT ${app}
        COMMAND ${MNCC_AARCH64_CXX} -static -O2 -std=c++17 -Wall -Wextra -Werror -DMODEL=${name} -I ${dir}
                ${MNCC_TEST_DIR}/targets/check_model.cpp ${dir}/lib${name}.a -lpthread -ldl -lm -o ${app}
        DEPENDS ${MNCC_TEST_DIR}/targets/check_model.cpp ${dir}/lib${name}.a
        COMMENT "aarch64-linux-gnu-g++: the arm64 ${variant}-schedule check app" VERBATIM)
      add_custom_target(mncc_performance_arm64_${variant}_app ALL DEPENDS ${app} mncc_targets_reference)
      add_test(NAME test_performance_${variant}_arm64_qemu
               COMMAND ${MNCC_QEMU_AARCH64} -L /usr/aarch64-linux-gnu ${app} ${check_args})
    endif ()
  endforeach ()
endif ()
