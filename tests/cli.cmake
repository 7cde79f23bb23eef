# The `mncc` command end to end, the paper's tables on synth models, and images.

add_executable(test_cli cli/test_cli.cpp)
target_link_libraries(test_cli PRIVATE GTest::gtest_main)
# The classify example is built with MNCC_EXAMPLE_MODEL (see examples/classify).
target_compile_definitions(test_cli PRIVATE
  MNCC_BIN="$<TARGET_FILE:mncc>"
  CLASSIFY_BIN="$<TARGET_FILE:classify>"
  EXAMPLE_MODEL="${MNCC_EXAMPLE_MODEL}"
  MNCC_SHARED_DIR="${MNCC_SHARED_DIR}")
add_dependencies(test_cli mncc classify)
gtest_discover_tests(test_cli PROPERTIES LABELS "sanitized" DISCOVERY_TIMEOUT 30)

add_executable(test_paper_tables correctness/test_paper_tables.cpp)
target_link_libraries(test_paper_tables PRIVATE mncc_frontend mncc_passes mncc_reference GTest::gtest_main)
gtest_discover_tests(test_paper_tables DISCOVERY_TIMEOUT 30)

add_executable(test_image unit/test_image.cpp)
target_link_libraries(test_image PRIVATE mncc_image GTest::gtest_main)
target_compile_definitions(test_image PRIVATE
  MNCC_SHARED_DIR="${MNCC_SHARED_DIR}" MNCC_TEST_DIR="${MNCC_TEST_DIR}")
gtest_discover_tests(test_image PROPERTIES LABELS "sanitized" DISCOVERY_TIMEOUT 30)

add_dependencies(mncc_sanitized_tests test_cli test_image mncc)
