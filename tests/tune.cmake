# `mncc tune` (engineer U): tuning end to end through the mncc command on small
# synth models (local runner, a failing runner, qemu-aarch64 for arm64), the
# tuned library against the reference interpreter, and schedule-file rejection.
add_executable(test_tune tune/test_tune.cpp)
target_include_directories(test_tune PRIVATE ${PROJECT_SOURCE_DIR}/compiler)
target_link_libraries(test_tune PRIVATE mncc_frontend mncc_passes mncc_reference mncc_lower
  nlohmann_json::nlohmann_json GTest::gtest_main)
target_compile_definitions(test_tune PRIVATE MNCC_BIN="$<TARGET_FILE:mncc>" MNCC_TUNE_VERSION="${PROJECT_VERSION}")
add_dependencies(test_tune mncc)
gtest_discover_tests(test_tune DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 300)
