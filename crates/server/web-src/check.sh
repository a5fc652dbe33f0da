#!/usr/bin/env bash
# Checks that the committed vendored OpenLayers (crates/server/web/vendor/)
# is exactly what build.mjs makes from the pinned packages: installs them
# with `npm ci` (package-lock.json), builds into a temporary folder and
# compares byte for byte. Run from CI; exits non-zero when stale.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vendor="$here/../web/vendor"
cd "$here"

# --ignore-scripts: nothing here needs an install script (esbuild finds its
# binary in the pinned @esbuild/linux-x64 package without its postinstall).
npm ci --ignore-scripts --no-audit --no-fund >/dev/null

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
node build.mjs "$out" >/dev/null

stale=0
for f in ol.js ol.css THIRD-PARTY-NOTICES.txt; do
  if [ ! -f "$vendor/$f" ]; then
    echo "missing: crates/server/web/vendor/$f" >&2
    stale=1
  elif ! cmp -s "$out/$f" "$vendor/$f"; then
    echo "differs: crates/server/web/vendor/$f" >&2
    stale=1
  fi
done
if [ "$stale" -ne 0 ]; then
  echo "the vendored OpenLayers build is stale: run npm run build in crates/server/web-src" >&2
  exit 1
fi
echo "the vendored OpenLayers build is up to date (ol.js, ol.css, THIRD-PARTY-NOTICES.txt)"
