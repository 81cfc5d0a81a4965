# Fuzz targets of the ingress area (tests/fuzz/CMakeLists.txt includes
# every *.cmake fragment here). Without CCAI_FUZZ they replay their corpus.
ccai_add_fuzz_target(fuzz_kafka_conf
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_kafka_conf.c
  LIBS ccai_common
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/kafka_conf)
if(EXISTS ${PROJECT_SOURCE_DIR}/proto/contact_event.c)
  ccai_add_fuzz_target(fuzz_ingress_request
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_ingress_request.c
    LIBS ingress_core
    CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/ingress_request)
endif()
