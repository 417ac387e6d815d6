"""The engine seam: the same ingest on DuckDB and on Spark gives the same tables."""

from __future__ import annotations

import math
from typing import Any, Iterator

import duckdb
import pytest

from fusioncell.ingest import example_case, ingest_case
from fusioncell.store import CaseStore
from fusioncell.store.engine import DuckDBEngine

# Tables compared between engines, with the columns that identify a row.
PARITY = {
    "sources": "source_id", "comms": "event_id", "locations": "event_id", "sightings": "event_id",
    "reports": "report_id", "claims": "report_id, claim_no", "entities": "entity_id",
    "entity_identifiers": "entity_id, identifier, prop", "identifiers": "identifier", "targets": "entity_id",
}


def _rows(store: CaseStore, table: str) -> list[tuple[Any, ...]]:
    rows = store.con.execute(f"SELECT * FROM {table} ORDER BY {PARITY[table]}").fetchall()
    return [tuple(round(v, 9) if isinstance(v, float) and not math.isnan(v) else v for v in r) for r in rows]


def test_duckdb_cast_of_an_offset_time_to_timestamp_drops_the_offset() -> None:
    # the trap engine.py documents: TIMESTAMPTZ keeps the instant, TIMESTAMP does not
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    naive, aware = con.execute(
        "SELECT CAST('2026-01-12T18:00:00-06:00' AS TIMESTAMP), CAST('2026-01-12T18:00:00-06:00' AS TIMESTAMPTZ)"
    ).fetchone()
    assert naive.hour == 18 and aware.hour == 0  # midnight UTC is 18:00 at -06:00


def test_duckdb_double_slash_on_double_is_not_floor_division() -> None:
    # the trap engine.py documents, and what to write instead
    con = duckdb.connect()
    slashes, floor = con.execute("SELECT (-7.0)::DOUBLE // 2.0, floor((-7.0)::DOUBLE / 2.0)").fetchone()
    assert slashes == -3.5 and floor == math.floor(-7.0 / 2.0) == -4.0


def test_duckdb_engine_runs_ibis_expressions_in_the_store_connection() -> None:
    store = CaseStore.memory()
    ingest_case(example_case(), store)
    eng = DuckDBEngine(store.con)
    comms = eng.table("comms")
    expr = comms.group_by("channel").aggregate(n=comms.count()).order_by("channel")
    got = eng.to_arrow(expr).to_pylist()
    want = store.con.execute("SELECT channel, count(*) FROM comms GROUP BY channel ORDER BY channel").fetchall()
    assert [(r["channel"], r["n"]) for r in got] == want


@pytest.fixture(scope="module")
def spark_store() -> Iterator[CaseStore]:
    pytest.importorskip("pyspark")
    from fusioncell.store.engine import SparkEngine

    store = CaseStore.memory()
    eng = SparkEngine.local(store.con, cores=2)
    ingest_case(example_case(), store, engine=eng)
    yield store


@pytest.mark.spark
@pytest.mark.parametrize("table", sorted(PARITY))
def test_spark_and_duckdb_ingest_give_the_same_tables(spark_store: CaseStore, table: str) -> None:
    duck = CaseStore.memory()
    ingest_case(example_case(), duck)
    assert _rows(spark_store, table) == _rows(duck, table)
    assert len(_rows(duck, table)) > 0


def test_store_ibis_backend_and_engine_see_the_same_rows() -> None:
    store = CaseStore.memory()
    ingest_case(example_case(), store)
    n_ibis = store.ibis().table("comms").count().to_pyarrow().as_py()
    eng = store.engine()
    n_eng = eng.to_arrow(eng.table("comms").count().as_table()).column(0)[0].as_py()
    assert n_ibis == n_eng == store.count("comms")
