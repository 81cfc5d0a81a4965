# analysis engine: pure modules of processor_core (redact, pipeline,
# analyzer, context, dedupe, prompt, llm_output, result, engine)
foreach(t redact pipeline analyzer context dedupe prompt llm_output result
          engine)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
    ccai_add_unit_test(test_${t}
      SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c LIBS processor_core)
  endif()
endforeach()
