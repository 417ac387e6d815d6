"""The query layer: every moved stage gives the same rows on DuckDB and on Spark.

A small simulated case (50 people, 3 days) is ingested once; one copy of the
store runs on DuckDB, the other with ``use_engine(spark local[2])``, and each
moved stage (stays, meetings, sighted meetings, ties at both levels, the
close circle, shown identifiers) is compared row by row: exact for keys,
counts and lists, within 1e-9 for scores.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pytest

from fusioncell.store import CaseStore, plans
from fusioncell.store.engine import EngineSettings

ROOT = Path(__file__).resolve().parents[1] / "fusioncell"


def same_rows(a: pa.Table, b: pa.Table, drop: tuple[str, ...] = ("run_id",)) -> None:
    """The two tables hold the same rows in the same order (floats within 1e-9)."""
    cols = [c for c in a.column_names if c not in drop]
    assert cols == [c for c in b.column_names if c not in drop]
    ra, rb = a.select(cols).to_pylist(), b.select(cols).to_pylist()
    assert len(ra) == len(rb)
    for x, y in zip(ra, rb):
        for c in cols:
            assert _close(x[c], y[c]), (c, x[c], y[c], x)


def _close(u: Any, v: Any) -> bool:
    if isinstance(u, float) and isinstance(v, float):
        return (math.isnan(u) and math.isnan(v)) or math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(u, list) and isinstance(v, list):
        return len(u) == len(v) and all(_close(p, q) for p, q in zip(u, v))
    if isinstance(u, dict) and isinstance(v, dict):
        return u.keys() == v.keys() and all(_close(u[k], v[k]) for k in u)
    return bool(u == v)


# -- the layer itself (no Spark needed) -----------------------------------------------

@pytest.mark.parametrize("name", plans.names())
def test_every_plan_renders_for_spark_without_duckdb_only_syntax(name: str) -> None:
    params = _render_params(name)
    inputs = {"towers": "t", "coarse": "c", "fine": "f", "visits": "v", "foci": "fo", "mine": "mi", "places": "pl",
              "pts": "pt", "roles": "ro", "nodes": "no"}
    spark = plans.render(name, plans.SPARK, inputs=inputs, **params)
    duck = plans.render(name, plans.DUCKDB, inputs=inputs, **params)
    for duckdb_only in ("::", r"\bQUALIFY\b", r"\bEXCLUDE\b", r"\bepoch\(", r"\blist\(", r"\blambda\b",
                        r"\bproduct\(", "json_extract", "regexp_matches", "arg_max", "AT TIME ZONE", '"'):
        assert not re.search(duckdb_only, spark), (name, duckdb_only)
    assert "`" not in duck and "unix_micros" not in duck and "collect_" not in duck


def _render_params(name: str) -> dict[str, Any]:
    from fusioncell.model.grading import P_TRUE
    from fusioncell.network import layers as lay
    from fusioncell.network import ties as t

    common: dict[str, Any] = {
        "positions.all": {"identifiers": ["+5213"], "kinds": ("fix", "cell", "sighting"),
                          "default_fix_accuracy_m": 100.0, "sighting_accuracy_m": 50.0},
        "sighted.pairs": {"max_dt_s": 900.0, "max_dist_m": 150.0},
        "sighted.meetings": {"ids": ["a"], "max_dt_s": 900.0, "max_dist_m": 150.0},
        "network.edges": {"run_id": "r", "tz": "America/Mexico_City", "level": "person", "night_from_h": 22,
                          "night_to_h": 6, "salt": 4, "day0": "2026-01-05"},
        "network.day_span": {"tz": "America/Mexico_City"},
        "network.ties": {"run_id": "r", "level": "person", "tz": "America/Mexico_City", "edges": "_e",
                         "labels": t.LABELS, "coef": t.COEF,
                         "features": t.FEATURES, "grades": P_TRUE, "claim_labels": t.CLAIM_LABELS,
                         "bonus": t.CLAIM_BONUS, "words": t.RELATION_WORDS, "ftm_p": t.FTM_P,
                         "claim_strength": t.CLAIM_STRENGTH, "meeting_strength": t.MEETING_STRENGTH,
                         "vehicle_strength": t.VEHICLE_STRENGTH, "place_strength": t.PLACE_STRENGTH,
                         "hub_min_contacts": 200, "hub_factor": 20, "hub_weight": 0.1, "meet_dt_s": 900.0,
                         "meet_dist_m": 150.0, "owner_p": lay.OWNER_P, "vehicle_max_users": lay.VEHICLE_MAX_USERS,
                         "place_max_visitors": lay.PLACE_MAX_VISITORS, "place_days": lay.PLACE_DAYS},
        "network.circles": {"k": 5},
        "network.shown_identifiers": {"only": True},
        "pattern.visit_flags": {"tz": "America/Mexico_City", "baseline_days": 3.0, "routine_min_share": 0.25,
                                "min_days": 4, "slot_min_s": 900.0},
        "pattern.weekly": {"tz": "America/Mexico_City", "identifier": "+5213", "slot_min_s": 900.0},
        "pattern.dark": {"ids": ["+5213"], "tz": "America/Mexico_City", "kinds": ("fix", "cell", "sighting"),
                         "min_gap_s": 2700.0, "min_events": 20, "min_expected": 4.0,
                         "default_fix_accuracy_m": 100.0, "sighting_accuracy_m": 50.0},
        "pattern.counts": {"identifier": "+5213"},
        "resolve.burner_pairs": {"run_id": "r", "p": _burner_params()},
        "resolve.burner_ends": {"p": _burner_params()},
        "resolve.activity": {"run_id": "r"},
        "resolve.activity_delivered": {"run_id": "r"},
        # places (scale5)
        "places.links": {"link_m": 100.0, "max_link_m": 400.0},
        "places.per_visit": {"tz": "America/Mexico_City", "night_hours": (22, 23, 0), "work_hours": (9, 10)},
        "places.roles": {"tz": "America/Mexico_City", "night_hours": (22, 23, 0), "work_hours": (9, 10),
                         "min_home_nights": 2, "min_work_days": 3},
        "places.towns": {"tz": "America/Mexico_City", "night_hours": (22, 23), "lat0": 20.0, "lon0": -103.0,
                         "kx": 104000.0, "ky": 111000.0, "cell_m": 2000.0, "m_lat": 111000.0, "m_lon": 104000.0,
                         "town_min_ids": 10, "town_rel": 0.25,
                         "positions": {"identifiers": None, "kinds": ("fix", "cell", "sighting"),
                                       "default_fix_accuracy_m": 100.0, "sighting_accuracy_m": 50.0}},
    }
    return common.get(name, {})


def _burner_params() -> Any:
    from fusioncell.resolve.burner import BurnerParams

    return BurnerParams()


def test_moved_stages_hold_no_sql_of_their_own() -> None:
    # the stages ask for plans by name; their SQL lives in fusioncell/store/plans/
    for mod in ("spacetime/staypoints.py", "spacetime/sighted.py", "network/ties.py", "network/edges.py",
                "spacetime/places.py"):
        text = (ROOT / mod).read_text(encoding="utf-8")
        assert not re.search(r"\bSELECT\b", text), mod


def test_a_spark_literal_keeps_a_backslash_and_a_quote() -> None:
    assert plans.SPARK.lit("a\\b'c") == "'a\\\\b''c'"
    assert plans.DUCKDB.lit("a\\b'c") == "'a\\b''c'"


def test_round_to_is_half_up_on_both_dialects() -> None:
    import duckdb

    con = duckdb.connect()
    x = 19.123455  # binary 19.12345499999...: round() of DuckDB and of Spark disagree on such halves
    got = con.execute(f"SELECT {plans.DUCKDB.round_to(repr(x), 5)}").fetchall()[0][0]
    assert got == math.floor(x * 100000.0 + 0.5) / 100000.0


# -- the moved stages on both engines -------------------------------------------------

@pytest.fixture(scope="module")
def sim_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CaseStore, CaseStore]]:
    pytest.importorskip("pyspark")
    from fusioncell.ingest import ingest_case
    from fusioncell.sim import simulate

    root = tmp_path_factory.mktemp("parity")
    folder = root / "case"
    simulate(folder, seed=5, scale=50, days=3)
    with CaseStore.open(root / "duck.duckdb", folder=folder) as cs:
        ingest_case(folder, cs, quiet=True)
    shutil.copy(root / "duck.duckdb", root / "spark.duckdb")
    duck = CaseStore.open(root / "duck.duckdb")
    spark = CaseStore.open(root / "spark.duckdb").use_engine(EngineSettings("spark", "local[2]"))
    yield duck, spark
    duck.close()
    spark.close()


def _ran_on_spark(store: CaseStore) -> int:
    eng = store.engine()
    assert eng.name == "spark"
    return int(eng.queries)


@pytest.mark.spark
def test_stays_are_the_same_on_both_engines(sim_stores: tuple[CaseStore, CaseStore]) -> None:
    from fusioncell.spacetime.staypoints import stay_points

    duck, spark = sim_stores
    before = _ran_on_spark(spark)
    want = stay_points(duck)
    got = stay_points(spark)
    assert _ran_on_spark(spark) > before
    assert want.num_rows > 20 and set(want.column("precision").to_pylist()) == {"fine", "coarse"}
    same_rows(want, got)


@pytest.mark.spark
def test_meetings_are_the_same_on_both_engines(sim_stores: tuple[CaseStore, CaseStore]) -> None:
    from fusioncell.spacetime.colocation import ColocationParams, colocations, meetings

    duck, spark = sim_stores
    params = ColocationParams(min_meeting_p=0.0)
    hits = colocations(duck, None, params)
    assert hits.num_rows > 0
    same_rows(hits, colocations(spark, None, params))
    same_rows(meetings(duck, None, params), meetings(spark, None, params))


@pytest.mark.spark
def test_sighted_meetings_are_the_same_on_both_engines(sim_stores: tuple[CaseStore, CaseStore]) -> None:
    from fusioncell.spacetime.sighted import sighted_meetings

    duck, spark = sim_stores
    # a wider net than the default, so this small case has pairs to compare
    want = sighted_meetings(duck, None, max_dt_s=6 * 3600, max_dist_m=20_000)
    assert want.num_rows > 0
    same_rows(want, sighted_meetings(spark, None, max_dt_s=6 * 3600, max_dist_m=20_000))


@pytest.mark.spark
@pytest.mark.parametrize("level", ["person", "identifier"])
def test_ties_are_the_same_on_both_engines(sim_stores: tuple[CaseStore, CaseStore], level: str) -> None:
    from fusioncell.network.ties import TABLES, build_ties

    duck, spark = sim_stores
    before = _ran_on_spark(spark)
    build_ties(duck, level)  # type: ignore[arg-type]
    build_ties(spark, level)  # type: ignore[arg-type]
    assert _ran_on_spark(spark) >= before + 2
    order = f"SELECT * FROM {TABLES[level]} ORDER BY a, b"
    want, got = duck.con.sql(order).to_arrow_table(), spark.con.sql(order).to_arrow_table()
    assert want.num_rows > 50
    assert sum(want.column("claim_p").to_pylist()) > 0  # claims reached the ties
    same_rows(want, got)


@pytest.mark.spark
def test_close_circle_is_the_same_on_both_engines(sim_stores: tuple[CaseStore, CaseStore]) -> None:
    from fusioncell.network.api import close_circle, display_identifiers

    duck, spark = sim_stores
    focus = duck.case().targets[0]
    want = close_circle(duck, focus, 10)
    assert len(want) > 0
    assert close_circle(spark, focus, 10) == want
    assert display_identifiers(spark) == display_identifiers(duck)
    some = sorted(display_identifiers(duck))[:3]
    assert display_identifiers(spark, some) == display_identifiers(duck, some) == \
        {p: i for p, i in display_identifiers(duck).items() if p in some}


@pytest.mark.spark
@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_salting_the_node_map_join_changes_no_edge(sim_stores: tuple[CaseStore, CaseStore], engine: str) -> None:
    duck, spark = sim_stores
    store = duck if engine == "duckdb" else spark
    args = {"run_id": "r", "tz": "America/Mexico_City", "level": "person", "night_from_h": 22, "night_to_h": 6}
    from fusioncell.network.ties import build_ties

    build_ties(store, "person")  # attributions exist
    plain = plans.run(store, "network.edges", **args, salt=1).sort_by([("a", "ascending"), ("b", "ascending")])
    salted = plans.run(store, "network.edges", **args, salt=7).sort_by([("a", "ascending"), ("b", "ascending")])
    assert plain.num_rows > 50
    same_rows(plain, salted)


@pytest.mark.spark
def test_vehicle_place_meeting_and_claim_layers_are_the_same_on_both_engines() -> None:
    # the simulated case above has no vehicles and no fixes of two people: this one has every layer
    pytest.importorskip("pyspark")
    from test_network_factory import Case, at
    from test_network_layers import HOUSE, MARKET, _stay

    from fusioncell.network.ties import build_ties

    c = Case()
    c.person("person-a", phones=("+523310000901",))
    c.person("person-b", phones=("+523310000902",))
    c.person("person-c")
    c.claim("person-a", "works_for", "person-b", "B", 2)
    c.claim("person-a", "uses", "plate:JAL-1", "A", 1)
    c.claim("person-b", "uses", "plate:JAL-1", "C", 3)
    c.person("veh-1", schema="Vehicle", owner="person-c", registrationNumber="JAL-2")
    c.entity_ids.append(("veh-1", "plate:JAL-2", "registrationNumber"))
    c.sight("person-d", at(1, 10.0), *HOUSE, 0.9)
    c.sight("plate:JAL-2", at(1, 10.05), *HOUSE, 0.8)
    c.sight("person-c", at(2, 11.0), *MARKET, 0.7)
    c.sight("person-d", at(2, 11.1), *MARKET, 0.9)
    c.call("+523310000901", "+523310000902", at(0, 10.0))
    c.call("+523310000902", "+523310000901", at(1, 23.0))
    for d in range(3):
        _stay(c, "+523310000901", d, HOUSE, 19.0)
        _stay(c, "+523310000902", d, HOUSE, 21.5)
    duck, spark = c.store(), c.store().use_engine(EngineSettings("spark", "local[2]"))
    build_ties(duck, "person")
    build_ties(spark, "person")
    order = "SELECT * FROM net_ties_person ORDER BY a, b"
    want, got = duck.con.sql(order).to_arrow_table(), spark.con.sql(order).to_arrow_table()
    layers = {x for ls in want.column("layers").to_pylist() for x in ls}
    assert layers == {"calls", "claims", "meetings", "vehicles", "places"}
    assert sum(len(p) for p in want.column("provenance").to_pylist()) >= 6
    same_rows(want, got)


@pytest.mark.spark
def test_pattern_of_life_is_the_same_on_both_engines(sim_stores: tuple[CaseStore, CaseStore]) -> None:
    from fusioncell.spacetime import compute, dark_intervals, weekly_profile
    from fusioncell.spacetime.routines import flag_visits

    duck, spark = sim_stores
    _, _, vis = compute(duck, use_cache=False)
    raw = vis.drop_columns(["new_place", "overnight_away", "routine_share", "outside_routine", "anomaly"])
    before = _ran_on_spark(spark)
    want = flag_visits(duck, raw)
    assert want.num_rows > 20
    same_rows(want, flag_visits(spark, raw))
    busiest = max(set(vis.column("identifier").to_pylist()), key=vis.column("identifier").to_pylist().count)
    week = weekly_profile(duck, vis, busiest)
    assert week.num_rows > 10
    same_rows(week, weekly_profile(spark, vis, busiest))
    dark = dark_intervals(duck)
    assert dark.num_rows > 0 and dark.column("last_t").null_count < dark.num_rows
    same_rows(dark, dark_intervals(spark))
    assert _ran_on_spark(spark) >= before + 3


@pytest.mark.spark
def test_routine_anomalies_are_the_same_on_both_engines() -> None:
    # the three-day simulated case has no anomaly: two weeks with two nights at a hideout have all three kinds
    pytest.importorskip("pyspark")
    from test_spacetime_places import _routine_case

    from fusioncell.spacetime import compute
    from fusioncell.spacetime.routines import flag_visits

    b = _routine_case()
    _, _, vis = compute(b.store, use_cache=False)
    raw = vis.drop_columns(["new_place", "overnight_away", "routine_share", "outside_routine", "anomaly"])
    want = flag_visits(b.store, raw)
    for flag in ("new_place", "overnight_away", "outside_routine"):
        assert any(want.column(flag).to_pylist()), flag
    same_rows(want, flag_visits(b.store.use_engine(EngineSettings("spark", "local[2]")), raw))


def test_a_plan_written_as_parquet_holds_the_rows_run_returns(tmp_path: Path) -> None:
    # national scale: plans.to_parquet writes a plan's rows without fetching them (DuckDB COPY, Spark write)
    from datetime import datetime, timedelta

    import pyarrow.parquet as pq

    from fusioncell.spacetime.synth import UTC, StoreBuilder

    b = StoreBuilder(tz="UTC")
    b.dwell("+a", datetime(2026, 1, 1, tzinfo=UTC), 2, 20.0, -103.0)
    b.dwell("+b", datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=1), 1, 20.1, -103.1)
    args = {"identifiers": None, "kinds": ("fix",), "default_fix_accuracy_m": 100.0, "sighting_accuracy_m": 50.0}
    want = plans.run(b.store, "positions.all", **args)
    assert want.num_rows == 13 + 7  # every 10 minutes, both ends included
    plans.to_parquet(b.store, str(tmp_path / "pos"), "positions.all", **args)
    got = pq.read_table(tmp_path / "pos").sort_by([("identifier", "ascending"), ("t", "ascending")])
    same_rows(want, got)
