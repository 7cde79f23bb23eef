# Malformed-model corpus: make_corpus writes the bad files into the build dir,
# test_error_corpus runs `mncc` on each row of error/cases.tsv and checks the
# one-line message. Also run in the ASan+UBSan build (label "sanitized").
# The libFuzzer build is separate (tests/fuzz/CMakeLists.txt, scripts/fuzz.sh).
set(MNCC_ERROR_CORPUS ${CMAKE_CURRENT_BINARY_DIR}/error_corpus)
add_executable(make_corpus ${MNCC_TEST_DIR}/error/make_corpus.cpp)
target_link_libraries(make_corpus PRIVATE mncc_frontend)
file(GLOB MNCC_ERROR_FILES CONFIGURE_DEPENDS ${MNCC_TEST_DIR}/error/files/*)
add_custom_command(
  OUTPUT ${MNCC_ERROR_CORPUS}/stamp
  COMMAND make_corpus ${MNCC_ERROR_CORPUS} ${MNCC_TEST_DIR}/error
  COMMAND ${CMAKE_COMMAND} -E touch ${MNCC_ERROR_CORPUS}/stamp
  DEPENDS make_corpus ${MNCC_ERROR_FILES}
  COMMENT "Writing the malformed-model corpus")
add_custom_target(error_corpus ALL DEPENDS ${MNCC_ERROR_CORPUS}/stamp)

add_executable(test_error_corpus ${MNCC_TEST_DIR}/error/test_error_corpus.cpp)
target_link_libraries(test_error_corpus PRIVATE GTest::gtest_main)
target_compile_definitions(test_error_corpus PRIVATE
  MNCC_BIN="$<TARGET_FILE:mncc>"
  MNCC_ERROR_CASES="${MNCC_TEST_DIR}/error/cases.tsv"
  MNCC_ERROR_CORPUS="${MNCC_ERROR_CORPUS}")
# Test discovery reads cases.tsv: rebuild (and rediscover) when it changes.
set_source_files_properties(${MNCC_TEST_DIR}/error/test_error_corpus.cpp
  PROPERTIES OBJECT_DEPENDS ${MNCC_TEST_DIR}/error/cases.tsv)
add_dependencies(test_error_corpus mncc error_corpus)
gtest_discover_tests(test_error_corpus PROPERTIES LABELS "sanitized" TIMEOUT 60 DISCOVERY_TIMEOUT 30)
add_dependencies(mncc_sanitized_tests test_error_corpus error_corpus)
