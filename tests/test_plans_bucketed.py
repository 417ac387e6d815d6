"""Bucketed execution of ``network.edges`` past memory (issue #17, scale5).

On DuckDB ``plans.to_parquet`` runs the plan in buckets of the pair hash and
appends them; the rows must be those of the one-statement plan, including the
node-level features (a node's totals and home cell) that add up over pairs in
different buckets, duplicates merged across agencies, and the salted join.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_network_factory import Case, at, scenario
from test_plans_parity import same_rows

from fusioncell.store import CaseStore, plans
from fusioncell.store.engine import EngineSettings

ARGS: dict[str, Any] = {"run_id": "r", "tz": "America/Mexico_City", "level": "person", "night_from_h": 22,
                        "night_to_h": 6, "day0": "2026-01-01"}
KEY = [("a", "ascending"), ("b", "ascending")]


def busy_case() -> Case:
    """The network scenario plus a hub of 30 callers, each call delivered twice (two agencies)."""
    case = scenario()
    for i in range(30):
        caller = f"+5233200000{i:02d}"
        for k in range(1 + i % 4):
            t = at(k % 6, 8 + i % 14 + k / 7)
            cell = (20.60 + (i % 3) * 0.01, -103.30 - k * 0.002)
            case.call(caller, "+523399999999", t, 30.0 + 20 * k, lat=cell[0], lon=cell[1])
            case.call(caller, "+523399999999", t, 30.0 + 20 * k, lat=cell[0] + 0.0001, lon=cell[1])  # again
            case.call("+523310000001", caller, t + timedelta(minutes=5 + i), 12.0, channel="sms")
    return case


def ready(case: Case) -> CaseStore:
    from fusioncell.resolve.attribution import build_attributions

    store = case.store()
    build_attributions(store)
    return store


def bucketed(store: CaseStore, out: Path, n: int, **extra: Any) -> pa.Table:
    shutil.rmtree(out, ignore_errors=True)
    plans.to_parquet(store, str(out), "network.edges", buckets=n, **ARGS, **extra)
    assert not Path(f"{out}.parts").exists()  # the intermediate parts are gone
    return pq.read_table(out).sort_by(KEY)


@pytest.mark.parametrize("n", [2, 5, 13])
def test_bucketed_edges_are_the_one_statement_edges(tmp_path: Path, n: int) -> None:
    store = ready(busy_case())
    want = plans.run(store, "network.edges", **ARGS).sort_by(KEY)
    assert want.num_rows > 60
    got = bucketed(store, tmp_path / "e", n)
    same_rows(want, got)
    # the call centre's pairs are spread over the buckets, so its totals were added up across them
    ev = plans.run(store, "network.edges", **ARGS, part="ev", buckets=n)
    hub_pairs = pc_filter(ev, "+523399999999")
    assert len(set(hub_pairs)) > 1
    # and they are right: caller i called it 1 + i % 4 times (each delivered twice, merged): 7 x (1+2+3+4) + 1 + 2
    rows = got.to_pylist()
    hub = [r for r in rows if "+523399999999" in (r["identifiers"] or [])]
    assert sum(r["n_events"] for r in hub) == 73
    assert max(r["n_events"] for r in hub) == 4
    for r in hub:  # tie_share_max = n_events / the larger total, the hub's 73 (a caller has <= 4 calls + 4 sms)
        assert r["tie_share_max"] == pytest.approx(r["n_events"] / 73)


def pc_filter(ev: pa.Table, ident: str) -> list[int]:
    """The buckets of the records to or from ``ident``."""
    return [r["_bucket"] for r in ev.to_pylist() if ident in (r["caller"], r["callee"])]


def test_salted_bucketed_edges_are_the_same(tmp_path: Path) -> None:
    store = ready(busy_case())
    want = plans.run(store, "network.edges", **ARGS).sort_by(KEY)
    same_rows(want, bucketed(store, tmp_path / "e", 3, salt=4))


def test_empty_buckets_and_an_empty_store_write_no_edge(tmp_path: Path) -> None:
    case = Case()
    case.call("+521", "+522", at(0, 10), 60.0, lat=20.6, lon=-103.3)
    store = ready(case)
    got = bucketed(store, tmp_path / "one", 9)  # 8 of the 9 buckets are empty
    assert got.num_rows == 1 and got.column("n_events").to_pylist() == [1]
    assert bucketed(ready(Case()), tmp_path / "none", 4).num_rows == 0


def test_buckets_follow_records_and_memory() -> None:
    # a bucket takes 1,800 bytes a record and a third of the limit: 12 GB holds 2.2 M records a bucket
    assert plans.bucket_count(0, 12e9) == 1
    assert plans.bucket_count(2_222_222, 12e9) == 1
    assert plans.bucket_count(2_222_223, 12e9) == 2
    assert plans.bucket_count(10_000_000, 12e9) == 5
    assert plans.bucket_count(100_000_000, 12e9) == 45
    assert plans.bucket_count(100_000_000, 24e9) == 23
    store = ready(busy_case())
    store.con.execute("SET memory_limit = '1GB'")
    assert plans.buckets_for(store.engine()) == 1  # a few hundred records


def test_memory_limits_read_in_both_units() -> None:
    assert plans._duck_bytes("12GB") == 12e9
    assert plans._duck_bytes("11.1 GiB") == pytest.approx(11.1 * 2**30)
    assert plans._duck_bytes("512.0 MiB") == 512 * 2**20
    assert plans._duck_bytes("100B") == 100
    with pytest.raises(ValueError):
        plans._duck_bytes("lots")


@pytest.mark.spark
def test_spark_edges_are_the_bucketed_duckdb_edges(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    store = ready(busy_case())
    want = bucketed(store, tmp_path / "duck", 4)
    # Spark runs the one statement (plans.run gives its rows shaped as DuckDB's: UTC instants, doubles)
    spark = store.use_engine(EngineSettings("spark", "local[2]"))
    same_rows(want, plans.run(spark, "network.edges", **ARGS).sort_by(KEY))


@pytest.mark.spark
def test_spark_writes_edges_as_its_chain_of_parts(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    from fusioncell.store.engine import _utc

    store = ready(busy_case())
    want = plans.run(store, "network.edges", **ARGS).sort_by(KEY)
    spark = store.use_engine(EngineSettings("spark", "local[2]"))
    out = tmp_path / "spark"
    plans.to_parquet(spark, str(out), "network.edges", **ARGS)  # ev, pairs, cells, finish: each written by Spark
    assert not Path(f"{out}.parts").exists()
    same_rows(want, _utc(pq.read_table(out)).sort_by(KEY))


def test_the_finish_is_bucketed_by_node_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ready(busy_case())
    written: list[str] = []
    real = plans._copy
    monkeypatch.setattr(plans, "_copy", lambda con, sql, target, extra="": (
        written.append(str(target)), real(con, sql, target, extra)))
    want = plans.run(store, "network.edges", **ARGS).sort_by(KEY)
    same_rows(want, bucketed(store, tmp_path / "e", 3))
    # the pairs' ends and cells went to node buckets, each bucket's node figures were written, then the finish
    parts = [w.replace(str(tmp_path / "e.parts") + "/", "") for w in written]
    assert parts[-6:-1] == ["ends", "node_cells", "nodes/part-0.parquet", "nodes/part-1.parquet",
                            "nodes/part-2.parquet"]
    assert written[-1] == str(tmp_path / "e" / "part-0.parquet")


def test_going_dark_runs_whole_until_its_own_peak_would_reach_the_memory_limit() -> None:
    # measured: ~330 B per record in one statement (30 M records, 9.84 GB); the edges' 1,800 B would
    # split 30 M records into 14 buckets, which made going dark 2.4x slower than whole
    assert plans.bucket_count(30_000_000, 12e9, plans.BUCKET_BYTES_OF_PLAN["pattern.dark"]) == 1
    assert plans.bucket_count(100_000_000, 12e9, plans.BUCKET_BYTES_OF_PLAN["pattern.dark"]) == 3
    assert plans.bucket_count(30_000_000, 12e9) == 14  # network.edges
