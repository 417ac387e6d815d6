"""Plans of the resolve stage: burner-phone succession (:mod:`fusioncell.resolve.burner`).

The thresholds and weights are the stage's (:class:`fusioncell.resolve.burner.BurnerParams`, passed as
``p``); this says how to compute with them on either engine.
"""

from __future__ import annotations

from typing import Any

from fusioncell.store.plans import Query, plan


@plan("resolve.activity")
def activity(q: Query, *, run_id: str) -> str:
    """Per identifier: first and last record with another party, their number and how many it made."""
    comms = q.t("comms")
    return f"""
SELECT {q.d.lit(run_id)} AS run_id, ident, min(f) AS first_seen, max(l) AS last_seen,
       sum(n) AS n_events, sum(n_out) AS n_out
FROM (
    SELECT caller AS ident, min(start) AS f, max(start) AS l, count(*) AS n, count(*) AS n_out
    FROM {comms} WHERE caller <> callee GROUP BY caller
    UNION ALL
    SELECT callee, min(start), max(start), count(*), 0 FROM {comms} WHERE caller <> callee GROUP BY callee
) GROUP BY ident"""


@plan("resolve.activity_delivered")
def activity_delivered(q: Query, *, run_id: str) -> str:
    """``resolve.activity`` merged from the per-delivery activity ingest writes (``comms_activity``): min, max, sums.

    The same rows as grouping ``comms`` when ``comms_activity`` covers every record
    (:func:`fusioncell.resolve.activity.covered`); sums of BIGINT counts, as there; an identifier
    seen only calling itself (``n_events`` 0) has no row, as there.
    """
    return f"""
SELECT {q.d.lit(run_id)} AS run_id, ident, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
       sum(n_events) AS n_events, sum(n_out) AS n_out
FROM {q.t('comms_activity')} GROUP BY ident HAVING sum(n_events) > 0"""


@plan("resolve.burner_pairs")
def burner_pairs(q: Query, *, run_id: str, p: Any, no_ends: bool = False) -> str:
    """Successions ``old -> new`` kept: each the other's best match with a score >= ``p.min_score``.

    ``no_ends``: the caller found that no identifier can be an end (plan ``resolve.burner_ends`` is
    empty): every CTE from the kept ends on is then empty whatever the records, so they are read as
    an empty relation (the same empty table, with its columns, and no scan of the records).
    """
    return ("\nWITH " + _window(q, p) + ",\n" + _activity(q, p, no_ends) + _candidates(q, p)
            + _scored(q, run_id, p))


@plan("resolve.burner_ends")
def burner_ends(q: Query, *, p: Any) -> str:
    """The identifiers that can be one end of a succession (``ident``): the only ones the pairs are computed for."""
    return "\nWITH " + _window(q, p) + "\nSELECT ident FROM keep ORDER BY ident"


def _secs(x: float) -> str:
    """Whole microseconds: the comparisons stay exact on both engines."""
    return str(int(round(x * 1e6)))


def _window(q: Query, p: Any) -> str:
    """CTEs side .. keep: the identifiers that can be one end of a succession, from their activity spans alone.

    A pair needs an old identifier (silent before the end of the records) and a new one whose
    first event falls in the old one's handover window [last - overlap, last + gap]. Each
    identifier's first and last event are read from ``resolve_activity``; on DuckDB an ASOF join
    then finds, for every old identifier, the earliest new start at or after its window's
    opening (and for every new one the latest old end at or before its window's close): an
    identifier without a partner in its window can be in no candidate pair, and every figure
    below (contacts, cells, degrees) is needed only for the identifiers kept. On Spark (no ASOF
    join) every old and new identifier is kept: the same answer, without the cut.
    """
    d = q.d
    us, secs = d.epoch_us, _secs
    comms = q.t("comms")
    mat = "" if d.spark else "MATERIALIZED "
    lo_gap, hi_gap = secs(p.max_overlap_days * 86400.0), secs(p.max_gap_days * 86400.0)
    silence = secs(p.min_silence_days * 86400.0)
    if d.spark:
        keep = "keep AS (SELECT ident FROM olds0 UNION SELECT ident FROM news0)"
    else:
        keep = f"""ko AS (  -- earliest new start >= the old one's window opening; kept when within its close
    SELECT o.ident FROM olds0 o ASOF JOIN news0 n ON n.f_us >= o.l_us - {lo_gap}
    WHERE n.f_us <= o.l_us + {hi_gap}
),
kn AS (  -- latest old end <= the new one's start + overlap; kept when within the gap before it
    SELECT n.ident FROM news0 n ASOF JOIN olds0 o ON o.l_us <= n.f_us + {lo_gap}
    WHERE o.l_us >= n.f_us - {hi_gap}
),
keep AS {mat}(SELECT ident FROM ko UNION SELECT ident FROM kn)"""
    return f"""span AS (SELECT min(start) AS t0, max(start) AS t1 FROM {comms}),
act0 AS {mat}(  -- the resolve_activity table (plan resolve.activity), read by group switches too
    SELECT ident, first_seen, last_seen, n_events, {us('first_seen')} AS f_us, {us('last_seen')} AS l_us
    FROM {q.t('resolve_activity')}
),
olds0 AS (
    SELECT a.* FROM act0 a CROSS JOIN span
    WHERE a.n_events >= {int(p.min_events)} AND a.l_us <= {us('span.t1')} - {silence}
),
news0 AS (
    SELECT a.* FROM act0 a CROSS JOIN span
    WHERE a.n_events >= {int(p.min_events)} AND a.f_us >= {us('span.t0')} + {silence}
),
{keep}"""


def _activity(q: Query, p: Any, no_ends: bool = False) -> str:
    """CTEs und .. cells: the kept identifiers' pairs, activity, contacts' degrees and grid cells."""
    f = q.d.f
    comms = f"(SELECT * FROM {q.t('comms')} LIMIT 0)" if no_ends else q.t("comms")
    locations = f"(SELECT * FROM {q.t('locations')} LIMIT 0)" if no_ends else q.t("locations")
    cell = (f"CAST(floor(lat / {f(p.cell_deg)}) AS BIGINT) * 100000 + "
            f"CAST(floor(lon / {f(p.cell_deg)}) AS BIGINT)")
    mat = "" if q.d.spark else "MATERIALIZED "
    return f"""und AS (  -- one row per unordered pair of correspondents with a kept end, not per record
    SELECT least(caller, callee) AS lo, greatest(caller, callee) AS hi, count(*) AS n
    FROM {comms}
    WHERE caller <> callee AND (caller IN (SELECT ident FROM keep) OR callee IN (SELECT ident FROM keep))
    GROUP BY least(caller, callee), greatest(caller, callee)
),
pair AS {mat}(  -- each such pair from its kept end(s): every pair of a kept identifier, once per kept end
    SELECT u.lo AS ident, u.hi AS other, u.n FROM und u JOIN keep k ON k.ident = u.lo
    UNION ALL
    SELECT u.hi, u.lo, u.n FROM und u JOIN keep k ON k.ident = u.hi
),
act AS {mat}(
    SELECT a.ident, a.first_seen, a.last_seen, a.n_events, c.n_contacts
    FROM act0 a JOIN (SELECT ident, count(*) AS n_contacts FROM pair GROUP BY ident) c ON c.ident = a.ident
),
-- The degree of the kept identifiers' contacts: never above their number of events, so counted
-- exactly (distinct correspondents) only for a contact with more events than the threshold.
heavy AS {mat}(
    SELECT a.ident FROM act0 a JOIN (SELECT DISTINCT other FROM pair) o ON o.other = a.ident
    WHERE a.n_events > {int(p.max_contact_degree)}
),
deg AS (
    SELECT ident, count(DISTINCT other) AS n_contacts FROM (
        SELECT caller AS ident, callee AS other FROM {comms}
        WHERE caller <> callee AND caller IN (SELECT ident FROM heavy)
        UNION ALL
        SELECT callee, caller FROM {comms} WHERE caller <> callee AND callee IN (SELECT ident FROM heavy)
    ) GROUP BY ident
),
pos AS (
    SELECT caller AS ident, caller_lat AS lat, caller_lon AS lon FROM {comms}
    WHERE caller <> callee AND caller_lat IS NOT NULL AND caller_lon IS NOT NULL
      AND caller IN (SELECT ident FROM keep)
    UNION ALL
    SELECT callee, callee_lat, callee_lon FROM {comms}
    WHERE caller <> callee AND callee_lat IS NOT NULL AND callee_lon IS NOT NULL
      AND callee IN (SELECT ident FROM keep)
    UNION ALL
    SELECT identifier, lat, lon FROM {locations} WHERE identifier IN (SELECT ident FROM keep)
),
cells AS (
    SELECT ident, {cell} AS cell, CAST(count(*) AS DOUBLE) / sum(count(*)) OVER (PARTITION BY ident) AS w
    FROM pos GROUP BY ident, {cell}
),
"""


def _candidates(q: Query, p: Any) -> str:
    """CTEs olds .. coloc: silent-then-new pairs sharing contacts, and their co-location."""
    d = q.d
    us, secs = d.epoch_us, _secs
    mat = "" if d.spark else "MATERIALIZED "
    width = secs((p.max_overlap_days + p.max_gap_days) * 86400.0)

    def bucket(x_us: str) -> str:
        return f"CAST(floor({x_us} / {width}) AS BIGINT)"

    b_lo = bucket(f"({us('o.last_seen')} - {secs(p.max_overlap_days * 86400.0)})")
    b_hi = bucket(f"({us('o.last_seen')} + {secs(p.max_gap_days * 86400.0)})")
    # an exclusive line: both handsets' whole traffic with one and the same correspondent (BurnerParams)
    exclusive = (" OR (count(*) = 1 AND min(o.n_contacts) = 1 AND min(n.n_contacts) = 1)"
                 if p.exclusive_line else "")
    return f"""olds AS (
    SELECT a.* FROM act a CROSS JOIN span
    WHERE a.n_events >= {int(p.min_events)}
      AND {us('a.last_seen')} <= {us('span.t1')} - {secs(p.min_silence_days * 86400.0)}
),
news AS (
    SELECT a.* FROM act a CROSS JOIN span
    WHERE a.n_events >= {int(p.min_events)}
      AND {us('a.first_seen')} >= {us('span.t0')} + {secs(p.min_silence_days * 86400.0)}
),
-- A pair whose other end is a hub (more than max_contact_degree correspondents: hotlines, shops)
-- carries no fingerprint. A contact outside deg has at most max_contact_degree events, so as many correspondents.
pc AS {mat}(
    SELECT p.ident, p.other, p.n FROM pair p LEFT JOIN deg g ON g.ident = p.other
    WHERE g.ident IS NULL OR g.n_contacts <= {int(p.max_contact_degree)}
),
-- Each side's contact weights (share of its events with each correspondent), materialised on
-- DuckDB: left to itself the optimiser joins every two identifiers sharing a contact first (97 M
-- rows at 10 M records) before keeping the old and new ones. The handover window of an old
-- identifier (new starts in [last - overlap, last + gap]) spans at most a few buckets of that
-- width: the join matches on the new one's bucket too, then checks the window exactly.
oc AS {mat}(
    SELECT o.ident, o.first_seen, o.last_seen, o.n_contacts, c.other, CAST(c.n AS DOUBLE) / o.n_events AS w, k.i + {b_lo} AS b
    FROM olds o JOIN pc c ON c.ident = o.ident CROSS JOIN (VALUES (0), (1), (2)) AS k(i)
    WHERE k.i + {b_lo} <= {b_hi}
),
nc AS {mat}(
    SELECT n.ident, n.first_seen, n.last_seen, n.n_contacts, c.other, CAST(c.n AS DOUBLE) / n.n_events AS w,
           {bucket(us('n.first_seen'))} AS b
    FROM news n JOIN pc c ON c.ident = n.ident
),
cand AS (
    SELECT o.ident AS old, n.ident AS new, sum(least(o.w, n.w)) AS wmin, count(*) AS n_shared,
           sum(n.w) AS contain_new, sum(o.w) AS contain_old,
           min(o.first_seen) AS old_first, min(o.last_seen) AS old_last,
           min(n.first_seen) AS new_first, min(n.last_seen) AS new_last,
           min(o.n_contacts) AS old_contacts, min(n.n_contacts) AS new_contacts
    FROM oc o JOIN nc n ON n.other = o.other AND n.b = o.b AND n.ident <> o.ident
    WHERE {us('n.first_seen')} >= {us('o.last_seen')} - {secs(p.max_overlap_days * 86400.0)}
      AND {us('n.first_seen')} <= {us('o.last_seen')} + {secs(p.max_gap_days * 86400.0)}
      AND n.first_seen > o.first_seen
    GROUP BY o.ident, n.ident
    HAVING count(*) >= {int(p.min_shared)}{exclusive}
),
-- The old handset's cells per candidate pair, materialised first on DuckDB: left to itself the
-- optimiser joins cells to cells on the grid cell alone (every two handsets sharing a
-- cell: 175 M rows on a medium case, spilled to disk) before restricting to the pairs.
cand_cells AS {mat}(
    SELECT c.old, c.new, a.cell, a.w FROM cand c JOIN cells a ON a.ident = c.old
),
coloc AS (
    SELECT o.old, o.new, sum(least(o.w, b.w)) AS cmin
    FROM cand_cells o JOIN cells b ON b.ident = o.new AND b.cell = o.cell
    GROUP BY o.old, o.new
),
"""


def _scored(q: Query, run_id: str, p: Any) -> str:
    """CTEs haspos .. ranked and the final SELECT: features, logistic score, mutual best matches."""
    d = q.d
    f = d.f
    return f"""haspos AS (SELECT DISTINCT ident FROM cells),
direct AS (SELECT ident, other FROM pair),
feat AS (
    SELECT c.*,
           c.wmin / ({f(2.0)} - c.wmin) AS jaccard,
           CASE WHEN hp1.ident IS NOT NULL AND hp2.ident IS NOT NULL
                THEN coalesce(cl.cmin, {f(0.0)}) / ({f(2.0)} - coalesce(cl.cmin, {f(0.0)})) END AS coloc,
           greatest({d.epoch_s('c.new_first')} - {d.epoch_s('c.old_last')}, {f(0.0)}) / {f(86400.0)} AS gap_days,
           (d.ident IS NOT NULL) AS contacted
    FROM cand c
    LEFT JOIN coloc cl ON cl.old = c.old AND cl.new = c.new
    LEFT JOIN haspos hp1 ON hp1.ident = c.old
    LEFT JOIN haspos hp2 ON hp2.ident = c.new
    LEFT JOIN direct d ON d.ident = c.old AND d.other = c.new
),
scored AS (
    SELECT *, {f(1.0)} / ({f(1.0)} + exp(-(
            {f(p.b0)} + {f(p.bj)} * jaccard + {f(p.bk)} * greatest(contain_new, contain_old) + {f(p.bs)} * ln(n_shared)
            + {f(p.bc)} * coalesce(coloc, {f(0.3)})
            - {f(p.bg)} * gap_days - {f(p.bx)} * CAST(contacted AS INTEGER)))) AS score
    FROM feat
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY old ORDER BY score DESC, new) AS r_old,
              row_number() OVER (PARTITION BY new ORDER BY score DESC, old) AS r_new
    FROM scored
)
SELECT {d.lit(run_id)} AS run_id, old, new, score, jaccard, contain_new, contain_old, n_shared, old_contacts, new_contacts,
       coloc, gap_days, contacted, old_first, old_last, new_first, new_last,
       new_first AS handover
FROM ranked
WHERE r_old = 1 AND r_new = 1 AND score >= {f(p.min_score)}
ORDER BY score DESC, old"""
