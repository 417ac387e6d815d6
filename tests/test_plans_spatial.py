"""Spatial joins without a spatial extension: grid bucketing in plain SQL finds exactly
the pairs a brute-force great-circle comparison finds, on DuckDB and on Spark."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from fusioncell.spacetime.geo import haversine_m
from fusioncell.store import CaseStore, plans
from casefolder import CaseFolder, at

MAX_DT_S, MAX_DIST_M = 900.0, 150.0


def _case(folder: Path) -> Path:
    """Sightings of 6 subjects in two tight clusters (20°N and 64°N, where a degree of longitude
    is half as long), plus two sightings exactly MAX_DT_S apart at one spot."""
    rng = np.random.default_rng(11)
    cf = CaseFolder()
    cf.source("imint", "IMINT")
    for lat0, lon0 in ((20.6736, -103.344), (64.1466, -21.9426)):
        for _ in range(70):
            north, east = rng.normal(0, 120, 2)  # metres
            lat = lat0 + north / 111_195.0
            lon = lon0 + east / (111_195.0 * np.cos(np.radians(lat0)))
            t = at(1, 10.0) + timedelta(seconds=int(rng.integers(0, 3600)))
            cf.sighting(f"plate:SUBJ{int(rng.integers(0, 6))}", t, round(float(lat), 6), round(float(lon), 6), 0.9)
    cf.sighting("plate:EDGEA", at(3, 12.0), 21.0, -100.0, 1.0)
    cf.sighting("plate:EDGEB", at(3, 12.0) + timedelta(seconds=int(MAX_DT_S)), 21.0, -100.0, 1.0)
    return cf.write(folder)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStore]:
    from fusioncell.ingest import ingest_case

    root = tmp_path_factory.mktemp("spatial")
    folder = _case(root / "case")
    cs = CaseStore.open(root / "case.duckdb", folder=folder)
    ingest_case(folder, cs, quiet=True)
    yield cs
    cs.close()


def _brute_force(store: CaseStore) -> set[tuple[str, str]]:
    rows = store.con.execute("SELECT event_id, subject, epoch_us(observed), lat, lon FROM sightings").fetchall()
    ev = np.array([r[0] for r in rows])
    subj = np.array([r[1] for r in rows])
    us = np.array([r[2] for r in rows], dtype=np.int64)
    lat = np.array([r[3] for r in rows])
    lon = np.array([r[4] for r in rows])
    i, j = np.triu_indices(len(rows), 1)
    d = haversine_m(lat[i], lon[i], lat[j], lon[j])
    ok = (subj[i] != subj[j]) & (np.abs(us[i] - us[j]) <= int(MAX_DT_S * 1e6)) & (d <= MAX_DIST_M)
    a = np.where(subj[i] < subj[j], ev[i], ev[j])[ok]
    b = np.where(subj[i] < subj[j], ev[j], ev[i])[ok]
    return set(zip(a.tolist(), b.tolist()))


def _pairs(store: CaseStore, engine: object = None) -> list[tuple[str, str]]:
    t = plans.run(store, "sighted.pairs", engine=engine, max_dt_s=MAX_DT_S, max_dist_m=MAX_DIST_M)
    return list(zip(t.column("ea").to_pylist(), t.column("eb").to_pylist()))


def test_grid_bucketed_pairs_are_exactly_the_brute_force_pairs(store: CaseStore) -> None:
    want = _brute_force(store)
    got = _pairs(store)
    assert len(got) == len(set(got))  # each pair once
    assert set(got) == want
    assert len(want) > 100
    subjects = dict(store.con.execute("SELECT event_id, subject FROM sightings").fetchall())
    assert any(subjects[a] == "plate:EDGEA" and subjects[b] == "plate:EDGEB" for a, b in got)  # |dt| = MAX_DT_S is in
    far_north = [p for p in got if store.con.execute(
        "SELECT lat FROM sightings WHERE event_id = ?", [p[0]]).fetchall()[0][0] > 60]
    assert far_north  # the 64°N cluster, where longitude cells must be wider, is found too


@pytest.mark.spark
def test_spark_finds_the_same_pairs_without_any_spatial_jar(store: CaseStore) -> None:
    pytest.importorskip("pyspark")
    from fusioncell.store.engine import SparkEngine

    eng = SparkEngine.local(store.con, cores=2)
    assert _pairs(store, eng) == _pairs(store)
