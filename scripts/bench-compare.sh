#!/usr/bin/env bash
# Runs a benchmark script for an earlier commit and for the working tree, one after the other on
# the same machine, each on a database of its own, so a slowdown shows side by side.
#
#   bash scripts/bench-compare.sh REV SCRIPT [SCRIPT OPTIONS…]
#   bash scripts/bench-compare.sh 8d976d1 scripts/bench.sh --households 100000
#
# The earlier commit is checked out in a temporary worktree and built with the same target
# directory (dependencies compiled once); its binary is copied aside before this tree is built.
set -euo pipefail
cd "$(dirname "$0")/.."
REV="${1:?give the earlier commit}"
SCRIPT="${2:?give the benchmark script}"
shift 2
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/minsheng-target}"
BASE_SRC="/var/tmp/minsheng-bench-base-src"
BASE_BIN="/var/tmp/minsheng-bench-base-bin"
SHORT=$(git rev-parse --short "$REV")

if [ ! -x "$BASE_BIN.$SHORT" ]; then
  git worktree remove --force "$BASE_SRC" 2>/dev/null || rm -rf "$BASE_SRC"
  git worktree add --detach "$BASE_SRC" "$REV" >/dev/null
  (cd "$BASE_SRC" && cargo build --release --locked -q -p minsheng)
  cp "$CARGO_TARGET_DIR/release/minsheng" "$BASE_BIN.$SHORT"
  git worktree remove --force "$BASE_SRC"
fi
cargo build --release --locked -q -p minsheng
cp "$CARGO_TARGET_DIR/release/minsheng" "$BASE_BIN.current"

name=$(basename "$SCRIPT" .sh | tr '-' '_')
echo "== $SCRIPT at $SHORT"
MINSHENG_BENCH_BIN="$BASE_BIN.$SHORT" MINSHENG_BENCH_DIR="/var/tmp/minsheng-cmp-$name-$SHORT" \
  MINSHENG_BENCH_DB="minsheng_cmp_${name}_$SHORT" bash "$SCRIPT" "$@"
echo "== $SCRIPT at the working tree ($(git rev-parse --short HEAD)+)"
MINSHENG_BENCH_BIN="$BASE_BIN.current" MINSHENG_BENCH_DIR="/var/tmp/minsheng-cmp-$name-current" \
  MINSHENG_BENCH_DB="minsheng_cmp_${name}_current" bash "$SCRIPT" "$@"
