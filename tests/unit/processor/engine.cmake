# analysis engine: pure modules of processor_core (redact, pipeline,
# analyzer, context, dedupe, prompt, llm_output, result, engine)
foreach(t redact pipeline analyzer context dedupe prompt llm_output result
          engine)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
    ccai_add_unit_test(test_${t}
      SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c LIBS processor_core)
  endif()
endforeach()

# OpenAI request validation (tests/openai): dump the request bodies and
# results of every kind, validate them against CreateChatCompletionRequest
# of the official spec (or the committed extract) and the AnalysisResult
# schema. Needs python3-jsonschema and python3-yaml.
add_executable(openai_dump_requests
  ${PROJECT_SOURCE_DIR}/tests/openai/dump_requests.c)
target_link_libraries(openai_dump_requests PRIVATE processor_core
  ccai_warnings)
set_target_properties(openai_dump_requests PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
set(CCAI_OPENAI_SPEC "/work/shared/openai/openapi.yaml" CACHE FILEPATH
  "OpenAI openapi.yaml (the committed extract is used when absent)")
add_test(NAME openai_request_spec
  COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/openai/validate_request.py
          --dump $<TARGET_FILE:openai_dump_requests>
          --spec ${CCAI_OPENAI_SPEC}
          --result-schema ${PROJECT_SOURCE_DIR}/proto/schemas/analysis_result.v1.json)
set_tests_properties(openai_request_spec PROPERTIES LABELS unit TIMEOUT 300)

# throughput figures (not a test)
add_executable(bench_engine ${CMAKE_CURRENT_LIST_DIR}/bench_engine.c)
target_link_libraries(bench_engine PRIVATE processor_core ccai_warnings)
set_target_properties(bench_engine PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
