# Reliability of generated libraries (engineer S), label "stress". A small synth
# model (0.25/64, 10 classes) is compiled at build time three times: for the
# host, again for the host into another directory (reproducibility), and for
# AVX2 (valgrind cannot run AVX-512). tests/stress/stress.cpp links only against
# an emitted net.h + libnet.a and is built plain (allocations counted with
# -Wl,--wrap), with ThreadSanitizer, with ASan/LeakSanitizer, and against the
# AVX2 library for valgrind memcheck (about 50 calls: ~0.2 s each under valgrind).
# About 25 s of tests on 2 cores.
# The generated libraries' thread pool alone (runtime/mncc_thread_pool.h, plain task
# functions): every task once over thousands of jobs and 1-4 threads, errors, nesting,
# ownership. Also built with ThreadSanitizer below (and with ASan in the sanitized tree).
function (mncc_pool_test name)
  add_executable(${name} stress/pool_test.cpp)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${MNCC_HALIDE_RUNTIME_DIR})
  target_compile_options(${name} PRIVATE ${ARGN})
  target_link_options(${name} PRIVATE ${ARGN})
  target_link_libraries(${name} PRIVATE Threads::Threads)
endfunction ()
mncc_pool_test(pool_test)
add_test(NAME stress_pool COMMAND pool_test)
set_tests_properties(stress_pool PROPERTIES LABELS stress TIMEOUT 120)

if (MNCC_SANITIZE)
  return()   # the whole tree is already built with ASan; the TSan variant cannot be
endif ()

set(MNCC_STRESS_DIR ${CMAKE_CURRENT_BINARY_DIR}/stress_libs)
set(MNCC_STRESS_MODEL ${MNCC_STRESS_DIR}/net.pb)
add_custom_command(OUTPUT ${MNCC_STRESS_MODEL}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${MNCC_STRESS_DIR}
  COMMAND mncc synth --alpha 0.25 --resolution 64 --classes 10 -o ${MNCC_STRESS_MODEL}
  DEPENDS mncc VERBATIM)

# `mncc compile` of the model for `target` into stress_libs/<dir>/ (same name, same
# model path on the command line every time).
function (mncc_stress_lib dir target)
  set(out ${MNCC_STRESS_DIR}/${dir})
  add_custom_command(OUTPUT ${out}/libnet.a ${out}/net.h ${out}/net.cpp ${out}/net.json
    COMMAND mncc compile ${MNCC_STRESS_MODEL} --target=${target} --name net -o ${out}
    DEPENDS mncc ${MNCC_STRESS_MODEL}
    COMMENT "mncc: compiling the stress model for ${target} into stress_libs/${dir}" VERBATIM)
  add_custom_target(mncc_stress_${dir}_lib DEPENDS ${out}/libnet.a)
endfunction ()
mncc_stress_lib(host host)
mncc_stress_lib(host_again host)
mncc_stress_lib(avx2 x86-64-avx2)

# Reproducibility: both host compiles byte-identical (header, glue, manifest, archive).
set(a ${MNCC_STRESS_DIR}/host)
set(b ${MNCC_STRESS_DIR}/host_again)
add_custom_target(mncc_stress_again ALL DEPENDS mncc_stress_host_again_lib)
add_test(NAME stress_reproducible
  COMMAND sh -c "for f in net.h net.cpp net.json libnet.a; do cmp \"$0/$f\" \"$1/$f\" || exit 1; done; echo identical" ${a} ${b})

# stress_app[_variant] against stress_libs/<dir>/libnet.a, with extra compile+link flags.
function (mncc_stress_app name dir)
  add_executable(${name} stress/stress.cpp)
  add_dependencies(${name} mncc_stress_${dir}_lib)
  target_include_directories(${name} PRIVATE ${MNCC_STRESS_DIR}/${dir})
  target_compile_options(${name} PRIVATE ${ARGN})
  target_link_options(${name} PRIVATE ${ARGN})
  target_link_libraries(${name} PRIVATE ${MNCC_STRESS_DIR}/${dir}/libnet.a Threads::Threads ${CMAKE_DL_LIBS} m)
endfunction ()
set(wrap -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=posix_memalign)
mncc_stress_app(stress_app host)
target_compile_definitions(stress_app PRIVATE STRESS_COUNT_MALLOC)
target_link_options(stress_app PRIVATE ${wrap})
mncc_stress_app(stress_app_tsan host -fsanitize=thread -g -O1)
# The emitted glue (with its thread pool) is compiled into the TSan app too, instrumented;
# the app then defines the library's entry points and libnet.a's glue object is not linked.
set_source_files_properties(${MNCC_STRESS_DIR}/host/net.cpp PROPERTIES GENERATED TRUE)
target_sources(stress_app_tsan PRIVATE ${MNCC_STRESS_DIR}/host/net.cpp)
target_include_directories(stress_app_tsan PRIVATE ${MNCC_HALIDE_RUNTIME_DIR})
mncc_stress_app(stress_app_asan host -fsanitize=address -fno-omit-frame-pointer -g -O1)
mncc_stress_app(stress_app_avx2 avx2 -g)
target_compile_definitions(stress_app_avx2 PRIVATE STRESS_COUNT_MALLOC)
target_link_options(stress_app_avx2 PRIVATE ${wrap})

# The oracle: the reference interpreter on the app's test image.
set(ref ${MNCC_STRESS_DIR}/reference.f32)
add_custom_command(OUTPUT ${ref}
  COMMAND stress_app --write-ppm ${MNCC_STRESS_DIR}/image.ppm
  COMMAND mncc run ${MNCC_STRESS_MODEL} --image ${MNCC_STRESS_DIR}/image.ppm --save-output ${ref}
  DEPENDS stress_app mncc ${MNCC_STRESS_MODEL} VERBATIM)
add_custom_target(mncc_stress_reference ALL DEPENDS ${ref})

add_test(NAME stress_api COMMAND stress_app api)
add_test(NAME stress_threads COMMAND stress_app threads --repeats 100 --reference ${ref})
add_test(NAME stress_memory COMMAND stress_app memory --calls 10000)
# Races in our glue fail the test; the suppressions cover only the uninstrumented
# Halide runtime (see the file).
add_test(NAME stress_tsan COMMAND stress_app_tsan api threads --repeats 20)
set_tests_properties(stress_tsan PROPERTIES ENVIRONMENT
  "TSAN_OPTIONS=halt_on_error=1:suppressions=${MNCC_TEST_DIR}/stress/tsan.supp")
add_test(NAME stress_asan COMMAND stress_app_asan api memory --calls 10000)
set_tests_properties(stress_asan PROPERTIES ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:halt_on_error=1")
mncc_pool_test(pool_test_tsan -fsanitize=thread -g -O1)
add_test(NAME stress_pool_tsan COMMAND pool_test_tsan)
set_tests_properties(stress_pool_tsan PROPERTIES ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1")
set(stress_tests stress_pool_tsan stress_reproducible stress_api stress_threads stress_memory stress_tsan stress_asan)

find_program(MNCC_VALGRIND valgrind)
if (MNCC_VALGRIND)
  add_test(NAME stress_valgrind_avx2
    COMMAND ${MNCC_VALGRIND} --error-exitcode=1 --leak-check=full --quiet
            $<TARGET_FILE:stress_app_avx2> --skip-unless avx2 api memory --calls 40)
  set_tests_properties(stress_valgrind_avx2 PROPERTIES SKIP_RETURN_CODE 77)
else ()
  add_test(NAME stress_valgrind_avx2 COMMAND sh -c "echo 'skipped: needs valgrind'; exit 77")
  set_tests_properties(stress_valgrind_avx2 PROPERTIES SKIP_RETURN_CODE 77)
endif ()
list(APPEND stress_tests stress_valgrind_avx2)
set_tests_properties(${stress_tests} PROPERTIES LABELS stress)
