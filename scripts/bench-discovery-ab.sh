#!/usr/bin/env bash
# Interleaved A/B of two builds on the discovery pages (the community worker's inbox, the city's
# and a town's figures): on a shared 2-core machine one run can differ from the next by a third,
# so the two builds take turns, round after round, and the medians are compared. Run
#   bash scripts/bench-compare.sh REV scripts/bench-discovery.sh --clues 200000 --files 40000
# first: it builds both binaries and their databases, which this reuses.
#
#   bash scripts/bench-discovery-ab.sh REV [--rounds 3] [--duration 10s] [--only sqlite|postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
REV=$(git rev-parse --short "${1:?give the earlier commit}")
shift
ROUNDS=3
DURATION=10s
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
PG_BASE="${MINSHENG_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
PORT=18186
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

SERVER_PID=""
stop_server() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; fi; }
trap stop_server EXIT

login() { # data_dir user -> cookie
  local password
  password=$(awk -v u="$2" '$2 == u { print $3 }' "$1/demo-accounts.txt")
  curl -s -D - -o /dev/null -H 'content-type: application/json' \
    -d "{\"username\":\"$2\",\"password\":\"$password\"}" "http://127.0.0.1:$PORT/api/v1/session" |
    tr -d '\r' | sed -n 's/^set-cookie: \(ms_session=[^;]*\).*/\1/ip' | head -n1
}

# One measurement: build (REV or current), backend, case → requests/s.
measure() {
  local build="$1" backend="$2" case="$3" url_args=() user path
  local bin="/var/tmp/minsheng-bench-base-bin.$build" dir="/var/tmp/minsheng-cmp-bench_discovery-$build/$backend"
  [ -x "$bin" ] && [ -f "$dir/demo-accounts.txt" ] || { echo "run scripts/bench-compare.sh $REV scripts/bench-discovery.sh first" >&2; exit 1; }
  [ "$backend" = postgres ] && url_args=(--database-url "$PG_BASE/minsheng_cmp_bench_discovery_$build")
  case "$case" in
    inbox) user=banan.community; path=/inbox ;;
    city) user=leader; path=/figures ;;
    town) user=banan.town; path="/figures?region=500113003" ;;
  esac
  "$bin" serve --data-dir "$dir" "${url_args[@]}" --listen "127.0.0.1:$PORT" 2>/dev/null &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  local cookie
  cookie=$(login "$dir" "$user")
  wrk -t2 -c10 -d2s -H "Cookie: $cookie" "http://127.0.0.1:$PORT$path" >/dev/null
  wrk -t2 -c10 -d"$DURATION" -H "Cookie: $cookie" "http://127.0.0.1:$PORT$path" | awk '/Requests\/sec/ { print $2 }'
  stop_server
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A RUNS
for backend in sqlite postgres; do
  [ -n "$ONLY" ] && [ "$ONLY" != "$backend" ] && continue
  for round in $(seq 1 "$ROUNDS"); do
    for case in inbox city town; do
      for build in "$REV" current; do
        rps=$(measure "$build" "$backend" "$case")
        RUNS["$backend $case $build"]+="$rps "
        echo "round $round  $backend  $case  $build  $rps req/s" >&2
      done
    done
  done
done

echo
echo "interleaved medians of $ROUNDS rounds, $DURATION each, 10 connections, $(nproc) cores"
printf '%-9s %-7s %12s %12s %9s\n' backend case "$REV" current change
for backend in sqlite postgres; do
  [ -n "$ONLY" ] && [ "$ONLY" != "$backend" ] && continue
  for case in inbox city town; do
    a=$(echo "${RUNS["$backend $case $REV"]}" | tr ' ' '\n' | grep . | median)
    b=$(echo "${RUNS["$backend $case current"]}" | tr ' ' '\n' | grep . | median)
    printf '%-9s %-7s %12.1f %12.1f %8.1f%%\n' "$backend" "$case" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print (b - a) / a * 100 }')"
  done
done
