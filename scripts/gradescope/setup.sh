#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu 22.04 or
# later, Debian 12). It installs what the course needs, makes the unprivileged user that
# runs the students' code, and builds everything but the student's files, by grading the
# course's own skeletons once: a submission then rebuilds only its own code.
#
# AUTOGRADER_ROOT (default /autograder) lets scripts/gradescope/selftest.sh run the bundle
# in a folder of its own.
set -euo pipefail
root=${AUTOGRADER_ROOT:-/autograder}
src=$root/source
# shellcheck source=/dev/null
. "$src/assignment.conf"  # LESSONS, TIMING
course=$src/course

# 1. Packages. Ubuntu 22.04's CMake (3.22) and g++ (11) are older than the course needs
#    (CMake 3.25, g++ 12): there, g++-12 from Ubuntu, and CMake from PyPI.
export DEBIAN_FRONTEND=noninteractive
"$course/scripts/setup.sh" git
version_at_least() { [[ $(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1) == "$2" ]]; }
cmake_version=$(cmake --version | sed -n 's/^cmake version \([0-9.]*\).*/\1/p')
if ! version_at_least "$cmake_version" 3.25; then
  echo "setup: CMake $cmake_version is older than 3.25: installing CMake from PyPI" >&2
  apt-get install -y -qq python3-pip >/dev/null
  python3 -m pip install --quiet 'cmake>=3.25'
  hash -r
fi
env_file=$root/course.env
: >"$env_file"
gxx_version=$(g++ -dumpversion | cut -d. -f1)
if [[ $gxx_version -lt 12 ]]; then
  echo "setup: g++ $gxx_version is older than 12: installing g++-12" >&2
  apt-get install -y -qq g++-12 >/dev/null
  echo "export CXX=g++-12 CC=gcc-12" >>"$env_file"
fi
# shellcheck source=/dev/null
. "$env_file"

# 2. The user that runs the students' code (run_autograder drops to it).
id -u mp-student >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin mp-student

# 3. The cached build: the course graded on its own skeletons (trusted code), lesson(s) $LESSONS.
echo "setup: building the grader and lesson(s) $LESSONS (log: $root/setup-grade.log)" >&2
"$course/scripts/grade-pr.sh" --base "$course" --head "$course" --out "$root/work" --lessons "$LESSONS" \
  --no-timing >"$root/setup-grade.log" 2>&1 || { tail -n 30 "$root/setup-grade.log" >&2; exit 1; }
echo "setup: ready" >&2
