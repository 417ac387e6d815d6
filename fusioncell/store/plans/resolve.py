"""Plans of the resolve stage: burner-phone succession (:mod:`fusioncell.resolve.burner`).

The thresholds and weights are the stage's (:class:`fusioncell.resolve.burner.BurnerParams`, passed as
``p``); this says how to compute with them on either engine.
"""

from __future__ import annotations

from typing import Any

from fusioncell.store.plans import Query, plan


@plan("resolve.burner_pairs")
def burner_pairs(q: Query, *, run_id: str, p: Any) -> str:
    """Successions ``old -> new`` kept: each the other's best match with a score >= ``p.min_score``."""
    return "\nWITH " + _activity(q, p) + _candidates(q, p) + _scored(q, run_id, p)


def _secs(x: float) -> str:
    """Whole microseconds: the comparisons stay exact on both engines."""
    return str(int(round(x * 1e6)))


def _activity(q: Query, p: Any) -> str:
    """CTEs und .. cells: each identifier's activity span, contact weights and grid cells."""
    f = q.d.f
    comms = q.t("comms")
    cell = (f"CAST(floor(lat / {f(p.cell_deg)}) AS BIGINT) * 100000 + "
            f"CAST(floor(lon / {f(p.cell_deg)}) AS BIGINT)")
    mat = "" if q.d.spark else "MATERIALIZED "
    return f"""und AS (  -- one row per unordered pair of correspondents, not per record (caller <> callee)
    SELECT least(caller, callee) AS lo, greatest(caller, callee) AS hi,
           min(start) AS t_first, max(start) AS t_last, count(*) AS n
    FROM {comms} WHERE caller <> callee GROUP BY least(caller, callee), greatest(caller, callee)
),
pair AS {mat}(  -- each pair from both ends: one row per (ident, other), symmetric; every figure below sums these
    SELECT lo AS ident, hi AS other, t_first, t_last, n FROM und
    UNION ALL
    SELECT hi, lo, t_first, t_last, n FROM und
),
span AS (SELECT min(start) AS t0, max(start) AS t1 FROM {comms}),
act AS {mat}(
    SELECT ident, min(t_first) AS first_seen, max(t_last) AS last_seen, sum(n) AS n_events,
           count(*) AS n_contacts
    FROM pair GROUP BY ident
),
pos AS (
    SELECT caller AS ident, caller_lat AS lat, caller_lon AS lon FROM {comms}
    WHERE caller <> callee AND caller_lat IS NOT NULL AND caller_lon IS NOT NULL
    UNION ALL
    SELECT callee, callee_lat, callee_lon FROM {comms}
    WHERE caller <> callee AND callee_lat IS NOT NULL AND callee_lon IS NOT NULL
    UNION ALL
    SELECT identifier, lat, lon FROM {q.t('locations')}
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
-- carries no fingerprint. pair is symmetric, so the other end's degree is its n_contacts.
pc AS {mat}(
    SELECT p.ident, p.other, p.n FROM pair p JOIN act c ON c.ident = p.other AND c.n_contacts <= {int(p.max_contact_degree)}
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
           sum(n.w) AS contain_new,
           min(o.first_seen) AS old_first, min(o.last_seen) AS old_last,
           min(n.first_seen) AS new_first, min(n.last_seen) AS new_last,
           min(o.n_contacts) AS old_contacts, min(n.n_contacts) AS new_contacts
    FROM oc o JOIN nc n ON n.other = o.other AND n.b = o.b AND n.ident <> o.ident
    WHERE {us('n.first_seen')} >= {us('o.last_seen')} - {secs(p.max_overlap_days * 86400.0)}
      AND {us('n.first_seen')} <= {us('o.last_seen')} + {secs(p.max_gap_days * 86400.0)}
      AND n.first_seen > o.first_seen
    GROUP BY o.ident, n.ident
    HAVING count(*) >= {int(p.min_shared)}
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
            {f(p.b0)} + {f(p.bj)} * jaccard + {f(p.bk)} * contain_new + {f(p.bs)} * ln(n_shared)
            + {f(p.bc)} * coalesce(coloc, {f(0.3)})
            - {f(p.bg)} * gap_days - {f(p.bx)} * CAST(contacted AS INTEGER)))) AS score
    FROM feat
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY old ORDER BY score DESC, new) AS r_old,
              row_number() OVER (PARTITION BY new ORDER BY score DESC, old) AS r_new
    FROM scored
)
SELECT {d.lit(run_id)} AS run_id, old, new, score, jaccard, contain_new, n_shared, old_contacts, new_contacts,
       coloc, gap_days, contacted, old_first, old_last, new_first, new_last,
       new_first AS handover
FROM ranked
WHERE r_old = 1 AND r_new = 1 AND score >= {f(p.min_score)}
ORDER BY score DESC, old"""
