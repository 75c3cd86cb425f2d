#!/usr/bin/env bash
# Benchmark: the signed-in household list page, the list searched by a surname (宋), by pinyin
# initials (zs) and by full pinyin (zhang, through the text index), a household
# detail page (each read audited), and a static script with and without a session cookie (the
# fixed cost of a signed-in request), 50 concurrent connections (wrk, from Debian), against `minsheng demo` with 100,000 households,
# on SQLite and then on PostgreSQL. Prints requests/s, p50 and p99 and the error count.
#
#   bash scripts/bench.sh [--households N] [--duration 20s] [--connections 50] [--only sqlite|postgres]
#
# Needs wrk (apt-get install wrk) and, for the PostgreSQL run, a server at
# MINSHENG_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."

HOUSEHOLDS=100000
DURATION=20s
CONNECTIONS=50
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --households) HOUSEHOLDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
PG_BASE="${MINSHENG_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
WORK="${MINSHENG_BENCH_DIR:-/var/tmp/minsheng-bench}"
PORT=18181
USER_NAME=banan.district

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/minsheng-target}"
# MINSHENG_BENCH_BIN runs another build (an earlier commit's, to compare side by side).
if [ -n "${MINSHENG_BENCH_BIN:-}" ]; then
  BIN="$MINSHENG_BENCH_BIN"
else
  cargo build --release --locked -q -p minsheng
  BIN="$CARGO_TARGET_DIR/release/minsheng"
fi
mkdir -p "$WORK"

SERVER_PID=""
stop_server() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; fi; }
trap stop_server EXIT

# wrk prints latency with units; normalise to milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

RESULTS=()
run_backend() {
  local backend="$1" data_dir="$WORK/$1" url_args=()
  if [ "$backend" = postgres ]; then
    local db="${MINSHENG_BENCH_DB:-minsheng_bench_${HOUSEHOLDS}}"
    url_args=(--database-url "$PG_BASE/$db")
    if ! psql "$PG_BASE/postgres" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      psql "$PG_BASE/postgres" -qc "CREATE DATABASE $db"
      rm -rf "$data_dir"
    fi
  fi
  mkdir -p "$data_dir"
  local started
  started=$(date +%s)
  "$BIN" demo --data-dir "$data_dir" "${url_args[@]}" --households "$HOUSEHOLDS" --no-serve >/dev/null
  echo "[$backend] demo ready ($(( $(date +%s) - started ))s)"
  "$BIN" serve --data-dir "$data_dir" "${url_args[@]}" --listen "127.0.0.1:$PORT" 2>"$WORK/$backend-serve.log" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  local password
  password=$(awk -v u="$USER_NAME" '$2 == u { print $3 }' "$data_dir/demo-accounts.txt")
  local cookie
  cookie=$(curl -s -D - -o /dev/null -H 'content-type: application/json' \
    -d "{\"username\":\"$USER_NAME\",\"password\":\"$password\"}" "http://127.0.0.1:$PORT/api/v1/session" |
    tr -d '\r' | sed -n 's/^set-cookie: \(ms_session=[^;]*\).*/\1/ip' | head -n1)
  [ -n "$cookie" ] || { echo "[$backend] sign-in failed" >&2; exit 1; }
  local id
  id=$(curl -s -H "Cookie: $cookie" "http://127.0.0.1:$PORT/api/v1/households?per_page=1" | grep -o '"id":[0-9]*' | head -n1 | cut -d: -f2)
  [ -n "$id" ] || { echo "[$backend] no household in $USER_NAME's area" >&2; exit 1; }
  for page in "/households" "/households?q=%E5%AE%8B" "/households?q=zs" "/households?q=zhang" "/households/$id" "/static/htmx.min.js" "anonymous:/static/htmx.min.js"; do
    local header=(-H "Cookie: $cookie") path="$page"
    if [ "${page#anonymous:}" != "$page" ]; then header=(); path="${page#anonymous:}"; fi
    # Warm up, then measure.
    wrk -t2 -c"$CONNECTIONS" -d3s "${header[@]}" "http://127.0.0.1:$PORT$path" >/dev/null
    local out
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "${header[@]}" "http://127.0.0.1:$PORT$path")
    local rps p50 p99 non2xx socket
    rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
    p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")
    p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
    non2xx=$(echo "$out" | awk '/Non-2xx/ { print $5 }')
    socket=$(echo "$out" | awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }')
    RESULTS+=("$(printf '%-9s %-30s %10s %9s %9s %7s' "$backend" "$page" "$rps" "$p50" "$p99" "$(( ${non2xx:-0} + ${socket:-0} ))")")
  done
  local audited
  audited=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")
  stop_server
  echo "[$backend] done (healthz $audited)"
}

[ "$ONLY" = postgres ] || run_backend sqlite
[ "$ONLY" = sqlite ] || run_backend postgres

echo
echo "minsheng $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $HOUSEHOLDS households, $CONNECTIONS connections, $DURATION per page, $(nproc) cores (wrk on the same machine)"
printf '%-9s %-30s %10s %9s %9s %7s\n' backend page "req/s" "p50 ms" "p99 ms" errors
for r in "${RESULTS[@]}"; do echo "$r"; done
