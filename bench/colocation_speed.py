"""Co-location join at scale: DuckDB (Ibis, int64 grid keys) vs pandas + scikit-learn BallTree, and Spark parity.

Synthetic city (numpy, seeded, identical in every process): ``--ids``
identifiers, each with a home and a work place in a 30 km x 30 km area,
moving between them; ``--fixes`` fixes (accuracy 10–1000 m) spread evenly
over ``--days`` days; ``--calls`` call records whose caller's serving-cell
position (a tower on a 1.5 km lattice near the caller) is a coarse position.
A co-location is a pair of positions of different identifiers within
``--dist`` metres and ``--dt`` seconds (coarse–coarse pairs excluded, as in
:func:`fusioncell.spacetime.colocations`).

* fusioncell: :func:`fusioncell.spacetime.colocation.colocation_expr` on
  DuckDB, counting pairs (no fetch);
* peer: the straightforward pandas / scikit-learn implementation — one
  BallTree per time bucket over that bucket and the next, ``query_radius``,
  then time and identifier filters. Run with ``--peer`` in an interpreter
  that has scikit-learn (``$SKLEARN_PYTHON``, default ``/tmp/ti/bin/python``);
  scikit-learn is not a project dependency;
* Spark: the same Ibis expression on Spark local mode over the first
  ``--spark-fixes`` fixes; the set of pairs is compared with DuckDB's.

Usage::

    .venv/bin/python bench/colocation_speed.py --fixes 1000000 --calls 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
R_EARTH = 6_371_008.8


def make_city(ids: int, fixes: int, calls: int, days: float, seed: int = 7) -> dict[str, np.ndarray]:
    """Positions (x, y metres; t seconds; identifier; fine flag) of the synthetic city."""
    rng = np.random.default_rng(seed)
    home = rng.uniform(0, 30_000, (ids, 2))
    work = np.clip(home + rng.normal(0, 5_000, (ids, 2)), 0, 30_000)
    span = days * 86400.0
    # fixes: evenly spread per identifier, at home at night, at work 9-17, noise by accuracy
    fid = np.repeat(np.arange(ids), fixes // ids)
    n = fid.size
    t = (np.tile(np.arange(fixes // ids), ids) * (span / (fixes // ids)) + rng.uniform(0, 60, n))
    hour = (t % 86400) / 3600
    at_work = (hour >= 9) & (hour < 17)
    base = np.where(at_work[:, None], work[fid], home[fid])
    acc = rng.choice([10.0, 50.0, 100.0, 300.0, 1000.0], size=n, p=[0.3, 0.3, 0.2, 0.15, 0.05])
    xy = base + rng.normal(0, 1, (n, 2)) * (acc / 1.51)[:, None]
    # calls: caller among 20x more numbers (the identifiers are the first `ids` of them)
    cid = rng.integers(0, ids * 20, calls)
    chome = rng.uniform(0, 30_000, (ids * 20, 2))
    chome[:ids] = home
    ct = rng.uniform(0, span, calls)
    tower = np.round(chome[cid] / 1500.0) * 1500.0
    return {
        "identifier": np.concatenate([fid, cid]).astype(np.int64),
        "x": np.concatenate([xy[:, 0], tower[:, 0]]),
        "y": np.concatenate([xy[:, 1], tower[:, 1]]),
        "ts": np.concatenate([t, ct]),
        "acc": np.concatenate([acc, np.full(calls, 1500.0)]),
        "fine": np.concatenate([np.ones(n, dtype=bool), np.zeros(calls, dtype=bool)]),
    }


def peer_balltree(c: dict[str, np.ndarray], dist: float, dt: float) -> tuple[int, float]:
    """Straightforward pandas + scikit-learn: BallTree per time bucket (this bucket and the next)."""
    import pandas as pd
    from sklearn.neighbors import BallTree

    t0 = time.perf_counter()
    df = pd.DataFrame(c)
    df["tb"] = np.floor(df["ts"] / dt).astype(np.int64)
    df["row"] = np.arange(len(df))
    groups = {k: g for k, g in df.groupby("tb")}
    total = 0
    for b, g in groups.items():
        nxt = groups.get(b + 1)
        win = g if nxt is None else pd.concat([g, nxt])
        tree = BallTree(win[["x", "y"]].to_numpy())
        neigh = tree.query_radius(g[["x", "y"]].to_numpy(), r=dist)
        wi = win["identifier"].to_numpy()
        wt = win["ts"].to_numpy()
        wf = win["fine"].to_numpy()
        wr = win["row"].to_numpy()
        wb = win["tb"].to_numpy()
        gi, gt, gf, gr = (g["identifier"].to_numpy(), g["ts"].to_numpy(), g["fine"].to_numpy(),
                          g["row"].to_numpy())
        for i, nb in enumerate(neigh):  # the peer's own loop over query points
            m = ((wi[nb] != gi[i]) & (np.abs(wt[nb] - gt[i]) <= dt) & (wf[nb] | gf[i])
                 # each unordered pair once: within the bucket by row order, across buckets from the lower one
                 & ((wb[nb] > b) | (wr[nb] > gr[i])))
            total += int(m.sum())
    return total, time.perf_counter() - t0


def _arrow(c: dict[str, np.ndarray], dt: float, cell: float) -> "object":
    import pyarrow as pa

    n = c["x"].size
    return pa.table({
        "identifier": pa.array(c["identifier"].astype(str)),
        "ts": c["ts"], "x": c["x"], "y": c["y"],
        "ix": np.floor(c["x"] / cell).astype(np.int64), "iy": np.floor(c["y"] / cell).astype(np.int64),
        "tb": np.floor(c["ts"] / dt).astype(np.int64),
        "acc": c["acc"], "conf": np.ones(n), "fine": c["fine"],
        "kind": pa.array(np.where(c["fine"], "fix", "cell")),
        "event_id": pa.array(np.char.add("e", np.arange(n).astype(str))),
    })


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ids", type=int, default=1000)
    ap.add_argument("--fixes", type=int, default=1_000_000)
    ap.add_argument("--calls", type=int, default=10_000_000)
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--dist", type=float, default=500.0)
    ap.add_argument("--dt", type=float, default=900.0)
    ap.add_argument("--spark-fixes", type=int, default=50_000)
    ap.add_argument("--peer", action="store_true", help="run only the BallTree peer and print JSON")
    ap.add_argument("--no-peer", action="store_true")
    a = ap.parse_args()
    city = make_city(a.ids, a.fixes, a.calls, a.days)
    if a.peer:
        n, secs = peer_balltree(city, a.dist, a.dt)
        print(json.dumps({"pairs": n, "seconds": secs}))
        return
    sys.path.insert(0, str(ROOT))
    import duckdb

    from fusioncell.spacetime.colocation import colocation_expr, offsets_table
    from fusioncell.store.engine import DuckDBEngine

    con = duckdb.connect()
    eng = DuckDBEngine(con)
    t0 = time.perf_counter()
    pos = eng.from_arrow(_arrow(city, a.dt, a.dist), "pos")
    off = eng.from_arrow(offsets_table(), "off")
    t_load = time.perf_counter() - t0
    expr = colocation_expr(pos, off, a.dist, a.dt)
    t0 = time.perf_counter()
    n_duck = int(eng.to_arrow(expr.count().as_table()).column(0)[0].as_py()) if hasattr(expr.count(), "as_table") \
        else int(con.sql(f"SELECT count(*) FROM ({eng.sql(expr)})").fetchall()[0][0])
    t_duck = time.perf_counter() - t0
    n_pos = city["x"].size
    print(f"## co-location join: {a.ids} identifiers, {a.fixes:,} fixes + {a.calls:,} call cell sites "
          f"({n_pos:,} positions), within {a.dist:.0f} m and {a.dt:.0f} s\n")
    print("| implementation | pairs | seconds | ratio |\n|---|---|---|---|")
    print(f"| fusioncell, DuckDB (Ibis, grid keys + half neighbourhood) | {n_duck:,} | {t_duck:.1f} "
          f"(+{t_load:.1f} load) | 1.0 |", flush=True)
    py = os.environ.get("SKLEARN_PYTHON", "/tmp/ti/bin/python")
    if not a.no_peer and Path(py).exists():
        res = subprocess.run([py, __file__, "--peer", "--ids", str(a.ids), "--fixes", str(a.fixes), "--calls",
                              str(a.calls), "--days", str(a.days), "--dist", str(a.dist), "--dt", str(a.dt)],
                             capture_output=True, text=True, check=True)
        peer = json.loads(res.stdout.strip().splitlines()[-1])
        print(f"| pandas + scikit-learn BallTree per time bucket | {peer['pairs']:,} | {peer['seconds']:.1f} | "
              f"{peer['seconds'] / t_duck:.1f}x slower |", flush=True)
    if a.spark_fixes:
        from fusioncell.store.engine import SparkEngine

        k = min(a.spark_fixes, a.fixes)
        sub = {key: v[:k] for key, v in city.items()}
        tbl = _arrow(sub, a.dt, a.dist)
        small = duckdb.connect()
        e1 = DuckDBEngine(small)
        d_pairs = e1.to_arrow(colocation_expr(e1.from_arrow(tbl, "p"), e1.from_arrow(offsets_table(), "o"),
                                              a.dist, a.dt).select("event_a", "event_b"))
        sp = SparkEngine.local(small)
        t0 = time.perf_counter()
        s_pairs = sp.to_arrow(colocation_expr(sp.from_arrow(tbl, "p"), sp.from_arrow(offsets_table(), "o"),
                                              a.dist, a.dt).select("event_a", "event_b"))
        t_spark = time.perf_counter() - t0
        same = sorted(zip(d_pairs.column(0).to_pylist(), d_pairs.column(1).to_pylist())) == \
            sorted(zip(s_pairs.column(0).to_pylist(), s_pairs.column(1).to_pylist()))
        print(f"\nSpark local mode on the first {k:,} fixes: {s_pairs.num_rows:,} pairs in {t_spark:.1f} s; "
              f"DuckDB {d_pairs.num_rows:,} pairs; identical pair sets: {same}")


if __name__ == "__main__":
    main()
