#!/usr/bin/env bash
# Runs the Gradescope bundle the way Gradescope does, in a folder standing for /autograder,
# and checks what comes out:
#
#   1. ./course gradescope-bundle (lesson 01, timing off), unzipped into AUTOGRADER/source;
#      setup.sh (root: packages, the user mp-student, the cached build)
#   2. three submissions, each run by run_autograder on the built image:
#        files     the reference solutions uploaded as files (run_all.cpp, spawn_and_wait.cpp)
#        repo      a repository: the skeletons, a test edited to pass, the manifest's points raised
#        forger    files whose code writes a forged results.json at the path Gradescope reads
#
# and asserts: each results.json follows Gradescope's specification (keys, statuses,
# visibilities; no top-level max_score); the tests' maximum is the manifest's for lesson 01,
# whatever was measured; the solutions get all of it, the hidden group shown after
# publishing; the repository's edits change nothing; the forgery does not reach the results;
# the student's code ran as mp-student, not root.
#
#   scripts/gradescope/selftest.sh [--keep] [--out DIR]     (as root: setup.sh installs and adds a user)
# Exit status 0 when every assertion holds; the last line says "N passed, M failed".
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
keep=0 out=""
# shellcheck source=../check-lib.sh
. "$repo/scripts/check-lib.sh"
parse_check_args "gradescope selftest" "" "$@"
[[ $(id -u) -eq 0 ]] || { echo "gradescope selftest: SKIPPED: needs root (setup.sh installs, adds a user)"; exit 0; }
make_scratch mp-gradescope
chmod 755 "$out"  # mp-student reads the build below it

image="$out/image/autograder"
mkdir -p "$image/source"
check "the bundle is made" "$repo/course" gradescope-bundle "$out/bundle.zip" --lessons 01 --no-timing
# Unzipped as unzip does it, with the files' modes (Python's extractall drops them).
python3 - "$out/bundle.zip" "$image/source" <<'EOF2'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        path = z.extract(info, sys.argv[2])
        os.chmod(path, (info.external_attr >> 16) & 0o777 or 0o644)
EOF2
for f in setup.sh run_autograder; do
  check "the bundle's $f is the repository's" cmp -s "$repo/scripts/gradescope/$f" "$image/source/$f"
done
check "setup.sh (packages, user, cached build)" \
  bash -c "AUTOGRADER_ROOT='$image' '$image/source/setup.sh' >'$out/setup.log' 2>&1"
check "the user mp-student exists" bash -c "id -u mp-student >/dev/null"

# Gradescope starts each submission in a fresh container of the image; here they run one
# after the other in the image's folder (a build tree cannot be copied elsewhere), with the
# submission and the results folders made anew, and the results kept.
submit() {  # submit NAME: run_autograder on $out/submissions/NAME
  rm -rf "$image/submission" "$image/results" "$image/head"
  cp -a "$out/submissions/$1" "$image/submission"
  AUTOGRADER_ROOT="$image" "$image/source/run_autograder" >"$out/$1.log" 2>&1 || return 1
  mkdir -p "$out/results/$1" && cp "$image/results/results.json" "$out/results/$1/"
}
results() { echo "$out/results/$1/results.json"; }
valid() {  # valid NAME: results.json follows the specification; prints "score max"
  python3 - "$(results "$1")" <<'EOF2'
import json, sys
r = json.load(open(sys.argv[1]))
top = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
       "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
test = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
        "visibility", "extra_data"}
seen = {"visible", "hidden", "after_due_date", "after_published"}
assert set(r) <= top, set(r) - top
assert r.get("visibility", "visible") in seen and r.get("stdout_visibility", "hidden") in seen
for t in r["tests"]:
    assert set(t) <= test, set(t) - test
    assert t["status"] in ("passed", "failed") and t["visibility"] in seen, t
    assert 0 <= t["score"] <= t["max_score"], t
print(sum(t["score"] for t in r["tests"]), sum(t["max_score"] for t in r["tests"]))
EOF2
}
lesson_max=$(python3 -c 'import sys, tomllib; m = tomllib.load(open(sys.argv[1], "rb"))
print(float(sum(g["points"] for l in m["lessons"] if l["id"] == "01" for e in l["exercises"]
            for g in e.get("tests", []) + e.get("timing", []))))' "$repo/grader/course.toml")

# files: the solutions, uploaded as files.
mkdir -p "$out/submissions/files"
cp "$repo/reference/solutions/01-processes/"*.cpp "$out/submissions/files/"
check "files: run_autograder" submit files
files=$(valid files || echo invalid)
check "files: results.json follows the specification ($files)" test "$files" != invalid
check "files: all the points of lesson 01, its maximum the manifest's ($files = $lesson_max)" \
  test "$files" = "$lesson_max $lesson_max"
check "files: the hidden group is shown after publishing" python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert [t["visibility"] for t in r["tests"] if "(hidden)" in t["name"]] == ["after_published"]' "$(results files)"
check "files: no top-level max_score" python3 -c 'import json, sys; assert "max_score" not in json.load(open(sys.argv[1]))' "$(results files)"

# repo: a repository submission with the skeletons, a test made to pass and raised points.
mkdir -p "$out/submissions/repo"
tar -C "$repo" -cf - exercises grader/tests/01-processes grader/course.toml | tar -C "$out/submissions/repo" -xf -
for t in "$out/submissions/repo/grader/tests/01-processes/"*_test.cpp; do
  printf '#include <gtest/gtest.h>\nTEST(RunAll, AlwaysPasses) { SUCCEED(); }\n' >"$t"
done
sed -i -E 's/^([[:space:]]*points[[:space:]]*=[[:space:]]*)[0-9]+/\11000/' "$out/submissions/repo/grader/course.toml"
check "repo: run_autograder" submit repo
repo_score=$(valid repo || echo invalid)
timing=$(python3 -c 'import sys, tomllib; m = tomllib.load(open(sys.argv[1], "rb"))
print(sum(t["points"] for l in m["lessons"] if l["id"] == "01" for e in l["exercises"] for t in e.get("timing", [])))' \
  "$repo/grader/course.toml")
check "repo: the skeletons score nothing, whatever the edits ($repo_score; max $lesson_max)" \
  test "$repo_score" = "0.0 $lesson_max"
check "repo: the unmeasured timing of unsolved code gets none of its $timing points" python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
timing = [t for t in r["tests"] if "timing:" in t["name"]]
assert timing and all(t["score"] == 0 for t in timing), timing' "$(results repo)"

# forger: code that writes a results.json of its own where Gradescope reads it.
mkdir -p "$out/submissions/forger"
cp "$repo/reference/solutions/01-processes/spawn_and_wait.cpp" "$out/submissions/forger/"
cat >"$out/submissions/forger/run_all.cpp" <<CPP
#include "run_all.hpp"

#include <fstream>
#include <unistd.h>

namespace lesson01 {
std::vector<int> run_all(const std::vector<std::function<void()>>& functions, mp::Timeout) {
  for (const char* at : {"$image/results/results.json", "$out/forged-as-root"}) {
    std::ofstream(at) << "{\"score\": 1000, \"tests\": []} uid " << ::getuid() << "\n";
  }
  return std::vector<int>(functions.size(), 0);
}
}  // namespace lesson01
CPP
check "forger: run_autograder" submit forger
forger=$(valid forger || echo invalid)
check "forger: results.json is the grader's ($forger)" bash -c "[[ '$forger' != invalid && '$forger' != 1000* ]]"
check "forger: nothing was written where the student's code aimed" test ! -e "$out/forged-as-root"
[[ $keep -eq 1 ]] && echo "gradescope selftest: kept $out"
finish
