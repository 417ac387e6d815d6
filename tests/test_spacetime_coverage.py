"""Coverage estimated from the case (fusioncell.spacetime.coverage): a carrier fix proves coverage where it lies.

The scene: four cell sites 3 km apart on an east-west line through a town,
each used by a tracked handset close to it, so every range is read as a few
kilometres and a point 9 km north of the line is beyond all of them. The
partner's handset is located there, night after night, by the network: a
site served it there whatever the estimated ranges say, so the point is
covered. The same distance south, where no handset was ever located, stays
blind.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from casefolder import CaseFolder, at
from fusioncell.spacetime.coverage import coverage
from fusioncell.spacetime.geo import LocalGrid
from fusioncell.store import open_case

ORIGIN = (20.670, -103.350)
GRID = LocalGrid(ORIGIN[0], ORIGIN[1], 1000.0)
SITES_X = np.array([-4500.0, -1500.0, 1500.0, 4500.0])
P, Q = "+523312345678", "+523311112222"


def _pt(x: float, y: float) -> tuple[float, float]:
    la, lo = GRID.latlon(np.array([x]), np.array([y]))
    return float(la[0]), float(lo[0])


def _case(tmp_path: Path, located_north: bool) -> Path:
    c = CaseFolder()
    for sid, disc in (("geo", "GEOINT"), ("cdr", "SIGINT")):
        c.source(sid, disc, "A")
    sites = [_pt(x, 0.0) for x in SITES_X]
    for day in range(1, 9):
        for k, site in enumerate(sites):
            # a handset 1-2 km from the site it uses: each site's range is read as a short one
            fix = _pt(SITES_X[k] + 900.0 + 100.0 * day, 800.0)
            t = at(day, 10.0 + k)
            c.fix(Q, t, *fix)
            c.call(Q, P, t, cell=site)
        if located_north:
            c.fix(P, at(day, 23.0), *_pt(0.0, 9000.0))
    return c.write(tmp_path / "case")


def test_a_handset_located_beyond_every_estimated_range_shows_coverage_there(tmp_path: Path) -> None:
    north, south = _pt(0.0, 9000.0), _pt(0.0, -9000.0)
    with open_case(_case(tmp_path, located_north=True)) as cs:
        cov = coverage(cs)
        p = cov.p_blind(np.array([north[0], south[0]]), np.array([north[1], south[1]]))
        margin = cov.margin_m(np.array([north[0]]), np.array([north[1]]))
    # the ranges alone put both points beyond reach (the sites are 3 km apart, used within 2 km) ...
    assert margin[0] < -2000.0
    # ... but the network located her handset in the north: covered there, blind in the south
    assert p[0] == 0.0
    assert p[1] > 0.8


def test_without_the_fix_the_north_is_blind_too(tmp_path: Path) -> None:
    north = _pt(0.0, 9000.0)
    with open_case(_case(tmp_path, located_north=False)) as cs:
        p = coverage(cs).p_blind(np.array([north[0]]), np.array([north[1]]))
    assert p[0] > 0.8
