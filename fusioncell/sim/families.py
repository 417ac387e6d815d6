"""World families: named kinds of world, each with wide random ranges, on top of the difficulty levels.

A model fitted on one simulator learns its quirks. To measure whether
locate generalises, the simulator offers several *families* of worlds, each
switching on a mechanism that broke locate on foreign cases, with its
parameters drawn per seed from wide ranges (never fixed values). Fit on
some families, report on a family held out entirely (bench/locate_families.py).

| family | what changes (drawn per seed) |
|---|---|
| ``baseline`` | nothing: the world of the difficulty level, byte for byte |
| ``sparse-coverage`` | the hideout sits in a coverage hole (no cell site serves it) with probability 0.6–1.0: her nights there are silences |
| ``phone-discipline`` | phones left at home (0.15–0.45 of her visits), switched off en route (0.3–0.9), couriers off (0.3–0.8), 2–4 burner switches |
| ``decoy-heavy`` | 4–7 decoys; lieutenants sleep at them often (overnight share 0.6–0.95, every 2–4 days); his partner spends 5–25% of her away nights at a decoy |
| ``deception`` | informants are right only 30–50% of the time; well-graded sources plant reports at decoys |
| ``late-move`` | he always moves to a second compound, late (80–93% of the period) |
| ``mixed`` | each mechanism above on or off at random |

Drawing uses its own random stream (``gen(seed, "family")``), so the
baseline family consumes nothing and stays identical to a world simulated
without a family. Nothing in the case folder says which family it is;
truth.json does.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from fusioncell.errors import UsageError
from fusioncell.sim.rng import gen


def _sparse(r: np.random.Generator) -> dict[str, Any]:
    return {"hideout_hole_p": float(r.uniform(0.6, 1.0))}


def _phones(r: np.random.Generator) -> dict[str, Any]:
    lo = int(r.integers(2, 4))
    return {"p_left_behind": float(r.uniform(0.15, 0.45)), "p_partner_off": float(r.uniform(0.3, 0.9)),
            "p_courier_off": float(r.uniform(0.3, 0.8)), "burners": (lo, lo + 1)}


def _decoys(r: np.random.Generator) -> dict[str, Any]:
    lo = int(r.integers(4, 6))
    every = int(r.integers(2, 4))
    return {"decoys": (lo, lo + 2), "lt_overnight_p": float(r.uniform(0.6, 0.95)), "lt_stay_every": (every, every + 2),
            "partner_decoy_p": float(r.uniform(0.05, 0.25))}


def _deception(r: np.random.Generator) -> dict[str, Any]:
    return {"p_true": float(r.uniform(0.3, 0.5))}


def _late(r: np.random.Generator) -> dict[str, Any]:
    return {"late_move": (float(r.uniform(0.80, 0.88)), float(r.uniform(0.88, 0.93)))}


_MECHANISMS: dict[str, Callable[[np.random.Generator], dict[str, Any]]] = {
    "sparse-coverage": _sparse, "phone-discipline": _phones, "decoy-heavy": _decoys, "deception": _deception,
    "late-move": _late,
}
FAMILIES: tuple[str, ...] = ("baseline", *_MECHANISMS, "mixed")


def draw(family: str | None, seed: int) -> dict[str, Any]:
    """The configuration overrides of ``family`` for this seed (empty for the baseline)."""
    if family in (None, "", "baseline"):
        return {}
    if family not in FAMILIES:
        raise UsageError(f"unknown world family {family!r}: use one of {', '.join(FAMILIES)}")
    r = gen(seed, "family")
    if family == "mixed":
        out: dict[str, Any] = {}
        on = [name for name in _MECHANISMS if r.random() < 0.5]
        for name in on or [str(r.choice(list(_MECHANISMS)))]:
            out |= _MECHANISMS[name](r)
        return out
    return _MECHANISMS[family](r)
