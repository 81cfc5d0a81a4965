# LLM transport against a real ccai-fake-openai: llm_client behaviour and
# the fake's own contract checks
ccai_add_integration_test(llm_transport
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/llm_transport.c
  LIBS processor_core ccai_testsupport TIMEOUT 300)
add_dependencies(llm_transport ccai-fake-openai)
ccai_add_integration_test(llm_fake_openai
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/llm_fake_openai.c
  LIBS ccai_testsupport TIMEOUT 120)
add_dependencies(llm_fake_openai ccai-fake-openai)
