"""Carrier handset geolocation for tracked identifiers, and aerial passes over candidate sites.

Neither sensor looks at the truth to decide *where* or *when* to look: fix
times come from a per-identifier stream, and aerial passes go to candidate
sites drawn from leads (true and false), decoys and random ranches, with the
same pass-count and time-of-day distributions for every kind of site.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fusioncell.sim.handsets import Handsets
from fusioncell.sim.rng import gen

FArr = npt.NDArray[np.float64]
IArr = npt.NDArray[np.int64]


@dataclass
class Fixes:
    """Handset fixes of one identifier."""

    t: IArr
    lat: FArr
    lon: FArr
    accuracy_m: FArr
    person: IArr


def _fix_times(hs: Handsets, seed: int, identifier: str, num: int, days: int) -> tuple[IArr, IArr, FArr, FArr]:
    """Fix times, holders, accuracies and noise for one identifier (its own random stream)."""
    org = hs.org
    rng = gen(seed, f"fixes:{identifier}")
    t0 = hs.t0
    t_end = t0 + days * 86400
    n_est = int(days * 86400 / 600) + 10
    t = t0 + int(rng.integers(0, 900)) + np.cumsum(rng.uniform(600, 1200, n_est)).astype(np.int64)
    t = t[t < t_end]
    person = np.full(len(t), -1, np.int64)
    for r in np.flatnonzero(org.ph_num == num):
        inside = (t >= org.ph_from[r]) & (t < org.ph_to[r])
        person[inside] = org.ph_person[r]
    miss = rng.random(len(t)) < 0.04
    better = rng.random(len(t)) < 0.2
    acc = np.where(better, rng.uniform(25, 100, len(t)), np.exp(rng.uniform(np.log(100), np.log(1000), len(t))))
    noise = rng.normal(0, 1, (len(t), 2)) * (acc / 1.51)[:, None]
    keep = (person >= 0) & ~miss
    return t[keep], person[keep], acc[keep], noise[keep]


def _tracker_times(hs: Handsets, seed: int, identifier: str, owner: int, days: int) -> tuple[IArr, IArr, FArr, FArr]:
    """A covert GPS tracker on a vehicle: a fix every 2-5 minutes, 5-20 m, wherever its driver goes."""
    rng = gen(seed, f"tracker:{identifier}")
    t0 = hs.t0
    n_est = int(days * 86400 / 120) + 10
    t = t0 + int(rng.integers(0, 300)) + np.cumsum(rng.uniform(120, 300, n_est)).astype(np.int64)
    t = t[t < t0 + days * 86400]
    acc = rng.uniform(5, 20, len(t))
    noise = rng.normal(0, 1, (len(t), 2)) * (acc / 1.51)[:, None]
    return t, np.full(len(t), owner, np.int64), acc, noise


def track(hs: Handsets, seed: int, identifiers: list[tuple[str, int]], days: int,
          vehicles: list[tuple[str, int]] | None = None) -> tuple[Fixes, IArr]:
    """Fixes every 10-20 minutes while each tracked handset is on, in coverage and in the region.

    ``identifiers`` holds (identifier, number index) pairs, ``vehicles``
    (plate identifier, owner) pairs for covert trackers. Each identifier's
    fix times come from its own stream, so tracking more phones never changes
    another phone's fixes. Positions are computed for all identifiers at once,
    day by day. Returns the fixes and, per fix, the position in
    ``identifiers + vehicles``.
    """
    parts = [_fix_times(hs, seed, ident, num, days) for ident, num in identifiers]
    n_phone = len(parts)
    parts += [_tracker_times(hs, seed, ident, owner, days) for ident, owner in (vehicles or [])]
    which = np.concatenate([np.full(len(p[0]), i, np.int64) for i, p in enumerate(parts)]) if parts else np.zeros(0, np.int64)
    if not parts or len(which) == 0:
        z = np.zeros(0)
        return Fixes(np.zeros(0, np.int64), z, z, z, np.zeros(0, np.int64)), np.zeros(0, np.int64)
    t = np.concatenate([p[0] for p in parts])
    person = np.concatenate([p[1] for p in parts])
    acc = np.concatenate([p[2] for p in parts])
    noise = np.concatenate([p[3] for p in parts])
    order = np.argsort(t, kind="stable")  # day by day for the routine plans
    on = np.empty(len(t), bool)
    xy = np.empty((len(t), 2))
    is_phone = which < n_phone
    on[order] = hs.switched_on(person[order], t[order]) | ~is_phone[order]
    xy[order] = hs.mob.position(person[order], t[order], phone=True)
    veh = np.flatnonzero(~is_phone)
    if len(veh):
        vo = veh[np.argsort(t[veh], kind="stable")]
        xy[vo] = hs.mob.position(person[vo], t[vo], phone=False)
    ok = on & ~np.isnan(xy[:, 0]) & (hs.w.covered(xy) | ~is_phone)
    xy = xy[ok] + noise[ok]
    lat, lon = hs.w.to_latlon(xy)
    return Fixes(t[ok], lat, lon, np.round(acc[ok], 0), person[ok]), which[ok]


@dataclass
class Sightings:
    """Plate reads from aerial passes."""

    t: IArr
    lat: FArr
    lon: FArr
    plate: IArr  # index into world.plates
    confidence: FArr
    true_read: npt.NDArray[np.bool_]
    site: IArr
    note: list[str]


def aerial(hs: Handsets, seed: int, sites_xy: FArr, days: int, veh_owner: IArr) -> Sightings:
    """UAV passes over each candidate site: same pass distribution for every site.

    Daytime passes (EO, low altitude) read plates of vehicles parked within
    ~150 m; night and wide-area passes see no plates and yield no rows.
    Each pass also produces occasional false reads with overlapping confidence.
    """
    rng = gen(seed, "aerial")
    n_sites = len(sites_xy)
    n_pass = 1 + rng.poisson(3.0, n_sites)
    site = np.repeat(np.arange(n_sites), n_pass)
    k = len(site)
    day = rng.integers(0, days, k)
    hour = rng.uniform(0, 24, k)
    t = hs.t0 + day * 86400 + (hour * 3600).astype(np.int64)
    daylight = (hour >= 7.5) & (hour <= 18.0)
    out_t, out_site, out_plate, out_conf, out_true = [], [], [], [], []
    n_plates = len(hs.w.plates)
    vehicles = np.flatnonzero(veh_owner >= 0)
    veh_owner = veh_owner[vehicles]
    for i in np.flatnonzero(daylight):
        pos = hs.mob.position(veh_owner, np.full(len(veh_owner), t[i]))
        d = np.hypot(pos[:, 0] - sites_xy[site[i], 0], pos[:, 1] - sites_xy[site[i], 1])
        here = np.flatnonzero((d < 150.0) & (rng.random(len(veh_owner)) < 0.7))
        for v in here:
            out_t.append(t[i])
            out_site.append(site[i])
            out_plate.append(int(vehicles[v]))
            out_conf.append(float(np.clip(rng.beta(5.0, 2.5), 0.05, 0.99)))
            out_true.append(True)
        for _ in range(int(rng.poisson(0.5))):
            out_t.append(t[i])
            out_site.append(site[i])
            out_plate.append(int(rng.integers(0, n_plates)))
            out_conf.append(float(np.clip(rng.beta(3.5, 3.0), 0.05, 0.99)))
            out_true.append(False)
    st = np.array(out_site, np.int64)
    jitter = rng.normal(0, 25.0, (len(st), 2))
    xy = sites_xy[st] + jitter if len(st) else np.zeros((0, 2))
    lat, lon = hs.w.to_latlon(xy)
    notes = [("UAV EO pass" if rng.random() < 0.7 else "UAV EO pass, partial plate") for _ in range(len(st))]
    return Sightings(np.array(out_t, np.int64), lat, lon, np.array(out_plate, np.int64),
                     np.round(np.array(out_conf), 2), np.array(out_true, bool), st, notes)
