#!/usr/bin/env bash
# Batch assessment benchmark: score N synthetic households (default 1,000,000) with each
# shipped model, as a summary and as one JSON line per household, and print households/s.
#
#   bash scripts/bench-assess.sh [N]
#
# The surveys come from `minsheng synth surveys` (same seed, same file; ~2.2 KB per household,
# 5 % partial). The MPI aggregates are compared with mpitb by scripts/bench-mpi.py.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/minsheng-target}"
cargo build --release -q -p minsheng
BIN="$CARGO_TARGET_DIR/release/minsheng"
WORK="${BENCH_DIR:-/var/tmp/minsheng-bench-assess}"
mkdir -p "$WORK"
SURVEYS="$WORK/surveys-$N.jsonl"
if [ ! -s "$SURVEYS" ]; then
  echo "generating $N surveys…"
  "$BIN" synth surveys --households "$N" --out "$SURVEYS" --seed 2026
fi
echo "input: $(du -h "$SURVEYS" | cut -f1) of JSON lines; $(nproc) cores"
for model in cq-7d82 three-grade global-mpi; do
  "$BIN" assess --model "$model" --input "$SURVEYS"
  /usr/bin/time -f "  --json: %e s wall, %M KB max RSS" "$BIN" assess --model "$model" --input "$SURVEYS" --json 2>&1 >/dev/null | grep -v "^$" | tail -2
done
