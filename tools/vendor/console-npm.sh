#!/usr/bin/env bash
# Re-vendors the live console's npm files into src/EegDann.Daemon/LiveConsole/wwwroot/vendor/ and
# checks them. The build embeds the committed files (a clean clone builds offline, CI needs no
# npm); this script is how they got there and how to prove they are the published ones.
#
#   tools/vendor/console-npm.sh          # download with `npm pack`, verify, copy, print hashes
#   tools/vendor/console-npm.sh --check  # download, verify, and fail if the committed files differ
#
# The package's tarball is checked against the registry's sha512 integrity pinned below, and
# every vendored file against the sha256 in vendor.sha256 (so an edit by hand is caught too).
set -euo pipefail
cd "$(dirname "$0")/../.."
PACKAGE=uplot
VERSION=1.6.32
INTEGRITY='sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw=='
DEST=src/EegDann.Daemon/LiveConsole/wwwroot/vendor
FILES=(dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
tarball="$work/$PACKAGE-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [[ "$actual" != "$INTEGRITY" ]]; then
  echo "$tarball: integrity $actual, expected $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"

if [[ "${1:-}" == "--check" ]]; then
  status=0
  for f in "${FILES[@]}"; do
    name=$(basename "$f"); [[ "$name" == LICENSE ]] && name=uPlot.LICENSE
    if ! cmp -s "$work/package/$f" "$DEST/$name"; then
      echo "$DEST/$name differs from $PACKAGE@$VERSION's $f" >&2
      status=1
    fi
  done
  (cd "$DEST" && sha256sum --quiet -c vendor.sha256) || status=1
  [[ $status == 0 ]] && echo "vendored $PACKAGE@$VERSION files match the registry's package and vendor.sha256"
  exit $status
fi

mkdir -p "$DEST"
for f in "${FILES[@]}"; do
  name=$(basename "$f"); [[ "$name" == LICENSE ]] && name=uPlot.LICENSE
  cp "$work/package/$f" "$DEST/$name"
done
(cd "$DEST" && sha256sum uPlot.iife.min.js uPlot.min.css uPlot.LICENSE > vendor.sha256)
echo "$PACKAGE@$VERSION vendored into $DEST:"
cat "$DEST/vendor.sha256"
