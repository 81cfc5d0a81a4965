# LLM transport: pure helpers of llm_client, breaker, ratelimit_budget
ccai_add_unit_test(test_llm_client
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_llm_client.c LIBS processor_core)
