"""The organisation hidden in the world, its schedule, and who holds which phone when.

The target has no phone and lives at a remote compound (optionally moving to
a second one late in the period). His partner visits overnight every few
nights; her sister or close friend is the seed lead. Lieutenants meet at
decoy safe houses and rarely come to the hideout; couriers make supply runs;
bodyguards live at the hideout with their phones mostly off. Some members
switch to burner phones.

Schedules are drawn with per-purpose generators, never from what is
collected. Loops here run over the few dozen members and days, never over
records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from fusioncell.sim.mobility import SPEED_MPS, Intervals, Overrides, make_overrides
from fusioncell.sim.names import ALIASES_F, ALIASES_M
from fusioncell.sim.rng import gen
from fusioncell.sim.world import COVERAGE_M, K_FAMILY, RASTER_M, K_FRIEND, K_LOGISTICS, K_PARTNER, K_WORK, P_DECOY, P_HIDEOUT, World

FArr = npt.NDArray[np.float64]
IArr = npt.NDArray[np.int64]

DIFFICULTY: dict[str, dict[str, Any]] = {
    "easy": dict(lts=(2, 3), couriers=(2, 2), guards=(2, 3), decoys=(2, 3), burners=(0, 1), p_partner_off=0.0,
                 p_left_behind=0.0, p_courier_off=0.0, guard_window_h=(1.0, 3.0), guard_every=(1, 3),
                 p_give_number=0.9, p_true=0.8),
    "normal": dict(lts=(3, 4), couriers=(2, 3), guards=(2, 3), decoys=(3, 4), burners=(1, 2), p_partner_off=0.35,
                   p_left_behind=0.05, p_courier_off=0.2, guard_window_h=(0.3, 1.5), guard_every=(2, 4),
                   p_give_number=0.5, p_true=0.65),
    "hard": dict(lts=(3, 4), couriers=(2, 3), guards=(2, 3), decoys=(4, 5), burners=(2, 3), p_partner_off=0.75,
                 p_left_behind=0.12, p_courier_off=0.5, guard_window_h=(0.25, 1.0), guard_every=(2, 5),
                 p_give_number=0.2, p_true=0.55),
}


@dataclass
class Visit:
    """One scheduled presence of a member at an organisation place."""

    person: int
    place: str  # "hideout:0", "decoy:2"
    xy: tuple[float, float]
    t_from: int
    t_to: int
    travel_s: int
    phone_with: bool = True


@dataclass
class Org:
    """Members, places and schedule of the organisation, plus the phone plan of everyone."""

    target: int
    partner: int
    seed_lead: int
    lieutenants: list[int]
    couriers: list[int]
    bodyguards: list[int]
    family: list[int]
    aliases: dict[int, str]
    hideouts: list[dict[str, Any]]  # {"xy", "from", "to", "place"}
    decoys: list[dict[str, Any]]  # {"xy", "kind", "place"}
    visits: list[Visit]
    meetings: list[dict[str, Any]]
    dark: list[dict[str, Any]]  # person, from, to (phone off)
    nocall: list[tuple[int, int, int]]  # person, from, to (phone left behind)
    org_ties: list[tuple[int, int, str]]
    has_phone: npt.NDArray[np.bool_]
    # phone plan: one row per (person, slot, number) period
    ph_person: IArr = field(default_factory=lambda: np.zeros(0, np.int64))
    ph_slot: IArr = field(default_factory=lambda: np.zeros(0, np.int64))
    ph_num: IArr = field(default_factory=lambda: np.zeros(0, np.int64))
    #: the configuration the world was built with (difficulty plus family overrides)
    cfg: dict[str, Any] = field(default_factory=dict)
    ph_from: IArr = field(default_factory=lambda: np.zeros(0, np.int64))
    ph_to: IArr = field(default_factory=lambda: np.zeros(0, np.int64))
    second_sim: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    successions: list[dict[str, Any]] = field(default_factory=list)
    #: a closed group switch (``group-switch`` family): these persons' new phones call only each other
    closed_group: IArr = field(default_factory=lambda: np.zeros(0, np.int64))
    closed_from: int = 0

    @property
    def members(self) -> list[int]:
        """Every organisation member with a role (target included)."""
        return [self.target, self.partner, self.seed_lead, *self.lieutenants, *self.couriers, *self.bodyguards]


def _rng_int(rng: np.random.Generator, lo_hi: tuple[int, int]) -> int:
    return int(rng.integers(lo_hi[0], lo_hi[1] + 1))


def _remote_site(world: World, rng: np.random.Generator, avoid: list[FArr], min_town_m: float,
                 mountain: bool, hole: bool = False) -> FArr:
    """A site away from towns; within reach of a cell site, or (``hole``) where none serves."""
    for _ in range(4000):
        xy = np.array([rng.uniform(0.05, 0.95) * world.width_m, rng.uniform(0.05, 0.95) * world.height_m])
        if mountain and not bool(world.is_mountain(xy)):
            continue
        dt = np.hypot(*(world.towns_xy - xy).T) - world.towns_r
        if dt.min() < min_town_m:
            continue
        row, col = world.raster_index(xy)
        d_tower = float(world.raster_d[row, col])
        reach = world.coverage_m  # the default world: 8.5 km, so a served site is within 6 km of a cell site
        served_ok = d_tower <= 6000.0 * reach / COVERAGE_M
        hole_ok = 1.05 * reach < d_tower <= 25000.0 * reach / COVERAGE_M
        if (not hole and not served_ok) or (hole and not hole_ok):
            continue
        if any(np.hypot(*(xy - a)) < 3000 for a in avoid):
            continue
        return xy
    if hole:  # no hole in the mountains: any hole away from towns, else the least served spot
        if mountain:
            return _remote_site(world, rng, avoid, min_town_m, False, hole=True)
        d = np.where(np.isfinite(world.raster_d), world.raster_d, -1.0)
        r, c = np.unravel_index(int(np.argmax(d)), d.shape)
        return np.array([c * RASTER_M - 5000.0 + RASTER_M / 2, r * RASTER_M - 5000.0 + RASTER_M / 2])
    return np.array([world.width_m * 0.8, world.height_m * 0.5])


def _town_site(world: World, rf: np.random.Generator, avoid: list[FArr] | None = None) -> FArr:
    """A house in a town or on its edge (real leaders were taken in town houses and condos as often as
    at remote ranches): near a town centre, within its radius, away from ``avoid``."""
    for _ in range(200):
        tw = int(rf.integers(0, len(world.towns_xy)))
        xy = world.towns_xy[tw] + rf.normal(0, world.towns_r[tw] / 2.0, 2)
        if not any(np.hypot(*(xy - a)) < 3000 for a in (avoid or [])):
            return np.asarray(xy, dtype=np.float64)
    return np.asarray(xy, dtype=np.float64)


def build_org(world: World, seed: int, days: int, difficulty: str, t0: int,
              family: dict[str, Any] | None = None) -> tuple[Org, Overrides]:
    """Choose members, places and the schedule; adjust the world (homes, ties, rates) accordingly.

    ``family``: overrides of the difficulty's configuration drawn by
    :func:`fusioncell.sim.families.draw` (empty: the baseline world).
    """
    cfg = {**DIFFICULTY[difficulty], **(family or {})}
    rng = gen(seed, "org")
    n_res = world.n_res
    res = np.arange(n_res)
    hh_size = np.bincount(world.household[:n_res])[world.household[:n_res]]
    pos0 = np.r_[True, world.household[1:n_res] != world.household[: n_res - 1]]

    taken: set[int] = set()

    def pick(mask: npt.NDArray[np.bool_]) -> int:
        cand = res[mask & ~np.isin(res, list(taken))]
        if len(cand) == 0:
            cand = res[~np.isin(res, list(taken))]
        p = int(cand[rng.integers(0, len(cand))])
        taken.add(p)
        return p

    town_ok = ~world.rural[:n_res]
    partner = pick(world.female[:n_res] & town_ok & pos0 & (hh_size == 1))
    sister = bool(rng.random() < 0.65)
    same_town = world.town[:n_res] == world.town[partner]
    seed_lead = pick(same_town & town_ok & (world.household[:n_res] != world.household[partner]) & world.female[:n_res])
    target = pick(~world.female[:n_res])
    lts = [pick(~world.female[:n_res] | (rng.random(n_res) < 0.2)) for _ in range(_rng_int(rng, cfg["lts"]))]
    couriers = [pick(~world.female[:n_res]) for _ in range(_rng_int(rng, cfg["couriers"]))]
    guards = [pick(~world.female[:n_res]) for _ in range(_rng_int(rng, cfg["guards"]))]

    hideouts, decoys, hide_place, move_t, t_end = _places(world, rng, seed, cfg, t0, days)

    _fit_lives(world, rng, target, partner, seed_lead, lts, couriers, guards, hide_place[0],
               guard_rate=cfg.get("guard_rate", (25.0, 50.0)))

    ties = _org_ties(world, rng, target, partner, seed_lead, sister, lts, couriers, guards)

    kin = [int(x) for x in world.tie_b[(world.tie_a == partner) & (world.tie_kind == K_FAMILY)]] + [
        int(x) for x in world.tie_a[(world.tie_b == partner) & (world.tie_kind == K_FAMILY)]
    ]
    kin = sorted(set(kin) - {seed_lead, *lts, *couriers, *guards, target})

    aliases = _aliases(world, rng, target, partner, lts, couriers, guards)

    org = Org(
        target=target, partner=partner, seed_lead=seed_lead, lieutenants=lts, couriers=couriers, bodyguards=guards,
        family=kin, aliases=aliases, hideouts=hideouts, decoys=decoys, visits=[], meetings=[], dark=[], nocall=[],
        org_ties=ties, has_phone=np.zeros(world.n, bool),
    )
    org.cfg = cfg
    _schedule(world, org, rng, cfg, t0, days, move_t)
    _phones(world, org, seed, cfg, t0, days)
    ov = _overrides(world, org, t0, t_end, move_t)
    return org, ov


def _places(world: World, rng: np.random.Generator, seed: int, cfg: dict[str, Any], t0: int,
            days: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[int], int, int]:
    """The hideout(s) and decoys, added to the world's places: (hideouts, decoys, hideout places, move time, end)."""
    # places: hideout(s) in the mountains, decoys in towns and the countryside
    rf = gen(seed, "family-org")  # family decisions draw apart: the baseline stream is untouched
    in_hole = "hideout_hole_p" in cfg and bool(rf.random() < cfg["hideout_hole_p"])
    in_town = "hideout_town_p" in cfg and not in_hole and bool(rf.random() < cfg["hideout_town_p"])
    h1 = _town_site(world, rf) if in_town else _remote_site(world, rng, [], 5000.0, True, hole=in_hole)
    second = bool(rng.random() < 0.3) or "late_move" in cfg
    t_end = t0 + days * 86400
    move_range = cfg.get("late_move", (0.6, 0.85))
    move_t = t0 + int(rng.uniform(*move_range) * days) * 86400 + int(rng.uniform(10, 16) * 3600) if second else t_end
    hide_xy = [h1]
    if second:
        again_town = "hideout_town_p" in cfg and bool(rf.random() < cfg["hideout_town_p"])
        # the remote site is drawn either way, so the main stream (and with it the rest of the world) is the same
        remote2 = _remote_site(world, rng, [h1], 4000.0, bool(rng.random() < 0.7),
                               hole=in_hole and bool(rf.random() < cfg["hideout_hole_p"]))
        hide_xy.append(_town_site(world, rf, avoid=[h1]) if again_town else remote2)
    n_dec = _rng_int(rng, cfg["decoys"])
    dec_xy: list[FArr] = []
    dec_kind: list[str] = []
    for i in range(n_dec):
        if rng.random() < 0.5:
            dec_xy.append(_remote_site(world, rng, hide_xy + dec_xy, 2500.0, bool(rng.random() < 0.5)))
            dec_kind.append("ranch")
        else:
            tw = int(rng.integers(0, len(world.towns_xy)))
            dec_xy.append(world.towns_xy[tw] + rng.normal(0, world.towns_r[tw] / 2.0, 2))
            dec_kind.append("safe house")
    base = len(world.places_xy)
    world.places_xy = np.concatenate([world.places_xy, np.array(hide_xy), np.array(dec_xy).reshape(-1, 2)])
    world.place_kind = np.concatenate(
        [world.place_kind, np.full(len(hide_xy), P_HIDEOUT, np.int8), np.full(n_dec, P_DECOY, np.int8)]
    )
    hide_place = [base + i for i in range(len(hide_xy))]
    hideouts = [{"xy": hide_xy[0], "from": t0, "to": move_t, "place": hide_place[0]}]
    if second:
        hideouts.append({"xy": hide_xy[1], "from": move_t, "to": t_end, "place": hide_place[1]})
    decoys = [{"xy": dec_xy[i], "kind": dec_kind[i], "place": base + len(hide_xy) + i} for i in range(n_dec)]
    return hideouts, decoys, hide_place, move_t, t_end


def _fit_lives(world: World, rng: np.random.Generator, target: int, partner: int, seed_lead: int, lts: list[int],
               couriers: list[int], guards: list[int], hideout: int,
               guard_rate: tuple[float, float] = (25.0, 50.0)) -> None:
    """Homes, outings and call rates of the members (the target and bodyguards live at the hideout)."""
    # the target and bodyguards live at the hideout; the target has no phone
    for p in [target, *guards]:
        world.home[p] = hideout
        world.work[p] = -1
        world.outing_scale[p] = 0.0 if p == target else 0.08
        world.away_from[p] = -1
        world.away_to[p] = -1
    for p in [partner, seed_lead, *lts, *couriers]:
        world.away_from[p] = -1
        world.away_to[p] = -1
        world.nightoff[p] = False
    # the sisters (or friends) see each other often
    world.leisure[partner, 1] = world.home[seed_lead]
    world.leisure[partner, 2] = world.home[seed_lead]
    world.leisure[seed_lead, 2] = world.home[partner]
    world.rate_per_day[partner] = max(world.rate_per_day[partner], rng.uniform(4.0, 9.0))
    world.rate_per_day[seed_lead] = max(world.rate_per_day[seed_lead], rng.uniform(3.0, 7.0))
    for p in lts:
        world.rate_per_day[p] = rng.uniform(6.0, 14.0)
    for p in couriers:
        world.rate_per_day[p] = rng.uniform(5.0, 10.0)
    for p in guards:
        world.rate_per_day[p] = rng.uniform(*guard_rate)  # by default squeezed into short on-windows


def _org_ties(world: World, rng: np.random.Generator, target: int, partner: int, seed_lead: int, sister: bool,
              lts: list[int], couriers: list[int], guards: list[int]) -> list[tuple[int, int, str]]:
    """The organisation's ties, added to the contact graph (the target's exist in truth only)."""
    # ties of the organisation (added to the contact graph; the target's exist in truth only)
    ties: list[tuple[int, int, str]] = [(target, partner, "partner")]
    ties.append((partner, seed_lead, "family" if sister else "friend"))
    for i, a in enumerate(lts):
        ties.append((target, a, "work"))
        for b in lts[i + 1 :]:
            ties.append((a, b, "work"))
        for c in couriers:
            ties.append((a, c, "logistics"))
        for g in guards:
            if rng.random() < 0.6:
                ties.append((a, g, "logistics"))
    for c in couriers:
        ties.append((target, c, "logistics"))
        for g in guards:
            ties.append((c, g, "logistics"))
    for g in guards:
        ties.append((target, g, "work"))
    ties.append((partner, couriers[0], "logistics"))
    if rng.random() < 0.5:
        ties.append((partner, lts[0], "friend"))
    kind_code = {"partner": K_PARTNER, "family": K_FAMILY, "friend": K_FRIEND, "work": K_WORK, "logistics": K_LOGISTICS}
    weight = {"partner": 0.0, "family": 9.0, "friend": 7.0, "work": 3.0, "logistics": 2.2}
    ta = np.array([a for a, b, k in ties if a != target and b != target], np.int64)
    tb = np.array([b for a, b, k in ties if a != target and b != target], np.int64)
    tk = np.array([kind_code[k] for a, b, k in ties if a != target and b != target], np.int8)
    tw_ = np.array([weight[k] for a, b, k in ties if a != target and b != target]) * rng.lognormal(0, 0.25, len(ta))
    world.tie_a = np.concatenate([world.tie_a, np.minimum(ta, tb)])
    world.tie_b = np.concatenate([world.tie_b, np.maximum(ta, tb)])
    world.tie_kind = np.concatenate([world.tie_kind, tk])
    world.tie_w = np.concatenate([world.tie_w, tw_])
    # the partner lives alone: no spouse among her civilian ties
    sp = (world.tie_kind == K_PARTNER) & ((world.tie_a == partner) | (world.tie_b == partner))
    world.tie_kind[sp] = K_FAMILY
    return ties


def _aliases(world: World, rng: np.random.Generator, target: int, partner: int, lts: list[int],
             couriers: list[int], guards: list[int]) -> dict[int, str]:
    aliases: dict[int, str] = {}
    fa = rng.permutation(len(ALIASES_F))
    ma = rng.permutation(len(ALIASES_M))
    aliases[partner] = ALIASES_F[int(fa[0])]
    aliases[target] = ALIASES_M[int(ma[0])]
    for i, p in enumerate([*lts, *couriers, *guards]):
        aliases[p] = ALIASES_M[int(ma[1 + i])] if not world.female[p] else ALIASES_F[int(fa[1 + i])]
    return aliases


def _hideout_at(org: Org, t: int) -> tuple[str, tuple[float, float]]:
    for i, h in enumerate(org.hideouts):
        if h["from"] <= t < h["to"]:
            return f"hideout:{i}", (float(h["xy"][0]), float(h["xy"][1]))
    h = org.hideouts[-1]
    return f"hideout:{len(org.hideouts) - 1}", (float(h["xy"][0]), float(h["xy"][1]))


def _travel(world: World, p: int, xy: tuple[float, float]) -> int:
    home = world.places_xy[max(int(world.home[p]), 0)]
    return int(np.hypot(home[0] - xy[0], home[1] - xy[1]) / SPEED_MPS + 300)


def _schedule(world: World, org: Org, rng: np.random.Generator, cfg: dict[str, Any], t0: int, days: int,
              move_t: int) -> None:
    busy: dict[int, set[int]] = {}

    def free(p: int, ds: range) -> bool:
        return not (busy.setdefault(p, set()) & set(ds))

    def add(p: int, place: str, xy: tuple[float, float], a: int, b: int, phone_with: bool = True) -> Visit:
        v = Visit(p, place, xy, a, b, _travel(world, p, xy), phone_with)
        org.visits.append(v)
        d0 = (a - v.travel_s - t0) // 86400
        d1 = (b + v.travel_s - t0) // 86400
        busy.setdefault(p, set()).update(range(d0, d1 + 1))
        return v

    def dec(i: int) -> tuple[str, tuple[float, float]]:
        xy = org.decoys[i]["xy"]
        return f"decoy:{i}", (float(xy[0]), float(xy[1]))

    H = 3600
    # lieutenants: meetings at decoys every few days, rarely at the hideout
    d = int(rng.integers(0, 3))
    while d < days - 1:
        who = [p for p in org.lieutenants if rng.random() < 0.75]
        if len(who) < 2:
            who = list(org.lieutenants[:2])
        if rng.random() < 0.3:
            who.append(org.couriers[int(rng.integers(0, len(org.couriers)))])
        at_hideout = rng.random() < 0.12
        place, xy = _hideout_at(org, t0 + d * 86400 + 12 * H) if at_hideout else dec(int(rng.integers(0, len(org.decoys))))
        a = t0 + d * 86400 + int(rng.uniform(10.5, 19.0) * H)
        b = a + int(rng.uniform(1.0, 3.0) * H)
        who = [p for p in who if free(p, range(d, d + 1))]
        if len(who) >= 2:
            for p in who:
                add(p, place, xy, a + int(rng.integers(-900, 900)), b + int(rng.integers(-900, 900)))
            ids = list(who) + ([org.target, *org.bodyguards] if place.startswith("hideout") else [])
            org.meetings.append({"place": place, "xy": xy, "from": a, "to": b, "persons": ids})
        d += int(rng.integers(3, 7))
    for p in org.lieutenants:
        # overnight or evening stays at decoys
        every = cfg.get("lt_stay_every", (3, 5))
        for dd in range(int(rng.integers(0, 3)), days - 1, int(rng.integers(every[0], every[1] + 1))):
            if not free(p, range(dd, dd + 2)):
                continue
            place, xy = dec(int(rng.integers(0, len(org.decoys))))
            a = t0 + dd * 86400 + int(rng.uniform(19.0, 22.0) * H)
            over = rng.random() < cfg.get("lt_overnight_p", 0.4)
            b = a + (int(rng.uniform(8.0, 11.0) * H) if over else int(rng.uniform(1.0, 3.0) * H))
            add(p, place, xy, a, b)
    # couriers: supply runs to the hideout and errands to decoys
    for p in org.couriers:
        dd = int(rng.integers(0, 3))
        while dd < days:
            a = t0 + dd * 86400 + int(rng.uniform(9.0, 16.5) * H)
            b = a + int(rng.uniform(0.3, 1.5) * H)
            if free(p, range(dd, dd + 1)):
                place, xy = _hideout_at(org, a)
                off = rng.random() < cfg["p_courier_off"]
                add(p, place, xy, a, b)
                if off:
                    org.dark.append({"person": p, "from": a - int(rng.uniform(200, 1500)), "to": b + int(rng.uniform(200, 1500)),
                                     "why": "off near hideout"})
            dd += int(rng.integers(2, 5))
        for dd in range(int(rng.integers(0, 4)), days, int(rng.integers(3, 6))):
            if free(p, range(dd, dd + 1)):
                place, xy = dec(int(rng.integers(0, len(org.decoys))))
                a = t0 + dd * 86400 + int(rng.uniform(9.0, 18.0) * H)
                add(p, place, xy, a, a + int(rng.uniform(0.5, 2.0) * H))
    _partner_nights(org, rng, cfg, t0, days, free, add, dec)
    # bodyguards: phones mostly off, short on-windows
    for p in org.bodyguards:
        last = t0 - 86400
        dd = int(rng.integers(0, 2))
        while dd < days:
            a = t0 + dd * 86400 + int(rng.uniform(8.0, 21.0) * H)
            b = a + int(rng.uniform(*cfg["guard_window_h"]) * H)
            org.dark.append({"person": p, "from": last, "to": a, "why": "bodyguard off"})
            last = b
            dd += int(rng.integers(cfg["guard_every"][0], cfg["guard_every"][1] + 1))
        org.dark.append({"person": p, "from": last, "to": t0 + (days + 1) * 86400, "why": "bodyguard off"})


def _partner_nights(org: Org, rng: np.random.Generator, cfg: dict[str, Any], t0: int, days: int,
                    free: Callable[[int, range], bool], add: Callable[..., Visit],
                    dec: Callable[[int], tuple[str, tuple[float, float]]]) -> None:
    """His partner's stays with him: by default one night every 2-5 nights, arriving 19:30-23:00.

    The ``rhythm`` family (:mod:`fusioncell.sim.families`) widens all three: the gap between
    arrivals (``partner_gap``, days, upper bound exclusive), the nights of one stay
    (``partner_stay``) and the arrival hour (``partner_arrive``, past 24 is after midnight), and makes
    some visits daytime ones (``partner_day_p``).
    With the defaults the random draws are exactly those of a world without the family.
    """
    H = 3600
    gap = cfg.get("partner_gap", (2, 6))
    stay = cfg.get("partner_stay", (1, 1))
    arrive = cfg.get("partner_arrive", (19.5, 23.0))
    dd = int(rng.integers(0, 3))
    day_p = cfg.get("partner_day_p", 0.0)
    while dd < days - 1:
        n = 1 if stay[1] <= 1 else min(int(rng.integers(stay[0], stay[1] + 1)), days - 1 - dd)
        a = t0 + dd * 86400 + int(rng.uniform(*arrive) * H)
        b = t0 + (dd + n) * 86400 + int(rng.uniform(5.5, 8.5) * H)
        if day_p > 0 and rng.random() < day_p:  # a visit by day: lunch to late afternoon, home for the night
            n = 1
            a = t0 + dd * 86400 + int(rng.uniform(10.0, 16.0) * H)
            b = a + int(rng.uniform(2.0, 6.0) * H)
        if free(org.partner, range(dd, dd + n + 1)):
            place, xy = _hideout_at(org, a)
            if cfg.get("partner_decoy_p", 0.0) > 0 and rng.random() < cfg["partner_decoy_p"]:
                place, xy = dec(int(rng.integers(0, len(org.decoys))))  # her own reasons: a friend at the safe house
            left = bool(rng.random() < cfg["p_left_behind"])
            add(org.partner, place, xy, a, b, phone_with=not left)
            if left:
                org.nocall.append((org.partner, a - 3 * H, b + 3 * H))
            elif rng.random() < cfg["p_partner_off"]:
                # off a few km before arrival (varying), back on a few km after leaving
                org.dark.append({"person": org.partner, "from": a - int(rng.uniform(120, 700)),
                                 "to": b + int(rng.uniform(120, 900)), "why": "off near hideout"})
        dd += n - 1 + int(rng.integers(gap[0], gap[1]))


def _phones(world: World, org: Org, seed: int, cfg: dict[str, Any], t0: int, days: int) -> None:
    rp = gen(seed, "phones")
    n, n_res = world.n, world.n_res
    has = np.ones(n, bool)
    has[:n_res] = rp.random(n_res) < 0.96
    for p in org.members:
        has[p] = True
    has[org.target] = False
    org.has_phone = has
    second = (rp.random(n) < 0.07) & has
    second[n_res:] = False
    second[org.members] = False
    # numbers: residents draw from local/state codes (5% keep an out-of-area one), out-of-area people from outside
    e = world.numbers_e164
    outside = np.array([x.startswith(("+5255", "+5281", "+1")) for x in e])
    in_pool = list(np.flatnonzero(~outside))
    out_pool = list(np.flatnonzero(outside))
    keep_out = rp.random(n) < 0.05
    ii, oi = 0, 0

    def take(outside_wanted: bool) -> int:
        nonlocal ii, oi
        if (outside_wanted and oi < len(out_pool)) or ii >= len(in_pool):
            oi += 1
            return int(out_pool[oi - 1])
        ii += 1
        return int(in_pool[ii - 1])

    lo, hi = t0 - 400 * 86400, t0 + (days + 400) * 86400
    rows: list[tuple[int, int, int, int, int]] = []
    change = (rp.random(n) < 0.035 * days / 30.0) & has
    change[org.members] = False
    tchg = t0 + (rp.random(n) * days * 86400).astype(np.int64)
    for p in range(n):
        if not has[p]:
            continue
        num = take(bool(p >= n_res or keep_out[p]))
        if change[p]:
            new = take(bool(p >= n_res or keep_out[p]))
            rows.append((p, 0, num, lo, int(tchg[p])))
            rows.append((p, 0, new, int(tchg[p]), hi))
            org.successions.append({"person": p, "old": num, "new": new, "handover": int(tchg[p]), "kind": "sim_change"})
        else:
            rows.append((p, 0, num, lo, hi))
        if second[p]:
            rows.append((p, 1, take(False), lo, hi))
    # burners in the organisation
    rb = gen(seed, "burners")
    cand = [*org.lieutenants, *org.couriers]
    k = min(len(cand), int(rb.integers(cfg["burners"][0], cfg["burners"][1] + 1)))
    for p in [cand[int(i)] for i in rb.permutation(len(cand))[:k]]:
        h = t0 + int(rb.uniform(0.3, 0.7) * days * 86400)
        gap = int(rb.uniform(0.5, 14.0) * 3600)
        new = take(False)
        old = _switch_number(rows, p, new, h, h + gap, hi)
        org.successions.append({"person": p, "old": old, "new": new, "handover": h, "kind": "burner"})
    switched = {s["person"] for s in org.successions if s["kind"] == "burner"}
    if cfg.get("group_switch"):
        _group_switch(org, gen(seed, "group-switch"), cfg["group_switch"], rows, take, switched, t0, days, hi)
    arr = np.array(rows, np.int64)
    org.ph_person, org.ph_slot, org.ph_num, org.ph_from, org.ph_to = arr.T.copy()
    org.second_sim = second


def _switch_number(rows: list[tuple[int, int, int, int, int]], p: int, new: int, h: int, start: int,
                   hi: int) -> int:
    """``p``'s main number ends at ``h`` and ``new`` serves from ``start`` on; returns the old number."""
    old = -1
    for j, r in enumerate(rows):
        if r[0] == p and r[1] == 0:
            rows[j] = (p, 0, r[2], r[3], h)
            old = r[2]
    rows.append((p, 0, new, start, hi))
    return old


def _group_switch(org: Org, rg: np.random.Generator, spec: dict[str, Any], rows: list[tuple[int, int, int, int, int]],
                  take: Callable[[bool], int], switched: set[int], t0: int, days: int, hi: int) -> None:
    """A cell changes its handsets together: a lieutenant and up to ``spec["k"]`` - 1 of the men he deals
    with (lieutenants, couriers; none already on a burner) drop their numbers within six hours and start new
    ones hours later; with ``spec["closed"]`` the new phones call only each other for the rest of the
    period (nothing then links an old number to a new one by shared outside contacts; the cell's own calls,
    each man with his lieutenant, still run). Recorded as successions of kind ``group`` sharing an id.
    """
    free_ = [p for p in [*org.lieutenants, *org.couriers] if p not in switched]
    anchors = [p for p in org.lieutenants if p in free_]
    if not anchors:
        return
    boss = anchors[int(rg.integers(0, len(anchors)))]
    tied = {b if a == boss else a for a, b, _ in org.org_ties if boss in (a, b)}
    pool = [p for p in free_ if p in tied and p != boss]
    members = [boss] + [pool[int(i)] for i in rg.permutation(len(pool))[: max(0, int(spec["k"]) - 1)]]
    if len(members) < 3:
        return
    h0 = t0 + int(rg.uniform(0.3, 0.7) * days * 86400)
    for p in members:
        h = h0 + int(rg.uniform(0.0, 6.0) * 3600)
        new = take(False)
        old = _switch_number(rows, p, new, h, h + int(rg.uniform(0.5, 12.0) * 3600), hi)
        org.successions.append({"person": p, "old": old, "new": new, "handover": h, "kind": "group", "group": 1})
    if spec.get("closed"):
        org.closed_group = np.array(sorted(members), np.int64)
        org.closed_from = h0


def _overrides(world: World, org: Org, t0: int, t_end: int, move_t: int) -> Overrides:
    vis = list(org.visits)
    if move_t < t_end:
        xy = org.hideouts[1]["xy"]
        for p in [org.target, *org.bodyguards]:
            vis.append(Visit(p, "hideout:1", (float(xy[0]), float(xy[1])), move_t, t_end + 2 * 86400, 3600))
    if not vis:
        return make_overrides(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                              np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros(0, bool), t0)
    return make_overrides(
        np.array([v.person for v in vis]), np.array([v.t_from for v in vis]), np.array([v.t_to for v in vis]),
        np.array([v.xy for v in vis], dtype=np.float64), np.array([v.travel_s for v in vis]),
        np.array([v.phone_with for v in vis]), t0,
    )


def dark_index(org: Org, world: World, t0: int) -> tuple[Intervals, Intervals]:
    """(phone off, phone left behind) interval indexes."""
    d = org.dark
    off, _ = Intervals.build(np.array([x["person"] for x in d], np.int64), np.array([x["from"] for x in d], np.int64),
                             np.array([x["to"] for x in d], np.int64), t0)
    nc = org.nocall
    left, _ = Intervals.build(np.array([x[0] for x in nc], np.int64), np.array([x[1] for x in nc], np.int64),
                              np.array([x[2] for x in nc], np.int64), t0)
    return off, left
