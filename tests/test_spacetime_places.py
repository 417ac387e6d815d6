"""Places, labels, remote vs town, routines and anomalies on hand-built stores."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from fusioncell.spacetime import compute, places, visits, weekly_profile
from fusioncell.spacetime.places import cluster_points
from fusioncell.spacetime.synth import UTC, StoreBuilder

HOME = (20.00, -103.00)
WORK = (20.05, -103.00)
HIDEOUT = (20.30, -103.40)  # ~45 km away, nobody lives there

# 05:00 UTC is 23:00 local (America/Mexico_City, UTC-6) the evening before; Monday 2026-01-05 local.
D0 = datetime(2026, 1, 6, 5, 0, tzinfo=UTC)


def _routine_case(n_days: int = 14, hideout_nights: tuple[int, ...] = (10, 12)) -> StoreBuilder:
    b = StoreBuilder()
    for day in range(n_days):
        s = D0 + timedelta(days=day)
        where = HIDEOUT if day in hideout_nights else HOME
        b.dwell("+a", s, 8, *where, jitter_m=15, seed=day)  # night 23:00-07:00 local
        b.dwell("+a", s + timedelta(hours=10), 7, *WORK, seed=day)  # 09:00-16:00 local
        b.dwell("+b", s, 8, HOME[0] + 0.0003, HOME[1], seed=day)  # +b lives with +a (33 m)
    # a town: many other phones sleeping around the home
    rng = np.random.default_rng(0)
    for k in range(12):
        b.dwell(f"+t{k}", D0, 8, HOME[0] + rng.normal(0, 0.003), HOME[1] + rng.normal(0, 0.003), every_min=60)
    return b


def test_two_peoples_stays_at_one_compound_are_one_place() -> None:
    b = _routine_case()
    pl = places(b.store).to_pylist()
    home = [p for p in pl if p["precision"] == "fine"
            and abs(p["lat"] - HOME[0]) < 0.0005 and abs(p["lon"] - HOME[1]) < 0.0005]
    assert len(home) == 1
    assert set(home[0]["visitors"]) >= {"+a", "+b"}


def test_home_is_where_nights_are_and_work_where_weekdays_are() -> None:
    b = _routine_case()
    v = visits(b.store, ["+a"]).to_pylist()
    roles = {(round(r["lat"], 2), round(r["lon"], 2)): r["role"] for r in v}
    assert roles[(20.0, -103.0)] == "home"
    assert roles[(20.05, -103.0)] == "work"
    assert roles[(20.3, -103.4)] == "other"


def test_hideout_nights_are_new_overnight_away_and_remote() -> None:
    b = _routine_case()
    v = visits(b.store, ["+a"]).to_pylist()
    at_hideout = [r for r in v if abs(r["lat"] - HIDEOUT[0]) < 0.001]
    assert len(at_hideout) == 2
    assert all(r["overnight"] and r["overnight_away"] and r["anomaly"] for r in at_hideout)
    first = min(at_hideout, key=lambda r: r["start"])
    assert first["new_place"]
    assert all(r["outside_routine"] for r in at_hideout)
    pl = {p["place_id"]: p for p in places(b.store).to_pylist()}
    assert pl[first["place_id"]]["remote"] is True
    home_pid = next(r["place_id"] for r in v if r["role"] == "home")
    assert pl[home_pid]["remote"] is False
    # nights at home are routine, not anomalies
    assert not any(r["anomaly"] for r in v if r["role"] == "home")


def test_weekly_profile_puts_nights_at_home() -> None:
    b = _routine_case(n_days=21)  # every weekday slot seen three times, the hideout at most once
    _, _, vis = compute(b.store)
    prof = weekly_profile(b.store, vis, "+a").to_pylist()
    home_pid = next(r["place_id"] for r in vis.to_pylist() if r["identifier"] == "+a" and r["role"] == "home")
    at_3am = [r for r in prof if r["lhour"] == 3]
    assert at_3am and all(r["place_id"] == home_pid for r in at_3am)


def test_single_linkage_matches_a_networkx_reference() -> None:
    import networkx as nx

    from fusioncell.store import CaseStore

    from fusioncell.spacetime.geo import haversine_m

    rng = np.random.default_rng(3)
    lat = 19.9 + rng.uniform(0, 0.02, 300)
    lon = -103.7 + rng.uniform(0, 0.02, 300)
    acc = rng.uniform(0, 60, 300)
    labels = cluster_points(lat, lon, acc, 100.0, 250.0, CaseStore.memory())
    g = nx.Graph()
    g.add_nodes_from(range(300))
    d = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    lim = np.minimum(100.0 + np.hypot(acc[:, None], acc[None, :]), 250.0)
    for i, j in zip(*np.nonzero(np.triu(d <= lim * 0.999, 1))):
        g.add_edge(int(i), int(j))
    ref = sorted(sorted(c) for c in nx.connected_components(g))
    got: dict[int, list[int]] = {}
    for i, l in enumerate(labels):
        got.setdefault(int(l), []).append(i)
    # the projection differs from haversine by < 0.1 %: compare away from the edge
    assert abs(len(got) - len(ref)) <= 2


def test_derived_tables_are_cached_with_a_run_id() -> None:
    b = _routine_case(n_days=3, hideout_nights=())
    compute(b.store)
    runs = b.store.con.execute("SELECT count(*) FROM runs WHERE stage = 'spacetime'").fetchall()[0][0]
    compute(b.store)
    again = b.store.con.execute("SELECT count(*) FROM runs WHERE stage = 'spacetime'").fetchall()[0][0]
    assert runs == 1 and again == 1
    b.dwell("+a", D0 + timedelta(days=9), 2, *WORK)  # the case changed: recompute
    compute(b.store)
    assert b.store.con.execute("SELECT count(*) FROM runs WHERE stage = 'spacetime'").fetchall()[0][0] == 2


def test_weekly_profile_breaks_a_tie_between_places_by_place_id() -> None:
    import pyarrow as pa

    b = StoreBuilder(tz="UTC")
    mon1, mon2 = datetime(2026, 1, 5, 10, tzinfo=UTC), datetime(2026, 1, 12, 10, tzinfo=UTC)
    vis = pa.table({"visit_no": [0, 1], "identifier": ["+a", "+a"], "place_id": ["pl-0002", "pl-0001"],
                    "start": pa.array([mon1, mon2], pa.timestamp("us", tz="UTC")),
                    "end": pa.array([mon1 + timedelta(hours=2), mon2 + timedelta(hours=2)],
                                    pa.timestamp("us", tz="UTC"))})
    prof = weekly_profile(b.store, vis, "+a").to_pylist()
    # Monday 10:00 and 11:00 (12:00 has no second of presence): one week at each place, the lesser id wins
    assert [(r["ldow"], r["lhour"], r["place_id"], r["share"]) for r in prof] == [
        (1, 10, "pl-0001", 0.5), (1, 11, "pl-0001", 0.5)]
