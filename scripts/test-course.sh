#!/usr/bin/env bash
# Checks ./course, the student's entry point, without building anything: a copy of it
# runs in a scratch tree where `cmake`, scripts/setup.sh and the grader are stubs that
# record how they were called. What it asserts is what makes the student's loop quick:
# list and hint build nothing once the grader exists, grade builds the grader target
# only (the grader builds the lesson it grades), the first run configures once, a
# failed build names its log, and the grader's messages spell `./course`.
#
#   scripts/test-course.sh        (CTest: course.script)
# Exit status 0 when every assertion holds; the last line says "N passed, M failed".
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/mp-test-course.XXXXXX)
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then
    echo "ok    $what"
    passed=$((passed + 1))
  else
    echo "FAIL  $what"
    failed=$((failed + 1))
  fi
}

tree=$work/tree
mkdir -p "$tree/scripts" "$work/bin" "$tree/reference/solutions"  # the instructors' copy
cp "$repo/course" "$tree/course"
printf '#!/bin/sh\necho setup >>"%s/calls"\n' "$work" >"$tree/scripts/setup.sh"
# cmake: records its arguments; `--build` makes the grader stub (as building it would),
# and fails when $work/fail-build exists.
cat >"$work/bin/cmake" <<EOF
#!/bin/bash
echo "cmake \$*" >>"$work/calls"
if [[ \$1 == --preset ]]; then mkdir -p build/dev && touch build/dev/CMakeCache.txt; exit 0; fi
if [[ -e "$work/fail-build" ]]; then echo "x.cpp:1:1: error: expected ';'"; exit 2; fi
echo "[ 50%] Building CXX object grader/src/CMakeFiles/grader_core.dir/cli.cpp.o"
mkdir -p build/dev/grader/src
cp "$work/grader-stub" build/dev/grader/src/grader
EOF
# The grader: records its arguments; `files` names one exercise's file.
cat >"$work/grader-stub" <<EOF
#!/bin/sh
echo "grader \$*" >>"$work/calls"
echo "MP_GRADER_COMMAND=\$MP_GRADER_COMMAND" >>"$work/calls"
if [ "\$3" = files ]; then echo exercises/01-processes/run_all.cpp; fi
EOF
chmod +x "$work/grader-stub"
chmod +x "$tree/course" "$tree/scripts/setup.sh" "$work/bin/cmake"

run() {  # run ARGS...: ./course in the scratch tree, its calls in $work/calls
  : >"$work/calls"
  (cd "$tree" && PATH="$work/bin:$PATH" ./course "$@" >"$work/out" 2>"$work/err")
}
calls() { cat "$work/calls"; }
no_build() { ! grep -q '^cmake' "$work/calls"; }
called() { grep -qxF -- "$1" "$work/calls"; }

check "the first ./course list configures once and builds only the grader" run list
check "  configured with the dev preset" called "cmake --preset dev"
check "  built the grader target alone" called "cmake --build build/dev -j $(nproc 2>/dev/null || echo 2) --target grader"
check "  then listed" called "grader --build-dir build/dev list"
check "  and said where the build's log is" grep -q "build/dev-build.log" "$work/err"

check "./course list with the grader built" run list
check "  builds nothing" no_build
check "  lists" called "grader --build-dir build/dev list"
check "./course hint run_all with the grader built" run hint run_all
check "  builds nothing" no_build
check "  asks for the hint" called "grader --build-dir build/dev hint run_all"
check "  tells the grader how the student runs it" called "MP_GRADER_COMMAND=./course"

check "./course grade 01" run grade 01 --no-timing
check "  does not configure again" bash -c "! grep -q -- '--preset' '$work/calls'"
check "  updates the grader and lesson 01's trusted programs only" \
  grep -q -- "--target grader lesson01_tests lesson01_bench lesson01_code_ref$" "$work/calls"
check "  grades lesson 01 with the options given" called "grader --build-dir build/dev grade 01 --no-timing"
check "./course grade 01 again, nothing changed" run grade 01
check "  does not even ask make" no_build
# The runtime changes after the last build. The stamps are set back first: a file system
# with coarse timestamps may give the stamp and the edit the same time (CI saw it).
changed_runtime() { touch -d '-1 minute' "$tree"/build/dev/.course-built-*; touch "$tree/reference/lock.cpp"; }
mkdir -p "$tree/reference" && changed_runtime
check "./course grade 01 after the runtime changed" run grade 01
check "  updates what it needs" grep -q -- "--target grader lesson01_tests" "$work/calls"
mv "$tree/reference/solutions" "$work/solutions"  # now the students' copy (./course export-student)
changed_runtime
check "./course grade 01 in the students' copy" run grade 01
check "  builds no reference object (there is no solution)" \
  grep -q -- "--target grader lesson01_tests lesson01_bench$" "$work/calls"
mv "$work/solutions" "$tree/reference/solutions"
check "./course with no verb grades everything" run
check "  (grade, no lesson named)" called "grader --build-dir build/dev grade"
check "  after updating every lesson's trusted programs" grep -q -- "--target grader course_trusted$" "$work/calls"

changed_runtime
check "./course watch run_all" run watch run_all
check "  builds every lesson's trusted programs (n goes on to the next lesson)" \
  grep -q -- "--target grader course_trusted$" "$work/calls"
check "  then watches" called "grader --build-dir build/dev watch run_all"
check "  spelling the student's commands" called "MP_GRADER_COMMAND=./course"

touch "$work/fail-build" && changed_runtime
check "a failed build fails ./course grade" bash -c "! (cd '$tree' && PATH='$work/bin:$PATH' ./course grade >/dev/null 2>'$work/err')"
check "  shows the compiler's error" grep -q "error: expected ';'" "$work/err"
check "  and names the full log" grep -q "full log: build/dev-build.log" "$work/err"
rm "$work/fail-build"

# reset: the skeleton is the file as committed (no upstream here).
mkdir -p "$tree/exercises/01-processes"
echo "// skeleton" >"$tree/exercises/01-processes/run_all.cpp"
git -C "$tree" init -q && git -C "$tree" add -A && git -C "$tree" -c user.name=t -c user.email=t@t commit -qm shipped
echo "// the student's work" >"$tree/exercises/01-processes/run_all.cpp"
check "./course reset run_all without a terminal or --yes refuses" \
  bash -c "! (cd '$tree' && PATH='$work/bin:$PATH' ./course reset run_all </dev/null >/dev/null 2>&1)"
check "  and changes nothing" grep -q "the student's work" "$tree/exercises/01-processes/run_all.cpp"
check "./course reset run_all --yes" run reset run_all --yes
check "  asks the grader for the exercise's files" called "grader --build-dir build/dev files run_all"
check "  puts the skeleton back" grep -qx "// skeleton" "$tree/exercises/01-processes/run_all.cpp"
check "  and builds nothing" no_build
check "./course reset run_all again: nothing to do" run reset run_all --yes
check "  says so" grep -q "nothing to reset" "$work/err"

# trace: builds the example's target alone, runs it with MP_TRACE, and draws the timeline
# (the real renderer on a stand-in program's trace: one process, two tasks, one labelled span).
mkdir -p "$tree/lessons/07-pools/examples" "$tree/build/dev/lessons/07-pools"
touch "$tree/lessons/07-pools/examples/four_ways.cpp"
cp "$repo/scripts/trace_timeline.py" "$repo/scripts/svg_figure.py" "$tree/scripts/"
cat >"$tree/build/dev/lessons/07-pools/lesson07_four_ways" <<'EOF2'
#!/bin/sh
cat >"$MP_TRACE" <<'JSON'
{"traceEvents":[
{"name":"process_name","ph":"M","pid":7,"tid":7,"args":{"name":"MainProcess"}},
{"name":"thread_name","ph":"M","pid":7,"tid":8,"args":{"name":"ThreadPool-1"}},
{"name":"map_async, then get()","cat":"phase","ph":"X","ts":1000.0,"dur":600.0,"pid":7,"tid":7},
{"name":"task","cat":"threads","ph":"X","ts":1000.0,"dur":300.0,"pid":7,"tid":8,"args":{"job":1,"part":0}},
{"name":"task","cat":"threads","ph":"X","ts":1300.0,"dur":300.0,"pid":7,"tid":8,"args":{"job":1,"part":1}}
]}
JSON
EOF2
chmod +x "$tree/build/dev/lessons/07-pools/lesson07_four_ways"
check "./course trace four_ways" run trace four_ways
check "  builds that example's target alone" called "cmake --build build/dev -j $(nproc 2>/dev/null || echo 2) --target lesson07_four_ways"
check "  says where the trace is" grep -q "build/traces/lesson07_four_ways.json" "$work/err"
check "  draws its timeline: one bar per task" \
  bash -c "[[ \$(grep -c 'id=\"task-7-8' '$tree/build/traces/lesson07_four_ways.svg') -eq 2 ]]"
check "  with the span's label" grep -q "map_async, then get()" "$tree/build/traces/lesson07_four_ways.svg"
check "./course trace with no such example is refused" bash -c "! (cd '$tree' && ./course trace nothing_here 2>/dev/null)"

check "./course help" run help
check "  lists the verbs" grep -q "./course hint EXERCISE" "$work/out"
check "  and no line of the script itself" bash -c "! grep -q 'set -euo' '$work/out'"
check "an unknown verb is refused" bash -c "! (cd '$tree' && ./course frobnicate 2>/dev/null)"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
