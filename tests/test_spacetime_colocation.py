"""Co-locations, meetings and going dark on hand-built stores; Spark parity of the join."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from fusioncell.spacetime import ColocationParams, colocations, dark_intervals, meetings
from fusioncell.spacetime.colocation import HALF_OFFSETS
from fusioncell.spacetime.geo import haversine_m, p_within
from fusioncell.spacetime.synth import UTC, StoreBuilder

S = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)


def test_half_neighbourhood_covers_every_cell_pair_once() -> None:
    full = {(dx, dy, dt) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dt in (-1, 0, 1)}
    half = set(HALF_OFFSETS)
    assert (0, 0, 0) in half and len(half) == 14
    assert half | {(-a, -b, -c) for a, b, c in half} == full


def test_p_within_agrees_with_monte_carlo() -> None:
    rng = np.random.default_rng(0)
    for d, sa, sb, r in [(0, 10, 10, 50), (100, 300, 300, 100), (30, 10, 10, 50), (500, 200, 50, 100)]:
        s = np.hypot(sa, sb) / 1.5096
        x = rng.normal(d, s, 200_000)
        y = rng.normal(0, s, 200_000)
        assert abs(float(p_within(d, sa, sb, r)[0]) - np.mean(np.hypot(x, y) <= r)) < 0.01


def _meeting_case() -> StoreBuilder:
    b = StoreBuilder()
    b.dwell("+a", S, 2, 20.0, -103.0, every_min=10)
    b.dwell("+b", S + timedelta(minutes=3), 1.5, 20.0003, -103.0, every_min=15)  # 33 m away
    b.dwell("+c", S, 2, 20.1, -103.0)  # 11 km away
    b.dwell("+e", S + timedelta(hours=5), 2, 20.0, -103.0)  # same spot, other time
    b.call("+d", "+x", S + timedelta(minutes=30), caller_pos=(20.001, -103.0))
    b.sighting("plate:ABC1", S + timedelta(minutes=40), 20.0001, -103.0)
    return b


def brute_force_pairs(b: StoreBuilder, max_dist_m: float, max_dt_s: float) -> set[tuple[str, str]]:
    """Every pair of observations of different identifiers within the thresholds, by the obvious double loop."""
    from fusioncell.spacetime.positions import positions

    pos = positions(b.store).to_pylist()
    out = set()
    for i, p in enumerate(pos):
        for q in pos[i + 1:]:
            if p["identifier"] == q["identifier"] or (p["precision"] == "coarse" and q["precision"] == "coarse"):
                continue
            if abs((p["t"] - q["t"]).total_seconds()) > max_dt_s:
                continue
            if float(haversine_m(p["lat"], p["lon"], q["lat"], q["lon"])) > max_dist_m:
                continue
            out.add(tuple(sorted((p["event_id"], q["event_id"]))))
    return out


def test_colocation_join_finds_exactly_the_brute_force_pairs() -> None:
    b = _meeting_case()
    params = ColocationParams(gate_z=1e6)  # no accuracy gate: compare the join itself
    hits = colocations(b.store, params=params)
    got = {tuple(sorted(p)) for p in zip(hits.column("event_a").to_pylist(), hits.column("event_b").to_pylist())}
    assert got == brute_force_pairs(b, params.max_dist_m, params.max_dt_s)
    assert len(got) > 10


def test_a_lasting_close_co_location_is_a_meeting_and_a_distant_one_is_not() -> None:
    b = _meeting_case()
    m = meetings(b.store).to_pylist()
    pairs = {(r["id_a"], r["id_b"]) for r in m}
    assert ("+a", "+b") in pairs
    ab = next(r for r in m if (r["id_a"], r["id_b"]) == ("+a", "+b"))
    assert ab["p"] > 0.95 and ab["precision"] == "fine"
    assert not any("+c" in p for p in pairs)
    assert not any("+e" in p for p in pairs)  # same place, five hours later
    # one call record or one plate sighting next to a phone is a co-location, not a meeting
    assert not any("+d" in p or "plate:ABC1" in p for p in pairs)
    hits = colocations(b.store).to_pylist()
    assert any(h["id_b"] == "plate:ABC1" and h["p"] > 0.5 for h in hits)
    coarse = [h for h in hits if "cell" in (h["kind_a"], h["kind_b"])]
    assert coarse and all(h["p"] < 0.05 for h in coarse)  # a cell site cannot place anyone within 100 m


def test_imprecise_fixes_need_more_evidence_for_the_same_meeting_probability() -> None:
    def p_of(acc: float) -> float:
        b = StoreBuilder()
        b.dwell("+a", S, 1, 20.0, -103.0, every_min=10, accuracy_m=acc)
        b.dwell("+b", S + timedelta(minutes=2), 1, 20.0, -103.0, every_min=10, accuracy_m=acc)
        m = meetings(b.store, params=ColocationParams(min_meeting_p=0.0)).to_pylist()
        return float(m[0]["p"])

    assert p_of(20.0) > p_of(400.0)


def test_going_dark_finds_the_silence_and_where_it_began() -> None:
    b = StoreBuilder()
    d0 = datetime(2026, 1, 5, tzinfo=UTC)
    b.dwell("+a", d0, 72, 20.0, -103.0, every_min=15)
    b.dwell("+a", d0 + timedelta(hours=78), 72, 20.0, -103.0, every_min=15)  # 6 h off at home
    b.dwell("+a", d0 + timedelta(hours=156), 72, 20.2, -103.0, every_min=15)  # 6 h off, reappears 22 km away
    dk = dark_intervals(b.store).to_pylist()
    assert len(dk) == 2
    assert all(abs(r["duration_s"] - 6 * 3600) < 1 for r in dk)
    assert dk[0]["last_kind"] == "fix" and abs(dk[0]["last_lat"] - 20.0) < 1e-9
    assert dk[1]["moved_m"] > 20_000 and dk[0]["moved_m"] < 1
    assert dk[0]["n_repeat"] == 1  # both spells began at the same spot
    assert all(r["expected_events"] > 20 for r in dk)


def test_night_silence_of_a_phone_that_never_calls_at_night_is_not_dark() -> None:
    b = StoreBuilder(tz="UTC")
    d0 = datetime(2026, 1, 5, tzinfo=UTC)
    for day in range(10):
        for h in range(8, 22):  # calls every hour 08-22, silent every night
            b.call("+a", "+z", d0 + timedelta(days=day, hours=h))
    assert dark_intervals(b.store, ["+a"]).num_rows == 0


@pytest.mark.spark
@pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")  # ibis' pyspark backend, pandas 3
def test_spark_finds_the_same_co_location_pairs_as_duckdb() -> None:
    from fusioncell.store.engine import SparkEngine

    b = _meeting_case()
    duck = colocations(b.store)
    eng = SparkEngine.local(b.store.con)
    spark = colocations(b.store, engine=eng)
    key = ["id_a", "id_b", "event_a", "event_b"]
    assert sorted(zip(*[duck.column(k).to_pylist() for k in key])) == \
        sorted(zip(*[spark.column(k).to_pylist() for k in key]))
    assert duck.num_rows > 10


def test_going_dark_takes_the_last_fix_before_and_the_first_after_by_event_id_at_one_instant() -> None:
    b = StoreBuilder()
    d0 = datetime(2026, 1, 5, tzinfo=UTC)
    b.dwell("+a", d0, 72, 20.0, -103.0, every_min=15)  # loc-1 .. loc-289, the last at d0 + 72 h
    b.fixes("+a", [d0 + timedelta(hours=72)], np.array([20.01]), np.array([-103.0]))  # loc-290, same instant
    b.fixes("+a", [d0 + timedelta(hours=78)], np.array([20.02]), np.array([-103.0]))  # loc-291
    b.dwell("+a", d0 + timedelta(hours=78), 72, 20.0, -103.0, every_min=15)  # from loc-292, same instant
    dk = dark_intervals(b.store).to_pylist()
    assert len(dk) == 1
    assert (dk[0]["last_event_id"], dk[0]["last_lat"]) == ("loc-290", 20.01)  # loc-290 > loc-289
    assert (dk[0]["next_event_id"], dk[0]["next_lat"]) == ("loc-291", 20.02)  # loc-291 < loc-292
