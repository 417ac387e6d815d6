"""Where a person (and her phone) is at any instant, vectorised.

A person's day is home at night and up to two round trips: work on
weekdays (or a daytime outing), and an evening outing to a leisure place or
a friend's home. Trips follow a bent route (a quadratic Bézier through a
waypoint off the straight line), at road speed. All daily randomness comes
from :func:`fusioncell.sim.rng.hash_u` keyed by ``(person, day)``, so any
``(person, time)`` can be evaluated on its own, in any order.

The organisation's scheduled visits (hideout nights, supply runs, meetings
at safe houses) and the bodyguards' move to a second hideout are
*overrides*: intervals during which the person is at a given place, with a
travel leg before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from fusioncell.sim.rng import hash_u, stream
from fusioncell.sim.world import World

FArr = npt.NDArray[np.float64]
IArr = npt.NDArray[np.int64]
BArr = npt.NDArray[np.bool_]

SPEED_MPS = 9.0
_SHIFT = np.int64(1) << np.int64(34)


@dataclass
class Intervals:
    """Per-entity, non-overlapping time intervals with payload columns, for vectorised lookup."""

    ent: IArr
    start: IArr
    end: IArr
    keys: IArr

    @classmethod
    def build(cls, ent: IArr, start: IArr, end: IArr, t0: int) -> tuple["Intervals", IArr]:
        """Sort by (entity, start); return the index and the permutation applied."""
        ent = np.asarray(ent, np.int64)
        start = np.asarray(start, np.int64)
        end = np.asarray(end, np.int64)
        order = np.lexsort((start, ent))
        ent, start, end = ent[order], start[order], end[order]
        keys = ent * _SHIFT + (start - t0 + (np.int64(1) << np.int64(33)))
        return cls(ent, start, end, keys), order

    def find(self, ent: IArr, t: IArr, t0: int) -> IArr:
        """Index of the interval containing ``t`` for ``ent``, or -1."""
        if len(self.ent) == 0:
            return np.full(np.shape(t), -1, np.int64)
        q = np.asarray(ent, np.int64) * _SHIFT + (np.asarray(t, np.int64) - t0 + (np.int64(1) << np.int64(33)))
        i = np.searchsorted(self.keys, q, "right") - 1
        ic = np.maximum(i, 0)
        ok = (i >= 0) & (self.ent[ic] == ent) & (t < self.end[ic])
        return np.where(ok, ic, -1)


@dataclass
class Overrides:
    """Scheduled presences: person at place xy during [t_from, t_to), with travel legs."""

    idx: Intervals  # covers [t_from - travel, t_to + travel)
    t_from: IArr
    t_to: IArr
    xy: FArr
    travel_s: IArr
    phone_with: BArr  # False: the phone stays behind (at the base position)


def make_overrides(
    person: IArr, t_from: IArr, t_to: IArr, xy: FArr, travel_s: IArr, phone_with: BArr, t0: int
) -> Overrides:
    """Build the override index (intervals must not overlap per person, travel legs included)."""
    idx, order = Intervals.build(person, np.asarray(t_from) - travel_s, np.asarray(t_to) + travel_s, t0)
    return Overrides(
        idx, np.asarray(t_from, np.int64)[order], np.asarray(t_to, np.int64)[order], np.asarray(xy)[order],
        np.asarray(travel_s, np.int64)[order], np.asarray(phone_with, bool)[order],
    )


def _bezier(a: FArr, b: FArr, f: FArr, bend: FArr) -> FArr:
    mid = (a + b) / 2.0
    d = b - a
    perp = np.stack([-d[:, 1], d[:, 0]], axis=1)
    ctrl = mid + perp * bend[:, None]
    f = f[:, None]
    return (1 - f) ** 2 * a + 2 * (1 - f) * f * ctrl + f**2 * b


class Mobility:
    """Positions of persons over time for one world and period."""

    def __init__(self, world: World, seed: int, t0: int, utc_offset_s: int, dow0: int, overrides: Overrides) -> None:
        self.w = world
        self.t0 = t0  # local midnight of day 0, as a UTC epoch second
        self.off = utc_offset_s
        self.dow0 = dow0
        self.ov = overrides
        self.k_day = stream(seed, "day-plan")
        self.k_bend = stream(seed, "route-bend")
        self.k_sleep = stream(seed, "sleepover")
        self._plans: dict[int, dict[str, npt.NDArray[Any]]] = {}

    def day_sec(self, t: IArr) -> tuple[IArr, FArr]:
        """Day index and local second of day."""
        rel = np.asarray(t, np.int64) - self.t0
        d = rel // 86400
        return d, (rel - d * 86400).astype(np.float64)

    def plan(self, d: int) -> dict[str, npt.NDArray[Any]]:
        """Everyone's routine for local day ``d`` (two round trips), cached for a few days."""
        if d in self._plans:
            return self._plans[d]
        w = self.w
        p = np.arange(w.n, dtype=np.int64)
        weekend = (self.dow0 + d) % 7 >= 5
        u = [hash_u(self.k_day, p, d, k) for k in range(8)]
        hidx = w.home
        home = w.places_xy[np.maximum(hidx, 0)]
        sc = w.outing_scale
        # trip A: work on weekdays (6% days off), else a daytime outing
        to_work = (w.work >= 0) & (not weekend) & (u[0] > 0.06)
        outing_a = ~to_work & (u[0] < 0.5 * sc)
        lslot = np.minimum((u[3] * 3).astype(np.int64), 2)
        a_idx = np.maximum(np.where(to_work, w.work, w.leisure[p, lslot]), 0)
        a_dest = w.places_xy[a_idx]
        a_dep = np.where(to_work, w.work_start_s + (u[1] - 0.5) * 3000.0, (9.5 + u[1] * 5.0) * 3600.0)
        a_stay = np.where(to_work, w.work_len_s + (u[2] - 0.5) * 3600.0, (1.0 + u[2] * 3.0) * 3600.0)
        a_on = (to_work | outing_a) & (a_idx != hidx)
        a_tt = np.hypot(*(a_dest - home).T) / SPEED_MPS + 240.0
        # trip B: an evening out
        b_on = u[4] < (0.40 if weekend else 0.28) * sc
        lslot_b = np.minimum((u[5] * 3).astype(np.int64), 2)
        b_idx = np.maximum(w.leisure[p, lslot_b], 0)
        b_dest = w.places_xy[b_idx]
        a_back = a_dep + a_stay + 2 * a_tt
        b_dep = np.maximum((18.5 + u[6] * 2.0) * 3600.0, np.where(a_on, a_back + 900.0, 0.0))
        b_stay = np.minimum((1.0 + u[7] * 2.5) * 3600.0, np.maximum(86000.0 - b_dep - 3600.0, 0.0))
        b_on = b_on & (b_stay > 1200.0) & (b_idx != hidx)
        # nights at a friend's or relative's (leisure slot 2): a quarter of people, one night in eight
        friend = np.maximum(w.leisure[:, 2], 0)
        prone = hash_u(self.k_sleep, p) < 0.25
        so_today = prone & (hash_u(self.k_sleep, p, d) < 0.12) & (friend != hidx) & (sc > 0.5)
        so_prev = prone & (hash_u(self.k_sleep, p, d - 1) < 0.12) & (friend != hidx) & (sc > 0.5)
        b_on = b_on | so_today
        b_idx = np.where(so_today, friend, b_idx)
        b_dest = w.places_xy[b_idx]
        b_dep = np.where(so_today, (19.5 + u[6] * 3.0) * 3600.0, b_dep)
        b_stay = np.where(so_today, 86400.0, b_stay)
        b_tt = np.hypot(*(b_dest - home).T) / SPEED_MPS + 240.0
        m_dest = w.places_xy[friend]
        m_tt = np.hypot(*(m_dest - home).T) / SPEED_MPS + 240.0
        m_end = (6.5 + hash_u(self.k_sleep, p, d, 1) * 3.0) * 3600.0
        a_dep = np.where(so_prev, np.maximum(a_dep, m_end + m_tt + 600.0), a_dep)
        plan = {
            "m_on": so_prev, "m_dest": m_dest, "m_end": m_end, "m_tt": m_tt,
            "m_bend": (hash_u(self.k_bend, np.minimum(hidx, friend), np.maximum(hidx, friend)) - 0.5) * 0.6,
            "home": home, "a_on": a_on, "a_dest": a_dest, "a_dep": a_dep, "a_stay": a_stay, "a_tt": a_tt,
            "a_bend": (hash_u(self.k_bend, np.minimum(hidx, a_idx), np.maximum(hidx, a_idx)) - 0.5) * 0.6,
            "b_on": b_on, "b_dest": b_dest, "b_dep": b_dep, "b_stay": b_stay, "b_tt": b_tt,
            "b_bend": (hash_u(self.k_bend, np.minimum(hidx, b_idx), np.maximum(hidx, b_idx)) - 0.5) * 0.6,
        }
        if len(self._plans) >= 3:
            self._plans.pop(next(iter(self._plans)))
        self._plans[d] = plan
        return plan

    @staticmethod
    def _trip(s: FArr, home: FArr, dest: FArr, depart: FArr, stay: FArr, tt: FArr, bend: FArr,
              on: BArr) -> tuple[FArr, BArr]:
        a2 = depart + tt
        a3 = a2 + stay
        a4 = a3 + tt
        out = home.copy()
        go = on & (s >= depart) & (s < a2)
        at = on & (s >= a2) & (s < a3)
        back = on & (s >= a3) & (s < a4)
        if go.any():
            out[go] = _bezier(home[go], dest[go], (s[go] - depart[go]) / tt[go], bend[go])
        out[at] = dest[at]
        if back.any():
            out[back] = _bezier(dest[back], home[back], (s[back] - a3[back]) / tt[back], -bend[back])
        return out, go | at | back

    def base(self, p: IArr, t: IArr) -> FArr:
        """Routine position (no organisation overrides); NaN for out-of-area persons and trips away."""
        w = self.w
        p = np.asarray(p, np.int64)
        t = np.asarray(t, np.int64)
        d, s = self.day_sec(t)
        pos = np.empty((len(p), 2))
        days = np.unique(d)
        for day in days.tolist():
            sel = np.flatnonzero(d == day) if len(days) > 1 else np.arange(len(p))
            q = p[sel]
            pl = self.plan(int(day))
            ss = s[sel]
            home = pl["home"][q]
            pa_, in_a = self._trip(ss, home, pl["a_dest"][q], pl["a_dep"][q], pl["a_stay"][q], pl["a_tt"][q],
                                   pl["a_bend"][q], pl["a_on"][q])
            pb_, in_b = self._trip(ss, home, pl["b_dest"][q], pl["b_dep"][q], pl["b_stay"][q], pl["b_tt"][q],
                                   pl["b_bend"][q], pl["b_on"][q] & ~in_a)
            pm_, in_m = self._trip(ss, home, pl["m_dest"][q], -pl["m_tt"][q] - 1.0, pl["m_end"][q] + 1.0,
                                   pl["m_tt"][q], pl["m_bend"][q], pl["m_on"][q])
            pos[sel] = np.where(in_b[:, None], pb_, np.where(in_m[:, None], pm_, pa_))
        rel = t - self.t0
        gone = (w.away_from[p] >= 0) & (rel >= w.away_from[p]) & (rel < w.away_to[p])
        pos[(w.home[p] < 0) | gone] = np.nan
        return pos

    def position(self, p: IArr, t: IArr, phone: bool = False) -> FArr:
        """Position of persons (``phone=False``) or of their handsets (``phone=True``) at times ``t``."""
        p = np.asarray(p, np.int64)
        t = np.asarray(t, np.int64)
        pos = self.base(p, t)
        ov = self.ov
        i = ov.idx.find(p, t, self.t0)
        hit = i >= 0
        if phone:
            hit &= ov.phone_with[np.maximum(i, 0)]
        if not hit.any():
            return pos
        hi = i[hit]
        th = t[hit]
        ph = p[hit]
        place = ov.xy[hi]
        out = place.copy()
        tf, tt_, tr = ov.t_from[hi], ov.t_to[hi], ov.travel_s[hi]
        going = th < tf
        leaving = th >= tt_
        if going.any() or leaving.any():
            # travel legs start/end at the routine position at the leg's far end
            far_t = np.where(going, tf - tr, tt_ + tr)
            far = self.base(ph, far_t)
            far = np.where(np.isnan(far), place, far)
            f = np.where(going, (th - (tf - tr)) / np.maximum(tr, 1), 1.0 - (th - tt_) / np.maximum(tr, 1)).astype(np.float64)
            bend = (hash_u(self.k_bend, ph, hi) - 0.5) * 0.6
            leg = _bezier(far, place, np.clip(f, 0.0, 1.0), bend)
            mv = going | leaving
            out[mv] = leg[mv]
        pos[hit] = out
        return pos
