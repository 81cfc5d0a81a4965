# Fuzz targets of the proto area (tests/fuzz/CMakeLists.txt includes every
# *.cmake fragment here). Seeds: the fixtures of proto/examples (valid and
# invalid); without CCAI_FUZZ ctest replays them once.
set(CCAI_PROTO_EXAMPLES ${PROJECT_SOURCE_DIR}/proto/examples)
ccai_add_fuzz_target(fuzz_contact_event
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_contact_event.c
  LIBS ccai_proto
  CORPUS ${CCAI_PROTO_EXAMPLES}/valid ${CCAI_PROTO_EXAMPLES}/invalid
         ${CCAI_PROTO_EXAMPLES}/records/valid
         ${CCAI_PROTO_EXAMPLES}/records/invalid)
ccai_add_fuzz_target(fuzz_cloudevent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_cloudevent.c
  LIBS ccai_proto
  CORPUS ${CCAI_PROTO_EXAMPLES}/cloudevents/valid
         ${CCAI_PROTO_EXAMPLES}/cloudevents/invalid)
ccai_add_fuzz_target(fuzz_json_fast
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_json_fast.c
  LIBS ccai_proto
  CORPUS ${CCAI_PROTO_EXAMPLES}/valid ${CCAI_PROTO_EXAMPLES}/invalid
         ${CCAI_PROTO_EXAMPLES}/cloudevents/valid)
