# ccai_embed_file(OUT_C SYMBOL INPUT): generate a C file defining
#   const char SYMBOL[] (NUL-terminated) and const unsigned long SYMBOL_len
# from INPUT at build time.
function(ccai_embed_file out_c symbol input)
  add_custom_command(
    OUTPUT ${out_c}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${out_c} -DSYMBOL=${symbol}
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    DEPENDS ${input} ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    COMMENT "Embedding ${input}")
endfunction()
