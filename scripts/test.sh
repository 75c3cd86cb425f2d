#!/usr/bin/env bash
# Runs every check and test of minsheng, on SQLite and on PostgreSQL.
# Needs: a PostgreSQL server (MINSHENG_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres)
# and Debian's chromium + chromium-driver, fonts-noto-cjk (for PDF reports) and poppler-utils (pdftoppm,
# to check the PDFs render) and nginx (two servers behind it, scripts/cluster.sh) — installed here when
# missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1 \
  || ! command -v pdftoppm >/dev/null 2>&1 || [ ! -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] \
  || ! command -v wrk >/dev/null 2>&1 || ! { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing chromium, chromium-driver, fonts-noto-cjk, poppler-utils, nginx-light and wrk"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk poppler-utils nginx-light wrk >/dev/null
  else
    echo "missing: install chromium chromium-driver fonts-noto-cjk poppler-utils nginx-light wrk (Debian)" >&2
    exit 1
  fi
fi

PG_URL="${MINSHENG_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -d "$PG_URL" -q; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "== starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi
# Each test makes its own database; drop what earlier runs left behind.
if command -v psql >/dev/null 2>&1; then
  psql "$PG_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'minsheng_test_%'" 2>/dev/null |
    while read -r db; do psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== minsheng region data check"
cargo run --quiet --locked -p minsheng -- regions check
cargo run --quiet --locked -p minsheng -- calendar check
cargo run --quiet --locked -p minsheng -- messages check
cargo run --quiet --locked -p minsheng -- model check models/*.toml
cargo run --quiet --locked -p minsheng -- model check models/cq-7d82.toml --fixtures models/calibration/cq-7d82
cargo run --quiet --locked -p minsheng -- catalog check
cargo run --quiet --locked -p minsheng -- survey questions data/survey/questions.toml
cargo run --quiet --locked -p minsheng -- hotline check
cargo run --quiet --locked -p minsheng -- grid check data/grid/demo-zone.toml
cargo run --quiet --locked -p minsheng -- grid rules data/grid/alarm-rules.toml
echo "== cargo test (SQLite and PostgreSQL, headless Chromium, PDF reports)"
cargo test --workspace --locked
echo "== Open311 GeoReport v2 with a real client, JSON validated against the schemas"
bash scripts/open311-test.sh
echo "== two servers on one PostgreSQL behind nginx"
bash scripts/cluster.sh test
