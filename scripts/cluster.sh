#!/usr/bin/env bash
# Several `serve` processes on one PostgreSQL behind nginx (Debian's package), as a bureau runs
# them for capacity or for a restart without downtime.
#
#   bash scripts/cluster.sh test                  # two instances: what must be shared is shared
#   bash scripts/cluster.sh bench [--households N] [--duration 15s] [--connections 50]
#                                                 # one, then two instances: figures per count
#
# `test` checks, through nginx and on each instance directly: a session signed in on one is
# valid on the other, a sign-out on one ends it on the other at once, sign-in failures spread
# over both instances lock the name as one, each timed job runs once between them, every read
# is in the one audit log, and a burst of signed-in requests has no error.
# Needs nginx (apt-get install nginx-light), wrk for `bench`, and PostgreSQL at
# MINSHENG_CLUSTER_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE="${1:-test}"
shift || true
HOUSEHOLDS=100000
DURATION=15s
CONNECTIONS=50
while [ $# -gt 0 ]; do
  case "$1" in
    --households) HOUSEHOLDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$MODE" = test ] && HOUSEHOLDS=120

PG_BASE="${MINSHENG_CLUSTER_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
export PGOPTIONS="--client-min-messages=warning"
WORK="${MINSHENG_CLUSTER_DIR:-/var/tmp/minsheng-cluster}/$MODE"
PROXY_PORT=18290
FIRST_PORT=18291
USER_NAME=banan.district
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
[ -x "$NGINX" ] || { echo "nginx is missing: apt-get install nginx-light" >&2; exit 1; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/minsheng-target}"
if [ -n "${MINSHENG_BIN:-}" ]; then
  BIN="$MINSHENG_BIN"
elif [ "$MODE" = bench ]; then
  cargo build --release --locked -q -p minsheng
  BIN="$CARGO_TARGET_DIR/release/minsheng"
else
  cargo build --locked -q -p minsheng
  BIN="$CARGO_TARGET_DIR/debug/minsheng"
fi

PIDS=()
stop_all() {
  if [ -f "$WORK/nginx/nginx.pid" ]; then kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true; fi
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
  rm -f "$WORK/nginx/nginx.pid"
}
trap stop_all EXIT
fail() { echo "cluster $MODE: FAILED: $*" >&2; exit 1; }

DB="minsheng_cluster_$MODE"
URL="$PG_BASE/$DB"
DATA="$WORK/data"
prepare_database() {
  if [ "$MODE" = test ] || ! psql "$PG_BASE/postgres" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null
    psql "$PG_BASE/postgres" -qc "CREATE DATABASE $DB" >/dev/null
    rm -rf "$DATA"
  fi
  mkdir -p "$DATA"
  "$BIN" demo --data-dir "$DATA" --database-url "$URL" --households "$HOUSEHOLDS" --no-serve >/dev/null
}

# Starts `count` instances on one database and nginx in front of them (round robin).
start_cluster() {
  local count="$1" servers="" i port
  mkdir -p "$WORK/nginx/tmp"
  for i in $(seq 1 "$count"); do
    port=$((FIRST_PORT + i - 1))
    HOSTNAME="instance-$i" "$BIN" serve --data-dir "$DATA" --database-url "$URL" \
      --listen "127.0.0.1:$port" --trust-forwarded-for 2>"$WORK/serve-$i.log" &
    PIDS+=($!)
    servers="$servers    server 127.0.0.1:$port;"$'\n'
  done
  cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
user root;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  upstream minsheng {
$servers    keepalive 64;
  }
  server {
    listen 127.0.0.1:$PROXY_PORT;
    client_max_body_size 30m;
    location / {
      proxy_pass http://minsheng;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
EOF
  "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>>"$WORK/nginx/error.log" &
  PIDS+=($!)
  for port in $(seq "$FIRST_PORT" $((FIRST_PORT + count - 1))) "$PROXY_PORT"; do
    for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "127.0.0.1:$port did not come up (see $WORK)"
  done
}

PASSWORD=""
# Signs in; prints the session cookie and keeps the CSRF token in $WORK/csrf.
sign_in() {
  local base="$1" password="$2" response
  response=$(curl -s -D - -H 'content-type: application/json' \
    -d "{\"username\":\"$USER_NAME\",\"password\":\"$password\"}" "$base/api/v1/session" | tr -d '\r')
  echo "$response" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p' >"$WORK/csrf"
  echo "$response" | sed -n 's/^set-cookie: \(ms_session=[^;]*\).*/\1/ip' | head -n1
}
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
sql() { psql "$URL" -Atqc "$1"; }

run_test() {
  prepare_database
  start_cluster 2
  local proxy="http://127.0.0.1:$PROXY_PORT" one="http://127.0.0.1:$FIRST_PORT" two="http://127.0.0.1:$((FIRST_PORT + 1))"
  PASSWORD=$(awk -v u="$USER_NAME" '$2 == u { print $3 }' "$DATA/demo-accounts.txt")

  # Sessions: signed in through the proxy, valid on each instance.
  local cookie
  cookie=$(sign_in "$proxy" "$PASSWORD")
  [ -n "$cookie" ] || fail "sign-in through nginx"
  [ "$(status_of -H "Cookie: $cookie" "$one/api/v1/households?per_page=1")" = 200 ] || fail "session on instance 1"
  [ "$(status_of -H "Cookie: $cookie" "$two/api/v1/households?per_page=1")" = 200 ] || fail "session on instance 2"
  # A sign-out on one ends the session on the other at once (it had it cached a moment ago).
  local csrf
  csrf=$(cat "$WORK/csrf")
  [ "$(status_of -X DELETE -H "Cookie: $cookie" -H "x-csrf-token: $csrf" "$one/api/v1/session")" -lt 300 ] || fail "sign-out on instance 1"
  [ "$(status_of -H "Cookie: $cookie" "$two/api/v1/households?per_page=1")" = 401 ] || fail "instance 2 still honours a session ended on instance 1"
  echo "cluster test: sessions shared, a sign-out ends the session on both instances"

  # Sign-in failures on both instances count as one: the fourth attempt, even with the right
  # password, is refused while the name waits.
  local i
  for i in 1 2 3; do
    local target="$one"
    [ $((i % 2)) = 0 ] && target="$two"
    [ "$(status_of -H 'content-type: application/json' -d "{\"username\":\"$USER_NAME\",\"password\":\"wrong-$i\"}" "$target/api/v1/session")" = 401 ] ||
      fail "a wrong password was not refused"
  done
  [ "$(status_of -H 'content-type: application/json' -d "{\"username\":\"$USER_NAME\",\"password\":\"$PASSWORD\"}" "$two/api/v1/session")" = 429 ] ||
    fail "failures on two instances did not add up to a wait"
  echo "cluster test: sign-in failures counted across instances"
  sleep 2

  # The audit log is one: every list read through the proxy is there, from both instances.
  cookie=$(sign_in "$proxy" "$PASSWORD")
  [ -n "$cookie" ] || fail "second sign-in"
  local before after
  before=$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'household.list'")
  for i in $(seq 1 20); do
    [ "$(status_of -H "Cookie: $cookie" "$proxy/households")" = 200 ] || fail "list through nginx"
  done
  sleep 1
  after=$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'household.list'")
  [ $((after - before)) = 20 ] || fail "audit rows: $((after - before)) of 20 reads"
  echo "cluster test: 20 reads through nginx, 20 audit rows"

  # Zero errors under a burst, spread over both instances.
  if command -v wrk >/dev/null; then
    local out errors
    out=$(wrk -t2 -c20 -d3s -H "Cookie: $cookie" "$proxy/households")
    errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ { n++ } END { print n + 0 }')
    [ "$errors" = 0 ] || fail "errors under load: $out"
    echo "cluster test: $(echo "$out" | awk '/Requests\/sec/ { print $2 }') requests/s through nginx, no error"
  fi

  # Each timed job ran once between the two instances (both started within the interval).
  local doubled
  doubled=$(sql "SELECT job || ' ran ' || COUNT(*) || ' times' FROM job_runs GROUP BY job HAVING COUNT(*) > 1")
  [ -z "$doubled" ] || fail "jobs run by both instances: $doubled"
  local ran
  ran=$(sql "SELECT COUNT(DISTINCT job) FROM job_runs")
  [ "$ran" -ge 8 ] || fail "only $ran jobs ran"
  echo "cluster test: $ran jobs, each run once between the instances"
  echo "cluster test: passed"
}

to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

run_bench() {
  command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
  prepare_database
  local results=() count
  for count in 1 2; do
    start_cluster "$count"
    local proxy="http://127.0.0.1:$PROXY_PORT"
    PASSWORD=$(awk -v u="$USER_NAME" '$2 == u { print $3 }' "$DATA/demo-accounts.txt")
    local cookie id
    cookie=$(sign_in "$proxy" "$PASSWORD")
    [ -n "$cookie" ] || fail "sign-in"
    id=$(curl -s -H "Cookie: $cookie" "$proxy/api/v1/households?per_page=1" | grep -o '"id":[0-9]*' | head -n1 | cut -d: -f2)
    local page
    for page in "/households" "/households?q=%E5%AE%8B" "/households/$id"; do
      wrk -t2 -c"$CONNECTIONS" -d3s -H "Cookie: $cookie" "$proxy$page" >/dev/null
      local out
      out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: $cookie" "$proxy$page")
      local rps p99 errors
      rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
      p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
      errors=$(echo "$out" | awk '/Non-2xx/ { n += $5 } /Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }')
      results+=("$(printf '%-9s %-30s %10s %9s %7s' "$count" "$page" "$rps" "$p99" "$errors")")
    done
    stop_all
  done
  echo
  echo "minsheng $(git rev-parse --short HEAD 2>/dev/null || echo '?'), PostgreSQL, $HOUSEHOLDS households, nginx in front, $CONNECTIONS connections, $DURATION per page, $(nproc) cores (everything on one machine)"
  printf '%-9s %-30s %10s %9s %7s\n' instances page "req/s" "p99 ms" errors
  for r in "${results[@]}"; do echo "$r"; done
}

case "$MODE" in
  test) run_test ;;
  bench) run_bench ;;
  *) echo "usage: cluster.sh test|bench [options]" >&2; exit 2 ;;
esac
