"""Benchmark: ingest of a large comms.csv against named peers.

Generates a case folder whose comms.csv has ``--rows`` call records (mixed
national/international Mexican number formats from a pool of distinct
numbers, offsets on every time), then times, each in a fresh subprocess so
peak memory is its own:

* ``fusioncell ingest`` of the whole case (validation, E.164 normalisation on
  distinct values, typed insert, identifiers table);
* DuckDB's own ``read_csv`` of the same file into a table, no validation (the
  floor: the ratio fusioncell/raw is the figure, target >= 0.5);
* pandas ``read_csv`` + ``to_sql`` into SQLite, what a user would otherwise
  write; run on the first ``--pandas-rows`` rows only (bounded) and reported
  per row.

Usage::

    .venv/bin/python bench/ingest.py --rows 10000000 --pandas-rows 1000000

Prints a table (rows/s, seconds, peak RSS). Record the figures you measured,
with the command, in docs/benchmarks.md (## Ingest).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

CASE_TOML = """[case]
id = "bench-ingest"
title = "Ingest benchmark"
owner_agency = "BENCH"
legal_authority = "Benchmark only (synthetic data)"
timezone = "America/Mexico_City"
phone_region = "MX"
"""
SOURCES = "source_id,agency,discipline,method,reliability,releasable_to\nsigint-01,BENCH,SIGINT,CDR,B,\n"


def generate(folder: Path, rows: int, n_numbers: int = 200_000, seed: float = 0.42, first: int = 0,
             name: str = "comms.csv") -> None:
    """Write the benchmark case folder (DuckDB ``COPY``; no Python loop per row).

    ``first`` and ``name`` write a later delivery: rows ``first .. first + rows``
    (later times, new event ids) into ``name`` (e.g. ``comms-day2.csv``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.toml").write_text(CASE_TOML, encoding="utf-8")
    (folder / "sources.csv").write_text(SOURCES, encoding="utf-8")
    con = duckdb.connect()
    con.execute(f"SELECT setseed({seed})")
    # A number is 33 + 8 digits; written in one of four formats chosen per row.
    fmt = """CASE (({x}) % 4)
        WHEN 0 THEN '+5233' || lpad(CAST({n} AS VARCHAR), 8, '0')
        WHEN 1 THEN '33 ' || substr(lpad(CAST({n} AS VARCHAR), 8, '0'), 1, 4) || ' ' || substr(lpad(CAST({n} AS VARCHAR), 8, '0'), 5, 4)
        WHEN 2 THEN '33' || lpad(CAST({n} AS VARCHAR), 8, '0')
        ELSE '+52 33 ' || substr(lpad(CAST({n} AS VARCHAR), 8, '0'), 1, 4) || ' ' || substr(lpad(CAST({n} AS VARCHAR), 8, '0'), 5, 4) END"""
    caller = fmt.format(x="i", n=f"10000000 + (hash(i) % {n_numbers})")
    callee = fmt.format(x="i // 3", n=f"10000000 + (hash(i * 7 + 1) % {n_numbers})")
    con.execute(f"""
        COPY (
          SELECT 'c-' || i AS event_id, 'sigint-01' AS source_id,
                 strftime(TIMESTAMP '2026-01-01 00:00:00' + to_seconds(i * 2), '%Y-%m-%dT%H:%M:%S') || '-06:00' AS start,
                 CAST(floor(random() * 600) AS INTEGER) AS duration_s,
                 CASE WHEN i % 10 = 0 THEN 'sms' ELSE 'call' END AS channel,
                 {caller} AS caller, {callee} AS callee,
                 round(20.6 + random() * 0.2, 5) AS caller_lat, round(-103.4 + random() * 0.2, 5) AS caller_lon,
                 round(20.6 + random() * 0.2, 5) AS callee_lat, round(-103.4 + random() * 0.2, 5) AS callee_lon,
                 '' AS content
          FROM range({first}, {first + rows}) t(i)
        ) TO '{folder / name}' (HEADER, DELIMITER ',')
    """)
    con.close()


_CHILD = r"""
import json, resource, sys, time
kind, folder, work, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t0 = time.perf_counter()
if kind == "fusioncell":
    from fusioncell.ingest import ingest_case
    from fusioncell.store import CaseStore
    with CaseStore.open(work + "/case.duckdb") as store:
        s = ingest_case(folder, store)
        rows = store.count("comms")
elif kind == "duckdb":
    import duckdb
    con = duckdb.connect(work + "/raw.duckdb")
    con.execute(f"CREATE TABLE comms AS SELECT * FROM read_csv('{folder}/comms.csv')")
    rows = con.execute("SELECT count(*) FROM comms").fetchone()[0]
    con.close()
elif kind == "pandas":
    import sqlite3
    import pandas as pd
    df = pd.read_csv(folder + "/comms.csv", nrows=n)
    con = sqlite3.connect(work + "/pandas.sqlite")
    df.to_sql("comms", con, index=False, chunksize=100_000)
    con.commit(); con.close()
    rows = len(df)
seconds = time.perf_counter() - t0
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_mb}))
"""


def run(kind: str, folder: Path, n: int = 0) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
    try:
        out = subprocess.run([sys.executable, "-c", _CHILD, kind, str(folder), str(work), str(n)],
                             check=True, capture_output=True, text=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--pandas-rows", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, default=None, help="Write the case here and keep it.")
    args = ap.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-case-")) / "case"
    t0 = time.perf_counter()
    generate(folder, args.rows)
    size_mb = (folder / "comms.csv").stat().st_size / 1e6
    print(f"generated {args.rows:,} comms rows ({size_mb:,.0f} MB) in {time.perf_counter() - t0:.1f} s; "
          f"{os.cpu_count()} cores", flush=True)
    results = {
        "fusioncell ingest (validated, E.164)": run("fusioncell", folder),
        "duckdb read_csv (no validation)": run("duckdb", folder),
        f"pandas read_csv + to_sql sqlite ({args.pandas_rows:,} rows)": run("pandas", folder, args.pandas_rows),
    }
    raw = results["duckdb read_csv (no validation)"]
    raw_rate = raw["rows"] / raw["seconds"]
    print(f"\n| {'what':<52} | {'rows':>11} | {'seconds':>8} | {'rows/s':>11} | {'vs duckdb':>9} | {'peak MB':>8} |")
    print(f"|{'-' * 54}|{'-' * 13}|{'-' * 10}|{'-' * 13}|{'-' * 11}|{'-' * 10}|")
    for name, r in results.items():
        rate = r["rows"] / r["seconds"]
        print(f"| {name:<52} | {int(r['rows']):>11,} | {r['seconds']:>8.1f} | {rate:>11,.0f} | "
              f"{rate / raw_rate:>9.2f} | {r['peak_mb']:>8,.0f} |")
    if args.keep is None:
        shutil.rmtree(folder.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
