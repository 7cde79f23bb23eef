# `mncc compile` (engineer L). Each test library is generated ONCE at build time
# by mncc_aot_gen and shared by the tests that use it.

add_executable(mncc_aot_gen aot/gen.cpp aot/hand_net.cpp)
target_link_libraries(mncc_aot_gen PRIVATE mncc_frontend mncc_passes mncc_reference mncc_lower)

set(MNCC_AOT_DIR ${CMAKE_CURRENT_BINARY_DIR}/aot)
set(MNCC_HAND_LIB ${MNCC_AOT_DIR}/hand/libhand.a)
add_custom_command(
  OUTPUT ${MNCC_HAND_LIB} ${MNCC_AOT_DIR}/hand/hand.h ${MNCC_AOT_DIR}/hand_input.f32 ${MNCC_AOT_DIR}/hand_expected.f32
  COMMAND ${CMAKE_COMMAND} -E make_directory ${MNCC_AOT_DIR}
  COMMAND mncc_aot_gen hand ${MNCC_AOT_DIR}/hand ${MNCC_AOT_DIR}
  DEPENDS mncc_aot_gen
  COMMENT "mncc: compiling the hand-made test net")
add_custom_target(mncc_aot_hand_lib DEPENDS ${MNCC_HAND_LIB})

# compile_model's errors and guarantees (compiles the hand net at test time, twice).
add_executable(test_compile aot/test_compile.cpp aot/hand_net.cpp)
target_include_directories(test_compile PRIVATE ${PROJECT_SOURCE_DIR}/tests/aot)
target_link_libraries(test_compile PRIVATE mncc_lower mncc_passes Halide::Halide nlohmann_json::nlohmann_json GTest::gtest_main)
gtest_discover_tests(test_compile DISCOVERY_TIMEOUT 30)

# The hand net's library vs the reference interpreter, threads, emitted text.
add_executable(test_aot_hand aot/test_aot_hand.cpp aot/hand_net.cpp)
add_dependencies(test_aot_hand mncc_aot_hand_lib)
target_include_directories(test_aot_hand PRIVATE ${MNCC_AOT_DIR}/hand ${PROJECT_SOURCE_DIR}/tests/aot)
target_compile_definitions(test_aot_hand PRIVATE MNCC_AOT_DIR="${MNCC_AOT_DIR}")
target_link_libraries(test_aot_hand PRIVATE ${MNCC_HAND_LIB} mncc_reference mncc_passes
  nlohmann_json::nlohmann_json GTest::gtest_main Threads::Threads ${CMAKE_DL_LIBS})
gtest_discover_tests(test_aot_hand DISCOVERY_TIMEOUT 30)

# A C application against only hand.h + libhand.a, as C99 and as C++17, linked
# with -lpthread -ldl -lm, malloc/calloc/realloc wrapped to count allocations.
set(MNCC_APP_LINK ${MNCC_HAND_LIB} -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc -lpthread -ldl -lm)
add_executable(test_aot_app_c aot/app.c)
set_target_properties(test_aot_app_c PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
add_executable(test_aot_app_cxx aot/app_cxx.cpp)
target_include_directories(test_aot_app_cxx PRIVATE ${PROJECT_SOURCE_DIR}/tests/aot)
foreach (app test_aot_app_c test_aot_app_cxx)
  add_dependencies(${app} mncc_aot_hand_lib)
  target_include_directories(${app} PRIVATE ${MNCC_AOT_DIR}/hand)
  target_compile_options(${app} PRIVATE -Wall -Wextra -Werror -pedantic)
  target_link_libraries(${app} PRIVATE ${MNCC_APP_LINK})
  add_test(NAME ${app} COMMAND ${app} ${MNCC_AOT_DIR}/hand_input.f32 ${MNCC_AOT_DIR}/hand_expected.f32)
endforeach ()

# No undefined symbols beyond libc, libm, libpthread, libdl.
add_test(NAME test_aot_undefined_symbols_hand
         COMMAND ${PROJECT_SOURCE_DIR}/tests/aot/check_undefined.sh ${MNCC_HAND_LIB})

# The shared float models, one library each (needs ../shared at build time).
function (mncc_aot_model name file size key sha256)
  set(model ${MNCC_SHARED_DIR}/models/derived/${file})
  if (NOT EXISTS ${model})
    return()
  endif ()
  set(lib ${MNCC_AOT_DIR}/${name}/lib${name}.a)
  add_custom_command(
    OUTPUT ${lib} ${MNCC_AOT_DIR}/${name}/${name}.h ${MNCC_AOT_DIR}/${name}/${name}.json
    COMMAND ${CMAKE_COMMAND} -E make_directory ${MNCC_AOT_DIR}
    COMMAND mncc_aot_gen model ${model} ${name} ${MNCC_AOT_DIR}/${name}
    DEPENDS mncc_aot_gen ${model}
    COMMENT "mncc: compiling ${file}")
  add_custom_target(mncc_aot_${name}_lib DEPENDS ${lib})
  add_executable(test_aot_${name} aot/test_aot_model.cpp)
  add_dependencies(test_aot_${name} mncc_aot_${name}_lib)
  target_include_directories(test_aot_${name} PRIVATE ${MNCC_AOT_DIR}/${name})
  target_compile_definitions(test_aot_${name} PRIVATE MODEL=${name} MODEL_SIZE=${size} MODEL_KEY="${key}"
    MODEL_SHA256="${sha256}" MODEL_MANIFEST="${MNCC_AOT_DIR}/${name}/${name}.json"
    MNCC_SHARED_DIR="${MNCC_SHARED_DIR}")
  target_link_libraries(test_aot_${name} PRIVATE ${lib} nlohmann_json::nlohmann_json GTest::gtest_main
    Threads::Threads ${CMAKE_DL_LIBS})
  gtest_discover_tests(test_aot_${name} TEST_PREFIX "${name}." DISCOVERY_TIMEOUT 30)
  add_test(NAME test_aot_undefined_symbols_${name} COMMAND ${PROJECT_SOURCE_DIR}/tests/aot/check_undefined.sh ${lib})
endfunction ()
mncc_aot_model(mnv1_025_128 mobilenet_v1_0.25_128_dequant_frozen.pb 128 mobilenet_v1_0.25_128_dequant
  3be24017f1ffbfdf3c35e03ef87121a1043a88caddb6b3a841709f706132b159)
mncc_aot_model(mnv1_05_160 mobilenet_v1_0.5_160_dequant_frozen.pb 160 mobilenet_v1_0.5_160_dequant
  274c258a580abdb3311c64c9b5e25db4610e55406fb5bcfe2852092d8691f810)

# Synth 1.0/224, compiled by the `mncc` command itself: the probabilities and,
# with --output at the logits, the logits, each against the reference.
set(MNCC_SYNTH224 ${MNCC_AOT_DIR}/synth_1.0_224.pb)
add_custom_command(OUTPUT ${MNCC_SYNTH224}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${MNCC_AOT_DIR}
  COMMAND mncc synth --alpha 1.0 --resolution 224 -o ${MNCC_SYNTH224}
  DEPENDS mncc VERBATIM)
foreach (variant probs logits)
  set(name synth224_${variant})
  set(lib ${MNCC_AOT_DIR}/${name}/lib${name}.a)
  set(extra)
  set(node MobilenetV1/Predictions/Reshape_1)
  set(is_logits 0)
  if (variant STREQUAL "logits")
    set(node MobilenetV1/Logits/SpatialSqueeze)
    set(is_logits 1)
  endif ()
  add_custom_command(OUTPUT ${lib}
    COMMAND mncc compile ${MNCC_SYNTH224} --target=host --name ${name} --output ${node} -o ${MNCC_AOT_DIR}/${name}
    DEPENDS mncc ${MNCC_SYNTH224} VERBATIM
    COMMENT "mncc: compiling synth 1.0/224 (${variant})")
  add_custom_target(mncc_aot_${name}_lib DEPENDS ${lib})
  add_executable(test_aot_${name} aot/test_aot_synth224.cpp)
  add_dependencies(test_aot_${name} mncc_aot_${name}_lib)
  target_include_directories(test_aot_${name} PRIVATE ${MNCC_AOT_DIR}/${name})
  target_compile_definitions(test_aot_${name} PRIVATE MODEL=${name} OUTPUT_NODE="${node}" LOGITS=${is_logits})
  target_link_libraries(test_aot_${name} PRIVATE ${lib} mncc_frontend mncc_passes mncc_reference GTest::gtest_main
    Threads::Threads ${CMAKE_DL_LIBS})
  gtest_discover_tests(test_aot_${name} TEST_PREFIX "${variant}." DISCOVERY_TIMEOUT 30)
endforeach ()

# Both synth 1.0/224 libraries linked into one application (two Halide runtimes).
add_executable(test_aot_two_libs aot/test_aot_two_libs.cpp)
add_dependencies(test_aot_two_libs mncc_aot_synth224_probs_lib mncc_aot_synth224_logits_lib)
target_include_directories(test_aot_two_libs PRIVATE ${MNCC_AOT_DIR}/synth224_probs ${MNCC_AOT_DIR}/synth224_logits)
target_link_libraries(test_aot_two_libs PRIVATE ${MNCC_AOT_DIR}/synth224_probs/libsynth224_probs.a
  ${MNCC_AOT_DIR}/synth224_logits/libsynth224_logits.a GTest::gtest_main Threads::Threads ${CMAKE_DL_LIBS})
gtest_discover_tests(test_aot_two_libs DISCOVERY_TIMEOUT 30)
