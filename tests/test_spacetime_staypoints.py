"""Stay points: the vectorised detector against a plain reference of the sliding rule."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from fusioncell.spacetime.geo import haversine_m
from fusioncell.spacetime.staypoints import StayParams, detect

US = 1_000_000


def reference_sliding(t_us: np.ndarray, lat: np.ndarray, lon: np.ndarray, dist_m: float, time_us: int,
                      gap_us: int) -> list[tuple[int, int, int, int]]:
    """Li et al. / trackintel sliding rule written as the obvious loop: (first, last, start, end)."""
    out = []
    start = 0
    for curr in range(1, t_us.size):
        if t_us[curr] - t_us[curr - 1] > gap_us:
            start = curr
            continue
        if haversine_m(lat[start], lon[start], lat[curr], lon[curr]) >= dist_m:
            if t_us[curr] - t_us[start] >= time_us:
                out.append((start, curr - 1, int(t_us[start]), int(t_us[curr])))
            start = curr
    return out


def random_track(rng: np.random.Generator, n: int, dwell: tuple[int, int] = (20, 60)
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Alternating dwell (jitter) and movement, with occasional gaps."""
    steps_s = rng.choice([5, 10, 30, 60], size=n) + rng.integers(0, 5, size=n)
    gaps = rng.random(n) < 0.01
    steps_s = np.where(gaps, rng.integers(600, 3600, size=n), steps_s)
    t = np.cumsum(steps_s) * US
    moving = (np.arange(n) // rng.integers(*dwell)) % 2 == 1
    v = np.where(moving, rng.uniform(0.0001, 0.0008, size=n), 0.0)
    heading = rng.uniform(0, 2 * np.pi)
    lat = 39.9 + np.cumsum(v * np.sin(heading)) + rng.normal(0, 0.0002, n)
    lon = 116.3 + np.cumsum(v * np.cos(heading)) + rng.normal(0, 0.0002, n)
    return t.astype(np.int64), lat, lon


@pytest.mark.parametrize("seed", range(8))
def test_vectorised_sliding_rule_matches_the_reference_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # odd seeds: long dwells (hundreds of fixes) that exercise the lazy chain resolution
    long_dwell = seed % 2 == 1
    t, lat, lon = random_track(rng, 6000 if long_dwell else 1500, (150, 400) if long_dwell else (20, 60))
    p = StayParams.trackintel(dist_threshold_m=100, time_threshold_min=5, gap_threshold_min=15)
    got = detect(np.zeros(t.size, dtype=np.int64), t, lat, lon, None, p)
    ref = reference_sliding(t, lat, lon, 100, 5 * 60 * US, 15 * 60 * US)
    assert len(ref) > 2
    assert list(zip(got["first"], got["last"], got["start_us"], got["end_us"])) == ref


def test_lazy_resolution_of_long_stays_matches_the_reference() -> None:
    """Force the lazy path (segments longer than the first scan) on a small track."""
    from fusioncell.spacetime import staypoints as sp

    rng = np.random.default_rng(11)
    t, lat, lon = random_track(rng, 4000, (150, 400))
    p = StayParams.trackintel(dist_threshold_m=100, time_threshold_min=5, gap_threshold_min=15)
    ident = np.zeros(t.size, dtype=np.int64)
    orig = sp._segment_ends

    def small_budget(*a: object, **k: object) -> object:
        k["max_offset"] = 3  # most segments stay unresolved after the first scan
        return orig(*a, **k)  # type: ignore[arg-type]

    sp._segment_ends = small_budget  # type: ignore[assignment]
    try:
        got = detect(ident, t, lat, lon, None, p)
    finally:
        sp._segment_ends = orig  # type: ignore[assignment]
    ref = reference_sliding(t, lat, lon, 100, 5 * 60 * US, 15 * 60 * US)
    assert len(ref) > 2
    assert list(zip(got["first"], got["last"], got["start_us"], got["end_us"])) == ref


def test_identifiers_never_share_a_stay() -> None:
    t = np.arange(20, dtype=np.int64) * 60 * US
    ident = np.array(["a"] * 10 + ["b"] * 10)
    lat = np.full(20, 10.0)
    lon = np.full(20, 10.0)
    p = StayParams(min_duration=timedelta(minutes=5), merge_gap=None)
    r = detect(ident, t, lat, lon, None, p)
    assert list(r["first"]) == [0, 10]
    assert list(r["last"]) == [9, 19]


def test_a_gap_at_one_spot_is_still_a_stay() -> None:
    # fixes at home, 6 h phone off, fixes at home again, then leaves
    t = np.r_[np.arange(5) * 600, 5 * 600 + 6 * 3600 + np.arange(5) * 600, 9e5].astype(np.int64) * US
    lat = np.r_[np.full(10, 20.0), 20.2]
    lon = np.full(11, -103.0)
    r = detect(np.zeros(11, dtype=np.int64), t, lat, lon, np.full(11, 50.0), StayParams())
    assert list(r["first"]) == [0] and list(r["last"]) == [9]
    assert r["max_gap_s"][0] >= 6 * 3600
    # trackintel's rule (15 min gap threshold) splits it: no stay spans the gap
    r2 = detect(np.zeros(11, dtype=np.int64), t, lat, lon, None, StayParams.trackintel())
    assert all(not (f < 5 <= l) for f, l in zip(r2["first"], r2["last"]))


def test_coarse_noise_does_not_shatter_a_stay() -> None:
    rng = np.random.default_rng(1)
    n = 60  # 10 h at 10-min fixes with 800 m accuracy
    acc = np.full(n, 800.0)
    sigma_deg = 800.0 / 1.51 / 111_000
    lat = 19.9 + rng.normal(0, sigma_deg, n)
    lon = -103.7 + rng.normal(0, sigma_deg, n)
    t = np.arange(n, dtype=np.int64) * 600 * US
    r = detect(np.zeros(n, dtype=np.int64), t, lat, lon, acc, StayParams())
    assert r["first"].size == 1 and r["n_fixes"][0] == n
    # without accuracy awareness the same fixes break into many pieces
    r0 = detect(np.zeros(n, dtype=np.int64), t, lat, lon, None, StayParams(z_accuracy=0.0, merge_gap=None))
    assert r0["first"].size != 1 or r0["n_fixes"][0] < n


def test_a_single_stray_fix_is_merged_away() -> None:
    n = 30
    lat = np.full(n, 19.0)
    lat[15] = 19.01  # one stray fix 1.1 km away
    t = np.arange(n, dtype=np.int64) * 600 * US
    r = detect(np.zeros(n, dtype=np.int64), t, lat, np.full(n, -99.0), np.full(n, 30.0), StayParams())
    assert r["first"].size == 1 and r["last"][0] == n - 1
    r_nomerge = detect(np.zeros(n, dtype=np.int64), t, lat, np.full(n, -99.0), np.full(n, 30.0),
                       StayParams(merge_gap=None))
    assert r_nomerge["first"].size == 2


def test_weighted_centre_trusts_the_accurate_fix() -> None:
    t = np.arange(3, dtype=np.int64) * 1200 * US
    lat = np.array([10.0, 10.001, 10.0])
    lon = np.zeros(3)
    acc = np.array([10.0, 1000.0, 10.0])
    r = detect(np.zeros(3, dtype=np.int64), t, lat, lon, acc, StayParams())
    assert abs(r["lat"][0] - 10.0) < 1e-6
