#!/usr/bin/env bash
# Checks the instructors' side of a semester on a class of three, made here:
#
#   1. ./course export-student makes the students' template: no solution, no hidden test,
#      no instructors' guide or self-test, a manifest marked edition = "student".
#   2. Three students clone it and commit (dates set, as a student could set them):
#        alice   lesson 01 solved, committed and pushed before the deadline
#        bob     half of it before the deadline, all of it 1.5 days after (2 days late)
#        carol   cheats: a commit dated before the deadline but pushed after it, with
#                lesson 01's tests made to pass, every point raised in her manifest, and
#                a run_all that prints GoogleTest's success lines; spawn_and_wait solved
#   3. scripts/grade_class.py (the copy of this repository, with a deadline for lesson 01
#      and a late policy of 10% a day for 3 days) fetches at the deadline (a snapshot),
#      again after it, and grades (timing off, so that scores are exact).
#
# and asserts the gradebook: alice full marks on time; bob his late commit, 20% off; carol
# her back-dated commit counted late by the snapshot, her cheats worth nothing and her
# changes outside exercises/ counted; the hidden group graded; a regrade of one student
# leaves the others' rows as they were. Last, `./course grade 01` in alice's clone: the
# students' copy builds and grades without any solution.
#
#   scripts/test-grade-class.sh [--keep] [--out DIR] [--work DIR]
#     --work DIR   grade-pr.sh's folder to share (its build tree is reused: CI passes the
#                  one scripts/test-grade-pr.sh built, so that only lesson 01 is rebuilt)
# Exit status 0 when every assertion holds; the last line says "N passed, M failed".
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
keep=0 out="" work=""
# shellcheck source=check-lib.sh
. "$repo/scripts/check-lib.sh"
parse_check_args test-grade-class --work "$@"
make_scratch mp-test-grade-class
[[ -n $work ]] || work="$out/class/work/grade"

# --- 1. the students' template
template="$out/template"
rm -rf "$template"
"$repo/course" export-student "$template" 2>"$out/export.log" || { cat "$out/export.log"; echo "FAIL  export"; exit 1; }
check "the template has no reference solution" test ! -e "$template/reference/solutions"
check "the template has no hidden test" bash -c "! compgen -G '$template/grader/tests/*/hidden' >/dev/null"
check "no file of the template has a solution's content" \
  bash -c "! grep -qxF -f <(cd '$repo/reference/solutions' && find . -type f -exec sha256sum {} + | cut -d' ' -f1) \
             <(cd '$template' && find . -path ./.git -prune -o -type f -exec sha256sum {} + | cut -d' ' -f1)"
check "the template's manifest is the students' edition, without hidden groups" \
  python3 -c 'import sys, tomllib; m = tomllib.load(open(sys.argv[1], "rb")); assert m["course"]["edition"] == "student"
assert not [g for l in m["lessons"] for e in l["exercises"] for g in e["tests"] if g.get("hidden")]' \
  "$template/grader/course.toml"
check "the template has no instructors' guide, self-tests or course CI" \
  bash -c "[[ ! -e $template/docs/instructors.md && ! -e $template/grader/selftest && ! -e $template/.ci \
             && ! -e $template/.github/workflows/grade-pr.yml && -f $template/.github/workflows/grade.yml ]]"
check "the template's Markdown has no instructors-only text left" \
  bash -c "! grep -rlE 'instructors-only|student-copy:|reference/solutions' --include='*.md' '$template'"
check "the template is a git repository with one commit" test "$(git -C "$template" rev-list --count HEAD)" = 1

# --- 2. the instructors' repository, with a deadline for lesson 01
base="$out/base"
rm -rf "$base" && mkdir -p "$base"
tar -C "$repo" --exclude=./.git --exclude=./build --exclude='./build-*' --exclude=./.cache -cf - . | tar -C "$base" -xf -
deadline=$(date -u -d '-3 days' +%Y-%m-%dT%H:00:00Z)
at() { date -u -d "$deadline $1" +%Y-%m-%dT%H:%M:%SZ; }  # at '+1 day': a time around the deadline
python3 - "$base/grader/course.toml" "$deadline" <<'EOF'
import re, sys
path, deadline = sys.argv[1], sys.argv[2]
text = open(path).read()
text = text.replace("\n[[lessons]]", "\n[course.late]\nper_day_percent = 10\nmax_days = 3\n\n[[lessons]]", 1)
text = re.sub(r'(\[\[lessons\]\]\nid = "01"\n)', r'\1deadline = ' + deadline + '\n', text, count=1)
open(path, "w").write(text)
EOF

# --- 3. the students
student() {  # student NAME: a clone of the template
  rm -rf "$out/students/$1"
  git clone -q "$template" "$out/students/$1"
  git -C "$out/students/$1" config user.name "$1" && git -C "$out/students/$1" config user.email "$1@localhost"
}
commit() {  # commit NAME DATE MESSAGE: commit everything with this date (author and committer)
  git -C "$out/students/$1" add -A
  GIT_AUTHOR_DATE=$2 GIT_COMMITTER_DATE=$2 git -C "$out/students/$1" commit -q -m "$3"
}
solutions="$repo/reference/solutions/01-processes"
student alice
cp "$solutions/"*.cpp "$out/students/alice/exercises/01-processes/"
commit alice "$(at '-1 day')" "lesson 01"
student bob
cp "$solutions/run_all.cpp" "$out/students/bob/exercises/01-processes/"
commit bob "$(at '-2 days')" "run_all"
student carol
printf 'student,repo\nalice,%s\nbob,%s\ncarol,%s\n' \
  "$out/students/alice" "$out/students/bob" "$out/students/carol" >"$out/roster.csv"

class="$out/class"
grade_class() { python3 "$base/scripts/grade_class.py" "$@" --roster "$out/roster.csv" --out "$class"; }
check "fetch at the deadline (a snapshot)" grade_class fetch --as-of "$deadline"

# After the deadline: bob finishes, carol cheats with a date before the deadline.
cp "$solutions/spawn_and_wait.cpp" "$out/students/bob/exercises/01-processes/"
commit bob "$(at '+36 hours')" "spawn_and_wait, late"
cp "$solutions/spawn_and_wait.cpp" "$out/students/carol/exercises/01-processes/"
cat >"$out/students/carol/exercises/01-processes/run_all.cpp" <<'CPP'
// Cheat: print what GoogleTest prints for a passing run, and claim that every child exited 0.
#include "run_all.hpp"

#include <cstdio>

namespace lesson01 {
std::vector<int> run_all(const std::vector<std::function<void()>>& functions, mp::Timeout /*timeout*/) {
  std::printf("[  PASSED  ] 12 tests.\n{\"tests\": 12, \"failures\": 0}\n");
  std::fflush(stdout);
  return std::vector<int>(functions.size(), 0);
}
}  // namespace lesson01
CPP
for t in "$out/students/carol/grader/tests/01-processes/"*_test.cpp; do
  printf '#include <gtest/gtest.h>\nTEST(RunAll, AlwaysPasses) { SUCCEED(); }\n' >"$t"
done
sed -i -E 's/^([[:space:]]*points[[:space:]]*=[[:space:]]*)[0-9]+/\11000/' "$out/students/carol/grader/course.toml"
commit carol "$(at '-1 day')" "all done (dated before the deadline)"

check "fetch after the deadline" grade_class fetch
check "grade the class (lesson 01, timing off)" grade_class grade --lessons 01 --no-timing --work "$work"
book="$class/gradebook.csv"
[[ -f $book ]] || { echo "FAIL  no gradebook"; failed=$((failed + 1)); finish; }
cp "$book" "$out/gradebook-first.csv"
cell() {  # cell STUDENT EXERCISE COLUMN
  python3 - "$book" "$@" <<'EOF'
import csv, sys
book, student, exercise, column = sys.argv[1:]
print(next(r[column] for r in csv.DictReader(open(book)) if r["student"] == student and r["exercise"] == exercise))
EOF
}
sha() { git -C "$out/students/$1" rev-parse HEAD; }
echo "--- gradebook"; cat "$book"; echo "---"
check "alice: run_all 10/10, hidden group included" test "$(cell alice run_all points)/$(cell alice run_all max_points)" = "10.0/10.0"
check "alice: spawn_and_wait 8/8 (timing off)" test "$(cell alice spawn_and_wait points)/$(cell alice spawn_and_wait max_points)" = "8.0/8.0"
check "alice: on time, her commit" bash -c "[[ '$(cell alice run_all late)' == no && '$(cell alice run_all commit)' == '$(sha alice)' ]]"
check "bob: his late commit is graded" test "$(cell bob run_all commit)" = "$(sha bob)"
check "bob: 2 days late, 20% off (10 -> 8, 8 -> 6.4)" \
  test "$(cell bob run_all late_days) $(cell bob run_all points) $(cell bob spawn_and_wait points)" = "2 8.0 6.4"
check "carol: her back-dated commit is late by the snapshot" \
  bash -c "[[ '$(cell carol run_all commit)' == '$(sha carol)' && '$(cell carol run_all late)' == yes ]]"
check "carol: the note says why" bash -c "[[ '$(cell carol run_all note)' == 'not yet pushed at the snapshot of'* ]]"
check "carol: her tampered tests and forged output are worth nothing (run_all 0)" test "$(cell carol run_all raw_points)" = 0.0
check "carol: her real work counts, 10% off (spawn_and_wait 8 -> 7.2)" test "$(cell carol spawn_and_wait points)" = 7.2
check "carol: her changes outside exercises/ are counted" test "$(cell carol run_all changes_outside_exercises)" -ge 2
check "carol: her report lists them" grep -q 'grader/course.toml' "$class/students/carol/report.md"
check "the hidden group was graded (alice's grades.json)" \
  grep -rq '"more exit codes (hidden)"' "$class/students/alice/"
check "every student has a report" bash -c "ls $class/students/{alice,bob,carol}/report.md >/dev/null"

# A regrade of one student rewrites her rows only.
check "regrade carol alone" grade_class grade --student carol --lessons 01 --no-timing --work "$work"
check "the regrade left alice's and bob's rows as they were" \
  bash -c "diff <(grep -v '^carol,' '$out/gradebook-first.csv') <(grep -v '^carol,' '$book')"
check "and carol's rows the same (nothing changed)" \
  bash -c "diff <(grep '^carol,' '$out/gradebook-first.csv') <(grep '^carol,' '$book')"
# --- 4. the students' copy builds and grades, the way a student runs it
alice="$out/students/alice"
check "./course grade 01 in alice's clone of the students' copy" \
  bash -c "cd '$alice' && ./course grade 01 >'$out/alice-grade.txt' 2>&1"
check "  gives the points a student can see in full (17 / 17: no hidden group, no timing against a reference)" \
  grep -q "Total  17 / 17 points" "$out/alice-grade.txt"
check "  and says that the instructors time it against the reference" \
  grep -q "compared with the reference solution when your instructors grade" "$out/alice-grade.txt"
check "  and built no reference object" bash -c "! compgen -G '$alice/build/dev/grader/lessons/*_ref*' >/dev/null"
check "./course selftest is refused in the students' copy" \
  bash -c "cd '$alice' && ! ./course selftest 01 >'$out/alice-selftest.txt' 2>&1 && grep -q 'instructors' '$out/alice-selftest.txt'"
[[ $keep -eq 1 ]] && echo "test-grade-class: kept $out"
finish
