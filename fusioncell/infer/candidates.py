"""Candidate places, generated from the evidence itself (see :mod:`fusioncell.infer.features`).

Where circle members spend nights away from home, where they converge by day, where his vehicles or he
were sighted, graded claim areas, known addresses, and the serving cells his circle uses at night; merged
by non-maximum suppression. Split from ``features.py`` (session 19) to keep each module readable.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from fusioncell.infer.evidence import Claims, Positions, Sightings
from fusioncell.infer.features import (
    AWAY_ACCURACY_FACTOR,
    MAX_CANDIDATES,
    NMS_RADIUS_M,
    SIGHTING_SIGMA_M,
    Candidate,
    FloatArray,
    home_arrays,
)
from fusioncell.spacetime.geo import haversine_m


def generate_candidates(
    pos: Positions, relevance: dict[str, float], claims: Claims, sights: Sightings,
    addr_lat: FloatArray, addr_lon: FloatArray, homes: Mapping[str, tuple[float, float, float]],
) -> list[Candidate]:
    seeds: list[tuple[float, float, float, str, float]] = []  # score, lat, lon, origin, radius
    rel = pos.per_ident(relevance, 0.0)
    if len(pos):
        hl, hn, hr = home_arrays(pos, homes)
        dh = haversine_m(pos.lat, pos.lon, np.nan_to_num(hl), np.nan_to_num(hn))
        away = np.isnan(hl) | (dh > hr + AWAY_ACCURACY_FACTOR * pos.acc_m)
        for fine, night, origin, w in (
            (True, True, "night stays", 3.0),
            (True, False, "day visits", 1.0),
            (False, True, "night cell sites", 0.6),
        ):
            m = away & (pos.fine == fine) & (pos.night == night) & (rel > 0)
            if not m.any():
                continue
            lat, lon, r = pos.lat[m], pos.lon[m], rel[m]
            # 200 m bins for fixes; exact tower positions for cells
            q = 0.0018 if fine else 1e-6
            bx, by = np.round(lat / q).astype(np.int64), np.round(lon / q).astype(np.int64)
            key = np.stack([bx, by])
            u, inv = np.unique(key, axis=1, return_inverse=True)
            score = np.bincount(inv.ravel(), weights=r, minlength=u.shape[1])
            top = np.argsort(-score)[:40]
            for j in top:
                mm = inv.ravel() == j
                acc = pos.acc_m[m][mm]
                seeds.append((w * float(score[j]), float(np.mean(lat[mm])), float(np.mean(lon[mm])), origin,
                              float(np.median(acc)) if not fine else 250.0))
    for i in range(sights.lat.shape[0]):
        seeds.append((2.0 * float(sights.confidence[i]) * (3.0 if sights.of_target[i] else 1.0),
                      float(sights.lat[i]), float(sights.lon[i]), "sightings", SIGHTING_SIGMA_M))
    for i in range(claims.lat.shape[0]):
        seeds.append((max(0.1, float(claims.weight[i])), float(claims.lat[i]), float(claims.lon[i]),
                      "informant area", float(claims.radius_m[i])))
    for i in range(addr_lat.shape[0]):
        seeds.append((0.2, float(addr_lat[i]), float(addr_lon[i]), "known address", 150.0))
    seeds.sort(key=lambda s: -s[0])
    chosen: list[Candidate] = []
    for _, lat, lon, origin, radius in seeds:
        if chosen:
            d = haversine_m(lat, lon, np.array([c.lat for c in chosen]), np.array([c.lon for c in chosen]))
            if float(d.min()) < NMS_RADIUS_M:
                continue
        chosen.append(Candidate(lat, lon, origin, radius))
        if len(chosen) >= MAX_CANDIDATES:
            break
    return _restore_houses(seeds, chosen)


#: Seeds that name a house: where his circle sleeps (fixes), a vehicle or he was seen, a known address.
#: Day visits (meetings, errands), cell sites at night (kilometres) and informants' areas (kilometres)
#: are coarser or name another kind of place.
HOUSE_ORIGINS = frozenset({"night stays", "sightings", "known address"})


def _restore_houses(seeds: list[tuple[float, float, float, str, float]], chosen: list[Candidate]) -> list[Candidate]:
    """Put back the house seeds that only a coarser or other kind of seed suppressed.

    Suppression keeps one candidate per ``NMS_RADIUS_M``, the strongest seed's. In a town, where her
    nights at his house sit 400 m from where his circle meets by day, the day visits' seed (more fixes)
    used to take the place and the house went missing; an informant's area centre 350 m off hid a known
    address. A house seed is suppressed only by another house seed: it is restored unless a chosen house
    lies within the radius. The candidates chosen first stay (nothing here removes one).
    """
    houses = [c for c in chosen if c.origin in HOUSE_ORIGINS]
    restored: list[Candidate] = []
    for _, lat, lon, origin, radius in seeds:
        if origin not in HOUSE_ORIGINS or len(chosen) + len(restored) >= MAX_CANDIDATES:
            continue
        if houses:
            d = haversine_m(lat, lon, np.array([c.lat for c in houses]), np.array([c.lon for c in houses]))
            if float(d.min()) < NMS_RADIUS_M:
                continue
        houses.append(Candidate(lat, lon, origin, radius))
        restored.append(houses[-1])
    return chosen + restored
