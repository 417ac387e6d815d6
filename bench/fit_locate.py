"""Fit the location model on simulated TRAINING seeds (0–999 only).

    .venv/bin/python bench/fit_locate.py --seeds 0-39 --difficulties easy,normal,hard

For every case (seed lead tracked; and seed lead + partner tracked) it
computes the candidate places and their features, marks the candidate within
300 m of where the target is at the end (or "elsewhere"), fits the
conditional-logit model by maximum likelihood and writes
``fusioncell/infer/locate_model.json``.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cases import parse_seeds, partner_case, seed_case  # noqa: E402

from fusioncell.infer.choice import fit_choice_model  # noqa: E402
from fusioncell.infer.features import FEATURES, NONNEG, PRIOR_MEAN  # noqa: E402
from fusioncell.infer.locate import analyse  # noqa: E402
from fusioncell.spacetime.geo import haversine_m  # noqa: E402
from fusioncell.store import CaseStore  # noqa: E402

HIT_M = 300.0


def features_of_case(args: tuple[int, str, tuple[str, ...], str]) -> list[tuple[np.ndarray, int, str]]:
    """All modes of one (seed, difficulty, family) in one worker (they share the seed case)."""
    seed, diff, modes, family = args
    return [features_of(seed, diff, m, family) for m in modes]


def features_of(seed: int, diff: str, mode: str, family: str = "baseline") -> tuple[np.ndarray, int, str]:
    store, truth = (seed_case if mode == "seed" else partner_case)(seed, diff, family)
    with CaseStore.open(store) as cs:
        cand = analyse(cs).candidates
    tf = truth["target_final"]
    if cand.lat.size == 0:
        return np.zeros((0, len(FEATURES))), -1, f"{diff}-{seed}-{mode}"
    d = haversine_m(cand.lat, cand.lon, tf["lat"], tf["lon"])
    chosen = int(np.argmin(d)) if float(d.min()) <= HIT_M else -1
    return cand.features, chosen, f"{family}-{diff}-{seed}-{mode}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0-29")
    ap.add_argument("--difficulties", default="easy,normal,hard")
    ap.add_argument("--modes", default="seed,partner")
    ap.add_argument("--families", default="baseline", help="comma-separated world families, or 'all'")
    ap.add_argument("--exclude-family", default=None, help="a family held out of fitting entirely")
    ap.add_argument("--baseline-seeds", default=None, help="seeds for the baseline family (default: --seeds)")
    ap.add_argument("--more-seeds", default="", help="extra training seeds per family, e.g. 'late-move=6-13;sparse-coverage=6-13'")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--l2", type=float, default=0.3)
    ap.add_argument("--drop", default="", help="comma-separated features left out of the fit (coefficient 0)")
    ap.add_argument("--rows", default=None, help="a pickle of the cases' feature rows: read when it exists, else "
                    "written (refits on the same cases without recomputing their features)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "fusioncell" / "infer" / "locate_model.json"))
    a = ap.parse_args()
    seeds = parse_seeds(a.seeds)
    if any(s >= 1000 for s in seeds):
        sys.exit("training seeds must be < 1000 (seeds ≥ 1000 are held out)")
    modes = tuple(a.modes.split(","))
    from fusioncell.sim.families import FAMILIES

    fams = [f for f in (list(FAMILIES) if a.families == "all" else a.families.split(",")) if f != a.exclude_family]
    base_seeds = parse_seeds(a.baseline_seeds) if a.baseline_seeds else seeds
    if any(s >= 1000 for s in base_seeds):
        sys.exit("training seeds must be < 1000 (seeds ≥ 1000 are held out)")
    more = {k: parse_seeds(v) for k, v in (x.split("=") for x in a.more_seeds.split(";") if x)}
    if any(s >= 1000 for v in more.values() for s in v) or any(k == a.exclude_family for k in more):
        sys.exit("extra training seeds must be < 1000 and not of the held-out family")
    jobs = [(s, d, modes, f) for f in fams
            for s in (base_seeds if f == "baseline" else seeds) + [x for x in more.get(f, []) if x not in seeds]
            for d in a.difficulties.split(",")]
    t0 = time.perf_counter()
    if a.rows and Path(a.rows).exists():
        rows = pickle.loads(Path(a.rows).read_bytes())
        # the families asked for (a pickle may hold more): refit on a subset without recomputing
        rows = [r for r in rows if any(r[2].startswith(f + "-") for f in fams)]
    else:
        with ProcessPoolExecutor(a.workers) as ex:
            rows = [row for rs in ex.map(features_of_case, jobs) for row in rs]
        if a.rows:
            Path(a.rows).write_bytes(pickle.dumps(rows))
    dropped = [list(FEATURES).index(n) for n in a.drop.split(",") if n]
    cases = [(f, c) for f, c, _ in rows]
    for f, _ in cases:
        f[:, dropped] = 0.0  # a column of zeros: its coefficient stays at the prior mean, and is then set to 0

    covered = sum(c >= 0 for _, c in cases)
    model = fit_choice_model(cases, list(FEATURES), nonneg=[NONNEG[n] for n in FEATURES], l2=a.l2,
                             prior_mean=[PRIOR_MEAN[n] for n in FEATURES])
    model.beta[dropped] = 0.0
    model.meta.update({"dropped": a.drop, "fitted": True, "seeds": a.seeds, "difficulties": a.difficulties, "modes": a.modes,
                       "cases": len(cases), "true_place_among_candidates": covered, "l2": a.l2,
                       "families": ",".join(fams), "held_out_family": a.exclude_family,
                       "baseline_seeds": a.baseline_seeds or a.seeds, "more_seeds": a.more_seeds})
    Path(a.out).write_text(model.to_json() + "\n", encoding="utf-8")
    print(f"{len(cases)} cases in {time.perf_counter() - t0:.0f} s; true place among candidates in {covered}")
    for n, b in zip(model.names, model.beta):
        print(f"  {n:16s} {b:+.3f}")
    print(f"  {'elsewhere':16s} {model.beta0:+.3f}")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
