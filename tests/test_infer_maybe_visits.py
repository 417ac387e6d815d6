"""Her visits to a place do not stop while her switched-off trips keep heading for it (session 32, issue #12).

Clean-room simulator b, normal-16: she slept at his ranch twice with her phone on, then on every later visit
switched it off 17-43 km short of it, her heading true to within 20 degrees. ``silent_reach`` reads a phone that
goes dark a few km short (our simulator: 3-13 km), so those trips fitted nothing; the ranch read "visits stopped
20 days ago" (``overdue`` -1.94, ``staleness`` -0.88) and fell to rank 20. A trip that heads for a place she used
to visit may have been a visit: it keeps the place's rhythm and recency (``features._maybe_visits``), and gives
no score or window of its own.

The scene: her flat at ``HOME``, his compound 60 km south; two nights there with the phone on (days 3 and 7),
then four trips (days 11-23) on which it goes dark 24 km short, heading south, and comes back on there heading
north. The same trips driven east instead are the control: they say nothing about the compound.
"""

import numpy as np

from fusioncell.infer.evidence import Positions
from fusioncell.infer.features import FEATURES, Candidate, _homes, compute_features
from fusioncell.spacetime.coverage import Coverage
from fusioncell.spacetime.geo import metres_per_degree
from test_infer_features import HOME, _ctx, partner_fixes

KM_LAT = 1000.0 / metres_per_degree(HOME[0])[0]
KM_LON = 1000.0 / metres_per_degree(HOME[0])[1]
COMPOUND = (HOME[0] - 60 * KM_LAT, HOME[1])
LOCATED, TRIPS = [3, 7], [11, 15, 19, 23]


def _partner(east: bool) -> Positions:
    """A fix every 20 minutes; on ``LOCATED`` nights at the compound 21:00-07:00; on ``TRIPS`` driving 60 km/h
    from 19:00 (south, or east), dark from 19:36 (36 km out) to 06:24 (back on, driving home)."""
    step = 1200
    k = np.arange(27 * 86400 // step)
    t = np.datetime64("2026-02-01T06:00:00", "s") + k * np.timedelta64(step, "s")  # from 00:00 local
    local_h = (k * step / 3600.0) % 24
    night_key = (k * step - 12 * 3600) // 86400  # the evening's date
    lat, lon = np.full(k.size, HOME[0]), np.full(k.size, HOME[1])
    there = np.isin(night_key, LOCATED) & ((local_h >= 21) | (local_h < 7))
    lat = np.where(there, COMPOUND[0], lat)
    trip = np.isin(night_key, TRIPS)
    out = np.where(trip & (local_h >= 19) & (local_h < 19.6), (local_h - 19) * 60.0, 0.0)  # km driven, evening
    back = np.where(trip & (local_h >= 6.4) & (local_h < 7), (7 - local_h) * 60.0, 0.0)  # km from home, morning
    km = out + back
    if east:
        lon = lon + km * KM_LON
    else:
        lat = lat - km * KM_LAT
    dark = trip & ((local_h >= 19.6) | (local_h < 6.4))
    epoch_day = int(np.datetime64("2026-02-01", "D").astype(np.int64))  # night keys are days since 1970, as stored
    return partner_fixes(t, lat, lon, local_h, night_key + epoch_day).take(~dark)


def _features(east: bool) -> dict[str, float]:
    pos = _partner(east)
    everywhere = Coverage(np.array([HOME[0]]), np.array([HOME[1]]), np.array([300_000.0]), np.array([0], dtype=np.int64))
    cs = compute_features([Candidate(*COMPOUND, "test")], _ctx(pos, {"+52partner": 1.0}, _homes(pos), coverage=everywhere))
    out = {f: float(cs.features[0, list(FEATURES).index(f)]) for f in ("overdue", "staleness", "silent_reach")}
    return out | {"trips": float(cs.headed_trips[0]), "days": float(cs.headed_days[0])}


def test_trips_heading_for_the_compound_keep_its_visits_going() -> None:
    south, east = _features(east=False), _features(east=True)
    # east: two nights, then 20 days of nothing on a 4-day rhythm: he probably left
    assert east["overdue"] > 1.0 and east["staleness"] > 0.0, east
    # south: her trips kept heading there (dark 25 km short, farther than silent_reach reads): no gap, not stale
    assert south["overdue"] < 0.25 * east["overdue"], (south, east)
    assert south["staleness"] == 0.0, south
    # and the trips add no evidence of their own: silent_reach reads them no better than before
    assert south["silent_reach"] < 0.1, south


def test_the_evidence_chain_names_the_trips_that_kept_the_rhythm() -> None:
    south, east = _features(east=False), _features(east=True)
    # four trips after her latest night there (day 7); the latest ends with her first fix back on, 06:40 local on
    # 25 February (12:40 UTC), 2 days 23 h 20 min before the end of the data (T_END, 28 February 12:00 UTC)
    assert south["trips"] == 4.0 and abs(south["days"] - (2 + 23 / 24 + 20 / 1440)) < 1e-6, south
    assert east["trips"] == 0.0 and np.isnan(east["days"]), east


def test_locate_text_says_her_visits_may_have_gone_on_unseen() -> None:
    from fusioncell.infer.locate import render_text

    h = {"rank": 1, "lat": 20.0, "lon": -103.3, "radius_m": 150, "probability": 0.31, "label": "remote site",
         "evidence": [], "windows": [], "support": {"trips_heading_here": {"trips": 4, "days_since_latest": 4.7}}}
    text = render_text({"case": "c", "target": "t", "as_of": "2026-02-28T06:00-06:00", "hypotheses": [h],
                        "elsewhere": 0.69})
    assert ("since her latest night here her phone went dark heading this way on 4 trip(s), the latest 5 days "
            "before the end: her visits may have gone on unseen") in text, text
