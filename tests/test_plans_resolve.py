"""Burner succession on the query layer (scale5): plan ``resolve.burner_pairs`` gives the same pairs on
both engines; the brute-force reference in tests/test_resolve_burner.py pins them on DuckDB."""

from __future__ import annotations

import pytest
from test_network_factory import L_NEW, L_OLD, scenario
from test_plans_parity import same_rows

from fusioncell.resolve.burner import TABLE, BurnerParams, build_burner_pairs
from fusioncell.store.engine import EngineSettings


@pytest.mark.spark
def test_burner_pairs_are_the_same_on_both_engines() -> None:
    pytest.importorskip("pyspark")
    loose = BurnerParams(min_score=0.05, max_gap_days=30.0, min_shared=1)  # more pairs to compare
    duck = scenario().store()
    build_burner_pairs(duck, loose)
    want = duck.con.sql(f"SELECT * FROM {TABLE} ORDER BY score DESC, old").to_arrow_table()
    assert (L_OLD, L_NEW) in set(zip(want.column("old").to_pylist(), want.column("new").to_pylist()))
    spark = scenario().store().use_engine(EngineSettings("spark", "local[2]"))
    build_burner_pairs(spark, loose)
    got = spark.con.sql(f"SELECT * FROM {TABLE} ORDER BY score DESC, old").to_arrow_table()
    same_rows(want, got)
