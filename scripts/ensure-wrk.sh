#!/usr/bin/env bash
# Make sure wrk (the HTTP load generator of `python -m bench.run`) is installed.
#
# Idempotent and quiet on success: installs Debian's wrk package when no wrk is on PATH.
set -euo pipefail

PACKAGE=wrk

if command -v wrk >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-wrk: wrk is missing; run as root (or: apt-get install $PACKAGE)" >&2
  exit 1
fi

# Parallel callers (pytest -n) install once: the second waits, then finds the binary.
exec 9>/var/lock/ensure-wrk.lock
flock 9
if command -v wrk >/dev/null 2>&1; then
  exit 0
fi

log=$(mktemp)
if ! {
  apt-get -o DPkg::Lock::Timeout=120 update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq \
      --no-install-recommends "$PACKAGE"
} >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "ensure-wrk: installing $PACKAGE failed" >&2
  exit 1
fi
rm -f "$log"

if ! command -v wrk >/dev/null 2>&1; then
  echo "ensure-wrk: $PACKAGE installed but wrk is not on PATH" >&2
  exit 1
fi
