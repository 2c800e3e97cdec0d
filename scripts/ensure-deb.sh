#!/usr/bin/env bash
# Make sure a Debian package's binary is installed: scripts/ensure-deb.sh PACKAGE BINARY
#
# Idempotent and quiet on success. When BINARY is missing, installs PACKAGE at the version
# requirements/debian.txt records if apt offers it, else apt's candidate (saying so), without
# starting the package's service: the tests start their own servers on free loopback ports.
set -euo pipefail

package=$1
binary=$2
record="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/requirements/debian.txt"

present() { [ -x "$binary" ] || command -v "$binary" >/dev/null 2>&1; }
present && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-deb: $binary is missing; run as root (or: apt-get install $package)" >&2
  exit 1
fi

# Parallel callers (pytest -n) install once: the second waits, then finds the binary.
exec 9>"/var/lock/ensure-deb-$package.lock"
flock 9
present && exit 0

# Forbid service starts during the install (exit 101 = "action forbidden" for invoke-rc.d);
# a policy the machine already has is put back afterwards, exactly as it was.
policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ]; then
  saved=$(mktemp)
  cp -p "$policy" "$saved"
fi
log=$(mktemp)
cleanup() {
  if [ -n "$saved" ]; then mv -f "$saved" "$policy"; else rm -f "$policy"; fi
  rm -f "$log"
}
trap cleanup EXIT
printf '#!/bin/sh\nexit 101\n' >"$policy"
chmod 755 "$policy"

apt() { apt-get -o DPkg::Lock::Timeout=120 "$@"; }
apt update -qq >"$log" 2>&1 || { cat "$log" >&2; echo "ensure-deb: apt-get update failed" >&2; exit 1; }
wanted=$(sed -n "s/^$package=//p" "$record")
target=$package
if [ -n "$wanted" ] && apt-cache madison "$package" | awk -F'|' '{gsub(/ /, "", $2); print $2}' | grep -qxF "$wanted"; then
  target="$package=$wanted"
else
  echo "ensure-deb: $package ${wanted:-(not recorded)} is not offered by apt; installing its candidate" >&2
fi
if ! DEBIAN_FRONTEND=noninteractive apt install -y -qq --no-install-recommends "$target" >"$log" 2>&1; then
  cat "$log" >&2
  echo "ensure-deb: installing $target failed" >&2
  exit 1
fi

# Belt and braces: should a service manager have started it anyway, stop it and keep it off.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now "$package" >/dev/null 2>&1 || true
elif [ -x "/etc/init.d/$package" ]; then
  "/etc/init.d/$package" stop >/dev/null 2>&1 || true
fi

present || { echo "ensure-deb: $target installed but $binary is missing" >&2; exit 1; }
