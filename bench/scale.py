"""National-scale first steps: contact edges over a Parquet lake with a call-centre hub.

Writes synthetic call records in chunks (never all in memory) into a Parquet
lake partitioned by day (``LAKE/comms/day=YYYY-MM-DD/part-N.parquet``), with
one call centre taking ``--hub-share`` of all calls, and a node map
(``attributions``) for half of the identifiers. Then runs the query layer's
``network.edges`` plan (the heaviest relational step of ties) on:

* DuckDB, reading the lake (``DuckDBEngine.lake``), memory-limited;
* Spark ``local[2]``, default settings (AQE, broadcast of the small node map);
* Spark with broadcast joins and AQE's skew handling off, so the node-map
  join is a sort-merge join and the hub's records all land in one partition;
* the same with ``--salt`` buckets (``network.edges``'s ``salt``).

and prints wall seconds, peak RSS of this process, rows and a checksum per
run (all runs must agree). Usage::

    nice .venv/bin/python bench/scale.py --rows 1000000 --hub-share 0.3 --lake /tmp/fc-lake

``--spark-master spark://HOST:PORT`` runs the Spark variants on a standalone
cluster (scripts/spark-cluster.sh) instead of ``local[2]``.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fusioncell.store import CaseStore, plans  # noqa: E402
from fusioncell.store.engine import DuckDBEngine, SparkEngine  # noqa: E402

DAY_S = 86_400
T0 = 1_767_225_600  # 2026-01-01 00:00 UTC


def write_lake(lake: Path, rows: int, people: int, hub_share: float, days: int, seed: int,
               chunk: int = 500_000) -> int:
    """Synthetic ``comms`` in Parquet, one folder per day; returns bytes on disk."""
    rng = np.random.default_rng(seed)
    if lake.exists():
        shutil.rmtree(lake)
    hub = "+528000000000"
    per_day = rows // days
    part = 0
    for day in range(days):
        left = per_day if day < days - 1 else rows - per_day * (days - 1)
        out = lake / "comms" / f"day={time.strftime('%Y-%m-%d', time.gmtime(T0 + day * DAY_S))}"
        out.mkdir(parents=True, exist_ok=True)
        while left > 0:  # one chunk at a time: memory is bounded by the chunk, not the lake
            n = min(chunk, left)
            left -= n
            a = rng.zipf(1.6, n) % people
            b = rng.integers(0, people, n)
            caller = np.char.add("+52155", np.char.zfill(a.astype(str), 8))
            callee = np.char.add("+52155", np.char.zfill(b.astype(str), 8))
            to_hub = rng.random(n) < hub_share
            callee = np.where(to_hub, hub, callee)
            start = (T0 + day * DAY_S + rng.integers(0, DAY_S, n)) * 1_000_000 + rng.integers(0, 1_000_000, n)
            tbl = pa.table({
                "event_id": pa.array(np.char.add(f"e{day}-{part}-", np.arange(n).astype(str))),
                "start": pa.array(start, pa.timestamp("us", tz="UTC")),
                "duration_s": pa.array(rng.integers(0, 600, n).astype(np.float64)),
                "channel": pa.array(np.where(rng.random(n) < 0.8, "call", "sms")),
                "caller": pa.array(caller), "callee": pa.array(callee),
            })
            pq.write_table(tbl, out / f"part-{part}.parquet")
            part += 1
    ids = np.char.add("+52155", np.char.zfill(np.arange(0, people, 2).astype(str), 8))
    attr = pa.table({"identifier": pa.array(np.append(ids, hub)),
                     "person": pa.array(np.append(np.char.add("person-", ids), "person-callcentre"))})
    (lake / "attributions").mkdir(parents=True, exist_ok=True)
    pq.write_table(attr, lake / "attributions" / "part-0.parquet")
    return sum(f.stat().st_size for f in lake.rglob("*.parquet"))


def edges(store: CaseStore, eng: Any, lake: Path, salt: int) -> pa.Table:
    eng.lake = {"comms": str(lake / "comms"), "attributions": str(lake / "attributions")}
    return plans.run(store, "network.edges", engine=eng, run_id="bench", tz="America/Mexico_City",
                     level="person", night_from_h=22, night_to_h=6, salt=salt)


def timed(label: str, fn: Callable[[], pa.Table]) -> tuple[float, pa.Table]:
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    chk = float(np.nansum(out.column("n_events").to_numpy()) + np.nansum(out.column("night_share").to_numpy()))
    print(f"{label:<44} {dt:8.1f} s  peak RSS {peak:7.0f} MB  {out.num_rows:>9,} edges  check {chk:.6f}", flush=True)
    return dt, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--people", type=int, default=200_000)
    ap.add_argument("--hub-share", type=float, default=0.3)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--salt", type=int, default=8)
    ap.add_argument("--lake", type=Path, default=Path("/tmp/fusioncell-lake"))
    ap.add_argument("--spark-master", default="local[2]")
    ap.add_argument("--skip-spark", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    t = time.perf_counter()
    size = write_lake(a.lake, a.rows, a.people, a.hub_share, a.days, a.seed)
    print(f"lake: {a.rows:,} call records, hub share {a.hub_share:.0%}, {a.days} days, "
          f"{size / 2**20:.0f} MiB Parquet, written in {time.perf_counter() - t:.1f} s", flush=True)
    store = CaseStore.memory()
    store.con.execute("SET memory_limit = '4GB'")
    _, ref = timed("duckdb (lake, 4 GB limit)", lambda: edges(store, DuckDBEngine(store.con), a.lake, 1))
    if a.skip_spark:
        return
    eng = SparkEngine.connect(store.con, a.spark_master)
    conf = eng.session.conf
    # one shuffle partition per core would hide skew; a cluster-like count shows it
    conf.set("spark.sql.shuffle.partitions", "16")
    first_day = sorted((a.lake / "comms").iterdir())[0]
    eng.lake = {"comms": str(first_day), "attributions": str(a.lake / "attributions")}
    t = time.perf_counter()  # warm-up on one day: JVM start, code generation
    plans.run(store, "network.edges", engine=eng, run_id="warm", tz="UTC", level="person", night_from_h=22,
              night_to_h=6, salt=1)
    print(f"spark warm-up on one day's records: {time.perf_counter() - t:.1f} s", flush=True)
    runs = [("spark default (AQE, broadcast)", {}, 1),
            ("spark sort-merge join, no skew handling", {"spark.sql.autoBroadcastJoinThreshold": "-1",
                                                        "spark.sql.adaptive.skewJoin.enabled": "false"}, 1),
            (f"spark sort-merge join, salt {a.salt}", {"spark.sql.autoBroadcastJoinThreshold": "-1",
                                                      "spark.sql.adaptive.skewJoin.enabled": "false"}, a.salt)]
    for label, settings, salt in runs:
        for k, v in settings.items():
            conf.set(k, v)
        _, out = timed(label, lambda: edges(store, eng, a.lake, salt))
        if out.num_rows != ref.num_rows:
            raise SystemExit(f"{label}: {out.num_rows} edges, DuckDB {ref.num_rows}")
        for k in settings:
            conf.unset(k)


if __name__ == "__main__":
    main()
