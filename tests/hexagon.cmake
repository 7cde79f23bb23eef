# Hexagon HVX (`--target=hexagon`): the uint8 MobileNets compiled by `mncc compile`
# ONCE at build time, linked by clang-14 + lld with the bare Hexagon Linux user-mode
# harness of tests/hexagon (_start, system calls, a static heap, the libc/libm pieces
# and platform hooks the standalone Halide runtime leaves to its host), run under
# qemu-hexagon on every photo and compared bit for bit with the integer reference
# interpreter's outputs and logits (made by tests/quant.cmake) by check_hexagon.
# Also: the conv, FC, pointwise and depthwise kernels' disassembly holds HVX multiplies
# (vrmpy in pointwise), but for the kernels each model lists as scalar on purpose (see
# schedules/hexagon_q.h), and a float model or a missing clang-14 is refused with a
# clear error.
# Without the Hexagon tools the run tests report "skipped" (77).
set(MNCC_HEXAGON_DIR ${CMAKE_CURRENT_BINARY_DIR}/hexagon)
set(MNCC_HEXAGON_FLOAT_MODEL ${MNCC_SHARED_DIR}/models/derived/mobilenet_v1_0.25_128_dequant_frozen.pb)
set(MNCC_HEXAGON_QUANT_MODEL ${MNCC_SHARED_DIR}/models/mobilenet_v1_0.25_128_quant.tflite)
find_program(MNCC_HEXAGON_CLANG clang-14)
find_program(MNCC_HEXAGON_CLANGXX clang++-14)
find_program(MNCC_HEXAGON_AR llvm-ar-14)
find_program(MNCC_HEXAGON_OBJDUMP llvm-objdump-14)
find_program(MNCC_HEXAGON_LLD ld.lld-14)
find_program(MNCC_HEXAGON_QEMU qemu-hexagon)

if (EXISTS ${MNCC_HEXAGON_FLOAT_MODEL})
  add_test(NAME test_hexagon_error_float_model
           COMMAND mncc compile ${MNCC_HEXAGON_FLOAT_MODEL} --target=hexagon -o ${MNCC_HEXAGON_DIR}/never)
  set_tests_properties(test_hexagon_error_float_model PROPERTIES PASS_REGULAR_EXPRESSION
    "mncc: error: [^\n]*mobilenet_v1_0.25_128_dequant_frozen.pb: target 'hexagon' needs a quantized \\(uint8/int8\\) model: Halide 14 has no HVX floating point")
endif ()
if (EXISTS ${MNCC_HEXAGON_QUANT_MODEL})
  add_test(NAME test_hexagon_error_no_clang
           COMMAND ${CMAKE_COMMAND} -E env PATH=/nonexistent $<TARGET_FILE:mncc> compile ${MNCC_HEXAGON_QUANT_MODEL}
                   --target=hexagon -o ${MNCC_HEXAGON_DIR}/never)
  set_tests_properties(test_hexagon_error_no_clang PROPERTIES PASS_REGULAR_EXPRESSION
    "mncc: error: compile: target 'hexagon' needs 'clang\\+\\+-14', which is not installed \\(Debian: apt-get install clang-14 llvm-14\\)")
endif ()

set(MNCC_HEXAGON_TOOLS_FOUND FALSE)
if (MNCC_HEXAGON_CLANG AND MNCC_HEXAGON_CLANGXX AND MNCC_HEXAGON_AR AND MNCC_HEXAGON_OBJDUMP AND MNCC_HEXAGON_LLD
    AND MNCC_HEXAGON_QEMU)
  set(MNCC_HEXAGON_TOOLS_FOUND TRUE)
  add_executable(check_hexagon hexagon/check_hexagon.cpp)
endif ()
set(MNCC_HEXAGON_HARNESS ${MNCC_TEST_DIR}/hexagon/run_model.c ${MNCC_TEST_DIR}/hexagon/libc.c
    ${MNCC_TEST_DIR}/hexagon/libm.c ${MNCC_TEST_DIR}/hexagon/platform.c)

# One shared uint8 model at input size `size`: library, harness, run and HVX tests;
# `scalar`: the kernels check_hvx.sh must find scalar (a regular expression).
function (mncc_hexagon_model key size scalar)
  set(model ${MNCC_SHARED_DIR}/models/mobilenet_v1_${key}_quant.tflite)
  string(REPLACE "." "" tag ${key})
  if (NOT EXISTS ${model} OR NOT TARGET mncc_quant_ref_${tag})
    return ()
  endif ()
  set(tests test_hexagon_q${tag}_qemu test_hexagon_q${tag}_hvx)
  if (NOT MNCC_HEXAGON_TOOLS_FOUND)
    foreach (t ${tests})
      add_test(NAME ${t} COMMAND sh -c
               "echo 'skipped: needs clang-14, llvm-14, lld-14 and qemu-hexagon (Debian: clang-14 llvm-14 lld-14 qemu-user)'; exit 77")
      set_tests_properties(${t} PROPERTIES SKIP_RETURN_CODE 77)
    endforeach ()
    return ()
  endif ()
  set(name mh${tag})
  string(TOUPPER ${name} upper)
  set(dir ${MNCC_HEXAGON_DIR}/${name})
  add_custom_command(OUTPUT ${dir}/lib${name}.a ${dir}/${name}.h
    COMMAND mncc compile ${model} --target=hexagon --name ${name} -o ${dir}
    DEPENDS mncc ${model}
    COMMENT "mncc: compiling the quantized ${key} model for hexagon" VERBATIM)
  set(app ${MNCC_HEXAGON_DIR}/run_${name})
  add_custom_command(OUTPUT ${app}
    COMMAND ${MNCC_HEXAGON_CLANG} --target=hexagon-unknown-linux-musl -mv66 -mhvx -mhvx-length=128b -ffreestanding
            -nostdlib -fuse-ld=lld -static -O2 -Wall -Wextra -Werror -DMODEL=${name} -DMODEL_UPPER=${upper}
            -I ${MNCC_TEST_DIR}/hexagon -I ${dir} ${MNCC_HEXAGON_HARNESS} ${dir}/lib${name}.a -o ${app}
    DEPENDS ${MNCC_HEXAGON_HARNESS} ${MNCC_TEST_DIR}/hexagon/hexagon_rt.h ${dir}/lib${name}.a
    COMMENT "clang-14: the Hexagon harness for the ${key} model" VERBATIM)
  add_custom_target(mncc_hexagon_${name}_app ALL DEPENDS ${app} mncc_quant_ref_${tag} check_hexagon)
  add_test(NAME test_hexagon_q${tag}_qemu
           COMMAND check_hexagon ${MNCC_HEXAGON_QEMU} ${app} ${size} ${MNCC_QUANT_PPM} ${MNCC_QUANT_PHOTO_LIST}
                   ${MNCC_QUANT_DIR}/ref_${tag} ${MNCC_SHARED_DIR}/models/expected/mobilenet_v1_${key}_quant.tsv)
  add_test(NAME test_hexagon_q${tag}_hvx
           COMMAND sh ${MNCC_TEST_DIR}/hexagon/check_hvx.sh ${MNCC_HEXAGON_AR} ${MNCC_HEXAGON_OBJDUMP} ${dir}/lib${name}.a
                   ${scalar})
endfunction ()

# The scalar kernels: the stride-2 depthwise layers with 32 channels.
mncc_hexagon_model(0.25_128 128 "_dw3x3s2_7[.]o$")
mncc_hexagon_model(0.5_160 160 "_dw3x3s2_3[.]o$")   # about 10 s a photo under qemu

# MobileNet 1.0 width: its first conv has 32 channels, which neither shared model has
# and which takes the conv schedule's 2-pixel output vectors (a 32-lane u8 narrowing
# gives wrong bytes; schedules/hexagon_q.cpp). `mncc synth --quantize uint8` 1.0/128,
# one photo (about 4 s under qemu).
if (MNCC_HEXAGON_TOOLS_FOUND AND EXISTS ${MNCC_QUANT_PPM}/cat_128.ppm)
  set(name mhs10_128)
  set(dir ${MNCC_HEXAGON_DIR}/${name})
  set(model ${MNCC_HEXAGON_DIR}/synth_uint8_10_128.tflite)
  set(ref ${MNCC_HEXAGON_DIR}/ref_${name})
  add_custom_command(OUTPUT ${model}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${MNCC_HEXAGON_DIR}
    COMMAND mncc synth --alpha 1.0 --resolution 128 --quantize uint8 -o ${model}
    DEPENDS mncc COMMENT "mncc synth: uint8 1.0/128" VERBATIM)
  add_custom_command(OUTPUT ${ref}/cat.out ${ref}/cat.logits ${ref}/logits_offset.txt
    COMMAND ${CMAKE_COMMAND} -E make_directory ${ref}
    COMMAND quant_reference ${model} 128 ${MNCC_QUANT_PPM} cat ${ref}
    DEPENDS quant_reference ${model} VERBATIM)
  add_custom_command(OUTPUT ${dir}/lib${name}.a ${dir}/${name}.h
    COMMAND mncc compile ${model} --target=hexagon --name ${name} -o ${dir}
    DEPENDS mncc ${model} COMMENT "mncc: compiling the synth uint8 1.0/128 model for hexagon" VERBATIM)
  set(app ${MNCC_HEXAGON_DIR}/run_${name})
  add_custom_command(OUTPUT ${app}
    COMMAND ${MNCC_HEXAGON_CLANG} --target=hexagon-unknown-linux-musl -mv66 -mhvx -mhvx-length=128b -ffreestanding
            -nostdlib -fuse-ld=lld -static -O2 -Wall -Wextra -Werror -DMODEL=${name} -DMODEL_UPPER=MHS10_128
            -I ${MNCC_TEST_DIR}/hexagon -I ${dir} ${MNCC_HEXAGON_HARNESS} ${dir}/lib${name}.a -o ${app}
    DEPENDS ${MNCC_HEXAGON_HARNESS} ${MNCC_TEST_DIR}/hexagon/hexagon_rt.h ${dir}/lib${name}.a
    COMMENT "clang-14: the Hexagon harness for the synth 1.0/128 model" VERBATIM)
  add_custom_target(mncc_hexagon_${name}_app ALL DEPENDS ${app} ${ref}/cat.out check_hexagon)
  add_test(NAME test_hexagon_synth10_128_qemu
           COMMAND check_hexagon ${MNCC_HEXAGON_QEMU} ${app} 128 ${MNCC_QUANT_PPM} cat ${ref} -)
endif ()
