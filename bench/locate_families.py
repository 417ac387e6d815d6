"""locate and plan per world family: accuracy, calibration and CONFIDENT ERRORS, beside two naive baselines.

    .venv/bin/python bench/locate_families.py --families all --difficulties normal,hard \\
        --seeds 1000-1039 --holdout sparse-coverage --json bench/out/families.json

For each (family, difficulty, seed ≥ 1000): the case with the seed lead and
the partner tracked (top-1 ≤ 300 m, hit@3, Brier, ECE, confident errors:
rank 1 with p ≥ 0.8 / ≥ 0.9 that misses), the collection loop from the seed
lead (plan → track the recommended identifier → locate, ≤ ``--rounds``),
and the two baselines of bench/accuracy.py. Results are cached per case
(JSON beside the case), so a rerun after a model change recomputes only
locate. The family named by ``--holdout`` is reported apart: the model must
not have been fitted on it (bench/fit_locate.py ``--exclude-family``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cases import case_for, parse_seeds, partner_case, partner_phone, seed_case  # noqa: E402
from accuracy import HIT_M, _err, baseline_best_claim, baseline_overnight, baseline_partner_nights, ece  # noqa: E402

from fusioncell.infer.locate import load_model, locate  # noqa: E402
from fusioncell.infer.plan import plan  # noqa: E402
from fusioncell.sim.families import FAMILIES  # noqa: E402
from fusioncell.store import CaseStore  # noqa: E402

MODEL: Path | None = None


def _loop(seed: int, diff: str, family: str, rounds: int,
          trail: list[dict[str, Any]] | None = None) -> tuple[int | None, float]:
    """Rounds until the first answer is right (None: not within ``rounds``), and the highest probability
    of a wrong first answer on the way (an analyst may act on any round). ``trail`` (if given) receives
    each round's first recommendation (identifier, why) for diagnosis."""
    _, truth = seed_case(seed, diff, family)
    tracked = [truth["seed_lead_identifier"]]
    worst = 0.0
    for rnd in range(rounds + 1):
        tag = "seed" if rnd == 0 else f"loop{rnd}-" + "-".join(t[-4:] for t in tracked)
        store, truth = case_for(seed, diff, None if rnd == 0 else tracked, tag=tag, family=family)
        with CaseStore.open(store) as cs:
            model = load_model(MODEL)
            r = locate(cs, top=1, model=model)
            if r["hypotheses"] and _err(r["hypotheses"][0]["lat"], r["hypotheses"][0]["lon"], truth) <= HIT_M:
                return rnd, worst
            worst = max(worst, float(r["hypotheses"][0]["probability"]) if r["hypotheses"] else 0.0)
            if rnd == rounds:
                return None, worst
            recs = plan(cs, budget=1, model=model)["recommendations"]
        if trail is not None:
            trail.append({"round": rnd, "recommendations": [{"identifier": x["identifier"], "why": x.get("why", "")}
                                                           for x in recs[:1]]})
        if not recs:
            return None, worst
        tracked = tracked + [recs[0]["identifier"]]
    return None, worst


def evaluate(job: tuple[str, int, str, int]) -> dict[str, Any]:
    family, seed, diff, rounds = job
    out: dict[str, Any] = {"family": family, "seed": seed, "difficulty": diff}
    store, truth = partner_case(seed, diff, family)
    with CaseStore.open(store) as cs:
        r = locate(cs, top=5, model=load_model(MODEL))
        phone = partner_phone(truth)
        for name, latest in (("plain_most", False), ("plain_latest", True)):
            b = baseline_partner_nights(cs, phone, latest) if phone else None
            out[name] = bool(b and _err(b[0], b[1], truth) <= HIT_M)
    hyps = r["hypotheses"]
    errs = [_err(h["lat"], h["lon"], truth) for h in hyps]
    out["partner"] = {"top1": bool(errs and errs[0] <= HIT_M), "hit3": bool(any(e <= HIT_M for e in errs[:3])),
                      "p1": hyps[0]["probability"] if hyps else 0.0,
                      "area_p1": (r.get("areas") or [{}])[0].get("probability", 0.0),
                      "calib": [(h["probability"], e <= HIT_M) for h, e in zip(hyps, errs)],
                      # what stands behind the first answer (diagnosis: which kinds of evidence, its ceiling)
                      "first": ({"kinds": sorted({e["kind"] for e in hyps[0]["evidence"] if e["weight"] >= 0.3}),
                                 "ceiling": hyps[0]["support"]["ceiling"], "err_m": round(errs[0]),
                                 "model_p": hyps[0]["support"]["model_probability"]} if hyps else None),
                      # the first blind spot (coverage hole her silent nights point into) holds him
                      "blind": [bool(_err(b["lat"], b["lon"], truth) <= b["radius_m"]) for b in r.get("blind_spots", [])[:1]]}
    sstore, struth = seed_case(seed, diff, family)
    with CaseStore.open(sstore) as cs:
        for name, fn in (("overnight", baseline_overnight), ("best_claim", baseline_best_claim)):
            b = fn(cs)
            out[name] = bool(b and _err(b[0], b[1], struth) <= HIT_M)
    out["loop_trail"] = []
    out["rounds"], out["loop_wrong_p"] = (_loop(seed, diff, family, rounds, out["loop_trail"]) if rounds >= 0
                                          else (None, 0.0))
    return out


def table(res: list[dict[str, Any]], title: str) -> list[str]:
    lines = [f"**{title}**", "",
             "| family | difficulty | n | top-1 | hit@3 | Brier | ECE | confident errors p≥0.8 | p≥0.9 | "
             "loop solved ≤1 / ≤2 / ≤3 rounds | baselines (overnight / best claim) | plain solver, partner tracked "
             "(most / latest nights) | blind spot holds him |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    keys = sorted({(r["family"], r["difficulty"]) for r in res})
    for fam, d in keys:
        rs = [r for r in res if r["family"] == fam and r["difficulty"] == d]
        pairs = [pp for r in rs for pp in r["partner"]["calib"]]
        brier = float(np.mean([(p - float(y)) ** 2 for p, y in pairs])) if pairs else float("nan")
        e, _ = ece(pairs)
        ce8 = sum(1 for r in rs if r["partner"]["p1"] >= 0.8 and not r["partner"]["top1"])
        ce9 = sum(1 for r in rs if r["partner"]["p1"] >= 0.9 and not r["partner"]["top1"])
        rounds = [r["rounds"] for r in rs]
        solved = " / ".join(f"{np.mean([x is not None and x <= k for x in rounds]):.2f}" for k in (1, 2, 3))
        solved += f" (wrong at p≥0.8 on the way: {sum(r.get('loop_wrong_p', 0.0) >= 0.8 for r in rs)})"
        lines.append(f"| {fam} | {d} | {len(rs)} | {np.mean([r['partner']['top1'] for r in rs]):.2f} | "
                     f"{np.mean([r['partner']['hit3'] for r in rs]):.2f} | {brier:.3f} | {e:.3f} | **{ce8}** | **{ce9}** | "
                     f"{solved} | {np.mean([r['overnight'] for r in rs]):.2f} / {np.mean([r['best_claim'] for r in rs]):.2f} | "
                     f"{np.mean([r.get('plain_most', False) for r in rs]):.2f} / "
                     f"{np.mean([r.get('plain_latest', False) for r in rs]):.2f} | "
                     f"{sum(x for r in rs for x in r['partner'].get('blind', []))} of "
                     f"{sum(len(r['partner'].get('blind', [])) for r in rs)} |")
    pairs = [pp for r in res for pp in r["partner"]["calib"]]
    e, tab = ece(pairs)
    ce9 = sum(1 for r in res if r["partner"]["p1"] >= 0.9 and not r["partner"]["top1"])
    lines += ["", f"All listed hypotheses: ECE {e:.3f}; wrong answers at p ≥ 0.9: {ce9} of {len(res)} runs.", ""]
    return lines


def main() -> None:
    global MODEL
    ap = argparse.ArgumentParser()
    ap.add_argument("--families", default="all")
    ap.add_argument("--difficulties", default="normal,hard")
    ap.add_argument("--seeds", default="1000-1039")
    ap.add_argument("--rounds", type=int, default=3, help="collection-loop rounds (-1: skip the loop)")
    ap.add_argument("--holdout", default=None, help="family the model was not fitted on (reported apart)")
    ap.add_argument("--model", default=None, help="locate_model.json to use (default: the shipped one)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--days", type=int, default=30, help="length of the simulated period (other simulators differ)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    os.environ["FUSIONCELL_BENCH_DAYS"] = str(a.days)  # read by bench/_cases.py, in the workers too
    MODEL = Path(a.model) if a.model else None
    fams = list(FAMILIES) if a.families == "all" else a.families.split(",")
    seeds = parse_seeds(a.seeds)
    if any(s < 1000 for s in seeds):
        sys.exit("report on held-out seeds ≥ 1000 only")
    jobs = [(f, s, d, a.rounds) for f in fams for d in a.difficulties.split(",") for s in seeds]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(a.workers) as ex:
        res = list(ex.map(evaluate, jobs))
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(res, indent=1, default=str))
    print(f"{len(res)} cases, seeds {a.seeds}, {time.perf_counter() - t0:.0f} s\n")
    held = [r for r in res if r["family"] == a.holdout]
    rest = [r for r in res if r["family"] != a.holdout]
    if held:
        print("\n".join(table(held, f"Held-out family ({a.holdout}): never fitted on")))
    if rest:
        print("\n".join(table(rest, "Families the model was fitted on (held-out seeds)")))
    if res:
        print(f"median loop rounds (misses ∞): "
              f"{statistics.median([r['rounds'] if r['rounds'] is not None else float('inf') for r in res])}")


if __name__ == "__main__":
    main()
