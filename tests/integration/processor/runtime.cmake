# processor runtime: real ccai-devbroker + ccai-fake-openai + ccai-processor
set(RT_SUPPORT ${CMAKE_CURRENT_LIST_DIR}/test_runtime_support.c)
ccai_add_integration_test(test_processor_flow
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_processor_flow.c ${RT_SUPPORT}
  LIBS ccai_testsupport TIMEOUT 900)
ccai_add_integration_test(test_processor_crash
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_processor_crash.c ${RT_SUPPORT}
  LIBS ccai_testsupport TIMEOUT 900)
foreach(t test_processor_flow test_processor_crash)
  target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_LIST_DIR}
                             ${PROJECT_SOURCE_DIR}/common)
endforeach()
