#!/usr/bin/env bash
# Enforces the repository's style files:
#   1. clang-format (.clang-format) on every tracked C++ file;
#   2. clang-tidy's readability-identifier-naming (.clang-tidy) on the C++ files changed
#      since a base commit (or on all of them).
#
#   scripts/check-style.sh [--fix] [--base REF | --all]
#
#   --fix       rewrite the files clang-format would change (naming stays a report)
#   --base REF  the commit to compare with for the naming check; default: the merge base
#               with origin/main when it is not HEAD, else HEAD~1, else (a checkout of one
#               commit) every file
#   --all       the naming check on every C++ file (about 2 minutes on 2 cores)
#
# The naming check needs compile commands: it configures build/ci (the `ci` preset) when
# build/ci/compile_commands.json is missing. Tools: clang-format-14 and clang-tidy-14 (or
# unversioned ones), from Debian's clang-format and clang-tidy packages.
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0 base="" all=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --fix) fix=1 ;;
    --base) base=${2:?--base needs a commit}; shift ;;
    --all) all=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "check-style: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

tool() {  # tool NAME: NAME-14 when installed, else NAME
  if command -v "$1-14" >/dev/null; then echo "$1-14"; elif command -v "$1" >/dev/null; then echo "$1"
  else echo "check-style: $1 is not installed (apt-get install $1)" >&2; exit 1; fi
}
format=$(tool clang-format)
tidy=$(tool clang-tidy)

mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
status=0

# 1. Format.
if [[ $fix == 1 ]]; then
  "$format" -i "${sources[@]}"
else
  mapfile -t unformatted < <(for f in "${sources[@]}"; do
    "$format" --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
  if [[ ${#unformatted[@]} -gt 0 ]]; then
    printf 'check-style: not formatted: %s\n' "${unformatted[@]}" >&2
    echo "check-style: run scripts/check-style.sh --fix (or $format -i FILE)" >&2
    status=1
  else
    echo "check-style: clang-format: ${#sources[@]} files formatted"
  fi
fi

# 2. Names, on the changed files.
if [[ $all == 0 && -z $base ]]; then
  if git rev-parse -q --verify origin/main >/dev/null; then base=$(git merge-base HEAD origin/main); fi
  # On main itself (a push), the last commit is what changed.
  if [[ -z $base || $base == "$(git rev-parse HEAD)" ]]; then
    if git rev-parse -q --verify HEAD~1 >/dev/null; then base=HEAD~1; else base="" all=1; fi
  fi
fi
if [[ $all == 1 ]]; then
  # Every source file; a header only where no tracked file includes it: the others are
  # checked through the sources that include them (--header-filter), not compiled again alone.
  changed=()
  for f in "${sources[@]}"; do
    if [[ $f == *.h || $f == *.hpp ]] && git grep -q -F "$(basename "$f")\"" -- '*.cpp' '*.hpp' '*.h' '*.cc'; then
      continue
    fi
    changed+=("$f")
  done
else
  mapfile -t changed < <(git diff --name-only --diff-filter=d "$base" -- '*.cpp' '*.hpp' '*.h' '*.cc')
fi
# Only the code the build compiles has compile commands; the students' exercises are theirs,
# and the grader's broken_* fixtures do not compile on purpose.
mapfile -t changed < <(printf '%s\n' ${changed[@]+"${changed[@]}"} \
  | grep -v -e '^exercises/' -e '^grader/selftest/fixtures/broken_' -e '^$' || true)
if [[ ${#changed[@]} -eq 0 ]]; then
  echo "check-style: identifier naming: no changed C++ files${base:+ since $base}"
  exit "$status"
fi
if [[ ! -f build/ci/compile_commands.json ]]; then
  cmake --preset ci -B build/ci >/dev/null
fi
echo "check-style: identifier naming on ${#changed[@]} file(s)${base:+ changed since $base}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
printf '%s\n' "${changed[@]}" | xargs -P "$(nproc)" -n 4 "$tidy" -p build/ci --quiet \
  --checks='-*,readability-identifier-naming' --warnings-as-errors="readability-identifier-naming" --extra-arg=-Wno-error \
  --header-filter="^$PWD/(reference|grader|lessons)/" >"$log" 2>&1 || true
if grep -q 'readability-identifier-naming' "$log"; then
  grep -E '(warning|error):.*readability-identifier-naming' "$log" | sort -u >&2
  echo "check-style: names break .clang-tidy's rules (CONTRIBUTING.md, Style)" >&2
  status=1
elif grep -qE 'error:' "$log"; then
  cat "$log" >&2
  echo "check-style: clang-tidy could not check the files" >&2
  status=1
else
  echo "check-style: identifier naming: no problems"
fi
exit "$status"
