# Sourced by the end-to-end checks (scripts/test-grade-pr.sh, scripts/test-grade-class.sh,
# scripts/gradescope/selftest.sh): their options, their scratch folder and their verdicts.
#
#   parse_check_args NAME EXTRA "$@"   --keep (sets $keep to 1: leave the scratch folder),
#                                --out DIR (sets $out), and --work DIR (sets $work) when EXTRA
#                                is "--work" ("" otherwise); the caller declares the variables
#   make_scratch PREFIX          $out: --out's folder, or a new /tmp/PREFIX.XXXXXX; removed at
#                                exit unless --keep
#   check DESCRIPTION CMD...     runs CMD; prints "ok" or "FAIL" and the description
#   finish                       prints "N passed, M failed"; exits 0 when nothing failed
# shellcheck shell=bash disable=SC2034  # keep, out, work: the sourcing script's
passed=0 failed=0

parse_check_args() {
  local name=$1 extra=$2
  shift 2
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --keep) keep=1; shift ;;
      --out) out=${2:?--out takes a folder}; shift 2 ;;
      --work)
        [[ $extra == --work ]] || { echo "$name: unknown argument '$1'" >&2; exit 2; }
        work=${2:?--work takes a folder}; shift 2 ;;
      *) echo "$name: unknown argument '$1'" >&2; exit 2 ;;
    esac
  done
}

make_scratch() {
  if [[ -z $out ]]; then out=$(mktemp -d "/tmp/$1.XXXXXX"); fi
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  if [[ $keep -eq 0 ]]; then trap 'rm -rf "$out"' EXIT; fi
}

check() {
  local what=$1
  shift
  if "$@"; then echo "ok    $what"; passed=$((passed + 1)); else echo "FAIL  $what"; failed=$((failed + 1)); fi
}

finish() {
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
  exit $?
}
