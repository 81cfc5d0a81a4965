# ccai_add_unit_test(NAME SOURCES a.c b.c LIBS lib1 lib2)
#   one cmocka executable per module, ctest label "unit"
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)

function(ccai_add_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA ccai_warnings)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                        ${PROJECT_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 120
    ENVIRONMENT "CCAI_SOURCE_DIR=${PROJECT_SOURCE_DIR};CCAI_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()

# ccai_add_integration_test(NAME SOURCES ... LIBS ... [TIMEOUT s])
#   runs real binaries from ${PROJECT_BINARY_DIR}/bin, label "integration";
#   RESOURCE_LOCK keeps them serial (they start brokers and servers)
function(ccai_add_integration_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA ccai_warnings)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                        ${PROJECT_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS integration
    TIMEOUT ${T_TIMEOUT} RESOURCE_LOCK ccai_ports
    ENVIRONMENT "CCAI_SOURCE_DIR=${PROJECT_SOURCE_DIR};CCAI_BINARY_DIR=${PROJECT_BINARY_DIR};CCAI_BIN_DIR=${PROJECT_BINARY_DIR}/bin")
endfunction()

# ccai_add_fuzz_target(NAME SOURCES ... LIBS ... CORPUS dir [dir...])
#   with CCAI_FUZZ: a libFuzzer binary; otherwise a replay binary that runs
#   every corpus file once (ctest label "fuzz")
function(ccai_add_fuzz_target name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;CORPUS" ${ARGN})
  if(CCAI_FUZZ)
    add_executable(${name} ${T_SOURCES})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    # tools/fuzz.sh seeds each target from the directories listed here
    string(REPLACE ";" "\n" corpus_lines "${T_CORPUS}")
    file(WRITE ${PROJECT_BINARY_DIR}/fuzz/${name}.corpus "${corpus_lines}\n")
  else()
    add_executable(${name} ${T_SOURCES}
                   ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.c)
  endif()
  target_link_libraries(${name} PRIVATE ${T_LIBS} ccai_warnings)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                        ${PROJECT_BINARY_DIR}/fuzz)
  if(NOT CCAI_FUZZ)
    add_test(NAME ${name} COMMAND ${name} ${T_CORPUS})
    set_tests_properties(${name} PROPERTIES LABELS fuzz TIMEOUT 120)
  endif()
endfunction()
