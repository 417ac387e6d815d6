"""Going dark (``pattern.dark``) bucketed by identifier past memory (issue #17, scale6).

On DuckDB ``plans.to_parquet`` writes every event and position with a bucket
(a hash of the identifier), runs the plan on each bucket and appends the
intervals; everything the plan computes is per identifier, so the rows must be
those of the one statement — and Spark's one statement gives them too.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_plans_parity import same_rows

from fusioncell.spacetime.synth import UTC, StoreBuilder
from fusioncell.store import CaseStore, plans
from fusioncell.store.engine import EngineSettings

ARGS: dict[str, Any] = {"ids": None, "tz": "America/Mexico_City", "kinds": ("fix",), "min_gap_s": 2700.0,
                        "min_events": 20, "min_expected": 4.0, "default_fix_accuracy_m": 100.0,
                        "sighting_accuracy_m": 50.0}
KEY = [("identifier", "ascending"), ("start", "ascending")]
D0 = datetime(2026, 1, 5, tzinfo=UTC)
PHONES = [f"+52155000000{i:02d}" for i in range(12)]
HUB = "+5215599999999"


def spells_case() -> tuple[StoreBuilder, int]:
    """Twelve phones, phone i tracked every 15 min for 3 days at a time and silent 6 h between, i % 3 times;
    the even ones also call a hub hourly while tracked (the hub is never silent: some even phone is always
    tracked from hour 0 to 236). Returns the store and the number of silences."""
    b = StoreBuilder()
    n = 0
    for i, ph in enumerate(PHONES):
        t = D0 + timedelta(hours=i)  # a different hour of day for each phone
        for spell in range(1 + i % 3):
            lat = 20.0 + 0.01 * i + 0.05 * spell
            b.dwell(ph, t, 72, lat, -103.0, every_min=15)
            if i % 2 == 0:
                for h in range(0, 72, 1):
                    b.call(ph, HUB, t + timedelta(hours=h, minutes=7))
            t += timedelta(hours=72 + 6)
            n += 1
        n -= 1  # k spells, k - 1 silences between them
    return b, n


def bucketed(store: CaseStore, out: Path, n: int) -> pa.Table:
    shutil.rmtree(out, ignore_errors=True)
    plans.to_parquet(store, str(out), "pattern.dark", buckets=n, **ARGS)
    assert not Path(f"{out}.parts").exists()  # the intermediate parts are gone
    return pq.read_table(out)


def test_one_statement_finds_every_silence() -> None:
    b, n = spells_case()
    got = plans.run(b.store, "pattern.dark", **ARGS)
    # phones with i % 3 = 1 (four of them) have one silence of 6 h, i % 3 = 2 two; i % 3 = 0 none
    assert n == 4 * 1 + 4 * 2 == 12
    assert got.num_rows == n
    assert all(abs(d - 6 * 3600) < 1 for d in got.column("duration_s").to_pylist())
    one = [r for r in got.to_pylist() if r["identifier"] == PHONES[1]][0]
    # it fell silent where its first spell was and reappeared where its second began
    assert (one["last_lat"], one["next_lat"]) == (20.0 + 0.01 * 1 + 0.05 * 0, 20.0 + 0.01 * 1 + 0.05 * 1)
    assert one["start"] == D0 + timedelta(hours=1 + 72)


@pytest.mark.parametrize("n", [2, 5, 7])
def test_bucketed_dark_is_the_one_statement(tmp_path: Path, n: int) -> None:
    b, _ = spells_case()
    want = plans.run(b.store, "pattern.dark", **ARGS)
    got = bucketed(b.store, tmp_path / "dark", n)
    same_rows(want, got.sort_by(KEY))
    assert got.column("identifier").to_pylist() == want.column("identifier").to_pylist()  # in order
    # the silent phones are spread over several buckets: the buckets were really used
    ev = plans.run(b.store, "pattern.dark", **ARGS, part="ev", buckets=n)
    silent = set(want.column("identifier").to_pylist())
    assert len({r["_bucket"] for r in ev.to_pylist() if r["identifier"] in silent}) > 1
    # every call record is in the rows twice (either side), every fix once
    assert ev.num_rows == 2 * b.store.con.sql("SELECT count(*) FROM comms").fetchall()[0][0] \
        + b.store.con.sql("SELECT count(*) FROM locations").fetchall()[0][0]


def test_empty_buckets_and_an_empty_store_write_no_interval(tmp_path: Path) -> None:
    b = StoreBuilder()
    assert bucketed(b.store, tmp_path / "none", 3).num_rows == 0
    b.dwell(PHONES[0], D0, 72, 20.0, -103.0, every_min=15)
    b.dwell(PHONES[0], D0 + timedelta(hours=78), 72, 20.0, -103.0, every_min=15)
    got = bucketed(b.store, tmp_path / "one", 9)  # 8 of the 9 buckets are empty
    assert got.num_rows == 1 and got.column("identifier").to_pylist() == [PHONES[0]]


def test_dark_is_bucketed_by_default_past_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    b, n = spells_case()
    assert "pattern.dark" in plans.BUCKETED
    rows = b.store.con.sql("SELECT count(*) FROM comms").fetchall()[0][0]
    b.store.con.execute("SET memory_limit = '3GB'")
    # as if the records took 2.5 x a third of 3 GB (which DuckDB reports as 2.7 GiB): 3 buckets
    monkeypatch.setitem(plans.BUCKET_BYTES_OF_PLAN, "pattern.dark", int(2.5e9 / rows))
    assert plans.buckets_for(b.store.engine(), plan="pattern.dark") == 3
    assert plans.buckets_for(b.store.engine()) == 1  # the edges' figure: a few hundred records fit
    seen: list[int] = []
    real = plans._to_parquet_bucketed
    monkeypatch.setattr(plans, "_to_parquet_bucketed", lambda eng, name, path, k, params: (
        seen.append(k), real(eng, name, path, k, params)))
    out = tmp_path / "auto"
    plans.to_parquet(b.store, str(out), "pattern.dark", **ARGS)
    assert seen == [3] and pq.read_table(out).num_rows == n


@pytest.mark.spark
def test_spark_dark_is_the_bucketed_duckdb_dark(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    b, n = spells_case()
    want = bucketed(b.store, tmp_path / "duck", 4).sort_by(KEY)
    assert want.num_rows == n
    spark = b.store.use_engine(EngineSettings("spark", "local[2]"))
    same_rows(want, plans.run(spark, "pattern.dark", **ARGS).sort_by(KEY))


@pytest.mark.spark
def test_spark_writes_dark_as_its_chain_of_parts(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    from fusioncell.store.engine import _utc

    b, n = spells_case()
    want = plans.run(b.store, "pattern.dark", **ARGS).sort_by(KEY)
    spark = b.store.use_engine(EngineSettings("spark", "local[2]"))
    out = tmp_path / "spark"
    plans.to_parquet(spark, str(out), "pattern.dark", **ARGS)  # ev, dark, finish: each written by Spark
    assert not Path(f"{out}.parts").exists()
    got = pq.read_table(out)
    assert got.num_rows == n
    same_rows(want, _utc(got).sort_by(KEY))

