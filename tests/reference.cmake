# Reference interpreter (hand-computed values) and inspect (hand-counted
# mult-adds / params / shares).
add_executable(test_reference ${MNCC_TEST_DIR}/unit/test_reference.cpp)
target_link_libraries(test_reference PRIVATE mncc_reference GTest::gtest_main)
gtest_discover_tests(test_reference PROPERTIES LABELS "sanitized" DISCOVERY_TIMEOUT 30)

add_executable(test_inspect ${MNCC_TEST_DIR}/unit/test_inspect.cpp)
target_link_libraries(test_inspect PRIVATE mncc_passes mncc_reference GTest::gtest_main)
gtest_discover_tests(test_inspect PROPERTIES LABELS "sanitized" DISCOVERY_TIMEOUT 30)

add_dependencies(mncc_sanitized_tests test_reference test_inspect)

# The shared trained models end to end (skips when ../shared is absent).
add_executable(test_reference_models ${MNCC_TEST_DIR}/unit/test_reference_models.cpp)
target_link_libraries(test_reference_models PRIVATE mncc_frontend mncc_passes mncc_reference GTest::gtest_main)
target_compile_definitions(test_reference_models PRIVATE MNCC_SHARED_DIR="${MNCC_SHARED_DIR}")
gtest_discover_tests(test_reference_models DISCOVERY_TIMEOUT 30)
