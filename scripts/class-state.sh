#!/usr/bin/env bash
# The steps of .github/workflows/grade-class.yml, one per job, so that each can be run and
# read as a script. The class's state lives on the branch `class-state` of the instructors'
# repository: snapshots.csv (what each student had pushed, and when: the evidence for
# deadlines) and gradebook.csv + students/*/report.md (the last grades). The students'
# repositories are mirrored into CLASS/repos, which the branch does not keep.
#
#   scripts/class-state.sh fetch COURSE CLASS    mirror every repository of COURSE/grader/roster.csv
#                                                (token: $STUDENTS_TOKEN), record a snapshot, push the branch
#   scripts/class-state.sh grade COURSE CLASS    grade from the mirrors ($STUDENT, $LESSONS: a regrade),
#                                                the student's code run as the user mp-student; no push
#   scripts/class-state.sh record CLASS          commit the gradebook and the reports to the branch, push
#
# COURSE: a checkout of the instructors' repository; CLASS: a checkout of class-state (fetch
# makes it when the branch does not exist yet). Pushing needs $PUSH_TOKEN (the workflow's
# token) and $GITHUB_REPOSITORY.
set -euo pipefail
step=${1:-} course=${2:-} class=${3:-}

push_state() {  # push_state CLASS MESSAGE: commit what changed on class-state and push it
  local dir=$1
  git -C "$dir" add -A
  if git -C "$dir" diff --cached --quiet; then echo "class-state: nothing changed"; return; fi
  git -C "$dir" -c user.name="grade-class" -c user.email="grade-class@localhost" commit -q -m "$2"
  git -C "$dir" push -q "https://x-access-token:${PUSH_TOKEN:?}@github.com/${GITHUB_REPOSITORY:?}.git" HEAD:class-state
}

case "$step" in
  fetch)
    [[ -n $course && -n $class ]] || { echo "class-state: fetch COURSE CLASS" >&2; exit 2; }
    if [[ ! -d $class/.git ]]; then
      mkdir -p "$class" && git -C "$class" init -q -b class-state
    fi
    printf 'repos/\nwork/\n' >"$class/.gitignore"
    # The students' repositories are private: read them with the classroom's token.
    if [[ -n ${STUDENTS_TOKEN:-} ]]; then
      git config --global url."https://x-access-token:${STUDENTS_TOKEN}@github.com/".insteadOf "https://github.com/"
    fi
    status=0
    python3 "$course/scripts/grade_class.py" fetch --roster "$course/grader/roster.csv" --out "$class" || status=$?
    push_state "$class" "snapshot $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    exit "$status"
    ;;
  grade)
    [[ -n $course && -n $class ]] || { echo "class-state: grade COURSE CLASS" >&2; exit 2; }
    args=(grade --roster "$course/grader/roster.csv" --out "$class" --jobs "$(nproc)")
    [[ -n ${STUDENT:-} ]] && args+=(--student "$STUDENT")
    if [[ -n ${LESSONS:-} ]]; then read -r -a lessons <<<"$LESSONS"; args+=(--lessons "${lessons[@]}"); fi
    [[ $(id -u) -eq 0 ]] && args+=(--sandbox-user mp-student)
    python3 "$course/scripts/grade_class.py" "${args[@]}"
    ;;
  record)
    class=$course  # record takes CLASS alone
    [[ -n $class ]] || { echo "class-state: record CLASS" >&2; exit 2; }
    push_state "$class" "grades $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    ;;
  *)
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
