#!/usr/bin/env bash
# Social-resources benchmark: concurrent donors against emergency appeals' ledgers and concurrent
# matchers against one offer's capacity, through the product's use cases (guarded updates), side
# by side with the usual read-check-write ("load the row, check, save the new totals"), on
# SQLite and PostgreSQL. Prints entries passed and refused, throughput, p50/p99, and whether
# every ledger still reconciles and the offer was not overdrawn.
#
#   bash scripts/bench-resources.sh [--entries N] [--matches N] [--capacity N] [--workers N] [--only sqlite|postgres]
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=20000
MATCHES=5000
CAPACITY=1000
WORKERS=16
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --entries) ENTRIES="$2"; shift 2 ;;
    --matches) MATCHES="$2"; shift 2 ;;
    --capacity) CAPACITY="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
PG_BASE="${MINSHENG_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
WORK="${MINSHENG_BENCH_DIR:-/var/tmp/minsheng-bench-resources}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/minsheng-target}"
cargo build --release --locked -q -p minsheng
BIN="$CARGO_TARGET_DIR/release/minsheng"
rm -rf "$WORK" && mkdir -p "$WORK"

for backend in sqlite postgres; do
  if [ -n "$ONLY" ] && [ "$ONLY" != "$backend" ]; then continue; fi
  url_args=()
  mkdir -p "$WORK/$backend"
  if [ "$backend" = postgres ]; then
    db=minsheng_bench_resources
    psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $db"
    psql "$PG_BASE/postgres" -qc "CREATE DATABASE $db"
    url_args=(--database-url "$PG_BASE/$db")
  fi
  "$BIN" demo --households 2000 --no-serve --data-dir "$WORK/$backend" "${url_args[@]}" >/dev/null
  echo "== $backend"
  "$BIN" resources bench --data-dir "$WORK/$backend" "${url_args[@]}" \
    --entries "$ENTRIES" --matches "$MATCHES" --capacity "$CAPACITY" --workers "$WORKERS"
done
