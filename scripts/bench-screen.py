#!/usr/bin/env python3
"""Data cross-matching benchmark: the shipped warning rules run two ways on the same synthetic
city — `minsheng screen` and DuckDB (PyPI `duckdb`) executing equivalent SQL. Checks that both
warn the same (household, rule) pairs and that every planted case is found and no near miss is
raised; prints both times, the ratio and peak memory.

    pip install duckdb                      # once
    python3 scripts/bench-screen.py [--persons 1000000] [--seed 2026] [--threads 2]
"""
import argparse
import csv
import json
import os
import resource
import subprocess
import time

FEEDS = ["medical", "disability", "unemployment", "deaths", "school", "utilities", "assets", "assistance"]

SQL = """
WITH persons AS (
  SELECT id_number, household_id, monthly_income,
         2026 - CAST(substr(id_number, 7, 4) AS INTEGER) AS age
  FROM read_csv('{dir}/population.csv', header = true, all_varchar = false,
                columns = {{'id_number': 'VARCHAR', 'name': 'VARCHAR', 'household_id': 'VARCHAR',
                           'region_code': 'BIGINT', 'relation': 'VARCHAR', 'monthly_income': 'DOUBLE'}})
),
households AS (
  SELECT household_id, count(*) AS size,
         count(*) FILTER (WHERE age >= 60) AS elderly,
         count(*) FILTER (WHERE age < 18) AS children,
         sum(monthly_income) * 12 AS income_12m
  FROM persons GROUP BY household_id
),
medical AS (
  SELECT p.household_id, sum(m.self_pay) AS self_pay_12m, max(m.self_pay) AS largest_stay
  FROM read_csv('{dir}/feeds/medical.csv', header = true,
       columns = {{'id_number': 'VARCHAR', 'admission_date': 'DATE', 'total_cost': 'DOUBLE', 'self_pay': 'DOUBLE', 'hospital': 'VARCHAR'}}) m
  JOIN persons p USING (id_number)
  WHERE m.admission_date > DATE '2026-11-30' - INTERVAL 365 DAY GROUP BY p.household_id
),
disability AS (
  SELECT p.household_id, count(DISTINCT d.id_number) FILTER (WHERE d.grade <= 2) AS severely_disabled,
         count(DISTINCT d.id_number) AS disabled
  FROM read_csv('{dir}/feeds/disability.csv', header = true,
       columns = {{'id_number': 'VARCHAR', 'disability_type': 'VARCHAR', 'grade': 'DOUBLE', 'registered_on': 'DATE'}}) d
  JOIN persons p USING (id_number) GROUP BY p.household_id
),
unemployment AS (
  SELECT p.household_id, count(DISTINCT u.id_number) AS unemployed
  FROM read_csv('{dir}/feeds/unemployment.csv', header = true,
       columns = {{'id_number': 'VARCHAR', 'registered_on': 'DATE', 'status': 'VARCHAR'}}) u
  JOIN persons p USING (id_number) WHERE u.status = 'registered' GROUP BY p.household_id
),
deaths AS (
  SELECT p.household_id, count(*) AS deaths_12m
  FROM read_csv('{dir}/feeds/deaths.csv', header = true, columns = {{'id_number': 'VARCHAR', 'died_on': 'DATE'}}) d
  JOIN persons p USING (id_number) WHERE d.died_on > DATE '2026-11-30' - INTERVAL 365 DAY GROUP BY p.household_id
),
school AS (
  SELECT p.household_id, count(*) AS dropouts
  FROM read_csv('{dir}/feeds/school.csv', header = true,
       columns = {{'id_number': 'VARCHAR', 'stage': 'VARCHAR', 'event': 'VARCHAR', 'event_date': 'DATE'}}) s
  JOIN persons p USING (id_number)
  WHERE s.event = 'dropout' AND s.event_date > DATE '2026-11-30' - INTERVAL 365 DAY GROUP BY p.household_id
),
utilities AS (
  SELECT p.household_id, max(u.months_in_arrears) AS arrears_months
  FROM read_csv('{dir}/feeds/utilities.csv', header = true,
       columns = {{'id_number': 'VARCHAR', 'utility': 'VARCHAR', 'months_in_arrears': 'DOUBLE', 'amount': 'DOUBLE', 'reported_on': 'DATE'}}) u
  JOIN persons p USING (id_number) WHERE u.reported_on > DATE '2026-11-30' - INTERVAL 90 DAY GROUP BY p.household_id
),
assets AS (
  SELECT p.household_id, sum(a.value) FILTER (WHERE a.kind = 'vehicle') AS vehicle_value,
         count(*) FILTER (WHERE a.kind = 'property') AS properties
  FROM read_csv('{dir}/feeds/assets.csv', header = true,
       columns = {{'id_number': 'VARCHAR', 'kind': 'VARCHAR', 'value': 'DOUBLE', 'registered_on': 'DATE'}}) a
  JOIN persons p USING (id_number) GROUP BY p.household_id
),
assistance AS (
  SELECT p.household_id, count(*) AS on_assistance
  FROM read_csv('{dir}/feeds/assistance.csv', header = true,
       columns = {{'id_number': 'VARCHAR', 'program': 'VARCHAR', 'since': 'DATE'}}) a
  JOIN persons p USING (id_number) GROUP BY p.household_id
),
facts AS (
  SELECT h.*, coalesce(self_pay_12m, 0) AS self_pay_12m, coalesce(largest_stay, 0) AS largest_stay,
         coalesce(severely_disabled, 0) AS severely_disabled, coalesce(disabled, 0) AS disabled,
         coalesce(unemployed, 0) AS unemployed, coalesce(deaths_12m, 0) AS deaths_12m,
         coalesce(dropouts, 0) AS dropouts, coalesce(arrears_months, 0) AS arrears_months,
         coalesce(vehicle_value, 0) AS vehicle_value, coalesce(properties, 0) AS properties,
         coalesce(on_assistance, 0) AS on_assistance,
         h.income_12m / 12 / greatest(h.size, 1) AS per_head
  FROM households h
  LEFT JOIN medical USING (household_id) LEFT JOIN disability USING (household_id)
  LEFT JOIN unemployment USING (household_id) LEFT JOIN deaths USING (household_id)
  LEFT JOIN school USING (household_id) LEFT JOIN utilities USING (household_id)
  LEFT JOIN assets USING (household_id) LEFT JOIN assistance USING (household_id)
),
kept AS (SELECT * FROM facts WHERE NOT (on_assistance > 0 OR vehicle_value > 100000 OR properties >= 2))
SELECT household_id, 'medical_burden' FROM kept WHERE self_pay_12m > 0.4 * greatest(income_12m, 1)
UNION ALL SELECT household_id, 'large_stay' FROM kept WHERE largest_stay > 10000
UNION ALL SELECT household_id, 'two_severely_disabled' FROM kept WHERE severely_disabled >= 2
UNION ALL SELECT household_id, 'all_elderly_or_disabled' FROM kept WHERE elderly + disabled >= size AND per_head < 1200
UNION ALL SELECT household_id, 'unemployed_with_dependants' FROM kept WHERE unemployed >= 1 AND children + elderly >= 1 AND per_head < 1600
UNION ALL SELECT household_id, 'death_in_family' FROM kept WHERE deaths_12m >= 1 AND per_head < 1200
UNION ALL SELECT household_id, 'utility_arrears' FROM kept WHERE arrears_months >= 3
UNION ALL SELECT household_id, 'school_dropout' FROM kept WHERE dropouts >= 1
"""


def peak_kb_of(cmd):
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, check=True)
    return out.stdout, int(out.stderr.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/minsheng-target")
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "minsheng"], check=True,
                   env={**os.environ, "CARGO_TARGET_DIR": target})
    binary = os.path.join(target, "release", "minsheng")
    city = os.environ.get("BENCH_DIR", f"/var/tmp/minsheng-city-{args.persons}-{args.seed}")
    if not os.path.exists(os.path.join(city, "planted.csv")):
        subprocess.run([binary, "synth", "population", "--persons", str(args.persons), "--out", city,
                        "--seed", str(args.seed)], check=True)
    rows = sum(sum(1 for _ in open(os.path.join(city, "feeds", f + ".csv"))) - 1 for f in FEEDS)
    out_dir = os.path.join(city, "out")
    cmd = [binary, "screen", "--rules", os.path.join(city, "rules.toml"), "--population",
           os.path.join(city, "population.csv"), "--out", out_dir, "--json"]
    for f in FEEDS:
        cmd += ["--feed", f"{f}={os.path.join(city, 'feeds', f + '.csv')}"]
    started = time.perf_counter()
    stdout, ours_kb = peak_kb_of(cmd)
    ours = time.perf_counter() - started
    summary = json.loads(stdout)
    mine = set()
    with open(os.path.join(out_dir, "warnings.csv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for rule in row["rules"].split(";"):
                mine.add((row["household_id"], rule))

    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    started = time.perf_counter()
    theirs = set(map(tuple, con.execute(SQL.format(dir=city)).fetchall()))
    duck = time.perf_counter() - started
    duck_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    planted = {tuple(r) for r in csv.reader(open(os.path.join(city, "planted.csv")))} - {("household_id", "rule")}
    near = {tuple(r) for r in csv.reader(open(os.path.join(city, "near_misses.csv")))} - {("household_id", "rule")}
    print(f"{summary['persons']:,} persons, {summary['households']:,} households, {rows:,} feed rows; {args.threads} threads")
    print(f"warnings (household, rule): minsheng {len(mine):,}, DuckDB {len(theirs):,}; "
          f"same: {mine == theirs} (only minsheng {len(mine - theirs)}, only DuckDB {len(theirs - mine)})")
    print(f"planted found: {len(planted & mine)}/{len(planted)}; near misses raised: {len(near & mine)}/{len(near)}")
    print(f"minsheng screen: {ours:.2f} s, peak {ours_kb / 1024:.0f} MB (whole process)")
    phases = ["population_seconds", "feed_seconds", "rule_seconds", "write_seconds"]
    print("  " + ", ".join(f"{p.split('_')[0]} {summary[p]:.2f} s" for p in phases if p in summary))
    print(f"DuckDB SQL:      {duck:.2f} s, peak {duck_kb / 1024:.0f} MB (Python process)")
    print(f"ratio DuckDB / minsheng: {duck / ours:.2f}×")


if __name__ == "__main__":
    main()
