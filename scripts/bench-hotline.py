#!/usr/bin/env python3
"""12345 hotline classification benchmark: held-out quality and speed on one core.

Prints the held-out category and type accuracy and macro-F1 (`minsheng hotline eval --json`:
wordings never trained on), the classifier's own speed on one thread, and the end-to-end
throughput of `minsheng hotline classify --json` pinned to one core (reading N requests on stdin,
writing one JSON object per line), with the start-up (loading and training) measured apart.
Targets (issue 7): >= 20,000 requests/s on one core, category macro-F1 >= 0.90.

    python3 scripts/bench-hotline.py [--requests 200000] [--seed 7]
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "minsheng"], cwd=root, check=True)
    binary = os.path.join(target, "release", "minsheng")
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []

    ev = json.loads(run(pin + [binary, "hotline", "eval", "--json"]).stdout)
    print(f"trained on {ev['train']} labelled requests; scored on {ev['held_out']} held-out ones (unseen wordings)")
    print(f"category: accuracy {ev['category']['accuracy']:.3f}  macro-F1 {ev['category']['macro_f1']:.3f}   (target >= 0.90)")
    print(f"type:     accuracy {ev['type']['accuracy']:.3f}  macro-F1 {ev['type']['macro_f1']:.3f}")
    print(f"classifier alone, one thread: {ev['per_second']:,.0f} requests/s")

    with tempfile.TemporaryDirectory() as tmp:
        labelled = os.path.join(tmp, "requests.jsonl")
        run([binary, "hotline", "synth", "--count", str(args.requests), "--seed", str(args.seed), "--out", labelled])
        texts = os.path.join(tmp, "texts.txt")
        with open(labelled, encoding="utf-8") as f, open(texts, "w", encoding="utf-8") as out:
            for line in f:
                out.write(json.loads(line)["text"].replace("\n", " ") + "\n")
        empty = os.path.join(tmp, "empty.txt")
        open(empty, "w").close()
        with open(empty) as stdin:
            t0 = time.perf_counter()
            subprocess.run(pin + [binary, "hotline", "classify", "--json"], stdin=stdin, stdout=subprocess.DEVNULL, check=True)
            startup = time.perf_counter() - t0
        with open(texts, encoding="utf-8") as stdin:
            t0 = time.perf_counter()
            subprocess.run(pin + [binary, "hotline", "classify", "--json"], stdin=stdin, stdout=subprocess.DEVNULL, check=True)
            total = time.perf_counter() - t0
    rate = args.requests / max(total - startup, 1e-9)
    print(f"minsheng hotline classify --json, one core: {args.requests:,} requests in {total:.2f} s "
          f"(start-up and training {startup:.2f} s) = {rate:,.0f} requests/s   (target >= 20,000)")


if __name__ == "__main__":
    main()
