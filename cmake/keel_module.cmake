# keel_module(NAME [SOURCES ...] [DEPS ...] [LIBS ...] [TESTS ...] [TEST_LIBS ...])
#
# One folder under src/ is one static library `keel_NAME` (alias keel::NAME) in namespace
# keel::NAME; NAME is the folder's path under src/ with / spelled _ (src/dataplane/xdp is
# dataplane_xdp). DEPS are other keel modules: exactly the module's arrows in the table of
# docs/design.md §2 (scripts/check_layers.py checks them). LIBS are system libraries. TESTS are the
# module's *_test.cc files, built into one GoogleTest executable `keel_NAME_test` and registered
# with CTest under the label `unit` (unless KEEL_TESTS is off).
#
# Include roots: a module does not see src/. It gets its own include root (keel_module_root below)
# as a PUBLIC include directory and links its DEPS PUBLIC, so a target sees the roots of itself and
# of every module its arrows reach, transitively, which is the closure docs/design.md §2 defines.
# Any other include of a module fails to compile ("No such file or directory").
function(keel_module name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;DEPS;LIBS;TESTS;TEST_LIBS")
  set(target keel_${name})
  file(RELATIVE_PATH module_path ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  string(REPLACE "/" "_" expected ${module_path})
  if(NOT name STREQUAL expected)
    message(FATAL_ERROR "keel_module(${name}) in src/${module_path}/ must be named ${expected}")
  endif()
  keel_module_root(root ${name} ${module_path})
  set(dep_targets)
  foreach(dep IN LISTS arg_DEPS)
    list(APPEND dep_targets keel_${dep})
  endforeach()
  if(arg_SOURCES)
    add_library(${target} STATIC ${arg_SOURCES})
    target_include_directories(${target} PUBLIC ${root})
    target_link_libraries(${target} PUBLIC ${dep_targets} ${arg_LIBS})
    keel_tidy(${target})
  else()
    # A module whose first sources arrive with a later issue: it exists as a target so that the
    # edges it may use are declared here from the start.
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${root})
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

# keel_module_root(OUT NAME PATH): stages the include root of module NAME (folder src/PATH) at
# ${CMAKE_BINARY_DIR}/include_roots/NAME and sets OUT to it. The root holds PATH and nothing else:
# a symlink PATH -> src/PATH, so `#include "PATH/x.h"` resolves through it. A folder that holds
# nested modules (src/dataplane holds dataplane/xdp and dataplane/proxy, folders with their own
# CMakeLists.txt) is staged as a real directory with one symlink per entry except the nested
# modules, so that `dataplane/xdp/...` needs dataplane_xdp's root; that listing is re-globbed at
# build time (CONFIGURE_DEPENDS), so a new file there appears without a manual re-configure.
function(keel_module_root out name path)
  set(root ${CMAKE_BINARY_DIR}/include_roots/${name})
  set(src ${PROJECT_SOURCE_DIR}/src/${path})
  file(REMOVE_RECURSE ${root})  # removes the symlinks, never what they point to
  get_filename_component(parent ${root}/${path} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  file(GLOB entries LIST_DIRECTORIES true RELATIVE ${src} ${src}/*)
  set(nested)
  foreach(entry IN LISTS entries)
    if(IS_DIRECTORY ${src}/${entry} AND EXISTS ${src}/${entry}/CMakeLists.txt)
      list(APPEND nested ${entry})
    endif()
  endforeach()
  if(NOT nested)
    file(CREATE_LINK ${src} ${root}/${path} SYMBOLIC)
  else()
    file(GLOB entries LIST_DIRECTORIES true RELATIVE ${src} CONFIGURE_DEPENDS ${src}/*)
    file(MAKE_DIRECTORY ${root}/${path})
    foreach(entry IN LISTS entries)
      if(NOT entry IN_LIST nested)
        file(CREATE_LINK ${src}/${entry} ${root}/${path}/${entry} SYMBOLIC)
      endif()
    endforeach()
  endif()
  set(${out} ${root} PARENT_SCOPE)
endfunction()

# Compiles `target`'s own sources through clang-tidy when KEEL_TIDY is on; a finding fails the
# build (.clang-tidy sets WarningsAsErrors). Tests are not tidied.
function(keel_tidy target)
  if(KEEL_TIDY)
    find_program(CLANG_TIDY_EXE NAMES clang-tidy-14 clang-tidy REQUIRED)
    set_target_properties(${target} PROPERTIES CXX_CLANG_TIDY "${CLANG_TIDY_EXE}")
  endif()
endfunction()
