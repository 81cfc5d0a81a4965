# Fuzz targets of the analysis engine (tests/fuzz/CMakeLists.txt includes
# every *.cmake fragment here): the LLM answer parser, redaction and the
# pipeline config loader. Without CCAI_FUZZ ctest replays the seeds once.
ccai_add_fuzz_target(fuzz_llm_response
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_llm_response.c
  LIBS processor_core
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/llm_response)
ccai_add_fuzz_target(fuzz_redact
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_redact.c
  LIBS processor_core
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/redact)
ccai_add_fuzz_target(fuzz_pipeline
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_pipeline.c
  LIBS processor_core
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/pipeline)
