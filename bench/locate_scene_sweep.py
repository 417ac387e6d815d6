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
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the scene builders and the case factory

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--draws", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, nights in enumerate(draws(a.draws, a.seed)):
            for hole in (False, True):
                r = _run(_nights_with_him_and_at_the_safe_house(list(nights), hole=hole), Path(tmp) / f"{k}-{hole}")
                top = r["hypotheses"][0] if r["hypotheses"] else None
                where = ("compound" if top and _dist(top, COMPOUND) <= 300 else
                         "safe house" if top and _dist(top, DECOY) <= 300 else "other")
                rows.append({"safe_house_nights": list(nights), "hole": hole, "first": where,
                             "p": float(top["probability"]) if top else 0.0, "elsewhere": float(r["elsewhere"])})
    print("| safe-house nights | compound | first answer | p | elsewhere |")
    print("|---|---|---|---|---|")
    for x in rows:
        flag = " **wrong at p ≥ 0.8**" if x["first"] != "compound" and x["p"] >= 0.8 else ""
        print(f"| {', '.join(map(str, x['safe_house_nights']))} | {'in a hole' if x['hole'] else 'covered'} | "
              f"{x['first']} | {x['p']:.3f}{flag} | {x['elsewhere']:.3f} |")
    wrong = [x for x in rows if x["first"] != "compound"]
    print(f"\nruns {len(rows)}; first answer right {len(rows) - len(wrong)}; wrong at p >= 0.8: "
          f"{sum(x['p'] >= 0.8 for x in wrong)}, >= 0.9: {sum(x['p'] >= 0.9 for x in wrong)}; highest wrong p "
          f"{max([x['p'] for x in wrong] or [0.0]):.3f}")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
