"""Dark spots (fusioncell.infer.darkspots): where her phone goes dark on the way, under coverage.

The scene is built from geometry, everything under coverage: she lives in town, 33 km north of the compound.
On her nights with him she drives south at road speed, her phone fixed every 10 minutes, and switches it off
4 km short of the compound; in the morning she switches it on 3 km north of it, driving home. Nothing else of
the case is anywhere near the compound (no fix, sighting or claim): the model's candidates cannot hold it.
"""

from __future__ import annotations

import numpy as np

from fusioncell.infer.darkspots import dark_spots
from fusioncell.infer.evidence import Claims, Positions, Sightings
from fusioncell.infer.features import EvidenceContext
from fusioncell.spacetime.geo import LocalGrid, haversine_m

COMPOUND = (20.300, -103.300)
GRID = LocalGrid(COMPOUND[0], COMPOUND[1], 1000.0)
TOWN = GRID.latlon(0.0, 33000.0)
T0 = np.datetime64("2026-02-02T06:00:00", "s")  # local midnight at UTC-6
SPEED = 16.0  # m/s
NIGHTS = [1, 4, 7, 10]


def _at(y: float) -> tuple[float, float]:
    lat, lon = GRID.latlon(0.0, y)
    return float(lat), float(lon)


def _rows(nights: list[int], still: bool = False) -> list[tuple[np.datetime64, tuple[float, float]]]:
    """Her fixes: at home every 20 minutes; on ``nights`` a drive south from 19:00 (off 4 km short of the
    compound) and back from 07:00 (on 3 km north of it), home by 07:30. ``still``: she stays home and switches
    the phone off from 19:00 to 07:30 instead (asleep, not a trip)."""
    def at(hours: float) -> np.datetime64:  # hours since local midnight of day 0
        return T0 + np.timedelta64(int(round(hours * 3600)), "s")

    away = [(24.0 * d + 19.0, 24.0 * d + 31.5) for d in nights]  # [19:00, 07:30 next day): not at home
    rows = [(at(h), (float(TOWN[0]), float(TOWN[1]))) for h in np.arange(0.0, 24.0 * 14, 1 / 3)
            if not any(lo <= h < hi for lo, hi in away)]
    if not still:
        for d in nights:
            rows += [(at(24.0 * d + 19.0 + k / 6), _at(33000.0 - SPEED * 600 * k)) for k in range(4)]  # to 4.2 km
            rows += [(at(24.0 * d + 31.0 + k / 6), _at(3000.0 + SPEED * 600 * k)) for k in range(3)]
    rows.sort(key=lambda r: r[0])
    return rows


def _positions(nights: list[int], still: bool = False) -> Positions:
    rows = _rows(nights, still)
    n = len(rows)
    t = np.array([r[0] for r in rows], dtype="datetime64[s]")
    local_h = ((t - T0).astype(np.int64) % 86400) / 3600
    return Positions(
        identifier=np.full(n, "+52partner", dtype=object), t=t,
        lat=np.array([r[1][0] for r in rows]), lon=np.array([r[1][1] for r in rows]),
        acc_m=np.full(n, 50.0), fine=np.ones(n, dtype=bool), night=(local_h >= 21) | (local_h < 6),
        night_key=((t - T0).astype(np.int64) - 12 * 3600) // 86400,
        event_id=np.array([f"e{i}" for i in range(n)], dtype=object), source_id=np.full(n, "geo", dtype=object),
        tz_offset_s=np.full(n, -6 * 3600, dtype=np.int64))


def _ctx(pos: Positions) -> EvidenceContext:
    z, o = np.zeros(0), np.zeros(0, dtype=object)
    return EvidenceContext(
        pos=pos, relevance={"+52partner": 1.0}, partner_share={"+52partner": 1.0},
        claims=Claims(z, z, z, z, o, o, o, o, np.zeros(0, dtype="datetime64[s]")),
        sights=Sightings(z, z, z, o, np.zeros(0, dtype=bool), o, o, np.zeros(0, dtype="datetime64[s]")),
        homes={"+52partner": (float(TOWN[0]), float(TOWN[1]), 600.0)}, as_of=T0 + np.timedelta64(14 * 86400, "s"),
        tower_lat=z, tower_lon=z, tz_offset_s=pos.tz_offset_s)


def test_her_trips_with_the_phone_off_point_at_the_compound() -> None:
    spots = dark_spots(_ctx(_positions(NIGHTS)))
    assert len(spots) == 1
    s = spots[0]
    assert s.trips == s.of_trips == len(NIGHTS)
    d = float(haversine_m(s.lat, s.lon, *COMPOUND))
    # ahead of where she went dark and behind where she came back: south of both ends, the compound inside
    assert GRID.xy(s.lat, s.lon)[1] < 3000.0
    # one road in and out: the spot runs on past the compound (how far short she goes dark is a guess), yet
    # holds it, ~5 km wide
    assert d <= s.radius_m < 6000.0
    assert s.last_night == np.datetime64("2026-02-13T13:00:00", "s")  # 07:00 local after night 10: back on


def test_one_trip_or_a_phone_off_in_bed_gives_no_spot() -> None:
    assert dark_spots(_ctx(_positions(NIGHTS[:1]))) == []  # one trip's rays cross anywhere along its road
    assert dark_spots(_ctx(_positions(NIGHTS, still=True))) == []  # silent at home: asleep, not a trip


def test_after_a_move_the_latest_trips_come_first() -> None:
    # two trips to the compound, then two to a new house 20 km west: both are spots, the new one first
    pos = _positions(NIGHTS)
    late = pos.t >= T0 + np.timedelta64(6 * 86400 + 12 * 3600, "s")
    shift = GRID.latlon(-20000.0, 0.0)
    pos.lon[late] += float(shift[1]) - COMPOUND[1]  # her whole life moves west with him: town and roads alike
    spots = dark_spots(_ctx(pos))
    assert len(spots) == 2
    new, old = spots
    assert float(haversine_m(new.lat, new.lon, COMPOUND[0], float(shift[1]))) <= new.radius_m
    assert float(haversine_m(old.lat, old.lon, *COMPOUND)) <= old.radius_m
    assert new.trips == old.trips == 2 and new.last_night > old.last_night


def test_locate_text_names_the_dark_spot_and_the_listed_places_inside_it() -> None:
    from fusioncell.infer.locate import _dark_lines

    result = {"hypotheses": [{"rank": 1, "probability": 0.12}, {"rank": 2, "probability": 0.03}],
              "dark_spots": [{"lat": 20.2556, "lon": -103.3, "radius_m": 5600, "silent_trips": 4, "of_silent_trips": 5,
                              "last_night": "2026-02-13T07:00-06:00", "places": [2]},
                             {"lat": 20.1, "lon": -103.5, "radius_m": 4000, "silent_trips": 2, "of_silent_trips": 5,
                              "last_night": "2026-02-05T07:00-06:00", "places": []}]}
    text = "\n".join(_dark_lines(result))
    assert "1. 20.2556, -103.3000 within 5.6 km — 4 of her 5 silent trips point here" in text
    assert "listed places inside it: place 2 (3%)" in text
    assert "no listed place lies inside it" in text  # the second: nothing else the case holds was seen there
    assert _dark_lines({"hypotheses": [], "dark_spots": []}) == []
