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

All of it is SQL on DuckDB over the store tables; the small result is
post-processed in numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Sequence

import numpy as np
import pyarrow as pa

from fusioncell.spacetime._sql import arrow
from fusioncell.spacetime.geo import haversine_m
from fusioncell.spacetime.places import timezone_of
from fusioncell.spacetime.positions import PositionParams, _in_list, positions_sql
from fusioncell.store import CaseStore


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
    con = store.con
    tz = timezone_of(store).replace("'", "''")
    pos_sql = positions_sql(store, ids, ("fix", "cell", "sighting"), position_params)
    min_gap_s = params.min_gap.total_seconds()
    filt_caller = _in_list("caller", ids)
    filt_callee = _in_list("callee", ids)
    tbl = arrow(con, f"""
        WITH ev AS (
            SELECT caller AS identifier, start AS t FROM comms WHERE {filt_caller}
            UNION ALL SELECT callee, start FROM comms WHERE {filt_callee}
            UNION ALL SELECT identifier, t FROM ({pos_sql}) WHERE kind <> 'cell'),
        span AS (SELECT identifier, min(t) AS t0, max(t) AS t1, count(*) AS n,
                        greatest(1.0, (epoch(max(t)) - epoch(min(t))) / 86400.0) AS days
                 FROM ev GROUP BY identifier HAVING count(*) >= {int(params.min_events)}),
        rate AS (SELECT e.identifier, hour(timezone('{tz}', e.t)) AS h, count(*) / any_value(s.days) AS per_hour
                 FROM ev e JOIN span s USING (identifier) GROUP BY ALL),
        gaps AS (SELECT identifier, t AS start, lead(t) OVER (PARTITION BY identifier ORDER BY t) AS "end"
                 FROM ev WHERE identifier IN (SELECT identifier FROM span)),
        dg AS (SELECT * FROM gaps WHERE "end" IS NOT NULL AND epoch("end") - epoch(start) >= {min_gap_s!r}),
        hrs AS (SELECT identifier, start, "end",
                       unnest(generate_series(CAST(floor(epoch(start) / 3600) AS BIGINT),
                                              CAST(floor(epoch("end") / 3600) AS BIGINT))) AS hno
                FROM dg),
        expct AS (SELECT h.identifier, h.start, h."end",
                         sum(coalesce(r.per_hour, 0) *
                             greatest(0, least(epoch(h."end"), (h.hno + 1) * 3600.0)
                                         - greatest(epoch(h.start), h.hno * 3600.0)) / 3600.0) AS expected_events
                  FROM hrs h LEFT JOIN rate r
                    ON r.identifier = h.identifier AND r.h = hour(timezone('{tz}', to_timestamp(h.hno * 3600)))
                  GROUP BY ALL HAVING expected_events >= {params.min_expected!r}),
        pos AS (SELECT identifier, t, lat, lon, accuracy_m, kind, event_id FROM ({pos_sql}))
        SELECT x.identifier, x.start, x."end", epoch(x."end") - epoch(x.start) AS duration_s,
               x.expected_events, exp(-x.expected_events) AS p_chance,
               lp.t AS last_t, lp.lat AS last_lat, lp.lon AS last_lon, lp.accuracy_m AS last_accuracy_m,
               lp.kind AS last_kind, lp.event_id AS last_event_id,
               np.t AS next_t, np.lat AS next_lat, np.lon AS next_lon, np.accuracy_m AS next_accuracy_m,
               np.kind AS next_kind, np.event_id AS next_event_id
        FROM expct x
        ASOF LEFT JOIN pos lp ON lp.identifier = x.identifier AND x.start >= lp.t
        ASOF LEFT JOIN pos np ON np.identifier = x.identifier AND x."end" <= np.t
        ORDER BY x.identifier, x.start
    """)
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
