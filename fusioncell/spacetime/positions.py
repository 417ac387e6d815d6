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
from typing import Sequence

import numpy as np
import pyarrow as pa

from fusioncell.spacetime.geo import LocalGrid, grid_for, haversine_m
from fusioncell.spacetime._sql import arrow, numpy, one, settle
from fusioncell.store import CaseStore


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
    if ids is None:
        return "TRUE"
    if not ids:
        return "FALSE"
    quoted = ",".join("'" + i.replace("'", "''") + "'" for i in ids)
    return f"{col} IN ({quoted})"


def tower_accuracy(store: CaseStore, params: PositionParams = PositionParams()) -> pa.Table:
    """Estimated 68 % radius of every distinct cell-site position in ``comms``.

    Returns a table ``(tlat, tlon, accuracy_m)``; towers are matched by their
    coordinates rounded to 1e-5 degrees (about 1 m).
    """
    settle(store.con)
    towers = store.con.execute(
        """
        SELECT DISTINCT round(lat, 5) AS tlat, round(lon, 5) AS tlon FROM (
            SELECT caller_lat AS lat, caller_lon AS lon FROM comms WHERE caller_lat IS NOT NULL AND caller_lon IS NOT NULL
            UNION ALL
            SELECT callee_lat, callee_lon FROM comms WHERE callee_lat IS NOT NULL AND callee_lon IS NOT NULL)
        ORDER BY 1, 2
        """
    ).fetchnumpy()
    lat = np.asarray(towers["tlat"], dtype=np.float64)
    lon = np.asarray(towers["tlon"], dtype=np.float64)
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
    """Register the tower accuracy table and return SQL selecting all positions.

    Columns: ``identifier, t (TIMESTAMPTZ), lat, lon, accuracy_m, kind,
    precision, confidence, event_id, source_id``.
    """
    parts: list[str] = []
    # a position at exactly 0,0 is a failed fix ("null island"), never a position (ingest flags it)
    if "fix" in kinds:
        parts.append(
            f"""SELECT identifier, observed AS t, lat, lon,
                   coalesce(accuracy_m, {params.default_fix_accuracy_m!r}) AS accuracy_m,
                   'fix' AS kind, 'fine' AS precision, 1.0 AS confidence, event_id, source_id
                FROM locations WHERE {_in_list('identifier', identifiers)}
                  AND NOT (lat = 0 AND lon = 0)"""
        )
    if "cell" in kinds:
        acc = tower_accuracy(store, params)
        store.con.register("_fc_tower_acc", acc)
        for side in ("caller", "callee"):
            parts.append(
                f"""SELECT c.{side} AS identifier, c.start AS t, c.{side}_lat AS lat, c.{side}_lon AS lon,
                       coalesce(ta.accuracy_m, 1500.0) AS accuracy_m,
                       'cell' AS kind, 'coarse' AS precision, 1.0 AS confidence, c.event_id, c.source_id
                    FROM comms c LEFT JOIN _fc_tower_acc ta
                      ON ta.tlat = round(c.{side}_lat, 5) AND ta.tlon = round(c.{side}_lon, 5)
                    WHERE c.{side}_lat IS NOT NULL AND c.{side}_lon IS NOT NULL AND {_in_list('c.' + side, identifiers)}
                      AND NOT (c.{side}_lat = 0 AND c.{side}_lon = 0)"""
            )
    if "sighting" in kinds:
        parts.append(
            f"""SELECT subject AS identifier, observed AS t, lat, lon,
                   {params.sighting_accuracy_m!r} AS accuracy_m,
                   'sighting' AS kind, 'fine' AS precision, coalesce(confidence, 1.0) AS confidence,
                   event_id, source_id
                FROM sightings WHERE {_in_list('subject', identifiers)} AND NOT (lat = 0 AND lon = 0)"""
        )
    if not parts:
        return (
            "SELECT NULL::VARCHAR AS identifier, NULL::TIMESTAMPTZ AS t, NULL::DOUBLE AS lat, NULL::DOUBLE AS lon, "
            "NULL::DOUBLE AS accuracy_m, NULL::VARCHAR AS kind, NULL::VARCHAR AS precision, NULL::DOUBLE AS confidence, "
            "NULL::VARCHAR AS event_id, NULL::VARCHAR AS source_id WHERE FALSE"
        )
    return "\nUNION ALL\n".join(parts)


def positions(
    store: CaseStore,
    identifiers: Sequence[str] | None = None,
    kinds: Sequence[str] = ("fix", "cell", "sighting"),
    params: PositionParams = PositionParams(),
) -> pa.Table:
    """All positional observations as one Arrow table, sorted by identifier and time.

    Examples
    --------
    >>> from fusioncell.store import CaseStore
    >>> positions(CaseStore.memory()).num_rows
    0
    """
    sql = positions_sql(store, identifiers, kinds, params)
    return arrow(store.con, f"SELECT * FROM ({sql}) ORDER BY identifier, t, event_id")


def case_grid(store: CaseStore, cell_m: float) -> LocalGrid:
    """A metric grid centred on the median of the case's fixes and cell sites."""
    settle(store.con)
    row = store.con.execute(
        """SELECT median(lat), median(lon) FROM (
             SELECT lat, lon FROM locations
             UNION ALL SELECT caller_lat, caller_lon FROM comms WHERE caller_lat IS NOT NULL
             UNION ALL SELECT lat, lon FROM sightings)"""
    ).fetchall()[0]
    if row is None or row[0] is None:
        return LocalGrid(0.0, 0.0, cell_m)
    return LocalGrid(float(row[0]), float(row[1]), cell_m)


__all__ = ["PositionParams", "positions", "positions_sql", "tower_accuracy", "case_grid", "haversine_m"]
