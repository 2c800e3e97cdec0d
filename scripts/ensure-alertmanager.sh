#!/usr/bin/env bash
# Make sure the real Alertmanager binary is installed, for tests/e2e/test_alertmanager.py.
#
# Idempotent and quiet on success. Installs Debian's prometheus-alertmanager package when
# /usr/bin/prometheus-alertmanager is missing, without leaving the package's system service
# running: the tests start their own Alertmanager on free loopback ports, and a system one on
# 9093 would only be a stray process.
set -euo pipefail

BINARY=/usr/bin/prometheus-alertmanager
PACKAGE=prometheus-alertmanager

if [ -x "$BINARY" ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-alertmanager: $BINARY is missing; run as root (or: apt-get install $PACKAGE)" >&2
  exit 1
fi

# Parallel callers (pytest -n) install once: the second waits, then finds the binary.
exec 9>/var/lock/ensure-alertmanager.lock
flock 9
if [ -x "$BINARY" ]; then
  exit 0
fi

# Forbid service starts during the install (exit 101 = "action forbidden" for invoke-rc.d);
# a policy the machine already has is put back afterwards, exactly as it was.
policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ]; then
  saved=$(mktemp)
  cp -p "$policy" "$saved"
fi
cleanup() {
  if [ -n "$saved" ]; then
    mv -f "$saved" "$policy"
  else
    rm -f "$policy"
  fi
}
trap cleanup EXIT
printf '#!/bin/sh\nexit 101\n' >"$policy"
chmod 755 "$policy"

log=$(mktemp)
if ! {
  apt-get -o DPkg::Lock::Timeout=120 update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq \
      --no-install-recommends "$PACKAGE"
} >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "ensure-alertmanager: installing $PACKAGE failed" >&2
  exit 1
fi
rm -f "$log"

# Belt and braces: should a service manager have started it anyway, stop it and keep it off.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now "$PACKAGE" >/dev/null 2>&1 || true
elif [ -x "/etc/init.d/$PACKAGE" ]; then
  "/etc/init.d/$PACKAGE" stop >/dev/null 2>&1 || true
fi

if [ ! -x "$BINARY" ]; then
  echo "ensure-alertmanager: $PACKAGE installed but $BINARY is missing" >&2
  exit 1
fi
