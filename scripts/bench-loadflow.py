#!/usr/bin/env python3
"""Load-flow benchmark: minsheng's load flow against pandapower's Newton–Raphson, side by side.

    python3 scripts/bench-loadflow.py [--repeat 200] [--bin target/release/minsheng]

For each pandapower fixture (radial: tiny, CIGRE MV, mv_oberrhein; meshed: tiny and CIGRE MV
with their ties closed), one run: `minsheng grid loadflow NET --json --repeat N` (the sweep on
radial feeders, Newton–Raphson on meshed ones; time per solve measured inside the process) and
pandapower's `runpp` (numba off, defaults) timed per solve in this process. Printed: the method,
iterations, time per solve of each, the ratio, and the largest voltage difference in pu. Uses
the virtualenv of scripts/bench-grid.py (/var/tmp/minsheng-grid-venv), made when missing.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = "/var/tmp/minsheng-grid-venv"
FIXTURES = os.path.join(ROOT, "crates/grid/tests/fixtures/pandapower")
NETS = ["tiny", "cigre_mv", "mv_oberrhein", "tiny_meshed", "cigre_mv_meshed"]


def ensure_venv():
    python = os.path.join(VENV, "bin", "python")
    if sys.executable == python:
        return
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "pandapower==3.5.6"], check=True)
    os.execv(python, [python] + sys.argv)


def main():
    ensure_venv()
    warnings.filterwarnings("ignore")
    import pandapower as pp

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--bin", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "minsheng"))
    args = parser.parse_args()
    print(f"{'network':<18}{'ours':>8}{'iter':>6}{'µs/solve':>11}{'pandapower µs':>15}{'ratio':>8}{'max |Δvm| pu':>15}")
    for name in NETS:
        path = os.path.join(FIXTURES, f"{name}.json")
        out = subprocess.run([args.bin, "grid", "loadflow", path, "--json", "--repeat", str(args.repeat)],
                             capture_output=True, text=True, check=True)
        ours = json.loads(out.stdout)
        net = pp.from_json(path)
        pp.runpp(net, numba=False)
        started = time.perf_counter()
        runs = max(1, args.repeat // 10)
        for _ in range(runs):
            pp.runpp(net, numba=False)
        theirs = (time.perf_counter() - started) / runs
        dvm = max(abs(ours["vm_pu"][f"b{i}"] - v) for i, v in net.res_bus.vm_pu.items()
                  if f"b{i}" in ours["vm_pu"] and v == v)
        us = ours["seconds_per_flow"] * 1e6
        print(f"{name:<18}{ours['method']:>8}{ours['iterations']:>6}{us:>11.1f}{theirs * 1e6:>15.0f}"
              f"{theirs * 1e6 / us:>7.0f}×{dvm:>15.2e}")


if __name__ == "__main__":
    main()
