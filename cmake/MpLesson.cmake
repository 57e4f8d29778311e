# Lessons' exercises, tested in the trusted-parent style (grader/harness/student_code.hpp).
# Every folder grader/tests/NN-topic/ is a lesson; no CMake edit is needed to add one.
#
#   lessonNN_tests      the tests: trusted, no line of exercise code in it. Each test runs
#                       the exercise's functions in a forked child that loads one of:
#   lessonNN_code_ref   the reference solutions, reference/solutions/NN-topic/*.cpp, as a
#                       shared object (built by default; CTest, label lessonNN, runs the
#                       tests on it: the reference must pass everything)
#   lessonNN_code       the student's exercises/NN-topic/*.cpp, as a shared object
#                       (EXCLUDE_FROM_ALL: the grader builds it per lesson, so code that
#                       does not compile costs that lesson only). MP_LESSON_CODE=PATH picks
#                       the object at run time; without it the tests load the student's.
#   lessonNN_bench      grader/bench/NN-topic/*_bench.cpp: trusted too; it times either object
#                       from outside it (time_in_student), picked by MP_LESSON_CODE
#
# Both sides see the exercise's contract headers: exercises/NN-topic/ is on the include path.
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

# mp_add_trusted_program(NAME prog NAMESPACE ns SOURCES ... INCLUDES ... MAIN lib
#                        DEFAULT_CODE path OUTPUT_DIRECTORY dir)
# A trusted program (tests or benchmarks) that reaches the student's code only in a child
# that loads it: the functions of namespace `ns` that SOURCES call become trampolines into
# the loaded object (cmake/MpStudentCalls.cmake). MAIN: mp_lesson_test_main or
# mp_lesson_bench_main. DEFAULT_CODE: the object loaded when MP_LESSON_CODE is not set.
function(mp_add_trusted_program)
  cmake_parse_arguments(A "" "NAME;NAMESPACE;MAIN;DEFAULT_CODE;OUTPUT_DIRECTORY" "SOURCES;INCLUDES" ${ARGN})
  set(objects ${A_NAME}_objects)
  add_library(${objects} OBJECT ${A_SOURCES})
  target_include_directories(${objects} PRIVATE ${A_INCLUDES})
  target_link_libraries(${objects} PRIVATE ${A_MAIN} mp_warnings)
  set(calls ${CMAKE_CURRENT_BINARY_DIR}/${A_NAME}_student_calls.cpp)
  add_custom_command(
    OUTPUT ${calls}
    COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} "-DOBJECTS=$<JOIN:$<TARGET_OBJECTS:${objects}>,|>"
            -DNAMESPACE=${A_NAMESPACE} -DDEFAULT_CODE=${A_DEFAULT_CODE} -DOUT=${calls}
            -P ${PROJECT_SOURCE_DIR}/cmake/MpStudentCalls.cmake
    DEPENDS ${objects} $<TARGET_OBJECTS:${objects}> ${PROJECT_SOURCE_DIR}/cmake/MpStudentCalls.cmake
    COMMENT "Finding the calls of ${A_NAME} into the student's code" VERBATIM)
  add_executable(${A_NAME} $<TARGET_OBJECTS:${objects}> ${calls})
  target_link_libraries(${A_NAME} PRIVATE ${A_MAIN})
  set_target_properties(${A_NAME} PROPERTIES ENABLE_EXPORTS ON RUNTIME_OUTPUT_DIRECTORY ${A_OUTPUT_DIRECTORY})
endfunction()

# mp_add_lesson_tests(NAME n NAMESPACE ns TESTS ... [BENCHMARKS ...] STUDENT ... REFERENCE ...
#                     INCLUDES ... OUTPUT_DIRECTORY dir [STUDENT_IN_ALL])
# Makes n_tests (the trusted test program), n_bench (the trusted benchmark program, when
# BENCHMARKS are given), n_code_ref and n_code (the code as shared objects).
function(mp_add_lesson_tests)
  cmake_parse_arguments(A "STUDENT_IN_ALL" "NAME;NAMESPACE;OUTPUT_DIRECTORY"
                        "TESTS;BENCHMARKS;STUDENT;REFERENCE;INCLUDES" ${ARGN})
  set(student_so ${A_OUTPUT_DIRECTORY}/${A_NAME}_code.so)
  mp_add_trusted_program(NAME ${A_NAME}_tests NAMESPACE ${A_NAMESPACE} SOURCES ${A_TESTS} INCLUDES ${A_INCLUDES}
                         MAIN mp_lesson_test_main DEFAULT_CODE ${student_so} OUTPUT_DIRECTORY ${A_OUTPUT_DIRECTORY})
  if(A_REFERENCE)
    add_dependencies(${A_NAME}_tests ${A_NAME}_code_ref)
  endif()
  if(A_BENCHMARKS)
    mp_add_trusted_program(NAME ${A_NAME}_bench NAMESPACE ${A_NAMESPACE} SOURCES ${A_BENCHMARKS}
                           INCLUDES ${A_INCLUDES} MAIN mp_lesson_bench_main DEFAULT_CODE ${student_so}
                           OUTPUT_DIRECTORY ${A_OUTPUT_DIRECTORY})
    if(A_REFERENCE)
      add_dependencies(${A_NAME}_bench ${A_NAME}_code_ref)
    endif()
  endif()

  set(sides student)
  if(A_REFERENCE)  # the students' copy of the course has no reference solutions
    list(PREPEND sides ref)
  endif()
  foreach(side IN ITEMS ${sides})
    if(side STREQUAL "ref")
      set(target ${A_NAME}_code_ref)
      set(code ${A_REFERENCE})
      set(all "")
    else()
      set(target ${A_NAME}_code)
      set(code ${A_STUDENT})
      set(all EXCLUDE_FROM_ALL)
      if(A_STUDENT_IN_ALL)
        set(all "")
      endif()
    endif()
    # The runtime's headers only: its code comes from the test program that loads the object.
    add_library(${target} MODULE ${all} ${code})
    target_include_directories(${target} PRIVATE ${A_INCLUDES} $<TARGET_PROPERTY:mp_core,INTERFACE_INCLUDE_DIRECTORIES>)
    target_link_libraries(${target} PRIVATE cereal::cereal mp_warnings)
    target_compile_features(${target} PRIVATE cxx_std_20)
    set_target_properties(${target} PROPERTIES PREFIX "" SUFFIX ".so" LIBRARY_OUTPUT_DIRECTORY ${A_OUTPUT_DIRECTORY})
  endforeach()
endfunction()

function(mp_add_lessons)
  file(GLOB _dirs LIST_DIRECTORIES true CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/grader/tests/[0-9][0-9]-*)
  list(SORT _dirs)
  set(out ${PROJECT_BINARY_DIR}/grader/lessons)
  # What grading every lesson needs that is not the student's code (./course builds it
  # first, with a progress line; the grader then builds the student's code, which may
  # not compile, lesson by lesson).
  add_custom_target(course_trusted)
  # The students' copy of the course (./course export-student) has no reference/solutions/:
  # its lessons are built without the _ref objects, and CTest does not run their tests
  # (they test the student's code, which starts unsolved).
  set(student_edition OFF)
  if(NOT IS_DIRECTORY ${PROJECT_SOURCE_DIR}/reference/solutions)
    set(student_edition ON)
    message(STATUS "grader: the students' copy (no reference/solutions/): lessons built without references")
  endif()
  foreach(dir IN LISTS _dirs)
    if(NOT IS_DIRECTORY ${dir})
      continue()
    endif()
    get_filename_component(lesson ${dir} NAME)
    string(SUBSTRING ${lesson} 0 2 nn)
    set(exercise_dir ${PROJECT_SOURCE_DIR}/exercises/${lesson})
    set(solution_dir ${PROJECT_SOURCE_DIR}/reference/solutions/${lesson})
    # hidden/: tests graded only from the instructors' side (export-student leaves them out)
    file(GLOB tests CONFIGURE_DEPENDS ${dir}/*_test.cpp ${dir}/hidden/*_test.cpp)
    mp_plain_sources(student ${exercise_dir})
    mp_plain_sources(solution ${solution_dir})
    file(GLOB benches CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/grader/bench/${lesson}/*_bench.cpp)
    if(NOT tests OR NOT student OR (NOT solution AND NOT student_edition))  # a lesson being written
      message(STATUS "grader: ${lesson} skipped: it needs tests, exercises and reference solutions")
      continue()
    endif()
    mp_add_lesson_tests(NAME lesson${nn} NAMESPACE lesson${nn} TESTS ${tests} BENCHMARKS ${benches}
                        STUDENT ${student} REFERENCE ${solution} INCLUDES ${exercise_dir} ${dir}
                        OUTPUT_DIRECTORY ${out})
    add_dependencies(course_trusted lesson${nn}_tests)
    if(TARGET lesson${nn}_bench)
      add_dependencies(course_trusted lesson${nn}_bench)
    endif()
    if(student_edition)
      continue()
    endif()
    add_dependencies(course_trusted lesson${nn}_code_ref)
    gtest_discover_tests(lesson${nn}_tests DISCOVERY_MODE PRE_TEST
                         PROPERTIES LABELS "lesson${nn}" TIMEOUT 120 RESOURCE_LOCK lesson_programs
                                    ENVIRONMENT "MP_LESSON_CODE=${out}/lesson${nn}_code_ref.so")
  endforeach()
endfunction()
