#!/usr/bin/env bash
# Grades a student's change the way CI grades a pull request: everything comes from the
# BASE (the course as the instructors wrote it: tests, contract headers, manifest, grader,
# runtime, CMake), except the student's exercise sources, exercises/NN-topic/*.cpp, which
# come from the HEAD. Editing a test, a threshold, a contract header or the grader in the
# pull request therefore changes nothing; such changes are listed as ignored in the report.
#
#   scripts/grade-pr.sh --base DIR --head DIR [options]      two checkouts (what CI has)
#   scripts/grade-pr.sh --base-ref REF --head-ref REF [...]  two commits of this repository
#                                                            (git archive; the repo is not changed)
# options:
#   --out DIR            reports and the work tree go there (default: ./grade-pr-out)
#   --jobs N             compile jobs and parallel test groups (default: nproc)
#   --no-timing          skip the timing comparisons (forwarded to the grader)
#   --fail-under PCT     exit 1 when the score is below PCT percent (forwarded to the grader)
#   --lessons "NN ..."   grade these lessons only (default: all; scripts/grade_class.py uses it)
#   --sandbox-user USER  (root, CI) run the grader and so the student's code as USER, and kill
#                        every process of USER afterwards, before the reports are read
#   --reuse-build        keep OUT/build between runs (faster locally; CI always starts clean)
#
# Writes OUT/grades.json, OUT/junit.xml, OUT/results.json (Gradescope), OUT/summary.md (the
# Markdown report, headed with what was taken from where) and OUT/meta.json; appends
# summary.md to $GITHUB_STEP_SUMMARY when it is set. The text report goes to stdout.
# Exit status: the grader's (0 graded, whatever the score; 1 below --fail-under; 2-4 could
# not grade), or 5 when this script's own inputs are wrong.
set -euo pipefail

die() { echo "grade-pr: $*" >&2; exit 5; }

base="" head="" base_ref="" head_ref="" out="grade-pr-out" jobs=$(nproc 2>/dev/null || echo 2)
sandbox_user="" reuse=0 grader_opts=() lessons=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --base) base=$2; shift 2 ;;
    --head) head=$2; shift 2 ;;
    --base-ref) base_ref=$2; shift 2 ;;
    --head-ref) head_ref=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --no-timing) grader_opts+=(--no-timing); shift ;;
    --fail-under) grader_opts+=(--fail-under "$2"); shift 2 ;;
    --lessons) read -r -a lessons <<<"$2"; shift 2 ;;
    --sandbox-user) sandbox_user=$2; shift 2 ;;
    --reuse-build) reuse=1; shift ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)

# Sources given as commits: export them (read-only for the repository).
export_ref() {  # export_ref REF DIR
  local dir=$2
  rm -rf "$dir" && mkdir -p "$dir"
  git -C "$repo" archive --format=tar "$1" | tar -x -C "$dir"
}
if [[ -n $base_ref ]]; then base="$out/base-src"; export_ref "$base_ref" "$base"; fi
if [[ -n $head_ref ]]; then head="$out/head-src"; export_ref "$head_ref" "$head"; fi
[[ -n $base && -n $head ]] || die "give --base DIR and --head DIR (or --base-ref/--head-ref)"
[[ -f $base/grader/course.toml ]] || die "$base/grader/course.toml not found: --base must be the course's base branch"
[[ -d $head ]] || die "$head: no such directory"
base=$(cd "$base" && pwd)
head=$(cd "$head" && pwd)

# 1. The work tree: the base, whole (without build trees and .git).
work="$out/work"
rm -rf "$work" && mkdir -p "$work"
tar -C "$base" --exclude=./.git --exclude=./.cache --exclude=./build --exclude='./build-*' --exclude=./grade-pr-out -cf - . \
  | tar -C "$work" -xf -

# 2. The student's part from the head: regular files exercises/NN-topic/*.cpp only (no
#    symbolic links: a link could point at a test or outside the tree).
# Plain names only (the rule of cmake/MpLesson.cmake): a ';' or a space in a name would
# reach CMake's lists and break the configure of every lesson.
taken=()
plain_name='^[A-Za-z0-9_][A-Za-z0-9_.-]*\.cpp$'
while IFS= read -r -d '' f; do
  rel=${f#"$head"/}
  [[ ${rel##*/} =~ $plain_name ]] || continue  # listed as ignored below
  install -D -m 0644 "$f" "$work/$rel"
  taken+=("$rel")
done < <(find "$head/exercises" -mindepth 2 -maxdepth 2 -path "$head/exercises/[0-9][0-9]-*/*.cpp" -type f -print0 \
           2>/dev/null | sort -z)

# What the head changed that is not taken: shown in the report, so nobody wonders why a
# changed test or threshold made no difference.
ignored=()
while IFS= read -r rel; do
  [[ -z $rel ]] && continue
  case "$rel" in
    exercises/[0-9][0-9]-*/*/*) ignored+=("$rel") ;;  # deeper than the lesson folder: not built
    exercises/[0-9][0-9]-*/*.cpp)
      if [[ -L $head/$rel || ! ${rel##*/} =~ $plain_name ]]; then ignored+=("$rel"); fi ;;
    *) ignored+=("$rel") ;;
  esac
done < <(diff -rq -x .git -x .cache -x build -x 'build-*' -x grade-pr-out "$base" "$head" 2>/dev/null \
           | sed -n -e "s|^Files $base/\(.*\) and $head/.* differ\$|\1|p" \
                    -e "s|^Only in $head/\{0,1\}\(.*\): \(.*\)\$|\1/\2|p" \
           | sed 's|^/||' | sort -u)

# 3. Configure and build the grader (student code is built by the grader, lesson by lesson,
#    so code that does not compile costs its lesson only). Warnings are not errors here:
#    a student's unused variable must not cost the lesson.
build="$out/build"
[[ $reuse -eq 1 ]] || rm -rf "$build"
echo "grade-pr: configuring $build" >&2
cmake -S "$work" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMP_WARNINGS_AS_ERRORS=OFF \
      -DMP_BUILD_EXAMPLES=OFF -DMP_BUILD_DOCS=OFF >"$out/configure.log" 2>&1 \
  || { tail -30 "$out/configure.log" >&2; die "configuring the base failed (see $out/configure.log)"; }
echo "grade-pr: building the grader" >&2
cmake --build "$build" --target grader -j "$jobs" >"$out/build-grader.log" 2>&1 \
  || { tail -30 "$out/build-grader.log" >&2; die "the base's grader does not build (see $out/build-grader.log)"; }
grader="$build/grader/src/grader"
[[ -x $grader ]] || die "$grader not found after building the target grader"

# 4. Grade. The reports are written to a scratch folder, and read only once the grader and
#    everything it started are gone.
raw="$out/raw"
rm -rf "$raw" && mkdir -p "$raw"
# --no-timelines: nobody opens a failing group's timeline in the build tree of an unattended grading.
cmd=("$grader" grade --build-dir "$build" --source-dir "$work" --manifest "$work/grader/course.toml"
     --jobs "$jobs" --color never --no-timelines
     --format text
     --format json --output "$raw/grades.json"
     --format junit --output "$raw/junit.xml"
     --format markdown --output "$raw/summary.md"
     --format gradescope --output "$raw/results.json"
     ${grader_opts[@]+"${grader_opts[@]}"} ${lessons[@]+"${lessons[@]}"})
status=0
if [[ -n $sandbox_user ]]; then
  [[ $(id -u) -eq 0 ]] || die "--sandbox-user needs root"
  id -u "$sandbox_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$sandbox_user"
  chown -R "$sandbox_user" "$build" "$raw"
  setpriv --reuid="$sandbox_user" --regid="$(id -g "$sandbox_user")" --init-groups --reset-env -- \
    env PATH="$PATH" HOME="$raw" "${cmd[@]}" || status=$?
  pkill -KILL -u "$sandbox_user" 2>/dev/null || true   # whatever the student's code left running
else
  "${cmd[@]}" || status=$?
fi

# 5. The reports, headed with where each part came from.
for f in grades.json junit.xml results.json; do
  if [[ -f $raw/$f ]]; then cp "$raw/$f" "$out/$f"; else rm -f "$out/$f"; fi
done
base_sha=$(git -C "$base" rev-parse HEAD 2>/dev/null || echo "${base_ref:-unknown}")
head_sha=$(git -C "$head" rev-parse HEAD 2>/dev/null || echo "${head_ref:-unknown}")
{
  echo "<!-- mp-course-grade -->"
  if [[ -f $raw/summary.md ]]; then
    cat "$raw/summary.md"
  else
    echo "## Grading could not run"
    echo
    echo "The grader stopped with exit status $status before writing its report: see the job's log."
  fi
  echo
  echo "<details><summary>How this was graded</summary>"
  echo
  echo "Tests, contract headers, manifest (points and thresholds), grader and runtime: the base, \`${base_sha:0:12}\`."
  echo "Your code: the head, \`${head_sha:0:12}\`: ${#taken[@]} file(s) \`exercises/NN-topic/*.cpp\`."
  if [[ ${#ignored[@]} -gt 0 ]]; then
    echo
    echo "Changes in this pull request that grading **ignores** (only \`exercises/NN-topic/*.cpp\` counts):"
    echo
    for f in "${ignored[@]:0:50}"; do echo "- \`$f\`"; done
    [[ ${#ignored[@]} -le 50 ]] || echo "- ... and $(( ${#ignored[@]} - 50 )) more"
  fi
  echo
  echo "</details>"
} >"$out/summary.md"
python3 - "$out" "$status" "$base_sha" "$head_sha" "${#ignored[@]}" <<'EOF'
import json, sys, pathlib
out, status, base, head, ignored = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
meta = {"grader_exit_status": status, "base_sha": base, "head_sha": head, "ignored_changes": ignored}
g = pathlib.Path(out, "grades.json")
if g.exists():
    data = json.loads(g.read_text())
    meta["score"], meta["max_score"] = data.get("score"), data.get("max_score")
pathlib.Path(out, "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
print(f"grade-pr: score {meta.get('score')} / {meta.get('max_score')} (grader exit status {status})", file=sys.stderr)
EOF
if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"; fi
exit "$status"
