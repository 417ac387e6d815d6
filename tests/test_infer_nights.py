"""Where a night was spent (fusioncell.infer.nights): the small hours decide; later nights elsewhere supersede.

The expected values come from the definition: a night-time fix counts as a
night at its place when its owner is still there at 01:00 (evening fixes) or
was already there at 04:00 (early-morning fixes), as the next or previous
fix shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from fusioncell.infer.nights import latest_night, moved_on, stayed_the_night, successors, superseded

TZ = timezone(timedelta(hours=-6))
HOME = (20.680, -103.360)
EVENING = (20.700, -103.340)  # ~3 km from home: her mother's flat
FAR = (20.350, -103.600)  # ~44 km: a compound


def _fixes(rows: list[tuple[str, int, float, tuple[float, float]]], acc: float = 100.0) -> dict[str, np.ndarray]:
    """rows: (identifier, day, local hour, place) -> the arrays stayed_the_night takes."""
    ts, nk, off, lat, lon, ident = [], [], [], [], [], []
    for who, day, hour, (la, lo) in rows:
        local = datetime(2026, 2, 2, tzinfo=TZ) + timedelta(days=day, hours=hour)
        ts.append(np.datetime64(local.astimezone(timezone.utc).replace(tzinfo=None), "s"))
        evening_of = (local - timedelta(hours=12)).date()
        nk.append((evening_of - datetime(1970, 1, 1).date()).days)
        off.append(-6 * 3600)
        lat.append(la)
        lon.append(lo)
        ident.append(who)
    hours = np.array([r[2] for r in rows]) % 24
    return {"identifier": np.array(ident, dtype=object), "t": np.array(ts, dtype="datetime64[s]"),
            "lat": np.array(lat), "lon": np.array(lon), "acc_m": np.full(len(rows), acc),
            "fine": np.ones(len(rows), dtype=bool), "night": (hours >= 21) | (hours < 6),
            "night_key": np.array(nk, dtype=np.int64), "tz_offset_s": np.array(off, dtype=np.int64)}


def test_an_evening_visit_she_left_before_one_is_not_a_night() -> None:
    # 21:00 and 21:40 at her mother's, then nothing until 07:00 at the far compound
    f = _fixes([("p", 0, 21.0, EVENING), ("p", 0, 21.67, EVENING), ("p", 1, 7.0, FAR)])
    assert stayed_the_night(**f).tolist() == [False, False, False]


def test_an_evening_fix_where_she_still_is_at_two_is_a_night() -> None:
    f = _fixes([("p", 0, 21.0, EVENING), ("p", 0, 23.0, EVENING), ("p", 1, 2.0, EVENING), ("p", 1, 5.5, EVENING)])
    assert stayed_the_night(**f).tolist() == [True, True, True, True]


def test_moving_on_at_half_past_ten_makes_only_the_second_place_the_night() -> None:
    f = _fixes([("p", 0, 21.0, EVENING), ("p", 0, 22.5, FAR), ("p", 1, 2.0, FAR), ("p", 1, 5.0, FAR)])
    assert stayed_the_night(**f).tolist() == [False, True, True, True]


def test_leaving_at_five_makes_the_next_morning_fix_not_a_night() -> None:
    # at the compound through the small hours; at 05:30 she is back near home
    f = _fixes([("p", 0, 23.0, FAR), ("p", 1, 3.0, FAR), ("p", 1, 5.5, HOME)])
    assert stayed_the_night(**f).tolist() == [True, True, False]


def test_a_silent_night_at_the_same_place_keeps_the_benefit_of_the_doubt() -> None:
    # phone off from 22:00 to 07:00, seen at the same flat before and after: she slept there
    f = _fixes([("p", 0, 21.5, EVENING), ("p", 1, 7.0, EVENING)])
    assert stayed_the_night(**f).tolist() == [True, False]  # 07:00 is not night-time at all


def test_the_end_of_the_data_keeps_the_benefit_of_the_doubt_and_people_are_separate() -> None:
    # p's last fix is an evening one; q's fixes at the far place must not count as p's next fix
    f = _fixes([("p", 0, 22.0, EVENING), ("q", 1, 2.0, FAR)])
    assert stayed_the_night(**f).tolist() == [True, True]


def test_the_last_evening_of_the_collection_is_a_night_nobody_observed() -> None:
    # the case's fixes end at midnight: her 21:30 and 22:40 fixes at the far place on the last evening say
    # where she was in the evening, not where she slept (01:00-04:00 is after the end of the data); the
    # evening before, whose small hours were collected, is a night (her next fix is at the same place)
    rows = [("p", 0, 21.5, FAR), ("p", 1, 21.5, FAR), ("p", 1, 22.67, FAR)]
    f = _fixes(rows)
    midnight = datetime(2026, 2, 2, tzinfo=TZ) + timedelta(days=2)
    end = int(midnight.timestamp()) - 60
    assert stayed_the_night(**f).tolist() == [True, True, True]  # without the end: the benefit of the doubt
    assert stayed_the_night(**f, collected_until_s=end).tolist() == [True, False, False]
    # collected past 04:00: the same evening is a night again (nothing later contradicts it)
    assert stayed_the_night(**f, collected_until_s=end + 5 * 3600).tolist() == [True, True, True]


def test_call_records_are_left_as_they_are() -> None:
    f = _fixes([("p", 0, 21.0, EVENING), ("p", 1, 7.0, FAR)])
    f["fine"] = np.array([False, True])
    assert stayed_the_night(**f).tolist() == [True, False]


def test_superseded_counts_nights_elsewhere_after_the_latest_night_here() -> None:
    # nights 1..6; place A on nights 1, 2, 3; place B on nights 4, 5; night 6 at neither (a third place)
    nk = np.array([1, 2, 3, 4, 5, 6])
    K = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 0]], dtype=float)
    out = superseded(K, nk, np.ones(6))
    assert out.tolist() == [3.0, 1.0]


def test_superseded_weighs_each_night_once_by_how_surely_the_phone_is_hers() -> None:
    # night 2 has two fixes, one of them at B; every fix is hers with probability 0.5
    nk = np.array([1, 2, 2, 3])
    K = np.array([[1, 0, 0, 0], [0, 0.8, 0, 0]], dtype=float)
    out = superseded(K, nk, np.full(4, 0.5))
    # A: nights 2 and 3 came after its night 1 (0.5 each); B: night 3 after its night 2
    assert out.tolist() == [1.0, 0.5]


def test_a_place_never_visited_at_night_has_nothing_to_supersede() -> None:
    assert superseded(np.zeros((1, 3)), np.array([1, 2, 3]), np.ones(3)).tolist() == [0.0]


def test_latest_night_is_where_she_slept_last_not_where_she_slept_most() -> None:
    # place A on nights 1..5, place B only on night 6: B holds her latest night, A none of it
    nk = np.array([1, 2, 3, 4, 5, 6])
    K = np.array([[1, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 1]], dtype=float)
    assert latest_night(K, nk, np.ones(6)).tolist() == [0.0, 1.0]


def test_latest_night_takes_the_best_fix_of_that_night_weighted_by_whose_phone() -> None:
    # night 2 has two fixes: one 0.4 at A on a phone surely hers, one 0.9 at B on a phone hers with p 0.5
    nk = np.array([1, 2, 2])
    K = np.array([[1.0, 0.4, 0.0], [0.0, 0.0, 0.9]])
    out = latest_night(K, nk, np.array([1.0, 1.0, 0.5]))
    assert np.allclose(out, [0.4, 0.45])
    assert latest_night(np.zeros((2, 0)), np.zeros(0, dtype=np.int64), np.zeros(0)).tolist() == [0.0, 0.0]


def _every_20_min(who: str, day: int, h0: float, h1: float, place: tuple[float, float]) -> list:
    return [(who, day, h0 + k / 3.0, place) for k in range(int((h1 - h0) * 3) + 1)]


def test_a_densely_tracked_phone_silent_through_the_small_hours_went_dark_and_slept_nowhere_known() -> None:
    # fixes every 20 minutes all day; at 22:00 she is at the road junction, then nothing until 06:40
    # back at the junction: she switched off on the way to somewhere (the compound is not the junction)
    rows = _every_20_min("p", 0, 12.0, 22.0, EVENING) + _every_20_min("p", 1, 6.67, 12.0, EVENING)
    f = _fixes(rows)
    out = stayed_the_night(**f)
    evening_rows = [i for i, r in enumerate(rows) if r[1] == 0 and r[2] >= 21.0]
    assert evening_rows and not out[evening_rows].any()


def test_a_densely_tracked_phone_reporting_through_the_small_hours_slept_there() -> None:
    rows = _every_20_min("p", 0, 12.0, 23.99, EVENING) + _every_20_min("p", 1, 0.0, 12.0, EVENING)
    f = _fixes(rows)
    out = stayed_the_night(**f)
    evening_rows = [i for i, r in enumerate(rows) if r[1] == 0 and r[2] >= 21.0]
    assert out[evening_rows].all()


def test_a_sparse_phone_keeps_the_benefit_of_the_doubt_across_a_quiet_night() -> None:
    # a handful of fixes a day: a quiet night is what such a phone does, not a sign of going dark
    rows = [("p", 0, 9.0, EVENING), ("p", 0, 15.0, EVENING), ("p", 0, 22.0, EVENING), ("p", 1, 7.0, EVENING)]
    assert stayed_the_night(**_fixes(rows)).tolist()[2] is True


def test_her_latest_night_is_her_latest_at_a_place_we_know_of() -> None:
    # nights 1 and 2 at places A and B (candidates); night 3 somewhere no candidate is (a tracked friend's
    # flat): it says nothing about where he is, so night 2 is her latest and B holds it, with every fix of
    # that night counted (A's 0.3 on night 2 too)
    nk = np.array([1, 2, 2, 3])
    K = np.array([[1.0, 0.3, 0.0, 0.1], [0.0, 0.0, 0.8, 0.0]])
    assert np.allclose(latest_night(K, nk, np.ones(4)), [0.3, 0.8])


def test_moved_on_counts_nights_at_other_places_against_her_habit() -> None:
    # here on nights 0, 3, 6, 9 (r = 3 / 12 a day); two nights since at another candidate, none before:
    # habit e = 0.5 / 12, each night multiplies the odds he left by (e + r) / e = 7
    K = np.array([[1.0, 1.0, 1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]])
    nk = np.array([0, 3, 6, 9, 10, 12])
    lr, seen = moved_on(K, nk, np.ones(6), np.ones(6, dtype=bool))
    assert np.allclose(lr, [2 * np.log(7.0), 0.0]) and np.allclose(seen, [5 / 6, 3 / 4])
    # the same, but she also slept at the other place on nights 4 and 7 (her habit): e = 2.5 / 12
    K2 = np.array([[1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0]])
    nk2 = np.array([0, 3, 4, 6, 7, 9, 10, 12])
    lr2, _ = moved_on(K2, nk2, np.ones(8), np.ones(8, dtype=bool))
    assert np.isclose(lr2[0], 2 * np.log1p(3.0 / 2.5))
    # switched-off trips (not located) lower how often her phone would show a new place
    _, seen3 = moved_on(K, nk, np.ones(6), np.array([True, False, False, False, True, True]))
    assert np.isclose(seen3[0], 2 / 6)


def test_successors_are_her_nights_elsewhere_after_her_last_night_at_a_place() -> None:
    K = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.9], [0.0, 1.0, 0.0, 0.0]])
    S = successors(K, np.array([1, 2, 5, 7]), np.array([1.0, 1.0, 1.0, 0.5]))
    # place 0 (two nights, last on 2): place 1 holds nights 5 and 7 (weights 1 and 0.5) after it;
    # place 2 has one night: no rhythm, no successors; the diagonal is 0
    assert np.allclose(S, [[0.0, 1.5, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
