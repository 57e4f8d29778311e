#!/usr/bin/env bash
# Measures how often the grader catches a rare race (docs/grading.md, "Races"), on the
# fixture course's lesson 95: a lost update (grader/selftest/fixtures/racy_code.cpp).
#
#   scripts/measure-races.sh [BUILD_DIR [GRADINGS [REPEATS]]]
#
# BUILD_DIR (default build/ci) must have the grader and the fixtures built
# (cmake --build BUILD_DIR). First, for windows of several sizes (MP_RACY_EACH
# increments per process), the share of failing runs of the racy test on the plain
# schedule (p) and on a perturbed one (q), REPEATS runs each (default 400), and what
# follows for a group with runs = 3: caught by three plain runs 1-(1-p)^3, by the
# grader's one plain and two perturbed runs 1-(1-p)(1-q)^2. Then it grades lesson 95
# GRADINGS times (default 40) with and without --no-perturb and prints how often the
# race was caught (the group did not pass) and the time a grading took.
# Run it on an otherwise idle machine: load changes how often a race shows.
set -euo pipefail

build=${1:-build/ci} gradings=${2:-40} repeats=${3:-400}
fixtures=$build/grader/selftest/fixtures
grader=$build/grader/src/grader
[[ -x $grader && -x $fixtures/fixture_racy_tests ]] || {
  echo "measure-races: build $build first (cmake --build $build)" >&2
  exit 2
}

share_failing() {  # EACH MP_PERTURB -> the share of $repeats runs that failed
  local failed
  failed=$(MP_RACY_EACH=$1 MP_PERTURB=$2 MP_LESSON_CODE=$fixtures/fixture_racy_code.so \
    "$fixtures/fixture_racy_tests" --gtest_repeat="$repeats" 2>&1 |
    grep -c '^\[  FAILED  \] Racy\.CountsEveryIncrement (' || true)
  echo "$failed / $repeats" | bc -l
}

echo "the racy test alone, $repeats runs each; caught by a group of 3 runs:"
printf '  %6s %9s %9s %12s %12s\n' each "plain p" "perturbed q" "3 plain" "1 + 2 pert."
for each in 250 500 1000 2000 4000; do
  p=$(share_failing "$each" 0)
  q=$(share_failing "$each" 17)
  printf '  %6d %8.1f%% %10.1f%% %11.1f%% %11.1f%%\n' "$each" "$(echo "100 * $p" | bc -l)" \
    "$(echo "100 * $q" | bc -l)" "$(echo "100 * (1 - (1 - $p)^3)" | bc -l)" \
    "$(echo "100 * (1 - (1 - $p) * (1 - $q)^2)" | bc -l)"
done

echo "grading lesson 95 (runs = 3, the fixture's window), $gradings times each:"
report=$(mktemp)
trap 'rm -f "$report"' EXIT
for mode in --no-perturb ""; do
  caught=0
  start=$(date +%s.%N)
  for ((i = 0; i < gradings; ++i)); do
    # shellcheck disable=SC2086  # $mode is empty or one flag
    "$grader" grade 95 $mode --manifest grader/selftest/fixtures/course.toml --build-dir "$build" \
      --source-dir . --color never --quiet --format json --output "$report" >/dev/null
    python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["lessons"][0]["exercises"][0]["tests"][0]; sys.exit(g["status"] == "passed")' \
      "$report" && caught=$((caught + 1))
  done
  end=$(date +%s.%N)
  printf '  %-12s caught %3d of %d gradings (%5.1f %%), %.2f s a grading\n' \
    "${mode:-perturbed}" "$caught" "$gradings" "$(echo "100 * $caught / $gradings" | bc -l)" \
    "$(echo "($end - $start) / $gradings" | bc -l)"
done
