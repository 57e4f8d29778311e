#!/usr/bin/env bash
# Checks the pull-request grading (scripts/grade-pr.sh) on a sample "student" change:
#
#   base      a copy of this repository: the course as instructors wrote it
#   solved    base + lesson 01 solved (the reference solutions copied over the skeletons),
#             and lesson 02's bounded_queue with a race between producers
#             (grader/selftest/samples/racy_bounded_queue.cpp.in)
#   tampered  lesson 01 solved + the cheats a student might try: lesson 01's tests made trivially
#             passing, every test's points and every timing threshold raised in the manifest,
#             a contract header and a workflow edited, files with odd names, and attacks from
#             the student's code in lesson 02 (stop the grader, a setsid() spinner, poison the
#             grader's binary)
#
# and asserts: grading `solved` gives lesson 01 full marks and the other lessons less, and
# the racy queue's group between processes no points;
# grading `tampered` gives exactly the same score as `solved` without its racy queue; the
# attacks reach nothing of the grader; and the report lists the tampered files as ignored.
# The attacks sit in lesson 02's unsolved skeleton, whose score (0) they cannot raise: in
# lesson 01 they would cost points, since the test program that loads the student's code
# counts the processes that code leaves behind, and is stopped by its SIGSTOP. Timing is off (--no-timing) so that both
# scores are exact; the grader's own tests cover timing.
#
#   scripts/test-grade-pr.sh [--keep] [--out DIR]     (default DIR: a new temporary folder)
# Exit status 0 when every assertion holds; the last line says "N passed, M failed".
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
keep=0 out=""
# shellcheck source=check-lib.sh
. "$repo/scripts/check-lib.sh"
parse_check_args test-grade-pr "" "$@"
make_scratch mp-test-grade-pr

lesson=01-processes
for need in grader/course.toml "grader/tests/$lesson" "reference/solutions/$lesson" "exercises/$lesson"; do
  if [[ ! -e $repo/$need ]]; then
    echo "test-grade-pr: SKIPPED: $need is not there yet (the grader and lesson 01 must have landed)"
    exit 0
  fi
done
grep -q 'add_executable(grader' "$repo/grader/src/CMakeLists.txt" \
  || { echo "test-grade-pr: SKIPPED: the grader program is not there yet"; exit 0; }

copy_tree() {  # copy_tree FROM TO: the sources, without build trees and git metadata
  rm -rf "$2" && mkdir -p "$2"
  tar -C "$1" --exclude=./.git --exclude=./build --exclude='./build-*' --exclude=./.cache -cf - . | tar -C "$2" -xf -
}
base="$out/base" solved="$out/solved" tampered="$out/tampered"
copy_tree "$repo" "$base"
copy_tree "$base" "$solved"
cp "$base/reference/solutions/$lesson/"*.cpp "$solved/exercises/$lesson/"
copy_tree "$solved" "$tampered"
# Only in `solved`: in `tampered`, lesson 02's code carries the attacks below, which fail
# every test that loads it (they leave a process behind).
cp "$base/grader/selftest/samples/racy_bounded_queue.cpp.in" "$solved/exercises/02-queues/bounded_queue.cpp"

# The tampering.
for t in "$tampered/grader/tests/$lesson/"*_test.cpp; do
  suite=$(grep -o -m1 'TEST[_F]*( *[A-Za-z0-9_]*' "$t" | sed 's/.*( *//')
  printf '#include <gtest/gtest.h>\nTEST(%s, AlwaysPasses) { SUCCEED(); }\n' "${suite:-Tampered}" >"$t"
done
sed -i -E -e 's/^([[:space:]]*points[[:space:]]*=[[:space:]]*)[0-9]+/\11000/' \
          -e 's/^([[:space:]]*threshold[[:space:]]*=[[:space:]]*)[0-9.]+/\1100.0/' \
          -e 's/^([[:space:]]*runs[[:space:]]*=[[:space:]]*)[0-9]+/\11/' "$tampered/grader/course.toml"
for h in "$tampered/exercises/$lesson/"*.hpp; do echo "// tampered" >>"$h"; done
# A name CMake would split (';') or choke on: it must not break the configure of any lesson.
echo 'this is not C++' >"$tampered/exercises/$lesson/odd;name.cpp"
echo 'this is not C++' >"$tampered/exercises/$lesson/with space.cpp"
mkdir -p "$tampered/.github/workflows"
echo "# tampered" >>"$tampered/.github/workflows/grade-pr.yml"
# Attacks from the student's own code, run wherever lesson 02's code is loaded: stop the
# grader, leave a setsid() process spinning, append to the grader's binary. Under the
# sandbox (uid 65534 inside) they must change nothing; elsewhere they are not tried, since
# they would really stop the grader.
cat >>"$tampered/exercises/02-queues/word_count.cpp" <<'CPP'

// test-grade-pr.sh: attacks that must change nothing (BUILD/grader/lessons/lesson02_tests
// poisons BUILD/grader/src/grader, the program that grades).
#include "../../grader/selftest/fixtures/attacks.hpp"
namespace {
[[maybe_unused]] const bool attacked = attacks::in_sandbox() &&
                      (attacks::stop_the_grader(/*not_the_parent=*/true), attacks::leave_a_setsid_escapee(nullptr),
                       attacks::poison_beside_me("../src/grader"), true);
}  // namespace
CPP

grade() {  # grade NAME HEAD: grade-pr.sh into $out/NAME, sharing one build tree (only changes rebuild)
  local name=$1 head=$2
  echo "=== grading '$name'"
  local rc=0
  "$repo/scripts/grade-pr.sh" --base "$base" --head "$head" --out "$out/shared" --reuse-build --no-timing \
    >"$out/$name.txt" 2>"$out/$name.err" || rc=$?
  mkdir -p "$out/$name"
  cp "$out/shared/"{grades.json,summary.md,meta.json} "$out/$name/" 2>/dev/null || true
  tail -3 "$out/$name.err"
  return $rc
}
score() {  # score NAME [LESSON]: "score/max" of the whole course or of one lesson
  python3 - "$out/$1/grades.json" "${2:-}" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))
if sys.argv[2]:
    g = next(l for l in g["lessons"] if l["id"] == sys.argv[2] or l["dir"] == sys.argv[2])
print(f'{g["score"]}/{g["max_score"]}')
EOF
}

# The tampering would matter if it were used: the tampered manifest promises other points.
max_points() {
  python3 -c 'import sys, tomllib; m = tomllib.load(open(sys.argv[1], "rb")); print(sum(t.get("points", 0)
    for l in m.get("lessons", []) for e in l.get("exercises", []) for t in e.get("tests", []) + e.get("timing", [])))' "$1"
}
check "the tampered manifest would change the points ($(max_points "$base/grader/course.toml") → $(max_points "$tampered/grader/course.toml"))" \
  test "$(max_points "$base/grader/course.toml")" != "$(max_points "$tampered/grader/course.toml")"

check "grading the solved sample ran (exit status 0)" grade solved "$solved"
check "grading the tampered sample ran (exit status 0)" grade tampered "$tampered"
[[ -f $out/solved/grades.json && -f $out/tampered/grades.json ]] || { echo "FAIL  no grades.json"; failed=$((failed + 1)); finish; }

s_all=$(score solved) t_all=$(score tampered) s_01=$(score solved 01) t_01=$(score tampered 01)
echo "solved:   course $s_all, lesson 01 $s_01"
echo "tampered: course $t_all, lesson 01 $t_01"
check "lesson 01 solved: full marks ($s_01)" test "${s_01%/*}" = "${s_01#*/}"
check "the course is not full marks (the other lessons are unsolved): $s_all" test "${s_all%/*}" != "${s_all#*/}"
group_status() {  # group_status NAME EXERCISE GROUP: the status of one test group
  python3 - "$out/$1/grades.json" "$2" "$3" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))
print(next(t["status"] for l in g["lessons"] for e in l["exercises"] if e["id"] == sys.argv[2]
           for t in e["tests"] if t["name"] == sys.argv[3]))
EOF
}
exercise_score() {  # exercise_score NAME EXERCISE
  python3 - "$out/$1/grades.json" "$2" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))
print(next(e["score"] for l in g["lessons"] for e in l["exercises"] if e["id"] == sys.argv[2]))
EOF
}
racy_alone=$(group_status solved bounded_queue "one process")
racy_shared=$(group_status solved bounded_queue "between processes, and processes that die")
check "the racy queue passes its tests in one process ($racy_alone)" test "$racy_alone" = passed
check "the racy queue's race is caught between processes ($racy_shared)" test "$racy_shared" != passed
s_racy=$(exercise_score solved bounded_queue)
s_but_racy=$(python3 -c 'import sys; s, m = sys.argv[1].split("/"); print(f"{float(s) - float(sys.argv[2])}/{m}")' "$s_all" "$s_racy")
check "tampered score equals the untampered one but its racy queue ($t_all = $s_all - $s_racy)" \
  test "$t_all" = "$s_but_racy"
check "tampered lesson 01 equals untampered ($t_01 = $s_01)" test "$t_01" = "$s_01"
check "the report lists the tampered test as ignored" grep -q "grader/tests/$lesson/" "$out/tampered/summary.md"
check "the report lists the tampered manifest as ignored" grep -q 'grader/course.toml' "$out/tampered/summary.md"
check "the report lists the tampered contract header as ignored" grep -q "exercises/$lesson/.*\.hpp" "$out/tampered/summary.md"
check "nothing of the attacks outlived grading (no lesson02_tests process left)" \
  bash -c '! pgrep -f "[g]rader/lessons/lesson02_tests" >/dev/null'
check "the attacks did not write the grader's binary" \
  bash -c '[[ -f $1 && "$(tail -c 8 "$1")" != poisoned ]]' _ "$out/shared/build/grader/src/grader"
check "the report lists a file with a ';' in its name as ignored" grep -q "exercises/$lesson/odd;name.cpp" "$out/tampered/summary.md"
check "the report lists a file with a space in its name as ignored" grep -q "exercises/$lesson/with space.cpp" "$out/tampered/summary.md"
check "the solved sample's report lists nothing ignored" bash -c "! grep -q 'ignores' '$out/solved/summary.md'"
[[ $keep -eq 1 ]] && echo "test-grade-pr: kept $out"
finish
