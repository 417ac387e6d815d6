"""Going dark: an identifier that normally produces events stops.

Every event of an identifier counts as a sign of life: call records on
either side, location fixes, sightings. For each identifier the usual
activity is its event rate per local hour of day (events in that hour / days
in its active span, so night silence is expected and not flagged). A silence
between two consecutive events is **dark** when it is at least ``min_gap``
long and the number of events the identifier would normally have produced in
it (``expected_events``, the rate integrated over the gap) is at least
``min_expected`` — under a Poisson model the chance of such a silence by
luck is ``exp(-expected_events)`` (``p_chance``).

Around each dark interval the last position before and the first position
after are given (ASOF joins; from any positional source, with its ``kind``
and ``accuracy_m``, so a coarse cell site is never mistaken for a fix).
Repeated darkness near one spot is a signal: ``n_repeat`` counts the
identifier's other dark intervals that began within ``repeat_radius_m`` (or
the combined accuracy) of this one, and ``n_ids_nearby`` the distinct
identifiers that went dark there.

The relational part is the plan ``pattern.dark`` (:mod:`fusioncell.store.plans.pattern`, DuckDB or
Spark); the small result is post-processed in numpy. Of several positions at
the same instant, the last by event id is the one before and the first the
one after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Sequence

import numpy as np
import pyarrow as pa

from fusioncell.spacetime.geo import haversine_m
from fusioncell.spacetime.places import timezone_of
from fusioncell.spacetime.positions import PositionParams, tower_accuracy
from fusioncell.store import CaseStore, plans


@dataclass(frozen=True, slots=True)
class DarkParams:
    """Thresholds of going-dark detection."""

    min_gap: timedelta = timedelta(minutes=45)
    min_expected: float = 4.0
    #: Identifiers with fewer events than this are too sparse to judge.
    min_events: int = 20
    repeat_radius_m: float = 2000.0


def dark_intervals(store: CaseStore, ids: Sequence[str] | None = None, params: DarkParams = DarkParams(),
                   position_params: PositionParams = PositionParams()) -> pa.Table:
    """Intervals in which identifiers that normally produce events fell silent.

    Returns
    -------
    pyarrow.Table
        ``identifier, start, end, duration_s, expected_events, p_chance,
        last_t, last_lat, last_lon, last_accuracy_m, last_kind, last_event_id,
        next_t, next_lat, next_lon, next_accuracy_m, next_kind, next_event_id,
        moved_m, n_repeat, n_ids_nearby`` sorted by identifier, start.

    Examples
    --------
    >>> from fusioncell.store import CaseStore
    >>> dark_intervals(CaseStore.memory()).num_rows
    0
    """
    inputs = {"towers": tower_accuracy(store, position_params)}
    tbl = plans.run(store, "pattern.dark", inputs=inputs, ids=None if ids is None else list(ids),
                    tz=timezone_of(store), kinds=("fix", "cell", "sighting"),
                    min_gap_s=params.min_gap.total_seconds(), min_events=int(params.min_events),
                    min_expected=params.min_expected,
                    default_fix_accuracy_m=position_params.default_fix_accuracy_m,
                    sighting_accuracy_m=position_params.sighting_accuracy_m)
    n = tbl.num_rows
    lat = np.asarray(tbl.column("last_lat").to_numpy(zero_copy_only=False), dtype=float) if n else np.zeros(0)
    lon = np.asarray(tbl.column("last_lon").to_numpy(zero_copy_only=False), dtype=float) if n else np.zeros(0)
    nlat = np.asarray(tbl.column("next_lat").to_numpy(zero_copy_only=False), dtype=float) if n else np.zeros(0)
    nlon = np.asarray(tbl.column("next_lon").to_numpy(zero_copy_only=False), dtype=float) if n else np.zeros(0)
    acc = np.nan_to_num(np.asarray(tbl.column("last_accuracy_m").to_numpy(zero_copy_only=False), dtype=float),
                        nan=0.0) if n else np.zeros(0)
    ident = np.asarray(tbl.column("identifier").to_pylist(), dtype=object) if n else np.zeros(0, dtype=object)
    moved = haversine_m(lat, lon, nlat, nlon) if n else np.zeros(0)
    n_rep = np.zeros(n, dtype=np.int64)
    n_ids = np.zeros(n, dtype=np.int64)
    if n:
        # dark intervals are few: an all-pairs matrix over them (not over events)
        d = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        near = d <= np.maximum(params.repeat_radius_m, np.hypot(acc[:, None], acc[None, :]))
        near &= ~np.eye(n, dtype=bool)
        near = np.where(np.isnan(d), False, near)
        same = ident[:, None] == ident[None, :]
        n_rep = (near & same).sum(axis=1).astype(np.int64)
        codes = np.unique(ident, return_inverse=True)[1]
        onehot = np.zeros((n, int(codes.max()) + 1), dtype=bool)
        onehot[np.arange(n), codes] = True
        n_ids = ((near | np.eye(n, dtype=bool)).astype(np.int64) @ onehot.astype(np.int64) > 0).sum(axis=1)
        n_ids = n_ids.astype(np.int64)
    tbl = tbl.append_column("moved_m", pa.array(moved, pa.float64()))
    tbl = tbl.append_column("n_repeat", pa.array(n_rep, pa.int64()))
    tbl = tbl.append_column("n_ids_nearby", pa.array(n_ids, pa.int64()))
    return tbl
