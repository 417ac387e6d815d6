"""Meetings observed directly: several subjects seen at one place and time.

Police surveillance logs and imagery record *who was seen where*. When two
different subjects are sighted within ``MAX_DT_S`` of each other and
``MAX_DIST_M`` apart, they met — no handset is needed to say so. This is
the most direct evidence of a meeting there is, and a court-record style
case (calls plus surveillance sightings) carries little else.

The probability of a sighted meeting is the chance that both sightings are
right: the product of the two observers' confidences (1 when a sighting
gives none).

One relational plan on the store (a self-join of ``sightings`` bounded in
time, then a distance filter), no Python loop over records.

>>> from fusioncell.store import CaseStore
>>> sighted_meetings(CaseStore.memory()).num_rows
0
"""

from __future__ import annotations

from typing import Sequence

import pyarrow as pa

from fusioncell.spacetime.geo import haversine_sql
from fusioncell.store import CaseStore

#: Two sightings this close in time ...
MAX_DT_S = 15 * 60
#: ... and in space are one meeting.
MAX_DIST_M = 150.0


def pairs_sql(max_dt_s: float = MAX_DT_S, max_dist_m: float = MAX_DIST_M) -> str:
    """CTEs ending in ``sighted_pairs(id_a, id_b, t0, t1, lat, lon, p, ea, eb, ag_a, ag_b, d)``: sightings of two
    different subjects close in time and space (also used by the network's meetings layer)."""
    dt = int(max_dt_s)
    return f"""
    _s AS (
      SELECT event_id, subject, observed, lat, lon, coalesce(confidence, 1.0) AS conf, agency FROM sightings
      WHERE subject IS NOT NULL AND lat IS NOT NULL AND lon IS NOT NULL
    ), _sp AS (
      SELECT a.subject AS id_a, b.subject AS id_b, least(a.observed, b.observed) AS t0,
             greatest(a.observed, b.observed) AS t1, (a.lat + b.lat) / 2 AS lat, (a.lon + b.lon) / 2 AS lon,
             a.conf * b.conf AS p, a.event_id AS ea, b.event_id AS eb, a.agency AS ag_a, b.agency AS ag_b,
             {haversine_sql("a.lat", "a.lon", "b.lat", "b.lon")} AS d
      FROM _s a JOIN _s b ON a.subject < b.subject
       AND b.observed BETWEEN a.observed - INTERVAL {dt} SECOND AND a.observed + INTERVAL {dt} SECOND
    ), sighted_pairs AS (
      SELECT * FROM _sp WHERE d <= {float(max_dist_m)}
    )"""


def sighted_meetings(store: CaseStore, ids: Sequence[str] | None = None,
                     max_dt_s: float = MAX_DT_S, max_dist_m: float = MAX_DIST_M) -> pa.Table:
    """Pairs of subjects seen together: ``id_a, id_b, start, end, lat, lon, p, n_sightings, event_ids``.

    ``ids`` keeps meetings involving at least one of them (default: all subjects).
    """
    filt = ""
    params: list[object] = []
    if ids:
        filt = "WHERE id_a IN (SELECT unnest(?)) OR id_b IN (SELECT unnest(?))"
        params += [list(ids), list(ids)]
    q = f"""
    WITH {pairs_sql(max_dt_s, max_dist_m)}, close AS (
      SELECT * FROM sighted_pairs
    ), grouped AS (
      -- one meeting per pair and hour-long episode (sightings of one encounter are minutes apart)
      SELECT id_a, id_b, min(t0) AS "start", max(t1) AS "end", avg(lat) AS lat, avg(lon) AS lon,
             1 - product(1 - p) AS p, count(*) AS n_sightings,
             list(DISTINCT ea) || list(DISTINCT eb) AS event_ids
      FROM close GROUP BY id_a, id_b, date_trunc('hour', t0)
    )
    SELECT id_a, id_b, "start", "end", lat, lon, least(p, 1.0) AS p, n_sightings, event_ids
    FROM grouped {filt}
    ORDER BY "start", id_a, id_b
    """
    store.con.execute("SELECT 1").fetchall()  # finish any pending result (DuckDB 2)
    return store.con.sql(q, params=params).to_arrow_table()
