"""Is the simulated story solvable? A reference solver that reads only the case files.

The solver replays the collection loop an analyst would run:

1. rank the seed lead's contacts by call count (comms.csv) and add any number
   an informant says the partner's alias uses (reports.jsonl);
2. re-simulate the same world tracking those numbers (the world does not
   change with tracking);
3. for each tracked phone, find its home (most frequent night cell of fixes)
   and its repeated nights away; when the phone goes dark at night, use the
   last fix before and the first fix after the gap instead;
4. the answer is the most repeated away-night place (300 m grid), weighted
   by nights; the phone with the strongest such place wins.

Scored against truth.json: a hit when the answer is within 1 km of any
hideout (also reported: within 1 km of the final hideout). Peer: chance,
a random pick among the places an analyst would shortlist (the hideout, the
decoys and one innocent ranch).

Usage::

    .venv/bin/python bench/sim_solver.py --seeds 0-9 --difficulty easy,normal,hard
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import tempfile
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np

from fusioncell.sim import simulate


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


_COS = float(np.cos(np.radians(20.0)))  # one fixed scale for the grid


def _grid(lat: float, lon: float, cell_m: float = 300.0) -> tuple[int, int]:
    return int(lat * 111_320 // cell_m), int(lon * 111_320 * _COS // cell_m)


def _cell_center(c: tuple[int, int], lat_ref: float, cell_m: float = 300.0) -> tuple[float, float]:
    lat = (c[0] + 0.5) * cell_m / 111_320
    lon = (c[1] + 0.5) * cell_m / (111_320 * _COS)
    return lat, float(lon)


def candidates(case: Path, top: int = 4) -> list[str]:
    """Numbers worth tracking: the seed lead's top contacts plus numbers reported for the partner alias."""
    lead = {r["identifier"] for r in _rows(case / "locations.csv")}
    cnt: Counter[str] = Counter()
    for r in _rows(case / "comms.csv"):
        if r["caller"] in lead:
            cnt[r["callee"]] += 1
        elif r["callee"] in lead:
            cnt[r["caller"]] += 1
    out = [n for n, _ in cnt.most_common(top) if n.startswith("+")]
    aliases = set()
    claims = [c for line in (case / "reports.jsonl").read_text(encoding="utf-8").splitlines()
              for c in json.loads(line).get("claims", [])]
    for c in claims:
        if c["predicate"] == "partner_of":
            aliases.add(c["object"])
    for c in claims:
        if c["predicate"] == "uses" and c["subject"] in aliases and c["object"].startswith("+"):
            out.append(c["object"])
    return list(dict.fromkeys(out))


def away_nights(fixes: list[dict[str, str]]) -> tuple[Counter[tuple[int, int]], float]:
    """Night places away from home, counted in nights, for one phone's fixes."""
    by_night: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    pts = []
    for r in fixes:
        t = datetime.fromisoformat(r["observed"])
        pts.append((t.timestamp(), float(r["lat"]), float(r["lon"]), t))
    pts.sort()
    for ts, lat, lon, t in pts:
        if 0 <= t.hour < 5:
            by_night[t.date().isoformat()].append((ts, lat, lon))
    home_cnt: Counter[tuple[int, int]] = Counter()
    for v in by_night.values():
        home_cnt[Counter(_grid(la, lo) for _, la, lo in v).most_common(1)[0][0]] += 1
    if not home_cnt:
        return Counter(), 0.0
    home = home_cnt.most_common(1)[0][0]
    away: Counter[tuple[int, int]] = Counter()
    for v in by_night.values():
        c = Counter(_grid(la, lo) for _, la, lo in v).most_common(1)[0][0]
        if max(abs(c[0] - home[0]), abs(c[1] - home[1])) > 16:  # nights more than ~5 km from home
            away[c] += 1
    return away, float(pts[0][1])


def contacts_of(case: Path, number: str, top: int) -> list[str]:
    """The ``top`` most frequent contacts of ``number`` in comms.csv."""
    cnt: Counter[str] = Counter()
    for r in _rows(case / "comms.csv"):
        if r["caller"] == number:
            cnt[r["callee"]] += 1
        elif r["callee"] == number:
            cnt[r["caller"]] += 1
    return [n for n, _ in cnt.most_common(top) if n.startswith("+")]


def _home(rows: list[dict[str, str]]) -> tuple[float, float] | None:
    night: Counter[tuple[int, int]] = Counter()
    for r in rows:
        if datetime.fromisoformat(r["observed"]).hour < 5:
            night[_grid(float(r["lat"]), float(r["lon"]))] += 1
    return _cell_center(night.most_common(1)[0][0], 0.0) if night else None


def dark_points(rows: list[dict[str, str]]) -> list[tuple[float, float]]:
    """Where a phone was last seen before, and first seen after, night-time gaps over 4 h, away from home."""
    home = _home(rows)
    pts = sorted((datetime.fromisoformat(r["observed"]), float(r["lat"]), float(r["lon"])) for r in rows)
    out = []
    for a, b in zip(pts, pts[1:]):
        if (b[0] - a[0]).total_seconds() > 4 * 3600 and (a[0].hour >= 18 or a[0].hour < 2):
            for p in (a, b):
                if home is None or _km((p[1], p[2]), home) > 1.5:
                    out.append((p[1], p[2]))
    return out


def daytime_stays(rows: list[dict[str, str]]) -> Counter[tuple[int, int]]:
    """Cells where a phone stays by day on several days, home and the most frequent day place excluded."""
    night: Counter[tuple[int, int]] = Counter()
    day_cells: dict[tuple[int, int], set[str]] = defaultdict(set)
    for r in rows:
        t = datetime.fromisoformat(r["observed"])
        c = _grid(float(r["lat"]), float(r["lon"]))
        if t.hour < 5:
            night[c] += 1
        elif 8 <= t.hour < 19:
            day_cells[c].add(t.date().isoformat())
    home = night.most_common(1)[0][0] if night else None
    out: Counter[tuple[int, int]] = Counter()
    for c, ds in day_cells.items():
        if home is not None and max(abs(c[0] - home[0]), abs(c[1] - home[1])) <= 3:
            continue
        out[c] = len(ds)
    if out:
        out.pop(out.most_common(1)[0][0])  # the workplace
    return out


def chain(case_dir: Path, seed: int, difficulty: str, days: int, partner: str,
          partner_rows: list[dict[str, str]], already: list[str]) -> tuple[float, float] | None:
    """Level 2: the partner goes dark near the hideout; follow her contacts' daytime stays near where she goes dark."""
    dk = dark_points(partner_rows)
    if len(dk) < 2:
        return None
    centre = (float(np.median([p[0] for p in dk])), float(np.median([p[1] for p in dk])))
    nxt = [n for n in contacts_of(case_dir / "lead", partner, 8) if n not in already]
    if not nxt:
        return None
    simulate(case_dir / "chain", seed=seed, scale="small", days=days, difficulty=difficulty, track=nxt)
    fixes: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in _rows(case_dir / "chain" / "locations.csv"):
        fixes[r["identifier"]].append(r)
    best: tuple[float, tuple[int, int]] | None = None
    for rows in fixes.values():
        for c, n_days in daytime_stays(rows).items():
            if n_days < 2:
                continue
            km = _km(_cell_center(c, 0.0), centre)
            score = n_days * float(np.exp(-km / 2.0))
            if best is None or score > best[0]:
                best = (score, c)
    return _cell_center(best[1], 0.0) if best else None


def solve(case_dir: Path, seed: int, difficulty: str, days: int) -> tuple[float, float] | None:
    """The solver's answer (lat, lon), or None."""
    cands = candidates(case_dir / "lead")
    simulate(case_dir / "tracked", seed=seed, scale="small", days=days, difficulty=difficulty, track=cands)
    fixes: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in _rows(case_dir / "tracked" / "locations.csv"):
        fixes[r["identifier"]].append(r)
    best: tuple[float, tuple[int, int], float] | None = None
    for rows in fixes.values():
        away, lat_ref = away_nights(rows)
        # merge neighbouring cells
        merged: Counter[tuple[int, int]] = Counter()
        for c, k in away.items():
            for d in away:
                if max(abs(c[0] - d[0]), abs(c[1] - d[1])) <= 1:
                    merged[c] += away[d]
        if merged:
            c, k = merged.most_common(1)[0]
            if k >= 2 and (best is None or k > best[0]):
                best = (k, c, lat_ref)
    if best is None:
        # the phone with the most night-time dark gaps is the probable partner
        dark = {n: len(dark_points(r)) for n, r in fixes.items()}
        if not dark:
            return None
        partner = max(dark, key=lambda n: dark[n])
        return chain(case_dir, seed, difficulty, days, partner, fixes[partner], cands)
    return _cell_center(best[1], best[2])


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = (a[0] - b[0]) * 111.32
    dx = (a[1] - b[1]) * 111.32 * np.cos(np.radians(a[0]))
    return float(np.hypot(dx, dy))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0-9")
    ap.add_argument("--difficulty", default="easy,normal,hard")
    ap.add_argument("--days", type=int, default=30)
    args = ap.parse_args()
    lo, _, hi = args.seeds.partition("-")
    seeds = range(int(lo), int(hi or lo) + 1)
    print(f"{'difficulty':10} {'cases':>5} {'any hideout':>11} {'final':>6} {'no answer':>9} {'chance':>7}")
    for diff in args.difficulty.split(","):
        hits, finals, none, chance = 0, 0, 0, []
        for seed in seeds:
            tmp = Path(tempfile.mkdtemp(prefix="simsolve-"))
            try:
                simulate(tmp / "lead", seed=seed, scale="small", days=args.days, difficulty=diff, track=None)
                truth = json.loads((tmp / "lead" / "truth.json").read_text(encoding="utf-8"))
                ans = solve(tmp, seed, diff, args.days)
                hides = [(h["lat"], h["lon"]) for h in truth["hideouts"]]
                if ans is None:
                    none += 1
                else:
                    hits += any(_km(ans, h) < 1.0 for h in hides)
                    finals += _km(ans, hides[-1]) < 1.0
                chance.append(1.0 / max(1, 2 + len(truth["decoys"])))
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        n = len(seeds)
        print(f"{diff:10} {n:>5} {hits / n:>11.0%} {finals / n:>6.0%} {none / n:>9.0%} {np.mean(chance):>7.0%}")


if __name__ == "__main__":
    main()
