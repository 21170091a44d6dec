# keel_module(NAME [SOURCES ...] [DEPS ...] [LIBS ...] [TESTS ...] [TEST_LIBS ...])
#
# One folder under src/ is one static library `keel_NAME` (alias keel::NAME) in namespace
# keel::NAME. DEPS are other keel modules (only the edges docs/design.md §2 allows); LIBS are system
# libraries. TESTS are the module's *_test.cc files, built into one GoogleTest executable
# `keel_NAME_test` and registered with CTest under the label `unit` (unless KEEL_TESTS is off).
function(keel_module name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;DEPS;LIBS;TESTS;TEST_LIBS")
  set(target keel_${name})
  set(dep_targets)
  foreach(dep IN LISTS arg_DEPS)
    list(APPEND dep_targets keel_${dep})
  endforeach()
  if(arg_SOURCES)
    add_library(${target} STATIC ${arg_SOURCES})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${target} PUBLIC ${dep_targets} ${arg_LIBS})
    keel_tidy(${target})
  else()
    # A module whose first sources arrive with a later issue: it exists as a target so that the
    # edges it may use are declared here from the start.
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${target} INTERFACE ${dep_targets} ${arg_LIBS})
  endif()
  add_library(keel::${name} ALIAS ${target})
  if(arg_TESTS AND KEEL_TESTS)
    add_executable(${target}_test ${arg_TESTS})
    target_link_libraries(${target}_test PRIVATE ${target} ${arg_TEST_LIBS} GTest::gmock
                          GTest::gtest_main)
    gtest_discover_tests(${target}_test DISCOVERY_TIMEOUT 60
                         PROPERTIES LABELS unit SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
  endif()
endfunction()

# Compiles `target`'s own sources through clang-tidy when KEEL_TIDY is on; a finding fails the
# build (.clang-tidy sets WarningsAsErrors). Tests are not tidied.
function(keel_tidy target)
  if(KEEL_TIDY)
    find_program(CLANG_TIDY_EXE NAMES clang-tidy-14 clang-tidy REQUIRED)
    set_target_properties(${target} PROPERTIES CXX_CLANG_TIDY "${CLANG_TIDY_EXE}")
  endif()
endfunction()
