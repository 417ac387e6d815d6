"""Burner-phone succession: one identifier falls silent, another takes over.

Published tradecraft links a retired handset to its successor by the
*fingerprint* of its contacts (the new number calls most of the same people)
and by the cell sites both register on. Both signals are computed here on
the engine (DuckDB SQL), never by looping over records or pairs in Python:

1. per identifier: first/last event, number of events, contact shares and
   cell-site shares (serving-cell positions of its calls, plus location fixes);
2. candidate pairs come only from a join through *shared contacts* restricted
   by *time adjacency*: the new identifier starts within ``max_gap_days`` after
   the old one's last event (and not more than ``max_overlap_days`` before);
3. per pair: weighted Jaccard (Ruzicka) of contact shares, number of shared
   contacts, handover gap, weighted Jaccard of cell-site shares, and whether
   the two ever contacted each other (a person does not call himself);
4. a documented logistic score; pairs kept when each side is the other's best
   match and the score clears ``min_score``.

Civilians change SIMs too and many keep a second SIM: without a shared
contact set *and* the timing of a handover (old silent, new starting) no pair
is proposed, and a second SIM used in parallel fails the overlap test.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fusioncell.store.derived import arrow, cached
from fusioncell.store import CaseStore

TABLE = "burner_pairs"


@dataclass(frozen=True, slots=True)
class BurnerParams:
    """Thresholds of burner-succession detection (defaults tuned on simulator seeds 0–999)."""

    max_gap_days: float = 10.0
    max_overlap_days: float = 1.0
    min_events: int = 3
    min_shared: int = 2
    min_silence_days: float = 0.25
    min_score: float = 0.5
    #: Contacts with more distinct correspondents than this (hotlines, shops) carry no
    #: fingerprint and would make the candidate join quadratic: left out of the join.
    max_contact_degree: int = 300
    #: Grid of the cell-site comparison, degrees (0.01° ≈ 1.1 km).
    cell_deg: float = 0.01
    # Logistic weights: z = b0 + bj*J + bk*K + bs*ln(shared) + bc*coloc - bg*gap_days - bx*contacted
    b0: float = -6.5
    bj: float = 9.0
    #: weight of containment: share of the new phone's traffic that goes to the old phone's contacts
    bk: float = 5.0
    bs: float = 0.8
    bc: float = 2.5
    bg: float = 0.15
    bx: float = 4.0


def _sql(p: BurnerParams, run_id: str) -> str:
    return f"""
CREATE OR REPLACE TABLE {TABLE} AS
WITH dir AS (  -- one row per (caller, callee), not per record: every per-identifier figure below is a sum of these
    SELECT caller, callee, min(start) AS t_first, max(start) AS t_last, count(*) AS n
    FROM comms WHERE caller <> callee GROUP BY caller, callee
),
ev AS (
    SELECT caller AS ident, callee AS other, t_first, t_last, n FROM dir
    UNION ALL
    SELECT callee, caller, t_first, t_last, n FROM dir
),
span AS (SELECT min(start) AS t0, max(start) AS t1 FROM comms),
act AS (
    SELECT ident, min(t_first) AS first_seen, max(t_last) AS last_seen, sum(n) AS n_events,
           count(DISTINCT other) AS n_contacts
    FROM ev GROUP BY ident
),
cw AS (
    SELECT ident, other, sum(n)::DOUBLE / sum(sum(n)) OVER (PARTITION BY ident) AS w
    FROM ev GROUP BY ident, other
),
pos AS (
    SELECT caller AS ident, caller_lat AS lat, caller_lon AS lon FROM comms
    WHERE caller <> callee AND caller_lat IS NOT NULL AND caller_lon IS NOT NULL
    UNION ALL
    SELECT callee, callee_lat, callee_lon FROM comms
    WHERE caller <> callee AND callee_lat IS NOT NULL AND callee_lon IS NOT NULL
    UNION ALL
    SELECT identifier, lat, lon FROM locations
),
cells AS (
    SELECT ident, CAST(floor(lat / {p.cell_deg}) AS BIGINT) * 100000 + CAST(floor(lon / {p.cell_deg}) AS BIGINT) AS cell,
           count(*)::DOUBLE / sum(count(*)) OVER (PARTITION BY ident) AS w
    FROM pos GROUP BY 1, 2
),
olds AS (
    SELECT a.* FROM act a, span
    WHERE a.n_events >= {p.min_events}
      AND a.last_seen <= span.t1 - to_seconds({p.min_silence_days * 86400.0})
),
news AS (
    SELECT a.* FROM act a, span
    WHERE a.n_events >= {p.min_events}
      AND a.first_seen >= span.t0 + to_seconds({p.min_silence_days * 86400.0})
),
cdeg AS (SELECT other, count(*) AS d FROM cw GROUP BY other),
cand AS (
    SELECT o.ident AS old, n.ident AS new, sum(least(co.w, cn.w)) AS wmin, count(*) AS n_shared,
           sum(cn.w) AS contain_new,
           any_value(o.first_seen) AS old_first, any_value(o.last_seen) AS old_last,
           any_value(n.first_seen) AS new_first, any_value(n.last_seen) AS new_last,
           any_value(o.n_contacts) AS old_contacts, any_value(n.n_contacts) AS new_contacts
    FROM olds o
    JOIN cw co ON co.ident = o.ident
    JOIN cdeg ON cdeg.other = co.other AND cdeg.d <= {p.max_contact_degree}
    JOIN cw cn ON cn.other = co.other AND cn.ident <> o.ident
    JOIN news n ON n.ident = cn.ident
    WHERE n.first_seen >= o.last_seen - to_seconds({p.max_overlap_days * 86400.0})
      AND n.first_seen <= o.last_seen + to_seconds({p.max_gap_days * 86400.0})
      AND n.first_seen > o.first_seen
    GROUP BY o.ident, n.ident
    HAVING count(*) >= {p.min_shared}
),
-- The old handset's cells per candidate pair, materialised first: left to itself the
-- optimiser joins cells to cells on the grid cell alone (every two handsets sharing a
-- cell: 175 M rows on a medium case, spilled to disk) before restricting to the pairs.
cand_cells AS MATERIALIZED (
    SELECT c.old, c.new, a.cell, a.w FROM cand c JOIN cells a ON a.ident = c.old
),
coloc AS (
    SELECT o.old, o.new, sum(least(o.w, b.w)) AS cmin
    FROM cand_cells o JOIN cells b ON b.ident = o.new AND b.cell = o.cell
    GROUP BY o.old, o.new
),
haspos AS (SELECT DISTINCT ident FROM cells),
direct AS (SELECT DISTINCT ident, other FROM cw),
feat AS (
    SELECT c.*,
           c.wmin / (2.0 - c.wmin) AS jaccard,
           CASE WHEN hp1.ident IS NOT NULL AND hp2.ident IS NOT NULL
                THEN coalesce(cl.cmin, 0) / (2.0 - coalesce(cl.cmin, 0)) END AS coloc,
           greatest(epoch(c.new_first) - epoch(c.old_last), 0) / 86400.0 AS gap_days,
           (d.ident IS NOT NULL) AS contacted
    FROM cand c
    LEFT JOIN coloc cl ON cl.old = c.old AND cl.new = c.new
    LEFT JOIN haspos hp1 ON hp1.ident = c.old
    LEFT JOIN haspos hp2 ON hp2.ident = c.new
    LEFT JOIN direct d ON d.ident = c.old AND d.other = c.new
),
scored AS (
    SELECT *, 1.0 / (1.0 + exp(-(
            {p.b0} + {p.bj} * jaccard + {p.bk} * contain_new + {p.bs} * ln(n_shared) + {p.bc} * coalesce(coloc, 0.3)
            - {p.bg} * gap_days - {p.bx} * CAST(contacted AS INTEGER)))) AS score
    FROM feat
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY old ORDER BY score DESC, new) AS r_old,
              row_number() OVER (PARTITION BY new ORDER BY score DESC, old) AS r_new
    FROM scored
)
SELECT '{run_id}' AS run_id, old, new, score, jaccard, contain_new, n_shared, old_contacts, new_contacts,
       coloc, gap_days, contacted, old_first, old_last, new_first, new_last,
       new_first AS handover
FROM ranked
WHERE r_old = 1 AND r_new = 1 AND score >= {p.min_score}
ORDER BY score DESC, old
"""


def build_burner_pairs(store: CaseStore, params: BurnerParams | None = None) -> str:
    """Compute (or reuse) the ``burner_pairs`` table; return its run id."""
    p = params or BurnerParams()

    def build(run_id: str) -> None:
        store.con.execute(_sql(p, run_id))

    return cached(store, TABLE, asdict(p), build)


def _tz(store: CaseStore) -> ZoneInfo:
    rows = store.con.execute("SELECT timezone FROM case_info LIMIT 1").fetchall()
    try:
        return ZoneInfo(rows[0][0]) if rows and rows[0][0] else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _why(r: dict[str, Any]) -> str:
    parts = [f"{r['n_shared']} of {r['old_contacts']} contacts shared (weighted Jaccard {r['jaccard']:.2f})"]
    if r["coloc"] is not None and not (isinstance(r["coloc"], float) and math.isnan(r["coloc"])):
        parts.append("same cell sites" if r["coloc"] >= 0.5 else f"cell-site overlap {r['coloc']:.2f}")
    parts.append(f"new started {r['gap_days']:.1f} d after old fell silent")
    return "; ".join(parts)


def burner_successions(store: CaseStore, params: BurnerParams | None = None) -> list[dict[str, Any]]:
    """Burner-phone successions found in the case, best first.

    Returns
    -------
    list of dict
        ``old``, ``new``, ``score`` (0–1), ``handover`` (ISO time, the new
        identifier's first event), ``why`` and ``evidence`` (the features:
        ``jaccard``, ``n_shared``, ``old_contacts``, ``new_contacts``,
        ``coloc`` — None when a handset has no position —, ``gap_days``).

    Examples
    --------
    >>> from fusioncell.store import CaseStore
    >>> burner_successions(CaseStore.memory())
    []
    """
    build_burner_pairs(store, params)
    tz = _tz(store)
    tbl = arrow(store.con, f"SELECT * FROM {TABLE} ORDER BY score DESC, old")
    out: list[dict[str, Any]] = []
    for r in tbl.to_pylist():
        ev = {
            k: r[k]
            for k in ("jaccard", "contain_new", "n_shared", "old_contacts", "new_contacts", "coloc", "gap_days", "contacted")
        }
        out.append(
            {
                "old": r["old"],
                "new": r["new"],
                "score": round(float(r["score"]), 3),
                "handover": r["handover"].astimezone(tz).isoformat(),
                "why": _why(r),
                "evidence": json.loads(json.dumps(ev, default=float)),
            }
        )
    return out
