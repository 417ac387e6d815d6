"""Every positional observation of the case as one relation.

Three sources give positions, with very different quality:

=========  ==========================================  ===================
kind       from                                         accuracy_m
=========  ==========================================  ===================
fix        ``locations`` (handset geolocation, trackers) the file's value
cell       ``comms`` caller/callee serving cell site     tower spacing (est.)
sighting   ``sightings`` (a plate or person seen)        ``sighting_accuracy_m``
=========  ==========================================  ===================

``precision`` is ``fine`` for fixes and sightings and ``coarse`` for cell
sites, so that every output keeps high-resolution and coarse evidence apart.

A serving cell is the nearest tower only part of the time and rural towers
are km apart, so a cell-site position's radius is the one definition of
:func:`cell_accuracy_m` (the distance to the second-nearest other site, never
under ``MIN_CELL_ACCURACY_M``), which locate uses too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from fusioncell.spacetime.geo import LocalGrid, haversine_m
from fusioncell.store import CaseStore, plans
from fusioncell.store.engine import DuckDBEngine


@dataclass(frozen=True, slots=True)
class PositionParams:
    """How positions are read and how accurate each kind is assumed to be."""

    #: Accuracy of a fix whose ``accuracy_m`` is missing.
    default_fix_accuracy_m: float = 100.0
    #: Accuracy of a sighting (imagery geolocation of a vehicle or person).
    sighting_accuracy_m: float = 50.0
    #: Fixed cell-site accuracy; ``None``: :func:`cell_accuracy_m` from the tower spacing.
    cell_accuracy_m: float | None = None


def _in_list(col: str, ids: Sequence[str] | None) -> str:
    """``col IN (...)`` in DuckDB SQL (TRUE for None); see :meth:`fusioncell.store.plans.Dialect.in_list`."""
    from fusioncell.store.plans import DUCKDB

    return DUCKDB.in_list(col, ids)


def tower_accuracy(store: CaseStore, params: PositionParams = PositionParams(), *, engine: Any = None) -> pa.Table:
    """Estimated 68 % radius of every distinct cell-site position in ``comms``.

    Returns a table ``(tlat, tlon, accuracy_m)``; towers are matched by their
    coordinates rounded to 1e-5 degrees (about 1 m). Plan ``positions.towers``
    (:mod:`fusioncell.store.plans`) on the store's engine or ``engine``.
    """
    towers = plans.run(store, "positions.towers", engine=engine)
    lat = towers.column("tlat").to_numpy(zero_copy_only=False).astype(np.float64)
    lon = towers.column("tlon").to_numpy(zero_copy_only=False).astype(np.float64)
    n = lat.size
    acc = np.full(n, params.cell_accuracy_m) if params.cell_accuracy_m is not None else cell_accuracy_m(lat, lon)
    return pa.table({"tlat": lat, "tlon": lon, "accuracy_m": acc})


#: A cell-site position is never assumed better than this (metres).
MIN_CELL_ACCURACY_M = 800.0
#: The accuracy of the only cell site of a case (no spacing to read).
LONE_CELL_ACCURACY_M = 5000.0


def cell_accuracy_m(lat: np.ndarray, lon: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """The radius (metres) to assume for a position given by each cell site: the one definition.

    A handset is served by its nearest site only part of the time, so it may
    be anywhere the neighbouring sites would also serve: the radius is the
    distance to the *second*-nearest other site (sites under 1 m apart are
    one site), never under ``MIN_CELL_ACCURACY_M``; a lone site gets
    ``LONE_CELL_ACCURACY_M``. Used by every stage that reads a position from
    a serving cell (pattern, meetings, network's places layer, locate, plan).

    Three sites on the 20th parallel, 0.02° and 0.03° of longitude apart
    (111.19 km x cos 20° = 104.5 km a degree: 2.09, 3.13 and 5.22 km):

    >>> import numpy as np
    >>> cell_accuracy_m(np.array([20.0, 20.0, 20.0]), np.array([-103.0, -102.98, -102.95])).round(-1).tolist()
    [5220.0, 3130.0, 5220.0]
    """
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    n = lat.size
    if n <= 1:
        return np.full(n, LONE_CELL_ACCURACY_M)
    acc = np.empty(n)
    k = min(2, n - 1)
    for s in range(0, n, chunk):  # blocks of sites, vectorised within
        d = haversine_m(lat[s : s + chunk, None], lon[s : s + chunk, None], lat[None, :], lon[None, :])
        d[d < 1.0] = np.inf
        acc[s : s + chunk] = np.partition(d, k - 1, axis=1)[:, k - 1]
    return np.maximum(acc, MIN_CELL_ACCURACY_M)


def positions_sql(
    store: CaseStore,
    identifiers: Sequence[str] | None = None,
    kinds: Sequence[str] = ("fix", "cell", "sighting"),
    params: PositionParams = PositionParams(),
) -> str:
    """Register the tower accuracy table and return DuckDB SQL selecting all positions
    (plan ``positions.all``, for DuckDB-only callers that embed it in a larger query).

    Columns: ``identifier, t (TIMESTAMPTZ), lat, lon, accuracy_m, kind,
    precision, confidence, event_id, source_id``.
    """
    inputs = {"towers": tower_accuracy(store, params, engine=DuckDBEngine(store.con))} if "cell" in kinds else {}
    return plans.duckdb_sql("positions.all", store.con, inputs, **_plan_params(identifiers, kinds, params),
                            ordered=False)


def _plan_params(identifiers: Sequence[str] | None, kinds: Sequence[str], params: PositionParams) -> dict[str, Any]:
    return {"identifiers": None if identifiers is None else list(identifiers), "kinds": tuple(kinds),
            "default_fix_accuracy_m": params.default_fix_accuracy_m,
            "sighting_accuracy_m": params.sighting_accuracy_m}


def positions(
    store: CaseStore,
    identifiers: Sequence[str] | None = None,
    kinds: Sequence[str] = ("fix", "cell", "sighting"),
    params: PositionParams = PositionParams(),
    *,
    engine: Any = None,
) -> pa.Table:
    """All positional observations as one Arrow table, sorted by identifier, time and event id.

    Plan ``positions.all`` on the store's engine (``fusioncell --engine``) or ``engine``.

    Examples
    --------
    >>> from fusioncell.store import CaseStore
    >>> positions(CaseStore.memory()).num_rows
    0
    """
    inputs = {"towers": tower_accuracy(store, params, engine=engine)} if "cell" in kinds else {}
    return plans.run(store, "positions.all", engine=engine, inputs=inputs,
                     **_plan_params(identifiers, kinds, params))


def case_grid(store: CaseStore, cell_m: float, *, engine: Any = None) -> LocalGrid:
    """A metric grid centred on the median of the case's fixes and cell sites (plan ``positions.centre``)."""
    row = plans.run(store, "positions.centre", engine=engine).to_pylist()
    if not row or row[0]["lat"] is None:
        return LocalGrid(0.0, 0.0, cell_m)
    return LocalGrid(float(row[0]["lat"]), float(row[0]["lon"]), cell_m)


__all__ = ["PositionParams", "cell_accuracy_m", "positions", "positions_sql", "tower_accuracy", "case_grid",
           "haversine_m"]
