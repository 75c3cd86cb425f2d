#!/usr/bin/env bash
# Interleaved A/B of two builds on the same pages: on a shared 2-core machine one 20-second run
# can differ from the next by a third, so the two builds take turns, round after round, and the
# medians are compared. Run `scripts/bench-compare.sh REV scripts/bench.sh` first: it builds both
# binaries and the earlier build's databases, which this reuses: both builds answer from a copy of
# the same data.
#
#   bash scripts/bench-ab.sh REV [--rounds 5] [--duration 10s] [--connections 50] [--only sqlite|postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
REV=$(git rev-parse --short "${1:?give the earlier commit}")
shift
ROUNDS=5
DURATION=10s
CONNECTIONS=50
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
PG_BASE="${MINSHENG_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
PORT=18185
USER_NAME=banan.district
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

SERVER_PID=""
stop_server() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; fi; }
trap stop_server EXIT

# Both builds answer from the same data: the earlier build's demo, copied and migrated forward by
# the current build when it starts (demos of two versions differ in what their first household
# holds, which would be measured as well).
SAME="/var/tmp/minsheng-cmp-bench-same"
same_data() {
  local from="/var/tmp/minsheng-cmp-bench-$REV"
  [ -f "$from/sqlite/demo-accounts.txt" ] || { echo "run scripts/bench-compare.sh $REV scripts/bench.sh first" >&2; exit 1; }
  rm -rf "$SAME"
  mkdir -p "$SAME"
  cp -r "$from/sqlite" "$from/postgres" "$SAME/"
  psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS minsheng_cmp_bench_same" >/dev/null
  psql "$PG_BASE/postgres" -qc "CREATE DATABASE minsheng_cmp_bench_same TEMPLATE minsheng_cmp_bench_$REV" >/dev/null
}

# One measurement: build (REV or current), backend, page → requests/s.
measure() {
  local build="$1" backend="$2" page="$3"
  local bin="/var/tmp/minsheng-bench-base-bin.$build" dir="/var/tmp/minsheng-cmp-bench-$build/$backend" db="minsheng_cmp_bench_$build" url_args=()
  if [ "$build" = current ]; then dir="$SAME/$backend"; db="minsheng_cmp_bench_same"; fi
  [ -x "$bin" ] && [ -f "$dir/demo-accounts.txt" ] || { echo "run scripts/bench-compare.sh $REV scripts/bench.sh first" >&2; exit 1; }
  [ "$backend" = postgres ] && url_args=(--database-url "$PG_BASE/$db")
  "$bin" serve --data-dir "$dir" "${url_args[@]}" --listen "127.0.0.1:$PORT" 2>/dev/null &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  local password cookie id
  password=$(awk -v u="$USER_NAME" '$2 == u { print $3 }' "$dir/demo-accounts.txt")
  cookie=$(curl -s -D - -o /dev/null -H 'content-type: application/json' \
    -d "{\"username\":\"$USER_NAME\",\"password\":\"$password\"}" "http://127.0.0.1:$PORT/api/v1/session" |
    tr -d '\r' | sed -n 's/^set-cookie: \(ms_session=[^;]*\).*/\1/ip' | head -n1)
  id=$(curl -s -H "Cookie: $cookie" "http://127.0.0.1:$PORT/api/v1/households?per_page=1" | grep -o '"id":[0-9]*' | head -n1 | cut -d: -f2)
  [ "$page" = detail ] && page="/households/$id" || page="/households"
  wrk -t2 -c"$CONNECTIONS" -d2s -H "Cookie: $cookie" "http://127.0.0.1:$PORT$page" >/dev/null
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -H "Cookie: $cookie" "http://127.0.0.1:$PORT$page" | awk '/Requests\/sec/ { print $2 }'
  stop_server
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

same_data
declare -A RUNS
for backend in sqlite postgres; do
  [ -n "$ONLY" ] && [ "$ONLY" != "$backend" ] && continue
  for round in $(seq 1 "$ROUNDS"); do
    for page in list detail; do
      for build in "$REV" current; do
        rps=$(measure "$build" "$backend" "$page")
        RUNS["$backend $page $build"]+="$rps "
        echo "round $round: $backend $page $build $rps"
      done
    done
  done
done
echo
printf '%-9s %-7s %12s %12s %8s   %s\n' backend page "$REV" current change "runs ($REV | current)"
for backend in sqlite postgres; do
  for page in list detail; do
    [ -n "${RUNS["$backend $page current"]:-}" ] || continue
    a=$(echo "${RUNS["$backend $page $REV"]}" | tr ' ' '\n' | grep . | median)
    b=$(echo "${RUNS["$backend $page current"]}" | tr ' ' '\n' | grep . | median)
    printf '%-9s %-7s %12.1f %12.1f %+7.1f%%   %s| %s\n' "$backend" "$page" "$a" "$b" \
      "$(awk -v a="$a" -v b="$b" 'BEGIN { print (b - a) * 100 / a }')" "${RUNS["$backend $page $REV"]}" "${RUNS["$backend $page current"]}"
  done
done
