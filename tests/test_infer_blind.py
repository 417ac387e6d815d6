"""Blind spots (fusioncell.infer.blind): the coverage hole her silent nights point into.

The scene is built from geometry: eight cell sites ring a hole 12 km around
the compound (each serving 8.5 km, so ~3.5 km around the compound no site
serves); her phone is fixed every 20 minutes while in coverage; on her nights
away she drives south from town, is last seen on the ring's north side and
next seen there in the morning.
"""

from __future__ import annotations

import numpy as np

from fusioncell.infer.blind import blind_spots
from fusioncell.infer.evidence import Claims, Positions, Sightings
from fusioncell.infer.features import EvidenceContext
from fusioncell.spacetime.coverage import Coverage
from fusioncell.spacetime.geo import LocalGrid, haversine_m

COMPOUND = (20.300, -103.300)
TOWN = (20.600, -103.300)
GRID = LocalGrid(COMPOUND[0], COMPOUND[1], 1000.0)
ANG = np.radians(np.arange(0, 360, 45))
RING = GRID.latlon(12000.0 * np.sin(ANG), 12000.0 * np.cos(ANG))
EDGE = GRID.latlon(0.0, 10500.0)  # north side of the ring, inside coverage
NIGHTS = [1, 4, 7, 10, 13]
T0 = np.datetime64("2026-02-02T06:00:00", "s")  # local midnight at UTC-6


def _coverage() -> Coverage:
    lat = np.r_[RING[0], TOWN[0]]
    lon = np.r_[RING[1], TOWN[1]]
    return Coverage(lat, lon, np.r_[np.full(8, 8500.0), 5000.0], np.full(9, 10, dtype=np.int64))


def _positions() -> Positions:
    rows = []
    for d in range(16):
        for k in range(72):  # every 20 minutes
            h = k / 3
            if d in NIGHTS and h >= 20.0 or (d - 1) in NIGHTS and h < 8.0:
                if 20.0 <= h < 21.0 or 7.0 <= h < 8.0:
                    place = EDGE  # on the way in / out, still in coverage
                else:
                    continue  # in the hole: no fix
            else:
                place = TOWN
            rows.append((T0 + np.timedelta64(int(d * 86400 + h * 3600), "s"), place))
    n = len(rows)
    t = np.array([r[0] for r in rows], dtype="datetime64[s]")
    local_h = ((t - T0).astype(np.int64) % 86400) / 3600
    return Positions(
        identifier=np.full(n, "+52partner", dtype=object), t=t,
        lat=np.array([float(r[1][0]) for r in rows]), lon=np.array([float(r[1][1]) for r in rows]),
        acc_m=np.full(n, 150.0), fine=np.ones(n, dtype=bool), night=(local_h >= 21) | (local_h < 6),
        night_key=((t - T0).astype(np.int64) - 12 * 3600) // 86400,
        event_id=np.array([f"e{i}" for i in range(n)], dtype=object), source_id=np.full(n, "geo", dtype=object),
        tz_offset_s=np.full(n, -6 * 3600, dtype=np.int64))


def _ctx(pos: Positions, coverage: Coverage | None) -> EvidenceContext:
    z, o = np.zeros(0), np.zeros(0, dtype=object)
    return EvidenceContext(
        pos=pos, relevance={"+52partner": 1.0}, partner_share={"+52partner": 1.0},
        claims=Claims(z, z, z, z, o, o, o, o, np.zeros(0, dtype="datetime64[s]")),
        sights=Sightings(z, z, z, o, np.zeros(0, dtype=bool), o, o, np.zeros(0, dtype="datetime64[s]")),
        homes={"+52partner": (TOWN[0], TOWN[1], 600.0)}, as_of=T0 + np.timedelta64(16 * 86400, "s"),
        tower_lat=_coverage().lat, tower_lon=_coverage().lon, coverage=coverage, tz_offset_s=pos.tz_offset_s)


def test_her_silent_nights_point_into_the_hole_around_the_compound() -> None:
    spots = blind_spots(_ctx(_positions(), _coverage()))
    assert spots, "five silent nights by a coverage hole must give a blind spot"
    first = spots[0]
    assert first.nights == first.of_nights == len(NIGHTS)
    # the hole is ~3.5 km around the compound: its centre is near it, and it is small
    assert float(haversine_m(first.lat, first.lon, *COMPOUND)) < 2000.0
    assert first.radius_m < 6000.0 and first.area_km2 < 60.0


def test_without_known_coverage_or_with_one_silent_night_there_is_no_blind_spot() -> None:
    assert blind_spots(_ctx(_positions(), None)) == []
    pos = _positions()
    one = pos.take(pos.t < T0 + np.timedelta64(3 * 86400, "s"))  # only night 1 is silent
    assert blind_spots(_ctx(one, _coverage())) == []
