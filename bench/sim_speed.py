"""Speed of the scenario simulator: wall and CPU time, rows written, peak memory.

Usage::

    .venv/bin/python bench/sim_speed.py                 # small and medium
    .venv/bin/python bench/sim_speed.py --large         # also 100,000 people, 30 days, 450 tracked phones

Prints one table row per run. Targets from the issue: small (a few hundred
people, 30 days) under 5 s; large (100,000 people, 30 days, >= 10 M call
records, >= 1 M fixes) under 3 minutes on 2 cores, written in daily chunks.
Peers: none generate this kind of case; the reference points are the
issue's targets and the row rate of pyarrow's CSV writer alone (measured
here on the same rows), which bounds how fast any generator writing CSV can be.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUN = """
import json, resource, sys, time
from pathlib import Path
from fusioncell.sim import simulate
t = time.perf_counter(); c = time.process_time()
s = simulate(Path(sys.argv[1]), seed=int(sys.argv[2]), scale=sys.argv[3], days=int(sys.argv[4]),
             difficulty="normal", track=sys.argv[5].split(",") if sys.argv[5] else None)
s["wall_s"] = time.perf_counter() - t
s["cpu_s"] = time.process_time() - c
s["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(s))
"""


def run(scale: str, days: int, track: str, seed: int = 7) -> dict[str, object]:
    import json

    tmp = Path(tempfile.mkdtemp(prefix="simbench-"))
    try:
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", RUN, str(tmp / "case"), str(seed), scale, str(days), track],
                             check=True, capture_output=True, text=True)
        res = json.loads(out.stdout.strip().splitlines()[-1])
        res["process_wall_s"] = time.perf_counter() - t
        res["bytes"] = sum(f.stat().st_size for f in (tmp / "case").iterdir())
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def csv_writer_rate(rows: int = 2_000_000) -> float:
    """Rows/s of pyarrow's CSV writer alone on call-record-like rows (the floor for any CSV generator)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(0)
    tbl = pa.table({
        "event_id": pa.array([f"c{i}" for i in range(rows)]),
        "start": pa.array(["2026-01-01T12:00:00-06:00"] * rows),
        "duration_s": pa.array(rng.integers(0, 600, rows)),
        "caller": pa.array(rng.integers(10**11, 10**12, rows)).cast(pa.string()),
        "callee": pa.array(rng.integers(10**11, 10**12, rows)).cast(pa.string()),
        "caller_lat": pa.array(np.round(rng.uniform(19, 20, rows), 6)),
        "caller_lon": pa.array(np.round(rng.uniform(-104, -103, rows), 6)),
    })
    tmp = Path(tempfile.mkdtemp(prefix="csvbench-"))
    try:
        t = time.perf_counter()
        pacsv.write_csv(tbl, str(tmp / "x.csv"))
        return rows / (time.perf_counter() - t)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", action="store_true")
    args = ap.parse_args()
    runs = [("small", 30, ""), ("medium", 30, "random:40")]
    if args.large:
        runs.append(("large", 30, "random:450"))
    print(f"{'scale':8} {'people':>7} {'comms':>11} {'fixes':>9} {'wall s':>7} {'cpu s':>7} {'rss MB':>7} {'GB':>5} {'target':>8}")
    for scale, days, track in runs:
        r = run(scale, days, track)
        target = {"small": "< 5 s", "large": "< 180 s"}.get(scale, "-")
        c = r["counts"]
        print(f"{scale:8} {r['people']:>7} {c['comms']:>11,} {c['locations']:>9,} {r['wall_s']:>7.1f} {r['cpu_s']:>7.1f} "
              f"{r['peak_rss_mb']:>7.0f} {r['bytes'] / 1e9:>5.2f} {target:>8}")
    rate = csv_writer_rate()
    print(f"peer: pyarrow CSV writer alone, 7 columns: {rate:,.0f} rows/s")
    _ = resource


if __name__ == "__main__":
    main()
