# Warnings travel through an INTERFACE target, not global flags, so that a
# consumer of the installed library never inherits them.
add_library(mp_warnings INTERFACE)
target_compile_options(mp_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  $<$<BOOL:${MP_WARNINGS_AS_ERRORS}>:-Werror>)
