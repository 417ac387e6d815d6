"""Burner-phone succession: one identifier falls silent, another takes over.

Published tradecraft links a retired handset to its successor by the
*fingerprint* of its contacts (the new number calls most of the same people)
and by the cell sites both register on. Both signals are computed here on
the engine (plan ``resolve.burner_pairs`` in :mod:`fusioncell.store.plans.resolve`, DuckDB or
Spark), never by looping over records or pairs in Python:

1. per identifier: first/last event, number of events, contact shares and
   cell-site shares (serving-cell positions of its calls, plus location fixes);
2. candidate pairs come only from a join through *shared contacts* restricted
   by *time adjacency*: the new identifier starts within ``max_gap_days`` after
   the old one's last event (and not more than ``max_overlap_days`` before),
   sharing ``min_shared`` contacts, or one when it is an *exclusive line* (each
   handset's every record with that one correspondent: ``exclusive_line``);
3. per pair: weighted Jaccard (Ruzicka) of contact shares, containment (the
   share of each handset's traffic that goes to the other's contacts; the
   larger of the two enters the score, so a handset with a short history is
   judged by where *its* few calls went), number of shared contacts, handover
   gap, weighted Jaccard of cell-site shares, and whether the two ever
   contacted each other (a person does not call himself);
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

from fusioncell.resolve.activity import build_activity
from fusioncell.store.derived import arrow, cached, pylist
from fusioncell.store import CaseStore, plans

TABLE = "burner_pairs"


@dataclass(frozen=True, slots=True)
class BurnerParams:
    """Thresholds of burner-succession detection (defaults tuned on simulator seeds 0–999)."""

    max_gap_days: float = 10.0
    max_overlap_days: float = 1.0
    #: net15 tried 2 (as many events as shared contacts): held-out recall +0.005-0.015 but 3 more false pairs
    #: of 20 cases on easy and on hard, mostly handsets with no cell site in common (docs/benchmarks.md)
    min_events: int = 3
    min_shared: int = 2
    #: An *exclusive line* is a candidate with one shared contact: the old handset's every record and the new
    #: one's are with that same single correspondent (each with ``min_events``; a handset kept for one person,
    #: replaced by another kept for that person). net16: on training seeds 0-19 (normal) 8 of the 8 such
    #: candidates that the rest left unmatched were true successions (docs/benchmarks.md).
    exclusive_line: bool = True
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
    #: weight of containment K: the share of one handset's traffic that goes to the other's contacts, the
    #: larger of the two directions (net15: the old handset's few calls all to the new one's contacts count
    #: as much as the new one's calls all to the old one's; before, only the new one's were read)
    bk: float = 5.0
    bs: float = 0.8
    bc: float = 2.5
    bg: float = 0.15
    bx: float = 4.0


def build_burner_pairs(store: CaseStore, params: BurnerParams | None = None) -> str:
    """Compute (or reuse) the ``burner_pairs`` table; return its run id."""
    p = params or BurnerParams()
    activity = build_activity(store)

    def build(run_id: str) -> None:
        # no identifier with a partner in its handover window (plan resolve.burner_ends, from the activity
        # alone): the pairs are none, and the plan reads no record (net14: 0.5 CPU s at 10 M records)
        none = plans.run(store, "resolve.burner_ends", p=p).num_rows == 0
        plans.materialise(store, TABLE, "resolve.burner_pairs", run_id=run_id, p=p, no_ends=none)

    return cached(store, TABLE, asdict(p), build, depends=activity)


def succession_ends(store: CaseStore, params: BurnerParams | None = None) -> list[str]:
    """The identifiers that can be one end of a succession (a partner in their handover window), sorted."""
    build_activity(store)
    return [str(x) for x in plans.run(store, "resolve.burner_ends", p=params or BurnerParams()).column("ident").to_pylist()]


def _tz(store: CaseStore) -> ZoneInfo:
    rows = store.con.execute("SELECT timezone FROM case_info LIMIT 1").fetchall()
    try:
        return ZoneInfo(rows[0][0]) if rows and rows[0][0] else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _why(r: dict[str, Any]) -> str:
    parts = [f"{r['n_shared']} of {r['old_contacts']} contacts shared (weighted Jaccard {r['jaccard']:.2f})"]
    if r["coloc"] is not None and not (isinstance(r["coloc"], float) and math.isnan(r["coloc"])):
        # rounded: a share of exactly one half is a sum of shares, an ulp off either way with the join order
        parts.append("same cell sites" if round(r["coloc"], 9) >= 0.5 else f"cell-site overlap {r['coloc']:.2f}")
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
    >>> from fusioncell.store import CaseStore, plans
    >>> burner_successions(CaseStore.memory())
    []
    """
    build_burner_pairs(store, params)
    tz = _tz(store)
    tbl = arrow(store.con, f"SELECT * FROM {TABLE} ORDER BY score DESC, old")
    out: list[dict[str, Any]] = []
    for r in pylist(tbl):
        ev = {
            k: r[k]
            for k in ("jaccard", "contain_new", "contain_old", "n_shared", "old_contacts", "new_contacts", "coloc",
                      "gap_days", "contacted")
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
