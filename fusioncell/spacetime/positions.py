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
are km apart, so a cell-site position's 68 % radius is estimated as the
distance from its tower to the nearest *other* tower seen in the case,
clipped to ``[cell_accuracy_min_m, cell_accuracy_max_m]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from fusioncell.spacetime.geo import LocalGrid, grid_for, haversine_m
from fusioncell.store import CaseStore, plans
from fusioncell.store.engine import DuckDBEngine


@dataclass(frozen=True, slots=True)
class PositionParams:
    """How positions are read and how accurate each kind is assumed to be."""

    #: Accuracy of a fix whose ``accuracy_m`` is missing.
    default_fix_accuracy_m: float = 100.0
    #: Accuracy of a sighting (imagery geolocation of a vehicle or person).
    sighting_accuracy_m: float = 50.0
    #: Fixed cell-site accuracy; ``None`` estimates it from tower spacing.
    cell_accuracy_m: float | None = None
    cell_accuracy_min_m: float = 500.0
    cell_accuracy_max_m: float = 5000.0


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
    if params.cell_accuracy_m is not None or n < 2:
        acc = np.full(n, params.cell_accuracy_m or 1500.0)
    else:
        nn = nearest_other_m(lat, lon)
        acc = np.clip(nn, params.cell_accuracy_min_m, params.cell_accuracy_max_m)
    return pa.table({"tlat": lat, "tlon": lon, "accuracy_m": acc})


def nearest_other_m(lat: np.ndarray, lon: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Distance in metres from each point to the nearest other point (chunked brute force on a local grid)."""
    grid = grid_for(lat, lon, 1.0)
    x, y = grid.xy(lat, lon)
    out = np.empty(lat.size)
    for s in range(0, lat.size, chunk):  # loop over chunks of towers, not records
        dx = x[s : s + chunk, None] - x[None, :]
        dy = y[s : s + chunk, None] - y[None, :]
        d2 = dx * dx + dy * dy
        idx = np.arange(s, min(s + chunk, lat.size))
        d2[idx - s, idx] = np.inf
        out[s : s + chunk] = np.sqrt(d2.min(axis=1))
    return out


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


__all__ = ["PositionParams", "positions", "positions_sql", "tower_accuracy", "case_grid", "haversine_m"]
