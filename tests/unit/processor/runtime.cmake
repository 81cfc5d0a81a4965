# processor runtime: pure modules (offsets, scheduler) and config
ccai_add_unit_test(test_offsets
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_offsets.c LIBS processor_core)
ccai_add_unit_test(test_scheduler
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_scheduler.c LIBS processor_core)
ccai_add_unit_test(test_processor_config
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_processor_config.c
  LIBS processor_core)
