# MP_SANITIZER=address|thread|undefined instruments everything built here.
# Tests scale their deadlines by MP_TEST_TIME_SCALE, which the sanitizer
# presets set, because instrumented code runs several times slower.
if(MP_SANITIZER)
  set(_mp_san_flags -fsanitize=${MP_SANITIZER} -fno-omit-frame-pointer)
  if(MP_SANITIZER STREQUAL "address" OR MP_SANITIZER STREQUAL "undefined")
    list(APPEND _mp_san_flags -fsanitize=undefined)
    # clang 14's -fsanitize=function (part of undefined) cannot assemble
    # coroutines defined inline ("Cannot represent a difference across sections").
    if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
      list(APPEND _mp_san_flags -fno-sanitize=function)
    endif()
  endif()
  add_compile_options(${_mp_san_flags})
  add_link_options(${_mp_san_flags})
endif()
