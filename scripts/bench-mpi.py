#!/usr/bin/env python3
"""Compare `minsheng mpi` with mpitb (PyPI), an independent Alkire–Foster implementation, on the
same random data: the aggregates must agree, and both are timed.

    pip install mpitb       # once
    python3 scripts/bench-mpi.py [--people 1000000] [--seed 7]

Data: the global MPI's structure (health 2 × 1/6, education 2 × 1/6, living standards 6 × 1/18),
k = 1/3 (33.33 %), five groups, random sample weights.
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np
import pandas as pd
from mpitb import MPIToolbox

INDICATORS = ["nutrition", "child_mortality", "schooling", "attendance", "cooking_fuel",
              "sanitation", "drinking_water", "electricity", "housing", "assets"]
WEIGHTS = [1 / 6, 1 / 6, 1 / 6, 1 / 6] + [1 / 18] * 6
K = 0.3333


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    n = args.people
    rates = rng.uniform(0.05, 0.45, len(INDICATORS))
    data = {name: (rng.random(n) < rate).astype(np.int8) for name, rate in zip(INDICATORS, rates)}
    data["group"] = rng.choice(["渝中区", "巴南区", "城口县", "江北区", "万州区"], n)
    data["weight"] = np.round(rng.uniform(0.5, 2.0, n), 3)
    df = pd.DataFrame(data)
    target = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/minsheng-target")
    binary = os.path.join(target, "release", "minsheng")
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "minsheng"], check=True,
                   env={**os.environ, "CARGO_TARGET_DIR": target})

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "deprivations.csv")
        df.to_csv(path, index=False)
        started = time.perf_counter()
        out = subprocess.run(
            [binary, "mpi", "--deprivations", path, "--weights", ",".join(f"{w:.17g}" for w in WEIGHTS),
             "--k", str(K), "--json"],
            check=True, capture_output=True, text=True).stdout
        ours_seconds = time.perf_counter() - started
        ours = json.loads(out)
        started = time.perf_counter()
        frame = pd.read_csv(path)
        read_seconds = time.perf_counter() - started

    tb = MPIToolbox()
    tb.set(name="mpi", dimensions=[(INDICATORS[:2], "health"), (INDICATORS[2:4], "education"),
                                   (INDICATORS[4:], "living")])
    tb.svyset(weight="weight")
    started = time.perf_counter()
    results = tb.est(frame, "mpi", [K * 100], weights=dict(zip(INDICATORS, WEIGHTS)), svy=True,
                     indmeasures=["hdk", "actb", "pctb"], aux=[], over=["group"])
    theirs_seconds = time.perf_counter() - started

    def theirs(measure, indicator=None, group=None):
        for r in results:
            if r["measure"] == measure and r.get("indicator") == indicator and r.get("subg") == group \
                    and (group is not None or r["loa"] == "nat"):
                return r["b"]
        raise KeyError((measure, indicator, group))

    worst = 0.0
    rows = []
    for group in [None] + sorted(ours["groups"]):
        mine = ours["overall"] if group is None else ours["groups"][group]
        pairs = [("H", mine["H"], theirs("H", group=group)), ("A", mine["A"], theirs("A", group=group)),
                 ("M0", mine["M0"], theirs("M0", group=group))]
        for ind in INDICATORS:
            pairs.append((f"hdk {ind}", mine["censored_headcount"][ind], theirs("hdk", ind, group)))
            pairs.append((f"pctb {ind}", mine["contribution"][ind], theirs("pctb", ind, group)))
        for name, a, b in pairs:
            worst = max(worst, abs(a - b))
            if name in ("H", "A", "M0"):
                rows.append((group or "overall", name, a, b))
    print(f"{n:,} people, 10 indicators, k = {K}, sample weights, 5 groups")
    print(f"{'population':<10} {'measure':<8} {'minsheng':>12} {'mpitb':>12}")
    for g, name, a, b in rows:
        print(f"{g:<10} {name:<8} {a:>12.6f} {b:>12.6f}")
    print(f"largest difference over H, A, M0, censored headcounts and contributions: {worst:.2e}")
    print(f"minsheng mpi (read CSV + compute, one process): {ours_seconds:.2f} s")
    print(f"mpitb est (compute only, data already in pandas): {theirs_seconds:.2f} s; pandas read_csv {read_seconds:.2f} s")
    if worst > 1e-9:
        raise SystemExit("the implementations disagree")


if __name__ == "__main__":
    main()
