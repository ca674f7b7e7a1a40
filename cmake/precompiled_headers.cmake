# Precompiled headers for GCC builds (ci/setup.sh, ci/main.sh, ci/test.sh): the standard library,
# fmt and nlohmann/json (reports/report.h brings it to most files), and GoogleTest in the tests,
# parsed once per build instead of once per file. Two headers, because GCC takes a precompiled
# header only with the same optimisation and debug-info flags: one for the product (-O1 -g1) and
# one for the tests (-O1 -g0, tests/CMakeLists.txt). Clang builds (the sanitizers, libFuzzer)
# and the freestanding or C targets (the guest agent, the stand-ins, the kernel module) do not
# use them. WEDGE_PCH=OFF builds without (a file that forgot an include shows up there).
#
#   include(cmake/precompiled_headers.cmake)
#   wedge_precompile_headers()   # last, once every target is defined

option(WEDGE_PCH "precompile the standard and third-party headers most files include" ON)

set(WEDGE_PCH_PRODUCT_HEADERS
  <algorithm> <chrono> <cstdint> <filesystem> <functional> <map> <memory> <optional> <string>
  <string_view> <system_error> <utility> <vector> <fmt/format.h> <nlohmann/json.hpp>)
set(WEDGE_PCH_TEST_HEADERS ${WEDGE_PCH_PRODUCT_HEADERS} <gtest/gtest.h> <gmock/gmock.h>)
# Targets that keep their own flags or language.
set(WEDGE_PCH_EXCLUDED wedge-agent)

# wedge_targets_under(DIR OUT): every target defined in DIR and the directories below it.
function(wedge_targets_under dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    wedge_targets_under(${sub} below)
    list(APPEND targets ${below})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

# wedge_pch_candidate(TARGET OUT): true for a static library or executable of C++ sources only.
function(wedge_pch_candidate target out)
  set(${out} FALSE PARENT_SCOPE)
  get_target_property(type ${target} TYPE)
  if(NOT type MATCHES "^(STATIC_LIBRARY|EXECUTABLE)$" OR target IN_LIST WEDGE_PCH_EXCLUDED)
    return()
  endif()
  get_target_property(sources ${target} SOURCES)
  foreach(source IN LISTS sources)
    if(NOT source MATCHES "\\.cpp$")
      return()
    endif()
  endforeach()
  set(${out} TRUE PARENT_SCOPE)
endfunction()

function(wedge_precompile_headers)
  if(NOT WEDGE_PCH OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    return()
  endif()
  wedge_targets_under(${CMAKE_SOURCE_DIR} targets)
  set(anchor ${CMAKE_SOURCE_DIR}/cmake/pch_anchor.cpp)
  add_library(wedge_pch_product STATIC ${anchor})
  target_link_libraries(wedge_pch_product PRIVATE fmt::fmt nlohmann_json::nlohmann_json)
  target_precompile_headers(wedge_pch_product PRIVATE ${WEDGE_PCH_PRODUCT_HEADERS})
  add_library(wedge_pch_tests STATIC ${anchor})
  target_link_libraries(wedge_pch_tests PRIVATE fmt::fmt nlohmann_json::nlohmann_json GTest::gmock)
  target_precompile_headers(wedge_pch_tests PRIVATE ${WEDGE_PCH_TEST_HEADERS})
  wedge_test_flags(wedge_pch_tests)
  # A target takes the header only with the definitions it was built with: the header brings fmt
  # to every file, so every file says how fmt is linked (as fmt::fmt says to those linking it),
  # and every file is compiled for threads (-pthread, which defines _REENTRANT: RE2's pkg-config
  # flags give it to the console library).
  foreach(pch IN ITEMS wedge_pch_product wedge_pch_tests)
    target_compile_definitions(${pch} PRIVATE FMT_SHARED)
    target_compile_options(${pch} PRIVATE -pthread)
  endforeach()
  foreach(target IN LISTS targets)
    wedge_pch_candidate(${target} candidate)
    if(NOT candidate)
      continue()
    endif()
    target_compile_definitions(${target} PRIVATE FMT_SHARED)
    target_compile_options(${target} PRIVATE -pthread)
    # Built with the precompiled header, GCC 12 reports false -Warray-bounds and
    # -Wstringop-overflow positives in libstdc++'s string code inlined into our files (GCC bugs
    # 105329, 105651), as the top-level CMakeLists.txt already says of -Wrestrict.
    # WEDGE_PCH=OFF builds keep both warnings.
    if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      target_compile_options(${target} PRIVATE -Wno-array-bounds -Wno-stringop-overflow)
    endif()
    # The tests' flags say which header fits (wedge_test_flags adds -g0).
    get_target_property(options ${target} COMPILE_OPTIONS)
    if(options AND "-g0" IN_LIST options)
      target_precompile_headers(${target} REUSE_FROM wedge_pch_tests)
    else()
      target_precompile_headers(${target} REUSE_FROM wedge_pch_product)
    endif()
  endforeach()
endfunction()
