"""Handsets: which number a person uses when, whether it is on, and which cell site serves it."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fusioncell.sim.mobility import Intervals, Mobility
from fusioncell.sim.org import Org, dark_index
from fusioncell.sim.rng import hash_u, stream
from fusioncell.sim.world import World

FArr = npt.NDArray[np.float64]
IArr = npt.NDArray[np.int64]
BArr = npt.NDArray[np.bool_]


class Handsets:
    """Vectorised phone state for a world, its organisation and its mobility model."""

    def __init__(self, world: World, org: Org, mob: Mobility, seed: int) -> None:
        self.w = world
        self.org = org
        self.mob = mob
        self.t0 = mob.t0
        self.periods, order = Intervals.build(org.ph_person * 2 + org.ph_slot, org.ph_from, org.ph_to, mob.t0)
        self.period_num = org.ph_num[order]
        self.period_person = org.ph_person[order]
        self.off, self.left = dark_index(org, world, mob.t0)
        self.k_night = stream(seed, "night-off")
        self.k_cell = stream(seed, "serving-cell")

    def number(self, p: IArr, slot: IArr, t: IArr) -> IArr:
        """Index of the number in the pool that person ``p`` uses in ``slot`` at ``t`` (-1: none)."""
        i = self.periods.find(np.asarray(p) * 2 + slot, t, self.t0)
        return np.where(i >= 0, self.period_num[np.maximum(i, 0)], -1)

    def switched_on(self, p: IArr, t: IArr) -> BArr:
        """Handset on (ignores coverage): not in a dark interval, not a night-off night."""
        p = np.asarray(p, np.int64)
        t = np.asarray(t, np.int64)
        on = self.off.find(p, t, self.t0) < 0
        d, s = self.mob.day_sec(t)
        u = hash_u(self.k_night, p, d)
        night = self.w.nightoff[p] & (u < 0.7) & ((s < (6.0 + u) * 3600.0) | (s > (23.0 + u) * 3600.0))
        return np.asarray(on & ~night)

    def can_call(self, p: IArr, t: IArr) -> BArr:
        """The person has the handset with her (not left behind)."""
        return np.asarray(self.left.find(np.asarray(p, np.int64), np.asarray(t, np.int64), self.t0) < 0)

    def serving_site(self, xy: FArr, key: IArr) -> tuple[FArr, FArr]:
        """Serving cell site (lat, lon): the nearest site 60% of the time, else the 2nd or 3rd."""
        ok = ~np.isnan(xy[:, 0])
        row, col = self.w.raster_index(np.where(ok[:, None], xy, 0.0))
        u = hash_u(self.k_cell, key)
        rank = np.where(u < 0.6, 0, np.where(u < 0.87, 1, 2))
        tower = self.w.raster_near[row, col, rank]
        lat, lon = self.w.to_latlon(self.w.towers_xy[tower])
        lat = np.where(ok, lat, np.nan)
        lon = np.where(ok, lon, np.nan)
        return lat, lon
