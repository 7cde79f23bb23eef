# Performance (engineer B): the knob-space correctness sweep. Timing lives in
# `mncc bench` and scripts/bench.sh, never in the default suite.
add_executable(test_knob_sweep performance/test_knob_sweep.cpp aot/hand_net.cpp)
target_include_directories(test_knob_sweep PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/compiler ${PROJECT_SOURCE_DIR}/tests/aot)
target_link_libraries(test_knob_sweep PRIVATE mncc_lower mncc_reference mncc_passes Halide::Halide GTest::gtest_main)
gtest_discover_tests(test_knob_sweep DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 300)
# The whole cartesian product of every knob space (~5000 JIT compiles, about half
# an hour): not in the default suite.
add_custom_target(performance_full_sweep
  COMMAND ${CMAKE_COMMAND} -E env MNCC_FULL_SWEEP=1 $<TARGET_FILE:test_knob_sweep>
  DEPENDS test_knob_sweep USES_TERMINAL)
# `mncc bench` end to end (report consistency and error messages; no timing checks).
add_test(NAME test_bench_cli COMMAND ${PROJECT_SOURCE_DIR}/tests/performance/bench_cli.sh $<TARGET_FILE:mncc>)
