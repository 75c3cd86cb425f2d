#!/usr/bin/env bash
# Refreshes (or checks) the vendored ECharts build served by the binary at /static/echarts.min.js.
# Nothing is downloaded when the product is built or run: this script is for a maintainer,
# and reads the file from npm's registry (Apache ECharts, Apache-2.0).
#   bash scripts/vendor-echarts.sh          # check the committed file against the npm package
#   bash scripts/vendor-echarts.sh --update # replace it with the npm package's file
set -euo pipefail
VERSION=5.6.0
SHA256=55974cf42cc160e6cf9099cd3ed8cdedfaa9779919fcee7e2272c85f6ca30e27
TARGET="$(dirname "$0")/../crates/web/static/echarts.common.min.js"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "echarts@$VERSION" >/dev/null && tar xzf "echarts-$VERSION.tgz")
got="$(sha256sum "$work/package/dist/echarts.common.min.js" | cut -d' ' -f1)"
if [ "${1:-}" = "--update" ]; then
  cp "$work/package/dist/echarts.common.min.js" "$TARGET"
  echo "echarts $VERSION: $got (put it in SHA256 above)"
  exit 0
fi
[ "$got" = "$SHA256" ] || { echo "npm's echarts $VERSION is $got, expected $SHA256" >&2; exit 1; }
have="$(sha256sum "$TARGET" | cut -d' ' -f1)"
[ "$have" = "$SHA256" ] || { echo "the committed file is $have, not echarts $VERSION ($SHA256)" >&2; exit 1; }
echo "echarts $VERSION: the committed file is npm's"
