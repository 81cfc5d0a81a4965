if(CCAI_SANITIZE)
  add_compile_options(-fsanitize=${CCAI_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${CCAI_SANITIZE})
endif()
if(CCAI_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "CCAI_FUZZ needs clang (cmake --preset fuzz)")
  endif()
  # instrument everything for coverage; the fuzzer main is linked per target
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -g)
  add_link_options(-fsanitize=address,undefined)
endif()
