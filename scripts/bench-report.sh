#!/usr/bin/env bash
# Benchmark: the printable assessment report — the A4 HTML page and the PDF laid out and written
# by crates/report (fonts subset and embedded per request) — side by side in one run, against
# `minsheng demo` on SQLite. Prints requests/s, p50 and p99, errors and the PDF's size.
#
#   bash scripts/bench-report.sh [--households N] [--duration 15s] [--connections 4]
#
# Needs wrk and sqlite3 (Debian), and a CJK font (fonts-noto-cjk). MINSHENG_BENCH_BIN runs
# another build (to compare commits with scripts/bench-compare.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

HOUSEHOLDS=2000
DURATION=15s
CONNECTIONS=4
while [ $# -gt 0 ]; do
  case "$1" in
    --households) HOUSEHOLDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
WORK="${MINSHENG_BENCH_DIR:-/var/tmp/minsheng-bench-report}"
PORT=18182
USER_NAME=banan.district

for tool in wrk sqlite3 curl; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install $tool" >&2; exit 1; }
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/minsheng-target}"
if [ -n "${MINSHENG_BENCH_BIN:-}" ]; then
  BIN="$MINSHENG_BENCH_BIN"
else
  cargo build --release --locked -q -p minsheng
  BIN="$CARGO_TARGET_DIR/release/minsheng"
fi

SERVER_PID=""
stop_server() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; fi; }
trap stop_server EXIT
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

data_dir="$WORK/sqlite-$HOUSEHOLDS"
mkdir -p "$data_dir"
"$BIN" demo --data-dir "$data_dir" --households "$HOUSEHOLDS" --no-serve >/dev/null
"$BIN" serve --data-dir "$data_dir" --listen "127.0.0.1:$PORT" --no-jobs 2>"$WORK/serve.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
password=$(awk -v u="$USER_NAME" '$2 == u { print $3 }' "$data_dir/demo-accounts.txt")
cookie=$(curl -s -D - -o /dev/null -H 'content-type: application/json' \
  -d "{\"username\":\"$USER_NAME\",\"password\":\"$password\"}" "http://127.0.0.1:$PORT/api/v1/session" |
  tr -d '\r' | sed -n 's/^set-cookie: \(ms_session=[^;]*\).*/\1/ip' | head -n1)
[ -n "$cookie" ] || { echo "sign-in failed" >&2; exit 1; }
# A recognised assessment of the district officer's area (巴南区's codes start 500113).
id=$(sqlite3 "$data_dir/minsheng.sqlite" \
  "SELECT id FROM assessments WHERE state = 'recognised' AND region_code BETWEEN 500113000000 AND 500113999999 ORDER BY id LIMIT 1")
[ -n "$id" ] || { echo "no recognised assessment in 巴南区" >&2; exit 1; }
size=$(curl -s -H "Cookie: $cookie" "http://127.0.0.1:$PORT/assessments/$id/report.pdf" -o "$WORK/report.pdf" -w '%{size_download}:%{http_code}')
[ "${size#*:}" = 200 ] || { echo "the PDF answered ${size#*:}" >&2; exit 1; }

RESULTS=()
for page in "/assessments/$id/report" "/assessments/$id/report.pdf"; do
  wrk -t2 -c"$CONNECTIONS" -d3s -H "Cookie: $cookie" "http://127.0.0.1:$PORT$page" >/dev/null
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: $cookie" "http://127.0.0.1:$PORT$page")
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")
  p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
  non2xx=$(echo "$out" | awk '/Non-2xx/ { print $5 }')
  socket=$(echo "$out" | awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }')
  RESULTS+=("$(printf '%-32s %10s %9s %9s %7s' "$page" "$rps" "$p50" "$p99" "$(( ${non2xx:-0} + ${socket:-0} ))")")
done
rss=$(ps -o rss= -p "$SERVER_PID" | tr -d ' ')
stop_server

echo
echo "minsheng $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $CONNECTIONS connections, $DURATION per page, $(nproc) cores (wrk on the same machine)"
printf '%-32s %10s %9s %9s %7s\n' page "req/s" "p50 ms" "p99 ms" errors
for r in "${RESULTS[@]}"; do echo "$r"; done
echo "PDF: ${size%%:*} bytes, $(pdfinfo "$WORK/report.pdf" 2>/dev/null | awk '/^Pages/ { print $2 }') page(s); server RSS after: $(( rss / 1024 )) MiB"
