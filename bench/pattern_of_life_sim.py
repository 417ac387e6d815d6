"""Pattern of life on simulated cases: hideout nights, meetings at the hideout, going dark.

For each seed the simulator writes a case twice: once to read the truth
(whose phones are whose), once tracking the phones of the partner, seed lead,
couriers, bodyguards and lieutenants (the collection the story ends with).
Then:

* **hideout nights** — the partner's true overnight visits to a hideout
  (truth ``visits``, overnight, phone with her) found as an overnight visit of
  one of her phones flagged ``overnight_away`` at a *remote* place within
  ``R_M`` of the hideout: recall; precision = share of her overnight-away
  visits that are at a hideout;
* **meetings at the hideout** — truth ``meetings`` at a hideout, restricted to
  pairs of tracked people; ours: meetings between tracked phones within
  ``R_M`` of a hideout; matched if same pair of persons and overlapping time:
  precision and recall;
  recall is given over all such pairs and over the *observable* ones (both
  phones gave at least two fixes within ``2 * R_M`` of the hideout during
  the meeting; bodyguards keep their phones off there);
* **going dark** — truth ``dark_intervals`` of tracked phones; ours matched
  when the same identifier's dark interval overlaps in time; near-hideout
  ones reported apart (their last position within 2 km of a hideout).

Usage::

    .venv/bin/python bench/pattern_of_life_sim.py --seeds 1000-1019 [--difficulty hard]

Tune only on seeds 0–999; report seeds >= 1000.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fusioncell.spacetime import dark_intervals, meetings, visits  # noqa: E402
from fusioncell.spacetime.geo import haversine_m  # noqa: E402
from fusioncell.store import open_case  # noqa: E402

R_M = 300.0
TRACK_ROLES = ("partner", "seed_lead", "couriers", "bodyguards", "lieutenants")


def _t(s: str) -> float:
    return datetime.fromisoformat(s).timestamp()


def simulate(out: Path, seed: int, difficulty: str, track: list[str] | None) -> dict:
    cmd = [sys.executable, "-m", "fusioncell.cli", "simulate", str(out), "--seed", str(seed), "--difficulty", difficulty]
    if track:
        cmd += ["--track", ",".join(track)]
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return json.loads((out / "truth.json").read_text())


def run_seed(seed: int, difficulty: str, work: Path) -> dict:
    t0 = time.time()
    truth = simulate(work / f"t{seed}", seed, difficulty, None)
    roles = truth["roles"]
    people: list[str] = []
    for r in TRACK_ROLES:
        v = roles.get(r)
        people += v if isinstance(v, list) else ([v] if v else [])
    phone_of: dict[str, str] = {}
    for pid in people:
        for ph in truth["persons"][pid]["phones"]:
            phone_of[ph["identifier"]] = pid
    shutil.rmtree(work / f"t{seed}")
    case = work / f"c{seed}"
    truth = simulate(case, seed, difficulty, sorted(phone_of))
    tracked = set(truth["tracked"])
    phone_of = {k: v for k, v in phone_of.items() if k in tracked}
    tracked_people = set(phone_of.values())
    hide = np.array([[h["lat"], h["lon"]] for h in truth["hideouts"]])
    store = open_case(case)

    def near_hideout(lat: np.ndarray, lon: np.ndarray, r: float = R_M) -> np.ndarray:
        d = haversine_m(np.asarray(lat)[:, None], np.asarray(lon)[:, None], hide[None, :, 0], hide[None, :, 1])
        return np.nan_to_num(d, nan=np.inf).min(axis=1) <= r

    # -- hideout nights of the partner
    partner = roles["partner"]
    nights = [v for v in truth["visits"] if v["person_id"] == partner and v["place"].startswith("hideout")
              and v["overnight"] and v.get("phone_with", True)]
    pphones = [p for p, who in phone_of.items() if who == partner]
    vis = visits(store, pphones)
    ov = vis.filter(vis.column("overnight_away")).to_pylist()
    ov_fine = [v for v in ov if v["precision"] == "fine"]
    at_h = [v for v in ov_fine if near_hideout([v["lat"]], [v["lon"]])[0]]
    pl = {}
    from fusioncell.spacetime import places as _places

    for r in _places(store).to_pylist():
        pl[r["place_id"]] = r
    found = 0
    for n in nights:
        a, b = _t(n["from"]), _t(n["to"])
        if any(v["start"].timestamp() < b and a < v["end"].timestamp() and pl[v["place_id"]]["remote"] for v in at_h):
            found += 1
    # -- meetings at the hideout between tracked people
    truth_pairs = []
    for m in truth["meetings"]:
        if not m["place"].startswith("hideout"):
            continue
        ps = sorted(set(m["person_ids"]) & tracked_people)
        for i in range(len(ps)):
            for j in range(i + 1, len(ps)):
                truth_pairs.append((ps[i], ps[j], _t(m["from"]), _t(m["to"])))
    # observable: both people's phones gave >= 2 fixes near the hideout during the meeting
    fx = store.con.execute("SELECT identifier, epoch(observed), lat, lon FROM locations").fetchnumpy()
    fnear = near_hideout(fx["lat"], fx["lon"], 2 * R_M)
    fperson = np.array([phone_of.get(i, "") for i in fx["identifier"]], dtype=object)
    fts = np.asarray(fx["epoch(observed)"], dtype=float)

    def seen(pid: str, a: float, b: float) -> bool:
        return int(((fperson == pid) & fnear & (fts >= a) & (fts <= b)).sum()) >= 2

    obs_pairs = [tp for tp in truth_pairs if seen(tp[0], tp[2], tp[3]) and seen(tp[1], tp[2], tp[3])]
    mt = meetings(store, sorted(phone_of)).to_pylist()
    ours = []
    for m in mt:
        if m["id_a"] in phone_of and m["id_b"] in phone_of and m["precision"] == "fine" \
                and near_hideout([m["lat"]], [m["lon"]])[0]:
            pa_, pb_ = sorted((phone_of[m["id_a"]], phone_of[m["id_b"]]))
            if pa_ != pb_:
                ours.append((pa_, pb_, m["start"].timestamp(), m["end"].timestamp()))

    def match(x: tuple, ys: list[tuple]) -> bool:
        return any(x[0] == y[0] and x[1] == y[1] and x[2] < y[3] and y[2] < x[3] for y in ys)

    m_tp_p = sum(match(o, truth_pairs) for o in ours)
    m_tp_r = sum(match(t, ours) for t in truth_pairs)
    m_tp_ro = sum(match(t, ours) for t in obs_pairs)
    # -- going dark
    tdark = [d for d in truth["dark_intervals"] if d["identifier"] in tracked]
    dk = dark_intervals(store, sorted(tracked)).to_pylist()
    dk_near = [d for d in dk if d["last_lat"] is not None and near_hideout([d["last_lat"]], [d["last_lon"]], 2000.0)[0]]

    def dmatch(t: dict, ds: list[dict]) -> bool:
        a, b = _t(t["from"]), _t(t["to"])
        return any(d["identifier"] == t["identifier"] and d["start"].timestamp() < b and a < d["end"].timestamp()
                   for d in ds)

    d_rec = sum(dmatch(t, dk) for t in tdark)
    tnear = [t for t in tdark if near_hideout([t["lat"]], [t["lon"]], 2000.0)[0]]
    d_rec_near = sum(dmatch(t, dk_near) for t in tnear)
    d_prec = sum(any(d["identifier"] == t["identifier"] and d["start"].timestamp() < _t(t["to"])
                     and _t(t["from"]) < d["end"].timestamp() for t in tdark) for d in dk)
    store.close()
    shutil.rmtree(case)
    return {"seed": seed, "nights": len(nights), "nights_found": found, "ov_away": len(ov_fine),
            "ov_away_at_hideout": len(at_h), "truth_meet": len(truth_pairs), "our_meet": len(ours),
            "meet_tp_p": m_tp_p, "meet_tp_r": m_tp_r,
            "truth_meet_obs": len(obs_pairs), "meet_tp_r_obs": m_tp_ro, "truth_dark": len(tdark), "dark_found": d_rec,
            "truth_dark_near": len(tnear), "dark_near_found": d_rec_near, "our_dark": len(dk),
            "our_dark_true": d_prec, "s": round(time.time() - t0, 1)}


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f} ({a}/{b})" if b else "n/a (0)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1000-1019")
    ap.add_argument("--difficulty", default="normal")
    args = ap.parse_args()
    lo, _, hi = args.seeds.partition("-")
    seeds = list(range(int(lo), int(hi or lo) + 1))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for s in seeds:
            r = run_seed(s, args.difficulty, Path(tmp))
            rows.append(r)
            print(json.dumps(r), flush=True)
    tot = {k: sum(r[k] for r in rows) for k in rows[0] if k not in ("seed", "s")}
    print(f"\n## pattern of life on simulated cases: seeds {args.seeds}, difficulty {args.difficulty}")
    print("| measure | value |\n|---|---|")
    print(f"| partner hideout nights found (recall) | {_ratio(tot['nights_found'], tot['nights'])} |")
    print(f"| partner overnight-away visits at a hideout (precision) | {_ratio(tot['ov_away_at_hideout'], tot['ov_away'])} |")
    print(f"| meetings at hideout, precision | {_ratio(tot['meet_tp_p'], tot['our_meet'])} |")
    print(f"| meetings at hideout, recall (all pairs of tracked people) | {_ratio(tot['meet_tp_r'], tot['truth_meet'])} |")
    print(f"| meetings at hideout, recall (both phones observed there) | {_ratio(tot['meet_tp_r_obs'], tot['truth_meet_obs'])} |")
    print(f"| going dark, recall (tracked phones) | {_ratio(tot['dark_found'], tot['truth_dark'])} |")
    print(f"| going dark near hideout, recall | {_ratio(tot['dark_near_found'], tot['truth_dark_near'])} |")
    print(f"| going dark, precision | {_ratio(tot['our_dark_true'], tot['our_dark'])} |")
    print(f"| seconds per seed (simulate x2, ingest, analyse) | {np.mean([r['s'] for r in rows]):.1f} |")


if __name__ == "__main__":
    main()
