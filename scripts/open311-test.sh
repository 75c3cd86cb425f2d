#!/usr/bin/env bash
# Open311 GeoReport v2 conformance: serves a small demo database and drives it with a real
# Open311 client (tests/open311/test_open311.py), validating every JSON answer against the
# schemas of tests/open311/schemas. Python packages go into a virtualenv kept between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${MINSHENG_PYENV:-/var/tmp/minsheng-pyenv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import georeport, jsonschema, rfc3339_validator' 2>/dev/null; then
  echo "== preparing $VENV (georeport, jsonschema, rfc3339-validator)"
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$VENV"
    else
      echo "missing: python3-venv" >&2
      exit 1
    fi
  fi
  "$VENV/bin/pip" install -q 'georeport==0.3.1' 'jsonschema>=4.20' 'rfc3339-validator>=0.1.4'
fi

cargo build --quiet --locked -p minsheng
BIN="${CARGO_TARGET_DIR:-target}/debug/minsheng"
DATA="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cleanup() {
  [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

"$BIN" demo --no-serve --households 60 --data-dir "$DATA" >/dev/null 2>&1
KEY="$(cat "$DATA/demo-open311-key.txt")"
"$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" >"$DATA/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
"$VENV/bin/python" tests/open311/test_open311.py "http://127.0.0.1:$PORT/open311/v2" "$KEY"
