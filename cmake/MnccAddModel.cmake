# mncc_add_model(NAME MODEL <file> [TARGET <target>] [SCHEDULE <file>] [OUTPUT_DIR <dir>])
#
# Compiles a MobileNet model file into a static library at build time and
# defines a CMake target NAME that an app links like any library:
#
#   include(path/to/mncc/cmake/MnccAddModel.cmake)
#   mncc_add_model(mobilenet MODEL ${CMAKE_SOURCE_DIR}/model.pb TARGET host)
#   target_link_libraries(app PRIVATE mobilenet)      # brings mobilenet.h and libmobilenet.a
#
# The mncc used is the `mncc` target when building inside the mncc tree, else
# the program named by MNCC_EXECUTABLE or found on PATH.
include_guard(GLOBAL)
find_package(Threads REQUIRED)

function(mncc_add_model name)
  cmake_parse_arguments(ARG "" "MODEL;TARGET;SCHEDULE;OUTPUT_DIR" "" ${ARGN})
  if (NOT ARG_MODEL)
    message(FATAL_ERROR "mncc_add_model(${name}): MODEL is required")
  endif ()
  if (NOT ARG_TARGET)
    set(ARG_TARGET host)
  endif ()
  if (NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/${name})
  endif ()
  if (TARGET mncc)
    set(mncc_cmd $<TARGET_FILE:mncc>)
    set(mncc_dep mncc)
  else ()
    find_program(MNCC_EXECUTABLE mncc REQUIRED)
    set(mncc_cmd ${MNCC_EXECUTABLE})
    set(mncc_dep ${MNCC_EXECUTABLE})
  endif ()
  set(extra)
  set(deps ${ARG_MODEL} ${mncc_dep})
  if (ARG_SCHEDULE)
    list(APPEND extra --schedule ${ARG_SCHEDULE})
    list(APPEND deps ${ARG_SCHEDULE})
  endif ()
  set(lib ${ARG_OUTPUT_DIR}/lib${name}.a)
  add_custom_command(
    OUTPUT ${lib} ${ARG_OUTPUT_DIR}/${name}.h
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${ARG_OUTPUT_DIR}
    COMMAND ${mncc_cmd} compile ${ARG_MODEL} --target=${ARG_TARGET} --name ${name} -o ${ARG_OUTPUT_DIR} ${extra}
    DEPENDS ${deps}
    COMMENT "mncc: compiling ${ARG_MODEL} for ${ARG_TARGET} into ${lib}"
    VERBATIM)
  add_custom_target(${name}_mncc DEPENDS ${lib})
  add_library(${name} INTERFACE)
  add_dependencies(${name} ${name}_mncc)
  target_include_directories(${name} INTERFACE ${ARG_OUTPUT_DIR})
  target_link_libraries(${name} INTERFACE ${lib} Threads::Threads ${CMAKE_DL_LIBS} m)
endfunction()
