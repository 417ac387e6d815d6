"""Contact edges aggregated on the engine: one row per pair of nodes.

Call records become undirected weighted edges in one relational pass (DuckDB
SQL; nothing loops over records in Python). A *node* is the resolved person
of an identifier when it is attributed (:func:`fusioncell.resolve.person_of`),
else the identifier itself, so a person with two phones is one node. With
``level="identifier"`` the raw identifiers are the nodes.

Junk that real carrier data has does not inflate ties: self-calls (and calls
between two phones of one person) are dropped, and duplicate records (same
caller, callee, start, channel and duration under different event ids) count
once. Hubs (call centres, voicemail) are handled in
:mod:`fusioncell.network.ties`.

Features per pair (``a < b``), all in the case's local time zone
(``case_info.timezone``):

=====================  =========================================================
``n_events``            calls + messages between the two
``n_calls``             voice calls (``channel = 'call'``)
``total_duration_s``    seconds of calls
``mean_call_s``         mean call length
``reciprocity``         2·min(a→b, b→a) / n — 1 when both call equally, 0 one-way
``night_share``         share of events 22:00–06:00 local
``weekend_share``       share on Saturday/Sunday local
``business_share``      share Mon–Fri 09:00–18:00 local
``active_days``         distinct local days with contact
``rhythm``              active_days / days the case spans (1 = daily)
``burstiness``          (σ−μ)/(σ+μ) of inter-event gaps (Goh & Barabási): −1 regular, 0 random, →1 bursty
``recency_days``        days from the pair's last contact to the case's last event
``first`` / ``last``    first and last contact
``coloc_share``         share of the events (with both cell sites known) where the two
                        handsets were within :data:`COLOC_M` of each other
``coloc_day_share``     the same over weekday business-hour events (at work together)
``same_home``           1 when both nodes' *home* (modal own cell site over 20:00–07:00
                        local) are within :data:`COLOC_M`, 0 when not, NULL unknown
``same_work``           the same for the *work* place (modal cell Mon–Fri 09:00–17:00),
                        when it is not the shared home
``tie_share``           n_events / the smaller of the two nodes' event totals (1: all the
                        quieter one's traffic goes to this tie)
``top_tie``             1 when this is the busiest tie of both ends, 0.5 of one, 0 of neither
=====================  =========================================================
"""

from __future__ import annotations

from typing import Literal

from fusioncell.spacetime.geo import haversine_sql
from fusioncell.store import CaseStore

Level = Literal["person", "identifier"]

NIGHT_FROM_H = 22
NIGHT_TO_H = 6
#: Two handsets whose serving cells (or homes, work places) are this close count as together.
COLOC_M = 1500.0


def timezone_of(store: CaseStore) -> str:
    """The case's IANA time zone (UTC when the store holds no case info)."""
    rows = store.con.execute("SELECT timezone FROM case_info LIMIT 1").fetchall()
    tz = rows[0][0] if rows and rows[0][0] else "UTC"
    return str(tz).replace("'", "")


def node_map_sql(level: Level) -> str:
    """SQL of a relation ``(identifier, node)`` mapping identifiers to graph nodes."""
    if level == "identifier":
        return "(SELECT NULL::VARCHAR AS identifier, NULL::VARCHAR AS node WHERE false)"
    return "(SELECT identifier, person AS node FROM attributions)"


def local_day0(store: CaseStore, tz: str) -> str | None:
    """The first local date of the calls when they span at most 64 local days (else None).

    Within 64 days a pair's active days are counted with a 64-bit mask
    (``bit_count(bit_or(1 << day))``), three times cheaper than
    ``count(DISTINCT day)``; longer cases use the distinct count.
    """
    store.con.execute("SELECT 1").fetchall()
    row = store.con.execute(
        f"SELECT CAST(t0 AT TIME ZONE '{tz}' AS DATE), CAST(t1 AT TIME ZONE '{tz}' AS DATE)"
        " FROM (SELECT min(start) AS t0, max(start) AS t1 FROM comms)"
    ).fetchall()[0]
    if row[0] is None or (row[1] - row[0]).days > 63:
        return None
    return str(row[0])


def edges_sql(table: str, run_id: str, tz: str, level: Level, day0: str | None = None) -> str:
    """``CREATE OR REPLACE TEMP TABLE table`` aggregating ``comms`` into pair features.

    A temporary table (in memory, spilled only under memory pressure): it is
    an intermediate of the ties table and never needs the store's disk format.
    """
    nm = node_map_sql(level)
    if day0:  # all days within 64 of day0: a bit mask per pair (see local_day0)
        days = (f"bit_count(bit_or(1::UBIGINT << CAST(date_diff('day', DATE '{day0}', CAST(lt AS DATE)) AS INTEGER)))"
                " AS active_days")
    else:
        days = "count(DISTINCT CAST(lt AS DATE)) AS active_days"
    if level == "person":  # which identifiers of the two persons were used
        ids_agg = "list(DISTINCT caller) AS ids_caller, list(DISTINCT callee) AS ids_callee"
        ids_out = "list_distinct(list_concat(ids_caller, ids_callee))"
    else:  # the nodes are the identifiers
        ids_agg = "NULL AS ids_caller"
        ids_out = "[agg.a, agg.b]"
    return f"""
CREATE OR REPLACE TEMP TABLE {table} AS
WITH span AS (
    SELECT min(start) AS t0, max(start) AS t1,
           greatest(1.0, ceil((epoch(max(start)) - epoch(min(start))) / 86400.0)) AS span_days
    FROM comms
),
calls1 AS (   -- one record per call: the same call delivered twice (two agencies, two exports) counts once
    -- (the copies' cell positions: the smallest, lat and lon from the same copy, so the answer never
    -- depends on the order DuckDB's threads read the rows in)
    SELECT caller, callee, start, channel, duration_s,
           min(struct_pack(lat := caller_lat, lon := caller_lon)) AS cpos,
           min(struct_pack(lat := callee_lat, lon := callee_lon)) AS epos
    FROM comms GROUP BY caller, callee, start, channel, duration_s
),
ev AS (
    SELECT coalesce(m1.node, c.caller) AS src, coalesce(m2.node, c.callee) AS dst,
           c.caller, c.callee, c.start, c.duration_s, c.channel,
           c.cpos.lat AS caller_lat, c.cpos.lon AS caller_lon, c.epos.lat AS callee_lat, c.epos.lon AS callee_lon,
           (c.start AT TIME ZONE '{tz}') AS lt
    FROM calls1 c
    LEFT JOIN {nm} m1 ON m1.identifier = c.caller
    LEFT JOIN {nm} m2 ON m2.identifier = c.callee
),
ev2 AS (
    SELECT least(src, dst) AS a, greatest(src, dst) AS b, src, dst, start, duration_s, channel, lt,
           caller, callee, caller_lat, caller_lon, callee_lat, callee_lon,
           CASE WHEN caller_lat IS NOT NULL AND callee_lat IS NOT NULL THEN
                CASE WHEN {haversine_sql("caller_lat", "caller_lon", "callee_lat", "callee_lon")} <= {COLOC_M}
                     THEN 1.0 ELSE 0.0 END END AS coloc,
           -- gaps between a pair's events: partitioned by a 64-bit hash of the pair and ordered by an integer
           -- time (4-5x cheaper than partitioning on the two strings; two pairs would have to collide in 64 bits
           -- to mix their gaps)
           (e_us - lag(e_us) OVER (PARTITION BY h ORDER BY e_us)) / 1e6 AS gap_s
    FROM (SELECT *, hash(least(src, dst), greatest(src, dst)) AS h, epoch_us(start) AS e_us FROM ev WHERE src <> dst)
),
agg AS (
    SELECT a, b,
           count(*) AS n_events,
           count(*) FILTER (WHERE channel = 'call') AS n_calls,
           coalesce(sum(duration_s) FILTER (WHERE channel = 'call'), 0) AS total_duration_s,
           coalesce(avg(duration_s) FILTER (WHERE channel = 'call'), 0) AS mean_call_s,
           count(*) FILTER (WHERE src = a) AS n_ab,
           count(*) FILTER (WHERE src = b) AS n_ba,
           avg(CASE WHEN hour(lt) >= {NIGHT_FROM_H} OR hour(lt) < {NIGHT_TO_H} THEN 1.0 ELSE 0.0 END) AS night_share,
           avg(CASE WHEN dayofweek(lt) IN (0, 6) THEN 1.0 ELSE 0.0 END) AS weekend_share,
           avg(CASE WHEN dayofweek(lt) BETWEEN 1 AND 5 AND hour(lt) >= 9 AND hour(lt) < 18 THEN 1.0 ELSE 0.0 END)
               AS business_share,
           {days},
           avg(gap_s) AS gap_mean_s, stddev_pop(gap_s) AS gap_sd_s,
           min(start) AS first, max(start) AS last,
           avg(coloc) AS coloc_share,
           avg(coloc) FILTER (WHERE dayofweek(lt) BETWEEN 1 AND 5 AND hour(lt) >= 9 AND hour(lt) < 18) AS coloc_day_share,
           {ids_agg}
    FROM ev2 GROUP BY a, b
),
own AS (   -- each node's own side of its events with a known cell: its serving cell, local time
    SELECT src AS node, caller_lat AS lat, caller_lon AS lon, lt FROM ev2 WHERE caller_lat IS NOT NULL
    UNION ALL SELECT dst, callee_lat, callee_lon, lt FROM ev2 WHERE callee_lat IS NOT NULL
),
ends AS (SELECT a AS node, n_events FROM agg UNION ALL SELECT b, n_events FROM agg),
node_tot AS (SELECT node, sum(n_events) AS n_tot, max(n_events) AS n_top FROM ends GROUP BY node),
node_cells AS (
    SELECT node, round(lat, 3) AS glat, round(lon, 3) AS glon,
           count(*) FILTER (WHERE hour(lt) >= 20 OR hour(lt) < 7) AS n_home,
           count(*) FILTER (WHERE dayofweek(lt) BETWEEN 1 AND 5 AND hour(lt) >= 9 AND hour(lt) < 17) AS n_work
    FROM own WHERE lat IS NOT NULL GROUP BY ALL
),
node_home AS (   -- the cell seen most in the evening and night; ties broken by position, never by thread order
    SELECT node, glat AS home_lat, glon AS home_lon FROM node_cells WHERE n_home > 0
    QUALIFY row_number() OVER (PARTITION BY node ORDER BY n_home DESC, glat, glon) = 1
),
node_work AS (
    SELECT node, glat AS work_lat, glon AS work_lon FROM node_cells WHERE n_work > 0
    QUALIFY row_number() OVER (PARTITION BY node ORDER BY n_work DESC, glat, glon) = 1
),
node_place AS (
    SELECT n.node, h.home_lat, h.home_lon, w.work_lat, w.work_lon
    FROM (SELECT DISTINCT node FROM node_cells) n
    LEFT JOIN node_home h ON h.node = n.node LEFT JOIN node_work w ON w.node = n.node
)
SELECT '{run_id}' AS run_id, agg.a, agg.b, n_events, n_calls, total_duration_s, mean_call_s, n_ab, n_ba,
       2.0 * least(n_ab, n_ba) / n_events AS reciprocity,
       night_share, weekend_share, business_share, active_days,
       least(1.0, active_days / span.span_days) AS rhythm,
       CASE WHEN n_events >= 3 AND gap_mean_s + gap_sd_s > 0
            THEN (gap_sd_s - gap_mean_s) / (gap_sd_s + gap_mean_s) ELSE 0.0 END AS burstiness,
       (epoch(span.t1) - epoch(last)) / 86400.0 AS recency_days,
       first, last,
       {ids_out} AS identifiers,
       coloc_share, coloc_day_share,
       CASE WHEN pa.home_lat IS NOT NULL AND pb.home_lat IS NOT NULL THEN
            CASE WHEN {haversine_sql("pa.home_lat", "pa.home_lon", "pb.home_lat", "pb.home_lon")} <= {COLOC_M}
                 THEN 1.0 ELSE 0.0 END END AS same_home,
       CASE WHEN pa.work_lat IS NOT NULL AND pb.work_lat IS NOT NULL THEN
            CASE WHEN {haversine_sql("pa.work_lat", "pa.work_lon", "pb.work_lat", "pb.work_lon")} <= {COLOC_M}
                  AND NOT coalesce({haversine_sql("pa.home_lat", "pa.home_lon", "pb.home_lat", "pb.home_lon")} <= {COLOC_M}, false)
                 THEN 1.0 ELSE 0.0 END END AS same_work,
       n_events / least(ta.n_tot, tb.n_tot) AS tie_share,
       ((n_events >= ta.n_top)::INT + (n_events >= tb.n_top)::INT) / 2.0 AS top_tie
FROM agg CROSS JOIN span
LEFT JOIN node_place pa ON pa.node = agg.a LEFT JOIN node_place pb ON pb.node = agg.b
LEFT JOIN node_tot ta ON ta.node = agg.a LEFT JOIN node_tot tb ON tb.node = agg.b
"""
