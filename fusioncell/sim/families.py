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
| ``town-hideout`` | his house is in a town or on its edge, not a remote ranch, with probability 0.6–1.0 (El Chapo was taken in a Mazatlán condo and a Los Mochis house): covered, among homes |
| ``mixed`` | each mechanism above on or off at random |
| ``coverage`` | the cell network: rural sites every 3.5-12 km, town sites denser or sparser (one per 450-1100 m of town radius), a site's reach 0.8-1.6 times the rural spacing (never in ``mixed``) |
| ``household`` | his bodyguards keep their phones on 4-22 h at a time, every day or two, at a normal call rate: his house is their home (never in ``mixed``) |
| ``group-switch`` | a lieutenant and 2-4 men he deals with (not already on a burner) change handsets within hours; in 30-80% of worlds the new phones call only each other afterwards (never in ``mixed``) |
| ``rhythm`` | his partner's visits: 2-7 days between arrivals, 1-3 nights per stay, arriving 18:00-02:00, and 0-50% of her visits by day (2-6 h, no night) (never in ``mixed``, so that mixed worlds stay those of session 15) |

Drawing uses its own random stream (``gen(seed, "family")``), so the
baseline family consumes nothing and stays identical to a world simulated
without a family. Nothing in the case folder says which family it is;
truth.json does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import numpy.typing as npt

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


def _town(r: np.random.Generator) -> dict[str, Any]:
    return {"hideout_town_p": float(r.uniform(0.6, 1.0))}


def _late(r: np.random.Generator) -> dict[str, Any]:
    return {"late_move": (float(r.uniform(0.80, 0.88)), float(r.uniform(0.88, 0.93)))}


def _rhythm(r: np.random.Generator) -> dict[str, Any]:
    # another simulator (or a real partner) need not visit every 2-5 nights for one night: she may
    # come every night or weekly, stay a weekend, arrive after midnight
    lo = int(r.integers(2, 6))
    start = float(r.uniform(18.0, 23.0))
    return {"partner_gap": (lo, lo + int(r.integers(2, 4))), "partner_stay": (1, int(r.integers(1, 4))),
            "partner_arrive": (start, start + float(r.uniform(1.0, 3.0))),
            "partner_day_p": float(r.uniform(0.0, 0.5))}


def _coverage(r: np.random.Generator) -> dict[str, Any]:
    # the cell network itself: rural sites every 3.5-12 km (default 6.5), town sites for every
    # 450-1100 m of town radius (default 650), a site's reach 0.8-1.6 times the rural spacing
    # (default 8.5 km): "remote" and "covered" mean other things in such a world
    sp = float(r.uniform(3500.0, 12000.0))
    return {"rural_spacing_m": sp, "town_cell_m": float(r.uniform(450.0, 1100.0)),
            "coverage_m": max(4000.0, sp * float(r.uniform(0.8, 1.6)))}


def _household(r: np.random.Generator) -> dict[str, Any]:
    # his bodyguards live with him and keep their phones on most of the day and night: the house is
    # "the home" of circle members, as it would be for anyone's family (default: phones off, short windows)
    lo = float(r.uniform(4.0, 12.0))
    return {"guard_window_h": (lo, lo + float(r.uniform(4.0, 10.0))), "guard_every": (1, 2),
            "guard_rate": (4.0, 12.0)}


def _group_switch(r: np.random.Generator) -> dict[str, Any]:
    # a cell changes its handsets together (issue #13): a lieutenant and up to k - 1 = 2-4 of his men
    # within hours (sim/org.py), the new phones calling only each other afterwards in 0.3-0.8 of worlds
    return {"group_switch": {"k": int(r.integers(3, 6)), "closed": bool(r.random() < float(r.uniform(0.3, 0.8)))}}


_MECHANISMS: dict[str, Callable[[np.random.Generator], dict[str, Any]]] = {
    "sparse-coverage": _sparse, "phone-discipline": _phones, "decoy-heavy": _decoys, "deception": _deception,
    "late-move": _late, "town-hideout": _town,
}
# mechanisms added after session 15: their own families, not drawn by ``mixed`` (its worlds stay comparable)
_LATER: dict[str, Callable[[np.random.Generator], dict[str, Any]]] = {
    "rhythm": _rhythm, "coverage": _coverage, "household": _household, "group-switch": _group_switch}
FAMILIES: tuple[str, ...] = ("baseline", *_MECHANISMS, "mixed", *_LATER)


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
    return {**_MECHANISMS, **_LATER}[family](r)


# ---- how each kind of tie behaves (every world, every family) ------------------------------------------------
#
# The spec's CLI contract explains a partner tie as "daily late-night calls, 92% reciprocal"; the
# tradecraft of call analysis (and the mobile-phone literature: Eagle, Pentland & Lazer 2009 on friends'
# evening and weekend calls; Min et al. 2013 on family, work and social calls) adds that work calls
# keep to weekday business hours, family calls are longer and spread over the day and the weekend,
# friends call in the evening and at weekends, and logistics (couriers, lookouts) is short, in the
# day, and comes in bursts on the days something moves. Each behaviour is drawn per seed from a wide
# range, so a model fitted on some seeds cannot learn one simulator's fixed numbers.

#: Hour-of-day profiles (local hours 0..23, relative weights) a tie kind's calls are drawn from.
HOURS_LATE = np.array([2.0, 1.2, 0.5, 0.2, 0.1, 0.1, 0.1, 0.2, 0.3, 0.3, 0.3, 0.3, 0.4, 0.4, 0.3, 0.3, 0.3,
                       0.4, 0.6, 0.8, 1.2, 2.0, 3.0, 3.0])
HOURS_EVENING = np.array([0.3, 0.1, 0.05, 0.02, 0.02, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.7, 0.6, 0.6,
                          0.8, 1.2, 1.8, 2.2, 2.4, 2.2, 1.6, 0.8])
HOURS_DAY = np.array([0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.1, 0.4, 0.8, 1.2, 1.5, 1.6, 1.8, 1.8, 1.6, 1.4, 1.3,
                      1.4, 1.6, 1.7, 1.5, 1.0, 0.5, 0.1])
HOURS_BUSINESS = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.01, 0.05, 0.4, 1.5, 2.2, 2.4, 2.4, 2.0, 1.8, 2.2, 2.3, 2.2,
                           1.6, 0.6, 0.2, 0.1, 0.05, 0.02, 0.0])


@dataclass(frozen=True)
class TieStyle:
    """Per-kind call behaviour of one world (arrays indexed by ``world.TIE_KINDS``).

    ``profile`` (kinds × 24) is the kind's hour profile, ``mix`` the share of its
    calls drawn from it (the rest follow everyone's daily rhythm),
    ``keep_weekday``/``keep_weekend`` thin its calls by day of the week,
    ``median_s``/``sigma`` its call length (lognormal), and the logistics
    burst: ``op_days`` share of days a logistics tie is active, ``off_keep`` its
    calls kept on the other days, ``follow_p`` the chance a call is followed by
    1–3 quick calls within ``follow_gap_s``.
    """

    profile: npt.NDArray[np.float64]
    mix: npt.NDArray[np.float64]
    keep_weekday: npt.NDArray[np.float64]
    keep_weekend: npt.NDArray[np.float64]
    median_s: npt.NDArray[np.float64]
    sigma: npt.NDArray[np.float64]
    op_days: float
    off_keep: float
    follow_p: float
    follow_gap_s: tuple[int, int]

    def as_dict(self) -> dict[str, Any]:
        """The drawn numbers (truth.json)."""
        return {"mix": [round(float(x), 3) for x in self.mix],
                "keep_weekday": [round(float(x), 3) for x in self.keep_weekday],
                "keep_weekend": [round(float(x), 3) for x in self.keep_weekend],
                "median_s": [round(float(x), 1) for x in self.median_s],
                "op_days": round(self.op_days, 3), "off_keep": round(self.off_keep, 3),
                "follow_p": round(self.follow_p, 3)}


def tie_style(seed: int) -> TieStyle:
    """The tie behaviour of the world of ``seed`` (its own random stream; same for every family).

    Kinds: partner, family, friend, work, logistics, acquaintance (the last
    follows everyone's rhythm: ``mix`` 0).
    """
    r = gen(seed, "tie-style")
    u = r.uniform
    base = np.ones(24)
    profile = np.stack([HOURS_LATE, HOURS_DAY, HOURS_EVENING, HOURS_BUSINESS, HOURS_BUSINESS + 0.3 * HOURS_DAY, base])
    mix = np.array([u(0.35, 0.75), u(0.3, 0.7), u(0.3, 0.7), u(0.5, 0.9), u(0.5, 0.9), 0.0])
    keep_weekday = np.array([1.0, u(0.7, 1.0), u(0.55, 0.9), 1.0, 1.0, 1.0])
    keep_weekend = np.array([1.0, 1.0, 1.0, u(0.1, 0.45), u(0.4, 1.0), 1.0])
    median_s = np.array([u(150, 420), u(110, 300), u(70, 180), u(45, 120), u(15, 45), 75.0])
    sigma = np.array([1.0, 1.0, 1.0, 0.9, 0.7, 1.0])
    lo = int(r.integers(60, 300))
    return TieStyle(profile=profile, mix=mix, keep_weekday=keep_weekday, keep_weekend=keep_weekend,
                    median_s=median_s, sigma=sigma, op_days=float(u(0.25, 0.6)), off_keep=float(u(0.05, 0.3)),
                    follow_p=float(u(0.3, 0.7)), follow_gap_s=(lo, lo + int(r.integers(300, 1200))))
