#!/usr/bin/env bash
# Registry import benchmark (issue 20.1): `minsheng import persons` of a synthetic registry
# file of N persons (default 100,000 and 1,000,000) into a fresh SQLite database, side by side
# with `sqlite3 .import` of the same file into a table with the same keys and indexes, and
# (with BENCH_PG=1) into PostgreSQL beside `COPY` of the same file.
#
#   bash scripts/bench-import.sh [N…]
#
# The file is made by the generator below (same seed, same file): households of 1 to 5 persons
# in Banan's communities, valid ID numbers, a third with phones.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(100000 1000000)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/minsheng-target}"
cargo build --release -q -p minsheng
BIN="$CARGO_TARGET_DIR/release/minsheng"
WORK="${BENCH_DIR:-/var/tmp/minsheng-bench-import}"
mkdir -p "$WORK"
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)"; exit 1; }

generate() {
  python3 - "$1" "$2" <<'PY'
import csv, random, sys
n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(2026)
communities = [r["code"] for r in csv.DictReader(open("data/regions/communities.csv", encoding="utf-8"))
               if r["code"].startswith("500113")]
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
def idn(i, year, month, day, sex):
    seq = (i % 499) * 2 + sex + 1
    body = f"500113{year:04d}{month:02d}{day:02d}{seq:03d}"
    # Many persons share a birth date: make the 17 digits unique by spreading years and days.
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, W)) % 11]
surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
given = "明芳强伟静丽军敏杰娟勇艳涛超秀英华平刚桂兰红霞玉梅建国志文斌辉鹏飞燕萍琴云"
seen = set()
with open(out, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id_number", "name", "region_code", "address", "household_key", "relation_code", "phone"])
    i = h = 0
    while i < n:
        h += 1
        region = rng.choice(communities)
        address = f"{rng.randint(1, 300)}号{rng.randint(1, 30)}栋{rng.randint(1, 3000)}室"
        size = min(rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5]), n - i)
        for k in range(size):
            while True:
                year = rng.randint(1930, 2024) if k else rng.randint(1930, 2000)
                cand = idn(rng.randint(0, 10**6), year, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 1))
                if cand not in seen:
                    seen.add(cand)
                    break
            relation = "02" if k == 0 else rng.choice(["12", "20", "30", "50", "99"])
            phone = f"13{rng.randint(100000000, 999999999)}" if rng.random() < 0.33 else ""
            w.writerow([cand, rng.choice(surnames) + rng.choice(given) + rng.choice(given),
                        region, address, f"BANAN-{h:07d}", relation, phone])
            i += 1
PY
}

echo "$(nproc) cores; minsheng $(git rev-parse --short HEAD)"
printf "%-10s %-26s %10s %12s %10s\n" persons what seconds rows/s "max RSS"
for N in "${SIZES[@]}"; do
  FILE="$WORK/persons-$N.csv"
  [ -s "$FILE" ] || generate "$N" "$FILE"
  # sqlite3 .import into a table with the same keys and indexes.
  rm -f "$WORK/plain.sqlite"
  sqlite3 "$WORK/plain.sqlite" "CREATE TABLE persons (id INTEGER PRIMARY KEY, id_number TEXT NOT NULL UNIQUE, name TEXT NOT NULL, region_code INTEGER NOT NULL, address TEXT NOT NULL, household_key TEXT NOT NULL, relation_code TEXT NOT NULL, phone TEXT); CREATE INDEX persons_name ON persons (name); CREATE INDEX persons_household ON persons (household_key); CREATE INDEX persons_region ON persons (region_code, id);"
  start=$(date +%s.%N)
  sqlite3 "$WORK/plain.sqlite" ".mode csv" "CREATE TEMP TABLE f (id_number, name, region_code, address, household_key, relation_code, phone)" ".import --skip 1 $FILE f" "INSERT INTO persons (id_number, name, region_code, address, household_key, relation_code, phone) SELECT * FROM f"
  t=$(echo "$(date +%s.%N) - $start" | bc)
  printf "%-10s %-26s %10.2f %12.0f %10s\n" "$N" "sqlite3 .import" "$t" "$(echo "$N / $t" | bc -l)" "-"
  # minsheng: a fresh database with Chongqing's regions, then the registry file.
  DATA="$WORK/data-$N"
  rm -rf "$DATA"
  "$BIN" import regions data/regions/chongqing.csv --data-dir "$DATA" >/dev/null
  "$BIN" import regions data/regions/communities.csv --data-dir "$DATA" >/dev/null
  out=$( { /usr/bin/time -f "%e %M" "$BIN" import persons "$FILE" --data-dir "$DATA" >/dev/null; } 2>&1 | tail -1)
  t=${out% *}; rss=${out#* }
  printf "%-10s %-26s %10.2f %12.0f %9.0fM\n" "$N" "minsheng import (SQLite)" "$t" "$(echo "$N / $t" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
  if [ "${BENCH_PG:-0}" = 1 ]; then
    DB="minsheng_bench_import"
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
    URL="postgres://postgres@127.0.0.1/$DB"
    "$BIN" import regions data/regions/chongqing.csv --database-url "$URL" >/dev/null
    "$BIN" import regions data/regions/communities.csv --database-url "$URL" >/dev/null
    out=$( { /usr/bin/time -f "%e %M" "$BIN" import persons "$FILE" --database-url "$URL" >/dev/null; } 2>&1 | tail -1)
    t=${out% *}; rss=${out#* }
    printf "%-10s %-26s %10.2f %12.0f %9.0fM\n" "$N" "minsheng import (Postgres)" "$t" "$(echo "$N / $t" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
    psql -h 127.0.0.1 -U postgres -qc "DROP TABLE IF EXISTS plain" -c "CREATE TABLE plain (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, id_number TEXT NOT NULL UNIQUE, name TEXT NOT NULL, region_code BIGINT NOT NULL, address TEXT NOT NULL, household_key TEXT NOT NULL, relation_code TEXT NOT NULL, phone TEXT)" -c "CREATE INDEX ON plain (name)" -c "CREATE INDEX ON plain (household_key)" "$DB" >/dev/null
    start=$(date +%s.%N)
    psql -h 127.0.0.1 -U postgres -qc "\\copy plain (id_number, name, region_code, address, household_key, relation_code, phone) FROM '$FILE' CSV HEADER" "$DB" >/dev/null
    t=$(echo "$(date +%s.%N) - $start" | bc)
    printf "%-10s %-26s %10.2f %12.0f %10s\n" "$N" "PostgreSQL COPY" "$t" "$(echo "$N / $t" | bc -l)" "-"
  fi
done
