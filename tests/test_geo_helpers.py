"""One geodesy helper: distance and bearing are written once, in spacetime/geo.py."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pytest

from fusioncell.spacetime.geo import EARTH_RADIUS_M, bearing_deg, compass, haversine_m, haversine_sql

ROOT = Path(__file__).resolve().parents[1] / "fusioncell"


def test_sql_distance_matches_the_numpy_one_and_a_degree_of_the_equator() -> None:
    rng = np.random.default_rng(3)
    pts = np.column_stack([rng.uniform(-60, 60, 50), rng.uniform(-179, 179, 50),
                           rng.uniform(-60, 60, 50), rng.uniform(-179, 179, 50)])
    con = duckdb.connect()
    con.execute("CREATE TABLE p (a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE)")
    con.executemany("INSERT INTO p VALUES (?, ?, ?, ?)", pts.tolist())
    got = np.array([r[0] for r in con.execute(f"SELECT {haversine_sql('a', 'b', 'c', 'd')} FROM p").fetchall()])
    assert got == pytest.approx(haversine_m(pts[:, 0], pts[:, 1], pts[:, 2], pts[:, 3]), rel=1e-9)
    one_degree = con.execute(f"SELECT {haversine_sql('0.0', '0.0', '0.0', '1.0')}").fetchone()[0]
    assert one_degree == pytest.approx(2 * np.pi * EARTH_RADIUS_M / 360)  # a degree of a great circle
    assert con.execute(f"SELECT {haversine_sql('10.0', '20.0', '10.0', '20.0')}").fetchone()[0] == 0.0


def test_bearing_and_compass() -> None:
    # Guadalajara (20.67, -103.35) to a point due north-east of it on a small scale
    assert compass(float(bearing_deg(20.0, -103.0, 20.1, -103.0))) == "N"
    assert compass(float(bearing_deg(20.0, -103.0, 20.0, -103.1))) == "W"
    assert compass(float(bearing_deg(20.0, -103.0, 19.9, -102.9))) == "SE"
    assert float(bearing_deg(0.0, 0.0, 1.0, 1.0)) == pytest.approx(45.0, abs=0.01)


def test_no_module_outside_geo_writes_the_haversine_or_a_bearing_itself() -> None:
    pattern = re.compile(r"asin\(sqrt|arcsin\(np\.sqrt|atan2\(")
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
                 if p.name != "geo.py" and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_metres_per_degree_is_the_haversine_of_one_degree() -> None:
    from fusioncell.spacetime.geo import metres_per_degree

    lat_m, lon_m = metres_per_degree(40.0)
    assert lat_m == pytest.approx(float(haversine_m(40.0, 10.0, 41.0, 10.0)), rel=1e-9)  # along a meridian
    # along a parallel, a degree is the great circle's length for a small step, scaled up
    assert lon_m == pytest.approx(float(haversine_m(40.0, 10.0, 40.0, 10.001)) * 1000, rel=1e-6)


#: Modules allowed their own flat-Earth constant: the simulator draws its worlds on a plane (changing it would
#: change every seeded world), and the spacetime test builder's jitter.
FLAT_WORLDS = {"sim/world.py", "spacetime/synth.py"}


def test_no_module_outside_geo_writes_metres_per_degree_or_the_earth_radius_itself() -> None:
    pattern = re.compile(r"\b111_?[0-9]{3}(?:\.0)?\b|\b6_?371_?0")  # 111 km a degree, the Earth's radius
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
                 if p.name != "geo.py" and str(p.relative_to(ROOT)) not in FLAT_WORLDS
                 and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
