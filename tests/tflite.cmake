# TFLite front end and the quantized (integer) reference kernels.

add_executable(test_tflite ${MNCC_TEST_DIR}/unit/test_tflite.cpp)
target_link_libraries(test_tflite PRIVATE mncc_frontend mncc_passes mncc_reference GTest::gtest_main)
target_compile_definitions(test_tflite PRIVATE MNCC_SHARED_DIR="${MNCC_SHARED_DIR}")
gtest_discover_tests(test_tflite PROPERTIES LABELS "sanitized" DISCOVERY_TIMEOUT 30)
add_dependencies(mncc_sanitized_tests test_tflite)

# The published uint8 MobileNets against ../shared expected outputs, the
# derived float graphs, and the mncc command on them (skips without ../shared).
add_executable(test_quantized ${MNCC_TEST_DIR}/correctness/test_quantized.cpp)
target_link_libraries(test_quantized PRIVATE mncc_frontend mncc_passes mncc_reference GTest::gtest_main)
target_compile_definitions(test_quantized PRIVATE
  MNCC_SHARED_DIR="${MNCC_SHARED_DIR}" MNCC_BIN="$<TARGET_FILE:mncc>")
add_dependencies(test_quantized mncc)
gtest_discover_tests(test_quantized DISCOVERY_TIMEOUT 30)
