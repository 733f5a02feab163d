# mlserving_module(NAME DIR DEPS...)
# Declares the static library mlserving_<NAME> from every .cc file in src/<DIR> (unit tests,
# named *_test.cc, are excluded), and a unit-test executable mlserving_<NAME>_tests from the
# *_test.cc files beside them. Adding a file to a module therefore needs no CMake edit.
function(mlserving_module name dir)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB_RECURSE all_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${dir}/*.cc)
  set(sources ${all_sources})
  list(FILTER sources EXCLUDE REGEX "_test\\.cc$")
  set(tests ${all_sources})
  list(FILTER tests INCLUDE REGEX "_test\\.cc$")
  if(NOT sources)
    message(STATUS "module ${name}: no sources yet, skipped")
    return()
  endif()
  add_library(mlserving_${name} STATIC ${sources})
  target_include_directories(mlserving_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(mlserving_${name} PUBLIC ${ARG_DEPS})
  set_target_properties(mlserving_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(MLSERVING_BUILD_TESTS AND NOT MLSERVING_FUZZ AND tests)
    find_package(GTest REQUIRED)
    add_executable(mlserving_${name}_tests ${tests})
    target_link_libraries(mlserving_${name}_tests PRIVATE mlserving_${name} ${ARG_TEST_DEPS}
                          GTest::gtest GTest::gtest_main)
    target_compile_definitions(mlserving_${name}_tests PRIVATE
      MLSERVING_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    add_test(NAME unit.${name} COMMAND mlserving_${name}_tests)
  endif()
endfunction()
