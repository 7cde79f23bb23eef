# Passes: per-pass structure, semantics vs a naive evaluator, validate errors,
# memory plan, IR dumps.
add_executable(test_passes ${MNCC_TEST_DIR}/unit/test_passes.cpp)
target_link_libraries(test_passes PRIVATE mncc_passes mncc_reference GTest::gtest_main)
gtest_discover_tests(test_passes PROPERTIES LABELS "sanitized" DISCOVERY_TIMEOUT 30)
add_dependencies(mncc_sanitized_tests test_passes)
