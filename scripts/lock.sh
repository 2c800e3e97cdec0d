#!/usr/bin/env bash
# Refresh the committed lock (requirements/*.txt) from setup.cfg and pyproject.toml with uv.
#
#   scripts/lock.sh            keep every pin that still satisfies setup.cfg; add what is new
#   scripts/lock.sh --upgrade  move every pin to the newest version setup.cfg allows
#
# Three files, exact pins with the sha256 of every wheel and sdist, for CPython 3.11 on Linux:
#   requirements/test.txt     runtime + test/tooling + the build backend: the .venv of `make`
#   requirements/runtime.txt  what the product runs on: the Dockerfile's virtualenv
#   requirements/build.txt    pip and the build backend: the Dockerfile's wheel build
# runtime.txt and build.txt are resolved under test.txt's pins, so a package has one version in
# every file. `make lock` runs this with the uv of the .venv (itself locked).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
uv=${UV:-$root/.venv/bin/uv}
[ -x "$uv" ] || { echo "lock: $uv is missing; run make install first" >&2; exit 1; }

upgrade=()
case "${1:-}" in
  "") ;;
  --upgrade) upgrade=(--upgrade) ;;
  *) echo "usage: scripts/lock.sh [--upgrade]" >&2; exit 2 ;;
esac

# The build backend as pyproject.toml names it, and pip itself: both install from the lock too.
build_requirements() {
  python3 -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], "pip", sep="\n")'
}

compile=("$uv" pip compile --quiet --generate-hashes --python-version 3.11 --python-platform linux
  --no-emit-index-url --custom-compile-command "make lock")
build_requirements | "${compile[@]}" "${upgrade[@]}" setup.cfg - --extra test -o requirements/test.txt
"${compile[@]}" setup.cfg -c requirements/test.txt -o requirements/runtime.txt
build_requirements | "${compile[@]}" - -c requirements/test.txt -o requirements/build.txt
echo "lock: requirements/test.txt ($(grep -c '^[a-z0-9]' requirements/test.txt) packages)," \
  "runtime.txt ($(grep -c '^[a-z0-9]' requirements/runtime.txt)), build.txt ($(grep -c '^[a-z0-9]' requirements/build.txt))"
