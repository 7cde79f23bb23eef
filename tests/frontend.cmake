# Front end: TF GraphDef reader and synth (unit tests + one malformed input per rule).
include(GoogleTest)
add_executable(test_frontend
  ${MNCC_TEST_DIR}/unit/test_frontend.cpp
  ${MNCC_TEST_DIR}/unit/test_frontend_errors.cpp
)
target_link_libraries(test_frontend PRIVATE mncc_frontend GTest::gtest_main)
target_compile_definitions(test_frontend PRIVATE MNCC_SHARED_DIR="${MNCC_SHARED_DIR}")
gtest_discover_tests(test_frontend DISCOVERY_TIMEOUT 60)
