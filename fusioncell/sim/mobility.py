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

    def day_sec(self, t: IArr) -> tuple[IArr, FArr]:
        """Day index and local second of day."""
        rel = np.asarray(t, np.int64) - self.t0
        d = rel // 86400
        return d, (rel - d * 86400).astype(np.float64)

    def _trip(self, p: IArr, s: FArr, home: FArr, dest: FArr, depart: FArr, stay: FArr, on: BArr,
              hidx: IArr, didx: IArr) -> tuple[FArr, BArr]:
        dist = np.hypot(*(dest - home).T)
        tt = dist / SPEED_MPS + 240.0
        a2 = depart + tt
        a3 = a2 + stay
        a4 = a3 + tt
        bend = (hash_u(self.k_bend, np.minimum(hidx, didx), np.maximum(hidx, didx)) - 0.5) * 0.6
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
        d, s = self.day_sec(t)
        dow = (self.dow0 + d) % 7
        weekend = dow >= 5
        u = [hash_u(self.k_day, p, d, k) for k in range(8)]
        hidx = w.home[p]
        home = w.places_xy[np.maximum(hidx, 0)]
        sc = w.outing_scale[p]
        # trip A: work on weekdays (6% days off), else a daytime outing
        employed = w.work[p] >= 0
        to_work = employed & ~weekend & (u[0] > 0.06)
        outing_a = ~to_work & (u[0] < 0.5 * sc)
        lslot = np.minimum((u[3] * 3).astype(np.int64), 2)
        leis = w.leisure[p, lslot]
        a_dest_idx = np.where(to_work, w.work[p], leis)
        a_dest_idx = np.maximum(a_dest_idx, 0)
        a_dest = w.places_xy[a_dest_idx]
        a_dep = np.where(to_work, w.work_start_s[p] + (u[1] - 0.5) * 3000.0, (9.5 + u[1] * 5.0) * 3600.0)
        a_stay = np.where(to_work, w.work_len_s[p] + (u[2] - 0.5) * 3600.0, (1.0 + u[2] * 3.0) * 3600.0)
        a_on = (to_work | outing_a) & (a_dest_idx != hidx)
        pos, in_a = self._trip(p, s, home, a_dest, a_dep, a_stay, a_on, hidx, a_dest_idx)
        # trip B: an evening out
        pb = np.where(weekend, 0.40, 0.28) * sc
        b_on = u[4] < pb
        lslot_b = np.minimum((u[5] * 3).astype(np.int64), 2)
        b_dest_idx = np.maximum(w.leisure[p, lslot_b], 0)
        b_dest = w.places_xy[b_dest_idx]
        a_back = a_dep + a_stay + 2 * (np.hypot(*(a_dest - home).T) / SPEED_MPS + 240.0)
        b_dep = np.maximum((18.5 + u[6] * 2.0) * 3600.0, np.where(a_on, a_back + 900.0, 0.0))
        b_stay = np.minimum((1.0 + u[7] * 2.5) * 3600.0, np.maximum(86000.0 - b_dep - 3600.0, 0.0))
        b_on = b_on & (b_stay > 1200.0) & (b_dest_idx != hidx)
        pos_b, in_b = self._trip(p, s, home, b_dest, b_dep, b_stay, b_on & ~in_a, hidx, b_dest_idx)
        pos = np.where(in_b[:, None], pos_b, pos)
        gone = (w.away_from[p] >= 0) & (np.asarray(t) - self.t0 >= w.away_from[p]) & (np.asarray(t) - self.t0 < w.away_to[p])
        bad = (hidx < 0) | gone
        pos[bad] = np.nan
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
