# Lessons' exercises, built twice from the same tests (googletest's
# "interface tests"): once against the student's exercises/NN-topic/*.cpp,
# once against reference/solutions/NN-topic/*.cpp. Every folder
# grader/tests/NN-topic/ is a lesson; no CMake edit is needed to add one.
#
#   lessonNN_tests_ref   tests + reference solutions  (built by default; in CTest, label lessonNN:
#                        the reference must pass everything)
#   lessonNN_tests       tests + the student's code   (EXCLUDE_FROM_ALL: the grader builds it
#                        per lesson, so code that does not compile costs that lesson only)
#   lessonNN_bench_ref / lessonNN_bench   the same for grader/bench/NN-topic/*_bench.cpp
#
# Both builds see the exercise's contract headers: exercises/NN-topic/ is on the include path.
# The sources of a lesson folder that may enter a build: regular files whose names are
# plain (letters, digits, '_', '-', '.'; ending in .cpp). A name CMake would misread (a
# ';' splits a list, spaces, quotes) or a symbolic link is left out, so that one odd file
# never breaks the configure of every lesson; the grader lists such files as ignored.
function(mp_plain_sources out dir)
  file(GLOB names RELATIVE ${dir} CONFIGURE_DEPENDS ${dir}/*.cpp)
  set(kept "")
  foreach(name IN LISTS names)
    if(name MATCHES "^[A-Za-z0-9_][A-Za-z0-9_.-]*\\.cpp$" AND EXISTS ${dir}/${name}
       AND NOT IS_DIRECTORY ${dir}/${name} AND NOT IS_SYMLINK ${dir}/${name})
      list(APPEND kept ${dir}/${name})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES kept)  # "a.cpp;b.cpp" reads as a.cpp and b.cpp, which may exist too
  set(${out} ${kept} PARENT_SCOPE)
endfunction()

function(mp_add_lessons)
  file(GLOB _dirs LIST_DIRECTORIES true CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/grader/tests/[0-9][0-9]-*)
  list(SORT _dirs)
  foreach(dir IN LISTS _dirs)
    if(NOT IS_DIRECTORY ${dir})
      continue()
    endif()
    get_filename_component(lesson ${dir} NAME)
    string(SUBSTRING ${lesson} 0 2 nn)
    set(exercise_dir ${PROJECT_SOURCE_DIR}/exercises/${lesson})
    set(solution_dir ${PROJECT_SOURCE_DIR}/reference/solutions/${lesson})
    file(GLOB tests CONFIGURE_DEPENDS ${dir}/*_test.cpp)
    mp_plain_sources(student ${exercise_dir})
    mp_plain_sources(solution ${solution_dir})
    file(GLOB benches CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/grader/bench/${lesson}/*_bench.cpp)

    foreach(side IN ITEMS ref student)
      if(side STREQUAL "ref")
        set(suffix _ref)
        set(code ${solution})
        set(all "")
      else()
        set(suffix "")
        set(code ${student})
        set(all EXCLUDE_FROM_ALL)
      endif()
      add_executable(lesson${nn}_tests${suffix} ${all} ${tests} ${code})
      target_include_directories(lesson${nn}_tests${suffix} PRIVATE ${exercise_dir} ${dir})
      target_link_libraries(lesson${nn}_tests${suffix} PRIVATE mp::mp mp_test_support mp_warnings)
      set_target_properties(lesson${nn}_tests${suffix} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                            ${PROJECT_BINARY_DIR}/grader/lessons)
      if(benches)
        add_executable(lesson${nn}_bench${suffix} ${all} ${benches} ${code})
        target_include_directories(lesson${nn}_bench${suffix} PRIVATE ${exercise_dir})
        target_link_libraries(lesson${nn}_bench${suffix} PRIVATE mp::mp benchmark::benchmark_main mp_warnings)
        set_target_properties(lesson${nn}_bench${suffix} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                              ${PROJECT_BINARY_DIR}/grader/lessons)
      endif()
    endforeach()
    gtest_discover_tests(lesson${nn}_tests_ref DISCOVERY_MODE PRE_TEST
                         PROPERTIES LABELS "lesson${nn}" TIMEOUT 120)
  endforeach()
endfunction()
