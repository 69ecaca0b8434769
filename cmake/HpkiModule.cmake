# Helpers that give every hpki target the same shape: one static library per module,
# dependencies only downward (cmake/layers.txt), warnings as errors.

file(STRINGS ${PROJECT_SOURCE_DIR}/cmake/layers.txt _hpki_layer_lines REGEX "^[0-9]")
foreach(_line IN LISTS _hpki_layer_lines)
  string(REGEX MATCH "^([0-9]+)[ \t]+([a-z0-9_]+)" _m "${_line}")
  set(HPKI_LEVEL_${CMAKE_MATCH_2} ${CMAKE_MATCH_1})
  list(APPEND HPKI_MODULES ${CMAKE_MATCH_2})
endforeach()

set(HPKI_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wold-style-cast
    -Wnon-virtual-dtor -Werror)

function(hpki_warnings target)
  target_compile_options(${target} PRIVATE ${HPKI_WARNINGS})
endfunction()

# hpki_add_module(<name> SOURCES ... [DEPENDS <hpki modules>...] [EXTERNAL <targets>...])
function(hpki_add_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPENDS;EXTERNAL" ${ARGN})
  if(NOT DEFINED HPKI_LEVEL_${name})
    message(FATAL_ERROR "module '${name}' is not listed in cmake/layers.txt")
  endif()
  add_library(hpki_${name} STATIC ${M_SOURCES})
  target_include_directories(hpki_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  hpki_warnings(hpki_${name})
  foreach(dep IN LISTS M_DEPENDS)
    if(NOT DEFINED HPKI_LEVEL_${dep})
      message(FATAL_ERROR "module '${name}' depends on unknown module '${dep}'")
    endif()
    if(NOT HPKI_LEVEL_${dep} LESS HPKI_LEVEL_${name})
      message(FATAL_ERROR "layer violation: ${name} (level ${HPKI_LEVEL_${name}}) may not "
                          "depend on ${dep} (level ${HPKI_LEVEL_${dep}}); see cmake/layers.txt")
    endif()
    target_link_libraries(hpki_${name} PUBLIC hpki_${dep})
  endforeach()
  if(M_EXTERNAL)
    target_link_libraries(hpki_${name} PUBLIC ${M_EXTERNAL})
  endif()
endfunction()

# hpki_add_test(<module> SOURCES ... [LIBS ...] [LABELS ...] [DATABASE]
#               [PROPERTIES <prop> <value>...]):
# one gtest binary per module. PROPERTIES are set on every discovered test; LABELS and
# ENVIRONMENT are set here already. DATABASE: the tests run on SQLite and on the PostgreSQL
# server of the CTest fixture "pg" (tests/unit/store/CMakeLists.txt), through
# tests/support/test_db.h or tests/support/ca_fixture.h: they require the fixture, get the file
# with its URL as HPKI_PG_URL_FILE, and link libpq.
function(hpki_add_test name)
  cmake_parse_arguments(T "DATABASE" "" "SOURCES;LIBS;LABELS;PROPERTIES" ${ARGN})
  if(T_DATABASE)
    list(APPEND T_PROPERTIES FIXTURES_REQUIRED pg)
  endif()
  add_executable(test_${name} ${T_SOURCES})
  hpki_warnings(test_${name})
  target_include_directories(test_${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(test_${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  # Tests read their data from the repository only: HPKI_SOURCE_DIR "/tests/vectors/..." (third-party
  # suites, tests/vectors/README.md), profiles/, docs/, fuzz/corpus/.
  target_compile_definitions(test_${name} PRIVATE HPKI_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  set_target_properties(test_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  if(T_DATABASE)
    target_compile_definitions(test_${name} PRIVATE HPKI_PG_URL_FILE="${CMAKE_BINARY_DIR}/pg-test/url")
    target_link_libraries(test_${name} PRIVATE PostgreSQL::PostgreSQL)
  endif()
  include(GoogleTest)
  gtest_discover_tests(test_${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${T_LABELS};unit" ENVIRONMENT "HPKI_BIN=${CMAKE_BINARY_DIR}/bin/hpki"
    ${T_PROPERTIES})
endfunction()
