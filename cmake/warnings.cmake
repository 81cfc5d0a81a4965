add_library(ccai_warnings INTERFACE)
target_compile_options(ccai_warnings INTERFACE
  -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes
  -Wmissing-prototypes -Wvla -Wwrite-strings)
