"""Benchmark: ingest and one day's append, against raw DuckDB on the same files, ratio in one run.

Writes a case whose ``comms.csv`` holds ``--rows`` call records and a later
delivery ``comms-day2.csv`` of ``--day-rows`` (bench/ingest.py's generator:
four spellings of Mexican numbers, offsets on every time). Then, each in a
fresh subprocess, alternating so that the load of the shared machine hits
both alike (``--repeat`` rounds, medians reported):

* **raw**: DuckDB ``CREATE TABLE comms AS SELECT * FROM read_csv(base)``,
  then ``INSERT INTO comms SELECT * FROM read_csv(day)`` (no validation, no
  normalisation, no provenance: the floor);
* **fusioncell**: ``ingest_case`` of the folder without the day file, then
  again with it (the append: only the new delivery is read; validation,
  E.164, provenance, identifiers merged, flags, watches).

Prints, per phase, seconds and the speed ratio raw/fusioncell (the issue's
target: ≥ 0.5, i.e. within 2× of raw), and whether the append is
proportional to the day: ``append / full`` against ``day_rows / rows``.

Usage::

    nice -n 10 .venv/bin/python bench/ingest_speed.py --rows 2000000 --day-rows 100000 --repeat 2

Record the figures, with the command, in docs/benchmarks.md (## Ingest speed and appends).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import generate  # noqa: E402  (bench/ingest.py's generator)

_CHILD = r"""
import json, os, shutil, sys, time
kind, folder, day, work = sys.argv[1:5]
base = os.path.join(folder, "comms.csv")
hold = os.path.join(work, os.path.basename(day))
out = {}
if kind == "raw":
    import duckdb
    con = duckdb.connect(os.path.join(work, "raw.duckdb"))
    t = time.perf_counter()
    con.execute(f"CREATE TABLE comms AS SELECT * FROM read_csv('{base}')")
    out["full"] = time.perf_counter() - t
    t = time.perf_counter()
    con.execute(f"INSERT INTO comms SELECT * FROM read_csv('{day}')")
    out["append"] = time.perf_counter() - t
    out["rows"] = con.execute("SELECT count(*) FROM comms").fetchone()[0]
    con.close()
else:
    from fusioncell.ingest import ingest_case
    from fusioncell.store import CaseStore
    shutil.move(day, hold)  # the first ingest sees the base delivery only
    try:
        with CaseStore.open(os.path.join(work, "case.duckdb")) as store:
            t = time.perf_counter()
            ingest_case(folder, store)
            out["full"] = time.perf_counter() - t
            shutil.move(hold, day)
            t = time.perf_counter()
            s = ingest_case(folder, store)
            out["append"] = time.perf_counter() - t
            out["loaded"] = [f.file for f in s.files if f.status == "ingested"]
            out["rows"] = store.count("comms")
    finally:
        if os.path.exists(hold):
            shutil.move(hold, day)
print(json.dumps(out))
"""


def run(kind: str, folder: Path, day: Path) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix=f"bench-speed-{kind}-"))
    try:
        shutil.rmtree(folder / ".fusioncell", ignore_errors=True)
        out = subprocess.run([sys.executable, "-c", _CHILD, kind, str(folder), str(day), str(work)],
                             check=True, capture_output=True, text=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--day-rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bench-speed-case-"))
    folder = root / "case"
    try:
        t0 = time.perf_counter()
        generate(folder, args.rows)
        generate(folder, args.day_rows, first=args.rows, name="comms-day2.csv")
        day = folder / "comms-day2.csv"
        print(f"generated {args.rows:,} + {args.day_rows:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
        got: dict[str, list[dict[str, float]]] = {"raw": [], "fusioncell": []}
        for r in range(args.repeat):
            for kind in ("raw", "fusioncell") if r % 2 == 0 else ("fusioncell", "raw"):
                res = run(kind, folder, day)
                got[kind].append(res)
                print(f"  round {r + 1} {kind}: full {res['full']:.1f} s, append {res['append']:.2f} s", flush=True)
        if got["fusioncell"][0].get("loaded") != ["comms-day2.csv"]:
            raise SystemExit(f"the append loaded {got['fusioncell'][0].get('loaded')}, not only the day")
        med = {k: {p: statistics.median(x[p] for x in v) for p in ("full", "append")} for k, v in got.items()}
        print(f"\n| phase | rows | raw DuckDB s | fusioncell s | speed vs raw (target >= 0.5) |")
        print("|---|---|---|---|---|")
        for phase, n in (("full", args.rows), ("append", args.day_rows)):
            raw, fc = med["raw"][phase], med["fusioncell"][phase]
            print(f"| {phase} | {n:,} | {raw:.2f} | {fc:.2f} | {raw / fc:.2f} |")
        share = med["fusioncell"]["append"] / med["fusioncell"]["full"]
        print(f"\nappend / full ingest time: {share:.3f} for a day of {args.day_rows / args.rows:.3f} of the rows")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
