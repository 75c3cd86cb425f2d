#!/usr/bin/env bash
# Soak: `minsheng serve` with its timed jobs running, for 30 minutes at half the maximum rate
# bench.sh measures on the same pages (the signed-in household list and a household detail,
# alternating), with a clue posted every second beside them. Each minute prints requests/s, p50,
# p99, errors and the server's resident memory; the end compares minute 5's memory with the last
# minute's (within 10 %) and the first minute's p99 with the last's (within 20 %), and counts
# errors (none). Not a CI test.
#
#   bash scripts/soak.sh [--minutes 30] [--households 100000] [--connections 10]
#
# MINSHENG_BENCH_BIN runs another build; MINSHENG_BENCH_DIR moves the data (default
# /var/tmp/minsheng-bench, shared with bench.sh so the demo is made once).
set -euo pipefail
cd "$(dirname "$0")/.."

MINUTES=30
HOUSEHOLDS=100000
CONNECTIONS=10
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES="$2"; shift 2 ;;
    --households) HOUSEHOLDS="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
WORK="${MINSHENG_BENCH_DIR:-/var/tmp/minsheng-bench}"
DATA="$WORK/soak-$HOUSEHOLDS"
PORT=18183
METRICS_PORT=18184
USER_NAME=banan.district

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/minsheng-target}"
if [ -n "${MINSHENG_BENCH_BIN:-}" ]; then
  BIN="$MINSHENG_BENCH_BIN"
else
  cargo build --release --locked -q -p minsheng
  BIN="$CARGO_TARGET_DIR/release/minsheng"
fi
mkdir -p "$WORK"

SERVER_PID=""
WRITER_PID=""
cleanup() {
  [ -n "$WRITER_PID" ] && kill "$WRITER_PID" 2>/dev/null || true
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -f "$WORK/soak.lua"
}
trap cleanup EXIT

to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

started=$(date +%s)
"$BIN" demo --data-dir "$DATA" --households "$HOUSEHOLDS" --no-serve >/dev/null
echo "demo ready ($(( $(date +%s) - started ))s)"
# With its jobs (the default), metrics on their own listener.
"$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --metrics-listen "127.0.0.1:$METRICS_PORT" \
  --log-format json 2>"$WORK/soak-serve.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

password=$(awk -v u="$USER_NAME" '$2 == u { print $3 }' "$DATA/demo-accounts.txt")
cookie=$(curl -s -D - -o /dev/null -H 'content-type: application/json' \
  -d "{\"username\":\"$USER_NAME\",\"password\":\"$password\"}" "http://127.0.0.1:$PORT/api/v1/session" |
  tr -d '\r' | sed -n 's/^set-cookie: \(ms_session=[^;]*\).*/\1/ip' | head -n1)
[ -n "$cookie" ] || { echo "sign-in failed" >&2; exit 1; }
id=$(curl -s -H "Cookie: $cookie" "http://127.0.0.1:$PORT/api/v1/households?per_page=1" | grep -o '"id":[0-9]*' | head -n1 | cut -d: -f2)
[ -n "$id" ] || { echo "no household in $USER_NAME's area" >&2; exit 1; }

# A volunteer's token for the clue writer.
vpass=$(awk '$2 == "banan.volunteer" { print $3 }' "$DATA/demo-accounts.txt")
login=$(curl -s -D "$WORK/soak-headers" -H 'content-type: application/json' \
  -d "{\"username\":\"banan.volunteer\",\"password\":\"$vpass\"}" "http://127.0.0.1:$PORT/api/v1/session")
vcookie=$(tr -d '\r' <"$WORK/soak-headers" | sed -n 's/^set-cookie: \(ms_session=[^;]*\).*/\1/ip' | head -n1)
vcsrf=$(echo "$login" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
rm -f "$WORK/soak-headers"
token=$(curl -s -H "Cookie: $vcookie" -H "x-csrf-token: $vcsrf" -H 'content-type: application/json' \
  -d '{"name":"soak"}' "http://127.0.0.1:$PORT/api/v1/tokens" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "no API token for the clue writer" >&2; exit 1; }

# The maximum rate of the two pages, alternating (as bench.sh, 50 connections, 15 s).
cat >"$WORK/soak.lua" <<EOF
local paths = { "/households", "/households/$id" }
local n = 0
local pause = tonumber(os.getenv("SOAK_DELAY_MS") or "0")
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % 2) + 1])
end
delay = function() return pause end
EOF
wrk -t2 -c50 -d3s -s "$WORK/soak.lua" -H "Cookie: $cookie" "http://127.0.0.1:$PORT/" >/dev/null
max=$(wrk -t2 -c50 -d15s -s "$WORK/soak.lua" -H "Cookie: $cookie" "http://127.0.0.1:$PORT/" | awk '/Requests\/sec/ { print $2 }')
# Half of it: each of the connections waits between its requests (latency adds a little to the wait).
delay=$(awk -v max="$max" -v c="$CONNECTIONS" 'BEGIN { printf "%d", c * 1000 / (max / 2) }')
# Calibrate once: a request's own time adds to the wait, so take it off.
trial=$(SOAK_DELAY_MS="$delay" wrk -t2 -c"$CONNECTIONS" -d10s -s "$WORK/soak.lua" -H "Cookie: $cookie" "http://127.0.0.1:$PORT/" | awk '/Requests\/sec/ { print $2 }')
delay=$(awk -v max="$max" -v c="$CONNECTIONS" -v d="$delay" -v got="$trial" 'BEGIN {
  took = c * 1000 / got - d; n = c * 1000 / (max / 2) - took; printf "%d", (n < 0 ? 0 : n) }')
echo "maximum ${max} req/s; soaking at about half: $CONNECTIONS connections, ${delay} ms between requests"

( i=0; while true; do
    curl -s -o /dev/null -H "Authorization: Bearer $token" -H 'content-type: application/json' \
      -d "{\"channel\":\"volunteer\",\"description\":\"浸泡测试线索$i\",\"address\":\"浸泡楼$i号\",\"client_key\":\"soak-$$-$i\"}" \
      "http://127.0.0.1:$PORT/api/v1/clues" || true
    i=$((i + 1)); sleep 1
  done ) &
WRITER_PID=$!

printf '%6s %10s %9s %9s %7s %9s\n' minute "req/s" "p50 ms" "p99 ms" errors "RSS MB"
declare -a P99 RSS
ERRORS=0
for minute in $(seq 1 "$MINUTES"); do
  out=$(SOAK_DELAY_MS="$delay" wrk -t2 -c"$CONNECTIONS" -d60s --latency -s "$WORK/soak.lua" -H "Cookie: $cookie" "http://127.0.0.1:$PORT/")
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")
  p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
  non2xx=$(echo "$out" | awk '/Non-2xx/ { print $5 }')
  socket=$(echo "$out" | awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }')
  errors=$(( ${non2xx:-0} + ${socket:-0} ))
  ERRORS=$((ERRORS + errors))
  rss=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status")
  P99[$minute]=$p99
  RSS[$minute]=$rss
  printf '%6s %10s %9s %9s %7s %9s\n' "$minute" "$rps" "$p50" "$p99" "$errors" "$rss"
done

kill "$WRITER_PID" 2>/dev/null || true
WRITER_PID=""
jobs_line=$(curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | awk '/^minsheng_job_runs_total/ { n += $2 } END { print n + 0 }')
failed_jobs=$(curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | awk '/^minsheng_job_runs_total.*outcome="(failed|timeout)"/ { n += $2 } END { print n + 0 }')
clues=$(curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | awk -F'[ ]' '/^minsheng_http_requests_total\{route="\/api\/v1\/clues",method="POST",status="201"\}/ { print $2 }')

echo
echo "minsheng $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $HOUSEHOLDS households, $MINUTES minutes, $(nproc) cores (wrk on the same machine)"
echo "job runs: $jobs_line (failed or timed out: $failed_jobs); clues posted: ${clues:-0}"
base=$(( MINUTES >= 5 ? 5 : 1 ))
awk -v e="$ERRORS" -v r5="${RSS[$base]}" -v rl="${RSS[$MINUTES]}" -v p1="${P99[1]}" -v pl="${P99[$MINUTES]}" -v b="$base" 'BEGIN {
  rss = (rl - r5) / r5 * 100; p99 = (pl - p1) / p1 * 100;
  printf "errors: %d (%s)\n", e, e == 0 ? "ok" : "FAIL";
  printf "resident memory: minute %d %.1f MB, end %.1f MB, %+.1f %% (%s; within 10 %%)\n", b, r5, rl, rss, (rss <= 10 ? "ok" : "FAIL");
  printf "p99: minute 1 %.2f ms, end %.2f ms, %+.1f %% (%s; within 20 %%)\n", p1, pl, p99, (p99 <= 20 ? "ok" : "FAIL");
}'
