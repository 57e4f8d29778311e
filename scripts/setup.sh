#!/usr/bin/env bash
# Installs what this course needs and the machine lacks (Debian/Ubuntu).
# Idempotent and quiet when everything is there: it asks dpkg first and only
# runs apt-get (update + install) for missing packages.
#   scripts/setup.sh              build, test and benchmark dependencies
#   scripts/setup.sh --docs       also the documentation tools
#   scripts/setup.sh [--docs] PKG...   and these packages too (CI's own tools: ci-step.sh setup)
set -euo pipefail

packages=(cmake make g++ clang libgtest-dev libgmock-dev libbenchmark-dev libfmt-dev libcereal-dev
          libtomlplusplus-dev nlohmann-json3-dev libpugixml-dev libcli11-dev libsodium-dev pkg-config python3 procps gdb
          bubblewrap tmux iproute2 redis-server libhiredis-dev python3-celery python3-redis
          python3-matplotlib)
for a in "$@"; do
  case "$a" in
    --docs) packages+=(doxygen graphviz doxygen-awesome-css chromium python3-jsonschema) ;;
    -*) echo "setup: unknown option '$a'" >&2; exit 2 ;;
    *) packages+=("$a") ;;
  esac
done

# One dpkg-query for all of them: every verb of ./course runs this check.
installed=$'\n'$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)$'\n'
missing=()
for p in "${packages[@]}"; do
  [[ $installed == *$'\n'"$p install ok installed"$'\n'* ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
