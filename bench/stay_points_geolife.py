"""Stay points on real GPS (GeoLife) against trackintel, transport-mode labels, known co-locations.

Reads ``$FUSIONCELL_DATA/geolife`` (default ``../shared/data``); exits cleanly
if absent. trackintel is *not* a project dependency: it runs in a separate
interpreter (``$TRACKINTEL_PYTHON``, default ``/tmp/ti/bin/python``; create it
with ``python3 -m venv /tmp/ti && /tmp/ti/bin/pip install trackintel``).
Without it, the comparison table is skipped.

Tables printed:

1. agreement with trackintel's ``generate_staypoints(method="sliding")`` at the
   same thresholds (100 m, 5 min, gap 15 min): a stay point matches when a
   stay of the same user overlaps it in time and lies within 50 m;
   precision/recall and the speed ratio (trackintel time / ours; ours is the
   numpy detector, fixes already in memory; trackintel's own timing excludes
   its imports and file reading too);
2. stay points inside human-labelled movement (users 010 and 020 of
   ``geolife_modes``; a stay wholly inside a labelled trip is an error), for
   trackintel's rule and for our default, accuracy-aware parameters;
3. the known co-locations of users 003–004 and 003–005 (within 200 m in 17
   ten-minute bins each, per the data README) found by our co-location join.

Usage::

    .venv/bin/python bench/stay_points_geolife.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fusioncell.spacetime.colocation import ColocationParams, colocations  # noqa: E402
from fusioncell.spacetime.geo import haversine_m  # noqa: E402
from fusioncell.spacetime.staypoints import StayParams, detect  # noqa: E402
from fusioncell.spacetime.synth import StoreBuilder  # noqa: E402

US = 1_000_000
DATA = Path(os.environ.get("FUSIONCELL_DATA", ROOT.parent / "shared" / "data")) / "geolife"
TI_PY = os.environ.get("TRACKINTEL_PYTHON", "/tmp/ti/bin/python")

TI_SCRIPT = r'''
import sys, time, json
import pandas as pd, geopandas as gpd, trackintel as ti
df = pd.read_csv(sys.argv[1])
df["tracked_at"] = pd.to_datetime(df["t_us"], unit="us", utc=True)
gdf = gpd.GeoDataFrame(df[["user_id", "tracked_at"]], geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326")
pfs = ti.Positionfixes(gdf)
t0 = time.perf_counter()
pfs, sp = pfs.generate_staypoints(method="sliding", dist_threshold=100, time_threshold=5.0, gap_threshold=15.0,
                                  include_last=False, exclude_duplicate_pfs=False)
dt = time.perf_counter() - t0
if len(sp) == 0:
    sp = pd.DataFrame({"user_id": [], "started_at": pd.to_datetime([], utc=True),
                       "finished_at": pd.to_datetime([], utc=True)}).assign(geometry=gpd.GeoSeries([]))
    sp = gpd.GeoDataFrame(sp, geometry="geometry")
epoch = pd.Timestamp(0, tz="UTC")
us = pd.Timedelta(microseconds=1)
out = pd.DataFrame({"user_id": sp["user_id"], "start_us": (sp["started_at"] - epoch) // us,
                    "end_us": (sp["finished_at"] - epoch) // us,
                    "lat": sp.geometry.y, "lon": sp.geometry.x})
out.to_csv(sys.argv[2], index=False)
print(json.dumps({"seconds": dt, "n": len(out)}))
'''


def read_plt_dir(user_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All fixes of one GeoLife user: (t_us, lat, lon), sorted by time (one read per file)."""
    ts, la, lo = [], [], []
    for f in sorted((user_dir / "Trajectory").glob("*.plt")):
        a = np.loadtxt(f, delimiter=",", skiprows=6, usecols=(0, 1, 4), ndmin=2)
        if a.size == 0:
            continue
        # days since 1899-12-30 (GMT) -> microseconds since the epoch
        ts.append(np.round((a[:, 2] - 25569.0) * 86400.0 * US).astype(np.int64))
        la.append(a[:, 0])
        lo.append(a[:, 1])
    t = np.concatenate(ts)
    o = np.argsort(t, kind="stable")
    return t[o], np.concatenate(la)[o], np.concatenate(lo)[o]


def load_users(base: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return {d.name: read_plt_dir(d) for d in sorted(base.iterdir()) if (d / "Trajectory").is_dir()}


def ours(users: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], params: StayParams) -> tuple[dict, float, int]:
    names = sorted(users)
    ident = np.concatenate([np.full(users[u][0].size, i, dtype=np.int64) for i, u in enumerate(names)])
    t = np.concatenate([users[u][0] for u in names])
    lat = np.concatenate([users[u][1] for u in names])
    lon = np.concatenate([users[u][2] for u in names])
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        r = detect(ident, t, lat, lon, None, params)
        best = min(best, time.perf_counter() - t0)
    r["user"] = ident[r["first"]]
    r["names"] = np.array(names)
    return r, best, t.size


def run_trackintel(users: dict, tmp: Path) -> tuple[dict | None, float]:
    if not Path(TI_PY).exists():
        return None, float("nan")
    names = sorted(users)
    rows = {"user_id": [], "t_us": [], "lat": [], "lon": []}
    for i, u in enumerate(names):
        t, la, lo = users[u]
        rows["user_id"].append(np.full(t.size, i))
        rows["t_us"].append(t)
        rows["lat"].append(la)
        rows["lon"].append(lo)
    import pyarrow.csv as pcsv

    pcsv.write_csv(pa.table({k: np.concatenate(v) for k, v in rows.items()}), tmp / "pfs.csv")
    script = tmp / "ti_run.py"
    script.write_text(TI_SCRIPT)
    res = subprocess.run([TI_PY, str(script), str(tmp / "pfs.csv"), str(tmp / "sp.csv")], capture_output=True,
                         text=True, check=True)
    info = json.loads(res.stdout.strip().splitlines()[-1])
    sp = pcsv.read_csv(tmp / "sp.csv")
    return {"user": sp.column("user_id").to_numpy(), "start_us": sp.column("start_us").to_numpy(),
            "end_us": sp.column("end_us").to_numpy(), "lat": sp.column("lat").to_numpy(),
            "lon": sp.column("lon").to_numpy()}, float(info["seconds"])


def matched(a: dict, b: dict, radius_m: float = 50.0) -> np.ndarray:
    """For each stay of ``a``: is there a stay of ``b`` of the same user overlapping in time within radius_m?"""
    out = np.zeros(a["start_us"].size, dtype=bool)
    for u in np.unique(a["user"]):  # loop over users (11), vectorised inside
        ia = np.flatnonzero(a["user"] == u)
        ib = np.flatnonzero(b["user"] == u)
        if ib.size == 0:
            continue
        ov = (a["start_us"][ia, None] < b["end_us"][None, ib]) & (b["start_us"][None, ib] < a["end_us"][ia, None])
        d = haversine_m(a["lat"][ia, None], a["lon"][ia, None], b["lat"][None, ib], b["lon"][None, ib])
        out[ia] = (ov & (d <= radius_m)).any(axis=1)
    return out


def labelled_movement(user_dir: Path, exclude: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    rows = (user_dir / "labels.txt").read_text().strip().splitlines()[1:]
    s, e = [], []
    for r in rows:  # a few hundred label lines
        a, b, mode = r.split("\t")
        if mode.strip() in exclude:
            continue
        s.append(datetime.strptime(a, "%Y/%m/%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp())
        e.append(datetime.strptime(b, "%Y/%m/%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp())
    return np.array(s) * US, np.array(e) * US


def inside_movement(start_us: np.ndarray, end_us: np.ndarray, ls: np.ndarray, le: np.ndarray) -> np.ndarray:
    return ((ls[None, :] <= start_us[:, None]) & (end_us[:, None] <= le[None, :])).any(axis=1)


def main() -> None:
    if not DATA.is_dir():
        print(f"no GeoLife data at {DATA}; set FUSIONCELL_DATA. Nothing to do.")
        return
    users = load_users(DATA / "geolife_long_10_MB")
    ti_params = StayParams.trackintel(100.0, 5.0, 15.0)
    mine, secs, n_fixes = ours(users, ti_params)
    print(f"## stay points on GeoLife ({len(users)} users, {n_fixes} fixes), 100 m / 5 min / gap 15 min\n")
    print("| detector | stay points | seconds | fixes/s |\n|---|---|---|---|")
    print(f"| fusioncell (numpy, vectorised) | {mine['first'].size} | {secs:.3f} | {n_fixes / secs:,.0f} |")
    with tempfile.TemporaryDirectory() as tmp:
        ref, ti_secs = run_trackintel(users, Path(tmp))
    if ref is not None:
        print(f"| trackintel {'1.4'} sliding | {ref['start_us'].size} | {ti_secs:.3f} | {n_fixes / ti_secs:,.0f} |")
        ours_m = {"user": mine["user"], "start_us": mine["start_us"], "end_us": mine["end_us"],
                  "lat": mine["lat"], "lon": mine["lon"]}
        p = matched(ours_m, ref).mean()
        r = matched(ref, ours_m).mean()
        exact = len(set(zip(mine["user"].tolist(), mine["start_us"].tolist(), mine["end_us"].tolist()))
                    & set(zip(ref["user"].tolist(), ref["start_us"].tolist(), ref["end_us"].tolist())))
        print(f"\nagreement (same user, overlapping, within 50 m): precision {p:.4f}, recall {r:.4f}; "
              f"identical (start, end): {exact}/{ref['start_us'].size}; speed ratio {ti_secs / secs:.1f}x")
    else:
        print(f"\n(trackintel interpreter {TI_PY} not found: comparison skipped)")

    print("\n## stay points inside labelled movement (GeoLife transport-mode labels)\n")
    print("| user | labelled trips | detector | stay points | inside movement | share |\n|---|---|---|---|---|---|")
    for u in ("010", "020"):
        d = DATA / "geolife_modes" / u
        if not (d / "labels.txt").is_file():
            continue
        one = {u: read_plt_dir(d)}
        ls, le = labelled_movement(d)
        ls2, le2 = labelled_movement(d, exclude=("train", "airplane", "boat"))
        res = []
        for name, prm in (("trackintel rule (100 m, 5 min)", ti_params), ("fusioncell default", StayParams())):
            r, _, _ = ours(one, prm)
            res.append((name, r["start_us"], r["end_us"]))
        with tempfile.TemporaryDirectory() as tmp:
            ref, _ = run_trackintel(one, Path(tmp))
        if ref is not None:
            res.append(("trackintel 1.4", ref["start_us"], ref["end_us"]))
        for name, st, en in res:
            bad = inside_movement(st, en, ls, le)
            bad2 = inside_movement(st, en, ls2, le2)
            print(f"| {u} | {ls.size} | {name} | {bad.size} | {int(bad.sum())} ({int(bad2.sum())} outside train/plane/boat trips) "
                  f"| {bad.mean() if bad.size else 0:.3f} |")

    print("\n## known co-locations (README: users 003-004 and 003-005 within 200 m in 17 ten-minute bins each)\n")
    b = StoreBuilder(tz="Asia/Shanghai")
    for u in ("003", "004", "005"):
        t, la, lo = users[u]
        b.fixes(f"user:{u}", pa.array(t, pa.timestamp("us", tz="UTC")).to_pylist(), la, lo, 10.0)
    prm = ColocationParams(max_dist_m=200.0, max_dt_s=600.0, gate_z=1e6, kinds=("fix",))
    t0 = time.perf_counter()
    hits = colocations(b.store, params=prm)
    secs = time.perf_counter() - t0
    ta = hits.column("t_a").cast(pa.int64()).to_numpy() // (600 * US)
    tb = hits.column("t_b").cast(pa.int64()).to_numpy() // (600 * US)
    ida = np.array(hits.column("id_a").to_pylist())
    idb = np.array(hits.column("id_b").to_pylist())
    print("| pair | co-location hits | same ten-minute bin | adjacent bins too | expected bins |\n|---|---|---|---|---|")
    for x, y in (("003", "004"), ("003", "005"), ("004", "005")):
        m = (ida == f"user:{x}") & (idb == f"user:{y}")
        same = np.unique(ta[m & (ta == tb)])
        anyb = np.unique(np.concatenate([ta[m], tb[m]]))
        exp = "17" if x == "003" else "-"
        print(f"| {x}-{y} | {int(m.sum())} | {same.size} | {anyb.size} | {exp} |")
    print(f"\n(co-location join over {sum(users[u][0].size for u in ('003', '004', '005'))} fixes: {secs:.2f} s)")


if __name__ == "__main__":
    main()
