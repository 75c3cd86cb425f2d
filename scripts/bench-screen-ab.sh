#!/usr/bin/env bash
# `minsheng screen` with two builds on one synthetic city, interleaved rounds (this machine moves
# a single run by a tenth): prints each run's seconds, warnings and rejected rows.
#
#   bash scripts/bench-screen-ab.sh BASE_BINARY NEW_BINARY [PERSONS] [ROUNDS]
#
# Build the base with `git worktree add /tmp/base REV && CARGO_TARGET_DIR=… cargo build --release`
# (or scripts/bench-compare.sh's way); the city is written once by the new build.
set -euo pipefail
BASE="$1"; NEW="$2"; PERSONS="${3:-1000000}"; ROUNDS="${4:-3}"
CITY="${MINSHENG_BENCH_DIR:-/var/tmp}/minsheng-city-$PERSONS-2026"
[ -f "$CITY/planted.csv" ] || "$NEW" synth population --persons "$PERSONS" --out "$CITY" --seed 2026 >/dev/null 2>&1
FEEDS=(medical disability unemployment deaths school utilities assets assistance)
args=(screen --rules "$CITY/rules.toml" --population "$CITY/population.csv" --json)
for f in "${FEEDS[@]}"; do args+=(--feed "$f=$CITY/feeds/$f.csv"); done
for round in $(seq 1 "$ROUNDS"); do
  for which in base new; do
    bin="$BASE"; [ "$which" = new ] && bin="$NEW"
    start=$(date +%s.%N)
    out=$("$bin" "${args[@]}" --out "$CITY/out-$which")
    end=$(date +%s.%N)
    counts=$(echo "$out" | tail -n1 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["warnings"], "warnings,", sum(v["rejected"] for v in d["feeds"].values()), "rejected")')
    printf '%-4s round %d: %6.2f s  (%s)\n' "$which" "$round" "$(echo "$end - $start" | bc)" "$counts"
  done
done
