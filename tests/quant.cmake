# Quantized models (engineer Q2): the uint8 TFLite MobileNets compiled by
# `mncc compile` for the host, AVX2 and arm64 (under qemu), each library ONCE at
# build time, and checked by tests/quant/check_quant.cpp bit for bit against the
# integer reference interpreter (tests/quant/quant_reference.cpp, also run once
# at build time) and within 2 of ../shared's expected scores. Needs ../shared.
set(MNCC_QUANT_DIR ${CMAKE_CURRENT_BINARY_DIR}/quant)
set(MNCC_QUANT_PHOTOS bird cat dragonfly grace_hopper hot_dog parrot)
string(REPLACE ";" "," MNCC_QUANT_PHOTO_LIST "${MNCC_QUANT_PHOTOS}")
set(MNCC_QUANT_PPM ${MNCC_SHARED_DIR}/images/ppm)

add_executable(quant_reference quant/quant_reference.cpp)
target_include_directories(quant_reference PRIVATE ${PROJECT_SOURCE_DIR}/compiler)
target_link_libraries(quant_reference PRIVATE mncc_frontend mncc_passes mncc_reference)

find_program(MNCC_QUANT_AARCH64_CXX aarch64-linux-gnu-g++)
find_program(MNCC_QUANT_QEMU_AARCH64 qemu-aarch64)

# `mncc compile --target` per target used below: the names are mncc's own
# (VNNI vpdpbusd on x86-64-avx512-vnni, NEON sdot/udot on arm64-dotprod).
set(MNCC_QUANT_TARGET_host host)
set(MNCC_QUANT_TARGET_x86_64_avx2 x86-64-avx2)
set(MNCC_QUANT_TARGET_x86_64_avx512_vnni x86-64-avx512-vnni)
set(MNCC_QUANT_TARGET_arm64 arm64)
set(MNCC_QUANT_TARGET_arm64_dotprod arm64-dotprod)

# One model file at input size `size` (its libraries are named mq<tag>_<target>):
# the reference results, then one library and check app per target in ARGN
# (host, x86-64-avx2, arm64, ...); `tsv` is the expected-scores table or "-".
function (mncc_quant_check tag model size tsv)
  set(ref ${MNCC_QUANT_DIR}/ref_${tag})
  set(ref_outputs ${ref}/logits_offset.txt)
  foreach (photo ${MNCC_QUANT_PHOTOS})
    list(APPEND ref_outputs ${ref}/${photo}.out ${ref}/${photo}.logits)
  endforeach ()
  add_custom_command(OUTPUT ${ref_outputs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${ref}
    COMMAND quant_reference ${model} ${size} ${MNCC_QUANT_PPM} ${MNCC_QUANT_PHOTO_LIST} ${ref}
    DEPENDS quant_reference ${model} VERBATIM)
  add_custom_target(mncc_quant_ref_${tag} ALL DEPENDS ${ref_outputs})
  set(args ${size} ${MNCC_QUANT_PPM} ${MNCC_QUANT_PHOTO_LIST} ${ref} ${tsv})
  foreach (target ${ARGN})
    string(REPLACE "-" "_" t ${target})
    set(name mq${tag}_${t})
    string(TOUPPER ${name} upper)
    set(dir ${MNCC_QUANT_DIR}/${name})
    add_custom_command(OUTPUT ${dir}/lib${name}.a ${dir}/${name}.h
      COMMAND mncc compile ${model} --target=${MNCC_QUANT_TARGET_${t}} --name ${name} -o ${dir}
      DEPENDS mncc ${model}
      COMMENT "mncc: compiling the quantized ${tag} model for ${target}" VERBATIM)
    add_custom_target(mncc_quant_${name}_lib DEPENDS ${dir}/lib${name}.a)
    if (target MATCHES "^arm64")
      if (NOT (MNCC_QUANT_AARCH64_CXX AND MNCC_QUANT_QEMU_AARCH64))
        add_test(NAME test_quant_${name}
                 COMMAND sh -c "echo 'skipped: needs aarch64-linux-gnu-g++ and qemu-aarch64'; exit 77")
        set_tests_properties(test_quant_${name} PROPERTIES SKIP_RETURN_CODE 77)
        continue ()
      endif ()
      set(app ${MNCC_QUANT_DIR}/check_${name})
      add_custom_command(OUTPUT ${app}
        COMMAND ${MNCC_QUANT_AARCH64_CXX} -static -O2 -std=c++17 -Wall -Wextra -Werror -DMODEL=${name} -DMODEL_UPPER=${upper} -I ${dir}
                ${MNCC_TEST_DIR}/quant/check_quant.cpp ${dir}/lib${name}.a -lpthread -ldl -lm -o ${app}
        DEPENDS ${MNCC_TEST_DIR}/quant/check_quant.cpp ${dir}/lib${name}.a
        COMMENT "aarch64-linux-gnu-g++: the quantized arm64 check app" VERBATIM)
      add_custom_target(mncc_quant_${name}_app ALL DEPENDS ${app} mncc_quant_ref_${tag})
      add_test(NAME test_quant_${name} COMMAND ${MNCC_QUANT_QEMU_AARCH64} -L /usr/aarch64-linux-gnu ${app} ${args})
    else ()
      add_executable(test_quant_${name} quant/check_quant.cpp)
      add_dependencies(test_quant_${name} mncc_quant_${name}_lib mncc_quant_ref_${tag})
      target_include_directories(test_quant_${name} PRIVATE ${dir})
      target_compile_definitions(test_quant_${name} PRIVATE MODEL=${name} MODEL_UPPER=${upper})
      target_link_libraries(test_quant_${name} PRIVATE ${dir}/lib${name}.a Threads::Threads ${CMAKE_DL_LIBS} m)
      set(skip)
      if (target MATCHES "^x86-64-(avx2|avx512)")
        set(skip --skip-unless ${CMAKE_MATCH_1})
      endif ()
      if (target STREQUAL "x86-64-avx512-vnni")
        set(skip --skip-unless avx512vnni)
      endif ()
      add_test(NAME test_quant_${name} COMMAND test_quant_${name} ${skip} ${args})
      set_tests_properties(test_quant_${name} PROPERTIES SKIP_RETURN_CODE 77)
    endif ()
  endforeach ()
endfunction ()

# A ../shared uint8 model (mobilenet_v1_<key>_quant.tflite) and its expected scores.
function (mncc_quant_model key size)
  set(model ${MNCC_SHARED_DIR}/models/mobilenet_v1_${key}_quant.tflite)
  if (EXISTS ${model})
    string(REPLACE "." "" tag ${key})
    mncc_quant_check(${tag} ${model} ${size} ${MNCC_SHARED_DIR}/models/expected/mobilenet_v1_${key}_quant.tsv ${ARGN})
  endif ()
endfunction ()

mncc_quant_model(0.25_128 128 host x86-64-avx2 x86-64-avx512-vnni arm64 arm64-dotprod)
mncc_quant_model(0.5_160 160 host)

# `mncc synth --quantize int8` 0.25/128 (int8 activations, per-channel int8
# weights: what no ../shared model covers), written at build time; the same
# photos, no expected scores.
if (EXISTS ${MNCC_QUANT_PPM})
  set(synth_i8 ${MNCC_QUANT_DIR}/synth_int8_025_128.tflite)
  add_custom_command(OUTPUT ${synth_i8}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${MNCC_QUANT_DIR}
    COMMAND mncc synth --alpha 0.25 --resolution 128 --quantize int8 -o ${synth_i8}
    DEPENDS mncc COMMENT "mncc synth: int8 0.25/128" VERBATIM)
  mncc_quant_check(si8_025_128 ${synth_i8} 128 - host x86-64-avx2 x86-64-avx512-vnni arm64-dotprod)
endif ()

# The lowering itself, layer by layer through Halide's JIT (no ../shared needed).
add_executable(test_lower_q quant/test_lower_q.cpp)
target_include_directories(test_lower_q PRIVATE ${PROJECT_SOURCE_DIR}/compiler ${PROJECT_SOURCE_DIR})
target_link_libraries(test_lower_q PRIVATE mncc_lower mncc_reference Halide::Halide GTest::gtest_main)
gtest_discover_tests(test_lower_q DISCOVERY_TIMEOUT 60)
