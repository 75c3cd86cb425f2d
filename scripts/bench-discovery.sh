#!/usr/bin/env bash
# Discovery benchmark: with 1,000,000 clues and 200,000 household files (generated), time a
# community worker's inbox, the figures for the whole city and for one town (target p99 < 300 ms;
# 10 concurrent connections, and the city's figures also for a single user),
# and clue submission through the API with triage and merging (target >= 500 clues/s), on SQLite
# and PostgreSQL.
#
#   bash scripts/bench-discovery.sh [--clues N] [--files N] [--households N] [--duration 10s] [--only sqlite|postgres]
set -euo pipefail
cd "$(dirname "$0")/.."

CLUES=1000000
FILES=200000
HOUSEHOLDS=200000
DURATION=10s
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --clues) CLUES="$2"; shift 2 ;;
    --files) FILES="$2"; shift 2 ;;
    --households) HOUSEHOLDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
PG_BASE="${MINSHENG_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
WORK="${MINSHENG_BENCH_DIR:-/var/tmp/minsheng-bench-discovery}"
PORT=18184
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
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.1f", n }'; }

# A Lua script for wrk: every request files a new clue (a fresh client key); one in three is
# about an address already reported, so triage merges it into the open lead.
cat > "$WORK/clue.lua" <<'LUA'
local counter = 0
local thread_id = 0
function setup(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
request = function()
  counter = counter + 1
  local address
  if counter % 3 == 0 then address = "压测楼" .. (counter % 50) .. "号" else address = "压测楼" .. tid .. "-" .. counter .. "号" end
  local body = string.format('{"channel":"volunteer","description":"压测线索","address":"%s","client_key":"bench-%d-%d-%d"}',
    address, tid, counter, math.random(1, 1000000000))
  return wrk.format("POST", "/api/v1/clues", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
LUA

RESULTS=()
measure() { # backend label cookie-or-header path [lua] [connections]
  local backend="$1" label="$2" header="$3" path="$4" lua="${5:-}" connections="${6:-10}" out threads=2
  [ "$connections" -ge 2 ] || threads=1
  if [ -n "$lua" ]; then
    out=$(wrk -t2 -c20 -d"$DURATION" --latency -s "$lua" "http://127.0.0.1:$PORT$path")
  else
    wrk -t"$threads" -c"$connections" -d2s -H "$header" "http://127.0.0.1:$PORT$path" >/dev/null
    out=$(wrk -t"$threads" -c"$connections" -d"$DURATION" --latency -H "$header" "http://127.0.0.1:$PORT$path")
  fi
  local rps p50 p99 non2xx
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")
  p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
  non2xx=$(echo "$out" | awk '/Non-2xx/ { print $5 }')
  RESULTS+=("$(printf '%-9s %-28s %9s %9s %9s %7s' "$backend" "$label" "$rps" "$p50" "$p99" "${non2xx:-0}")")
}

login() { # data_dir user -> cookie
  local password
  password=$(awk -v u="$2" '$2 == u { print $3 }' "$1/demo-accounts.txt")
  curl -s -D - -o /dev/null -H 'content-type: application/json' \
    -d "{\"username\":\"$2\",\"password\":\"$password\"}" "http://127.0.0.1:$PORT/api/v1/session" |
    tr -d '\r' | sed -n 's/^set-cookie: \(ms_session=[^;]*\).*/\1/ip' | head -n1
}

run_backend() {
  local backend="$1" data_dir="$WORK/$1" url_args=()
  if [ "$backend" = postgres ]; then
    local db="${MINSHENG_BENCH_DB:-minsheng_bench_discovery}"
    url_args=(--database-url "$PG_BASE/$db")
    if ! psql "$PG_BASE/postgres" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      psql "$PG_BASE/postgres" -qc "CREATE DATABASE $db"
      rm -rf "$data_dir"
    fi
  fi
  mkdir -p "$data_dir"
  local started
  started=$(date +%s)
  "$BIN" demo --data-dir "$data_dir" "${url_args[@]}" --households "$HOUSEHOLDS" --clues "$CLUES" --files "$FILES" --no-serve >/dev/null
  echo "[$backend] data ready ($(( $(date +%s) - started ))s)"
  "$BIN" serve --data-dir "$data_dir" "${url_args[@]}" --listen "127.0.0.1:$PORT" 2>"$WORK/$backend-serve.log" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  local community leader town csrf token
  community=$(login "$data_dir" banan.community)
  leader=$(login "$data_dir" leader)
  town=$(login "$data_dir" banan.town)
  measure "$backend" "inbox (community worker)" "Cookie: $community" "/inbox"
  measure "$backend" "figures, whole city" "Cookie: $leader" "/figures"
  measure "$backend" "figures, whole city, 1 user" "Cookie: $leader" "/figures" "" 1
  measure "$backend" "figures, one town" "Cookie: $town" "/figures?region=500113003"
  # A volunteer's API token for the submission run.
  local volunteer
  volunteer=$(login "$data_dir" banan.volunteer)
  csrf=$(curl -s -H "Cookie: $volunteer" "http://127.0.0.1:$PORT/clues/new" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)
  token=$(curl -s -H "Cookie: $volunteer" -H "X-CSRF-Token: $csrf" -H 'content-type: application/json' \
    -d '{"name":"bench"}' "http://127.0.0.1:$PORT/api/v1/tokens" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  sed "1i token = \"$token\"" "$WORK/clue.lua" > "$WORK/clue-$backend.lua"
  measure "$backend" "clue submission (POST)" "" "/api/v1/clues" "$WORK/clue-$backend.lua"
  stop_server
}

[ "$ONLY" = postgres ] || run_backend sqlite
[ "$ONLY" = sqlite ] || run_backend postgres

echo
echo "minsheng $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $CLUES clues, $FILES files, $HOUSEHOLDS households, $DURATION per case, $(nproc) cores"
printf '%-9s %-28s %9s %9s %9s %7s\n' backend case "req/s" "p50 ms" "p99 ms" non-2xx
for r in "${RESULTS[@]}"; do echo "$r"; done
