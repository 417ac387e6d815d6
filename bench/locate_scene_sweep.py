"""Confident errors in drawn tradecraft scenes: where he is is known by construction.

    .venv/bin/python bench/locate_scene_sweep.py --draws 24 --seed 1 [--json out.json]

The scenes of ``tests/test_locate_scenes_tradecraft.py`` each pin one answer. This sweep draws many of one
scene family at random and counts what a promise to an analyst is worth: **wrong first answers at p >= 0.8**.
The family (``_nights_with_him_and_at_the_safe_house``): he never leaves a compound 44 km SW of her flat; she
spends her nights with him there every third night (located, or -- ``hole`` -- silent trips: the compound lies
in a coverage hole), except on 1-4 nights drawn at random from days 1-22 (and the nights either side), which she
spends at the lieutenants' safe house 33 km NE, where they sleep most nights and a B2 report places him. Every
draw is run with the compound covered and in a hole. Nothing here is fitted: the scene's rules are tradecraft
(nights out, decoys, holes), the ground truth is the compound.

Session 27 measured 9 wrong answers at p >= 0.8 in 48 runs of ``--seed 1`` before the alternation hold
(``judgment.alternating``), none after (docs/benchmarks.md, "Locate, session 27").

``--family mix`` draws a small foreign world per run instead, each element of tradecraft drawn at random around
one truth: the compound in a coverage hole (40%) or covered; her nights with him every 2-4 days; 0-3 nights out
at the safe house, her mother's flat or an innocent ranch; her phone left at home on none, 30% or 50% of her
nights with him; 0, 2 or 3 lieutenants sleeping at the safe house on none, a third or two thirds of the nights;
0-2 reports (B2 or B3) placing him at the safe house; 0, 2 or 3 look-alike sightings of him there (0.3-0.6). With
``--moves`` he moves on a day drawn from 8-22 to a second compound 60 km WSW (covered; her nights with him go
there), and the truth is the new house -- even when none of her nights went there (then no answer can be right,
and only a low p is honest).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the scene builders and the case factory

import numpy as np  # noqa: E402
from casefolder import CaseFolder, at  # noqa: E402
from test_locate_scenes import (  # noqa: E402
    DAYS,
    HOME_P,
    LTS,
    MOTHER,
    NEW_COMPOUND,
    RANCH,
    P,
    TOWN,
    _base,
    _on_the_road,
    _partner_path,
)
from test_locate_scenes_tradecraft import (  # noqa: E402
    COMPOUND,
    DECOY,
    _dist,
    _nights_with_him_and_at_the_safe_house,
    _run,
)


def draws(n: int, seed: int) -> list[tuple[int, ...]]:
    """``n`` distinct sets of 1-4 safe-house nights from days 1-22, in a fixed order for ``seed``."""
    rng = random.Random(seed)
    out: set[tuple[int, ...]] = set()
    while len(out) < n:
        out.add(tuple(sorted(rng.sample(range(1, 23), rng.choice([1, 2, 3, 4])))))
    return sorted(out)


def mixed_world(rng: random.Random, moves: bool) -> tuple[CaseFolder, dict[str, object], tuple[float, float]]:
    """One drawn world of ``--family mix`` (the module docstring): the case, what was drawn, where he is."""
    hole = rng.random() < 0.4
    every = rng.choice([2, 3, 4])
    with_him = list(range(rng.randrange(0, every), DAYS - 1, every))
    outs = set(rng.sample(range(1, DAYS - 1), rng.choice([0, 0, 1, 2, 3])))
    with_him = [d for d in with_him if d not in outs]
    phone_home = {d for d in with_him if rng.random() < rng.choice([0.0, 0.0, 0.3, 0.5])}
    out_place = rng.choice([DECOY, DECOY, MOTHER, RANCH])
    move_day = rng.randrange(8, 23) if moves else DAYS + 1

    def where(d: int, h: float) -> tuple[float, float] | None:
        for n in outs:
            if (d == n and h >= 21.0) or (d - 1 == n and h < 7.0):
                return out_place
        for n in with_him:
            if not ((d == n and h >= 20.0) or (d - 1 == n and h < 8.0)):
                continue
            if n in phone_home:
                return HOME_P
            if n >= move_day:
                return NEW_COMPOUND if (d == n and h >= 21.0) or (d - 1 == n and h < 7.0) else HOME_P
            if d == n:  # out on the road at 20:00, out of coverage short of a compound in a hole
                f = (h - 20.0) / (50 / 60)
                return _on_the_road(f) if f <= 0.85 else (None if hole else COMPOUND)
            if h < 6.6:
                return None if hole else COMPOUND
            f = 1.0 - (h - 6.5) / (50 / 60)
            return _on_the_road(f) if f > 0 else HOME_P
        return HOME_P

    c = _base(compound_covered=not hole)
    _partner_path(c, where)
    lt_rate = rng.choice([0.0, 0.33, 0.67])
    for k, ph in enumerate(LTS[: rng.choice([0, 2, 3])]):
        c.person(f"person-lt{k}", phone=[ph])
        c.report("humint", at(2, 9), 2, [{"subject": f"person-lt{k}", "predicate": "works_for", "object": "person-target"}])
        home = (TOWN[0] - 0.02 * (k + 1), TOWN[1] + 0.015)
        for d in range(DAYS):
            there = rng.random() < lt_rate
            for h in np.arange(0.0, 24.0, 1 / 3):
                lat, lon = DECOY if (there and (h >= 21.0 or h < 7.0)) else home
                c.fix(ph, at(d, float(h)), lat + 0.0007 * np.cos(3 * h + k), lon + 0.0007 * np.sin(2 * h + d), 200.0)
    reports = rng.choice([0, 1, 2])
    for _ in range(reports):
        c.report("humint", at(rng.randrange(3, DAYS - 1), 9), rng.choice([2, 3]), [{
            "subject": "person-target", "predicate": "located_near", "lat": DECOY[0], "lon": DECOY[1], "radius_m": 500}])
    lookalikes = rng.choice([0, 0, 2, 3])
    for _ in range(lookalikes):
        c.sighting("person-target", at(rng.randrange(5, DAYS), 14.0), DECOY[0] + 0.0004, DECOY[1], rng.uniform(0.3, 0.6))
    drawn = {"hole": hole, "every": every, "outs": sorted(outs),
             "out_place": {DECOY: "safe house", MOTHER: "mother", RANCH: "ranch"}[out_place],
             "phone_home": len(phone_home), "nights_with_him": len(with_him), "lt_rate": lt_rate, "reports": reports,
             "lookalikes": lookalikes, **({"move_day": move_day, "new_house_nights": sum(
                 n >= move_day and n not in phone_home for n in with_him)} if moves else {})}
    return c, drawn, (NEW_COMPOUND if move_day < DAYS else COMPOUND)


def richer(c: CaseFolder, drawn: dict[str, object], rng: random.Random) -> None:
    """``--rich``: four more foreign habits on a drawn world, from their own random stream (so the draws of
    ``mixed_world`` stay what they were): her number known only by inference (the report giving it to her
    dropped), her handset sampled every hour or three instead of every 20 minutes, 0-3 sightings of her (0.5-0.7)
    at the compound at night, and a second informant (B2) placing him 0-2 times at the innocent ranch."""
    drawn["her_number"] = "inferred" if rng.random() < 0.4 else "reported"
    if drawn["her_number"] == "inferred":
        for r in c.reports:
            r["claims"] = [x for x in r["claims"] if x.get("predicate") != "uses"]
    keep = rng.choice([1, 1, 3, 9])  # one fix in ``keep``
    rows = c.rows["locations.csv"]
    c.rows["locations.csv"] = [r for k, r in enumerate(rows) if r["identifier"] != P or k % keep == 0]
    drawn["her_fix_every_min"] = 20 * keep
    seen = rng.choice([0, 0, 1, 3])
    for _ in range(seen):
        c.sighting("person-partner", at(rng.randrange(2, DAYS - 1), 23.0), COMPOUND[0] + 0.0003, COMPOUND[1],
                   rng.uniform(0.5, 0.7), note="woman matching her description")
    drawn["her_seen_at_compound"] = seen
    ranch = rng.choice([0, 1, 2])
    if ranch:
        c.source("humint-2", "HUMINT", "B")
    for _ in range(ranch):
        c.report("humint-2", at(rng.randrange(3, DAYS - 1), 9), 2, [{
            "subject": "person-target", "predicate": "located_near", "lat": RANCH[0], "lon": RANCH[1], "radius_m": 500}])
    drawn["ranch_reports"] = ranch


def _sweep(a: argparse.Namespace, tmp: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    if a.family == "mix":
        rng = random.Random(a.seed)
        cases = [mixed_world(rng, a.moves) for _ in range(a.draws)]
        rich = random.Random(a.seed + 1_000_003)
        for case, drawn, _ in cases if a.rich else ():
            richer(case, drawn, rich)
    else:
        cases = [(_nights_with_him_and_at_the_safe_house(list(n), hole=hole), {"safe_house_nights": list(n), "hole": hole},
                  COMPOUND) for n in draws(a.draws, a.seed) for hole in (False, True)]
    for k, (case, drawn, truth) in enumerate(cases):
        r = _run(case, tmp / str(k))
        top = r["hypotheses"][0] if r["hypotheses"] else None
        where = ("right" if top and _dist(top, truth) <= 300 else "safe house" if top and _dist(top, DECOY) <= 300
                 else "old house" if top and _dist(top, COMPOUND) <= 300 else "other")
        rows.append({**drawn, "first": where, "p": float(top["probability"]) if top else 0.0,
                     "elsewhere": float(r["elsewhere"])})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--draws", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--family", choices=("safe-house", "mix"), default="safe-house")
    ap.add_argument("--moves", action="store_true", help="--family mix: he moves on a drawn day")
    ap.add_argument("--rich", action="store_true", help="--family mix: four more foreign habits (see richer())")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = _sweep(a, Path(tmp))
    keys = [k for k in rows[0] if k not in ("first", "p", "elsewhere")] if rows else []  # every row draws the same
    print("| " + " | ".join(keys) + " | first answer | p | elsewhere |")
    print("|" + "---|" * (len(keys) + 3))
    for x in rows:
        flag = " **wrong at p ≥ 0.8**" if x["first"] != "right" and float(x["p"]) >= 0.8 else ""  # type: ignore[arg-type]
        print("| " + " | ".join(str(x[k]) for k in keys) + f" | {x['first']} | {x['p']:.3f}{flag} | {x['elsewhere']:.3f} |")
    wrong = [float(x["p"]) for x in rows if x["first"] != "right"]  # type: ignore[arg-type]
    print(f"\nruns {len(rows)}; first answer right {len(rows) - len(wrong)}; wrong at p >= 0.8: "
          f"{sum(p >= 0.8 for p in wrong)}, >= 0.9: {sum(p >= 0.9 for p in wrong)}; highest wrong p "
          f"{max(wrong or [0.0]):.3f}")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
