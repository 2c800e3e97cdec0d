#!/usr/bin/env bash
# Print the versions of the non-Python tools a run uses, beside what the repository pins or
# records (requirements/debian.txt); a difference is marked, not fatal. `make test` prints this.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
record="$root/requirements/debian.txt"

line="tools:"
add() { line="$line $1;"; }

add "python $(python3 -c 'import platform; print(platform.python_version())')"
add "helm $("$root/.tools/helm" version --short 2>/dev/null || echo missing)"
add "kubectl $(kubectl version --client -o yaml 2>/dev/null | sed -n 's/^  gitVersion: //p' | grep . || echo missing)"
add "hadolint $(hadolint --version 2>/dev/null | awk '{print $NF}' || echo missing)"
while IFS='=' read -r package recorded; do
  case "$package" in ''|'#'*) continue ;; esac
  used=$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null || true)
  if [ -z "$used" ]; then
    add "$package not installed (recorded $recorded)"
  elif [ "$used" = "$recorded" ]; then
    add "$package $used"
  else
    add "$package $used (recorded $recorded: differs)"
  fi
done <"$record"
echo "${line%;}"
