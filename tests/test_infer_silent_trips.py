"""Silent nights she went dark far from home, standing still at both ends (session 29, issue #12).

Clean-room simulator b locates a partner's handset about once an hour. Night after night her phone went
dark 3-7 km from his compound, 80 km from home, and came back on near it; no end had a heading (one fix an
hour gives none), so the trip counted for nothing, and a ranch 74 km off at a coverage edge took her
silences (54%, wrong). The ends of such a silence bound her trip: a place off the way between them asks
a detour she had no reason to drive (``silences.silent_trip_detour``).
"""

import numpy as np

from fusioncell.infer.evidence import Positions
from fusioncell.infer.features import FEATURES, Candidate, _homes, compute_features
from fusioncell.spacetime.coverage import Coverage
from fusioncell.spacetime.geo import metres_per_degree
from test_infer_features import HOME, _ctx, partner_fixes

KM_LAT = 1000.0 / metres_per_degree(HOME[0])[0]
KM_LON = 1000.0 / metres_per_degree(HOME[0])[1]
VILLAGE = (HOME[0] - 60 * KM_LAT, HOME[1])  # where she went dark, 60 km south of her flat
COMPOUND = (VILLAGE[0] - 4 * KM_LAT, VILLAGE[1] + 3 * KM_LON)  # 5 km from the village
RANCH = (VILLAGE[0], VILLAGE[1] - 70 * KM_LON)  # 70 km west of the village: reachable in the night, off her way
NIGHTS = [3, 7, 11, 15, 19, 23]


def _partner(step_s: int, dark_at_home: bool = False) -> Positions:
    """At home, a fix every ``step_s``; on ``NIGHTS`` at the village 18:00-21:30 and 07:30-09:00 local
    (standing still) and silent in between; ``dark_at_home``: silent the same hours, but at home."""
    n = 27 * 86400 // step_s
    k = np.arange(n)
    t = np.datetime64("2026-02-01T06:00:00", "s") + k * np.timedelta64(step_s, "s")  # from 00:00 local
    local_h = (k * step_s / 3600.0) % 24
    night_key = (k * step_s - 12 * 3600) // 86400  # the evening's date
    on_trip = np.isin(night_key, NIGHTS) & ((local_h >= 18) | (local_h < 9))
    silent = np.isin(night_key, NIGHTS) & ((local_h >= 21.5) | (local_h < 7.5))
    at_village = on_trip & ~silent & (not dark_at_home)
    rng = np.random.default_rng(29)
    lat = np.where(at_village, VILLAGE[0], HOME[0]) + rng.normal(0, 0.001, n)
    lon = np.where(at_village, VILLAGE[1], HOME[1]) + rng.normal(0, 0.001, n)
    return partner_fixes(t, lat, lon, local_h, night_key).take(~silent)


def _silent_reach(pos: Positions) -> np.ndarray:
    """``silent_reach`` at the compound and the ranch, everything under coverage (a switched-off phone)."""
    everywhere = Coverage(np.array([HOME[0]]), np.array([HOME[1]]), np.array([300_000.0]), np.array([0], dtype=np.int64))
    cands = [Candidate(*COMPOUND, "test"), Candidate(*RANCH, "test")]
    cs = compute_features(cands, _ctx(pos, {"+52partner": 1.0}, _homes(pos), coverage=everywhere))
    return cs.features[:, list(FEATURES).index("silent_reach")]


def test_an_hourly_phone_dark_far_from_home_points_at_the_place_beside_where_it_went_dark() -> None:
    f = _silent_reach(_partner(3600))
    # six nights, each a fit of ~0.2 (an end without a heading) x 0.84 (10 km of detour on a scale of 58 km:
    # the distance she can drive in one of her phone's hourly intervals), less with age
    assert f[0] > np.log1p(0.2), f
    assert f[1] < 0.15 * f[0], f  # 140 km off her way there and back: exp(-140/58) of the fit


def test_the_same_with_a_fix_every_20_minutes() -> None:
    f = _silent_reach(_partner(1200))
    # a phone located every 20 minutes went dark within 19 km of where it was last seen: the ranch is out
    assert f[0] > np.log1p(0.2) and f[1] < 0.01 * f[0], f


def test_a_phone_dark_at_home_is_asleep_and_points_nowhere() -> None:
    f = _silent_reach(_partner(3600, dark_at_home=True))
    assert np.all(f == 0.0), f
