"""Ties: contact edges + informant claims + FtM relations, with strength and relationship.

Built on the engine in two derived tables, ``net_ties_person`` (nodes are
resolved persons, or identifiers nobody is attributed) and
``net_ties_identifier`` (nodes are identifiers). Each row is one undirected
pair ``a < b`` with the behavioural features of :mod:`fusioncell.network.edges`,
the typed claims about the pair, a tie ``strength`` in [0, 1] and the most
probable ``relationship`` with its probability.

Relationship model
------------------
A multinomial log-linear model over six labels — ``partner`` (romantic),
``family``, ``friend``, ``work``, ``logistics`` (organisational: couriers,
lookouts) and ``one-off`` — whose scores are linear in behavioural features
(coefficients in :data:`COEF`, set from the tradecraft literature and checked
on simulator seeds 0–999): a romantic tie is late-night, long, daily and
reciprocal; a courier's is short, in business hours and bursty; family calls
are regular, daytime and weekend. Informant claims and FtM relations add
``CLAIM_BONUS[kind] × p_true(grade)`` (strongest claim per label) to the
matching label (``partner_of`` → partner, ``family_of``/FtM Family → family,
``associate_of``/FtM Associate → friend and logistics, ``works_for`` → work
and logistics, ``meets`` → logistics and friend); an FtM relation whose
``relationship`` text names a partner, relative or role (``pareja``,
``hermana``, ``lugarteniente`` … :data:`RELATION_WORDS`) counts as that
specific claim. Probabilities are the softmax of the scores.

Tie strength
------------
``strength = 1 − (1 − s_comm)(1 − CLAIM_STRENGTH × p_claim)`` with
``s_comm = 1 − exp(−(ln(1+n) + 0.5 ln(1+minutes) + 3·rhythm + reciprocity) / 6)``:
frequency, duration, regularity and mutuality (Granovetter's ingredients of
tie strength, as used for call graphs by Onnela et al. 2007).

Hubs
----
A node with at least :data:`HUB_MIN_CONTACTS` distinct contacts and
:data:`HUB_FACTOR` times the case's median is a hub (a call centre, a
voicemail or switchboard number): its ties keep ``hub = true`` and their call
strength ``s_comm`` is multiplied by :data:`HUB_WEIGHT`, so thousands of
one-off calls to a hotline neither make it a key player's close contact nor
bind its callers together. :func:`fusioncell.network.api.hubs` lists them.
"""

from __future__ import annotations

import math
from typing import Any

from fusioncell.model.grading import P_TRUE
from fusioncell.network.edges import NIGHT_FROM_H, NIGHT_TO_H, Level, timezone_of
from fusioncell.resolve import build_attributions
from fusioncell.resolve import derived_table as cached
from fusioncell.spacetime.sighted import MAX_DIST_M as SIGHTED_DIST_M
from fusioncell.spacetime.sighted import MAX_DT_S as SIGHTED_DT_S
from fusioncell.store import CaseStore, plans

#: A hub has at least this many distinct contacts ...
HUB_MIN_CONTACTS = 200
#: ... and this many times the case's median number of contacts.
HUB_FACTOR = 20
#: Multiplier on a hub tie's call strength.
HUB_WEIGHT = 0.1

LABELS = ("partner", "family", "friend", "work", "logistics", "one-off")

#: Feature expressions (SQL over the edge row) used by the relationship model.
FEATURES: dict[str, str] = {
    "night": "night_share",
    "weekend": "weekend_share",
    "business": "business_share",
    "long": "ln(1 + mean_call_s / 60.0)",
    "rhythm": "rhythm",
    "reciprocity": "reciprocity",
    "burst": "greatest(burstiness, 0)",
    "short": "CASE WHEN n_calls > 0 THEN exp(-mean_call_s / 60.0) ELSE 0.0 END",
    "volume": "ln(1 + n_events)",
    "few": "CASE WHEN n_events BETWEEN 1 AND 2 THEN 1.0 ELSE 0.0 END",
}

#: Coefficients of the relationship model: label -> feature -> weight (plus "bias").
COEF: dict[str, dict[str, float]] = {
    "partner": {"bias": -3.5, "night": 8.0, "long": 1.0, "rhythm": 3.0, "reciprocity": 0.5, "business": -1.0,
                "volume": 0.3},
    "family": {"bias": -2.0, "weekend": 2.0, "long": 1.0, "rhythm": 2.5, "reciprocity": 0.5, "night": -1.0,
               "business": -0.5},
    "friend": {"bias": 0.3, "weekend": 1.0, "night": 1.0, "long": 0.3, "reciprocity": 0.3, "rhythm": -0.5},
    "work": {"bias": -0.3, "business": 1.5, "weekend": -2.0, "night": -2.0, "long": -0.2, "reciprocity": 1.0},
    "logistics": {"bias": -0.5, "long": -1.5, "short": 2.0, "burst": 2.5, "business": 1.5, "night": -0.5,
                  "reciprocity": -1.0},
    "one-off": {"bias": -1.0, "few": 4.5, "volume": -1.0},
}

#: Which claim predicates / FtM relation schemata support which labels.
CLAIM_LABELS: dict[str, tuple[str, ...]] = {
    "partner_of": ("partner",),
    "family_of": ("family",),
    "Family": ("family",),
    "associate_of": ("friend", "logistics"),
    "Associate": ("friend", "logistics"),
    "works_for": ("work", "logistics"),
    "meets": ("logistics", "friend"),
}
#: Score added to a label per unit of claim probability, by how specific the claim is.
CLAIM_BONUS: dict[str, float] = {
    "partner_of": 6.0, "family_of": 5.0, "Family": 5.0, "works_for": 3.5,
    "associate_of": 2.5, "Associate": 2.5, "meets": 2.0,
}
#: Words of an FtM relation's ``relationship`` text (Spanish and English) that make it specific.
RELATION_WORDS: dict[str, str] = {
    "partner_of": "pareja|novi[ao]|espos[ao]|amante|concubin|sentimental|girlfriend|boyfriend|wife|husband|partner|spouse|lover",
    "family_of": "herman|madre|padre|mam[aá]|pap[aá]|hij[ao]|prim[ao]|t[ií][ao]|abuel|cu[ñn]ad|suegr|sister|brother|mother|father|son|daughter|cousin|uncle|aunt|family|famil",
    "works_for": "lugarteniente|chofer|escolta|guardaespaldas|mensajer|sicario|halc[oó]n|courier|driver|bodyguard|lieutenant|lookout|employ",
}
CLAIM_STRENGTH = 0.6
#: Confidence of an FtM relation from entities.jsonl.
FTM_P = 0.9

TABLES = {"person": "net_ties_person", "identifier": "net_ties_identifier"}


#: How much observed meetings add to a tie (noisy-or with calls and claims): two people
#: seen together a few times are tied whether or not they phone each other.
MEETING_STRENGTH = 0.8


def build_ties(store: CaseStore, level: Level = "person", *, salt: int = 1) -> str:
    """Compute (or reuse) the ties table of ``level``; return its run id.

    Plans ``network.edges`` and ``network.ties`` (:mod:`fusioncell.store.plans.network`)
    run on the store's engine (``fusioncell --engine``). ``salt > 1`` spreads
    each identifier's call records over that many buckets in the node-map join
    (hubs on Spark; the same rows, docs/store.md).
    """
    attr_run = build_attributions(store) if level == "person" else ""
    tz = timezone_of(store)
    table = TABLES[level]

    def build(run_id: str) -> None:
        edges = f"_edges_{level}"
        plans.materialise(store, edges, "network.edges", run_id=run_id, tz=tz, level=level,
                          night_from_h=NIGHT_FROM_H, night_to_h=NIGHT_TO_H, salt=salt)
        plans.materialise(store, table, "network.ties", run_id=run_id, level=level, edges=edges, labels=LABELS,
                          coef=COEF, features=FEATURES, grades=P_TRUE, claim_labels=CLAIM_LABELS,
                          bonus=CLAIM_BONUS, words=RELATION_WORDS, ftm_p=FTM_P, claim_strength=CLAIM_STRENGTH,
                          meeting_strength=MEETING_STRENGTH, hub_min_contacts=HUB_MIN_CONTACTS,
                          hub_factor=HUB_FACTOR, hub_weight=HUB_WEIGHT, meet_dt_s=SIGHTED_DT_S,
                          meet_dist_m=SIGHTED_DIST_M)
        store.con.execute(f"DROP TABLE IF EXISTS {edges}")

    # v4: identifiers and claim kinds are sorted lists (the same on DuckDB and Spark)
    params = {"level": level, "tz": tz, "coef": COEF, "bonus": CLAIM_BONUS, "cs": CLAIM_STRENGTH,
              "ms": MEETING_STRENGTH, "hub": [HUB_MIN_CONTACTS, HUB_FACTOR, HUB_WEIGHT], "v": 4}
    return cached(store, table, params, build, depends=attr_run if level == "person" else "")


def explain(row: dict[str, Any]) -> str:
    """A short, analyst-readable reason for a tie's relationship and strength."""
    bits: list[str] = []
    n = int(row.get("n_events") or 0)
    if n:
        days = int(row.get("active_days") or 0)
        rhythm = float(row.get("rhythm") or 0)
        cadence = "daily" if rhythm >= 0.7 else ("frequent" if rhythm >= 0.3 else "occasional")
        bits.append(f"{cadence} contact ({n} events on {days} days)")
        night = row.get("night_share")
        if night is not None and night >= 0.3:
            bits.append(f"{night:.0%} late-night")
        bus = row.get("business_share")
        if bus is not None and bus >= 0.6:
            bits.append(f"{bus:.0%} in business hours")
        wk = row.get("weekend_share")
        if wk is not None and wk >= 0.4:
            bits.append(f"{wk:.0%} at weekends")
        mean_s = float(row.get("mean_call_s") or 0)
        if row.get("n_calls"):
            bits.append(f"calls {'long' if mean_s >= 300 else 'short'} (mean {mean_s / 60:.1f} min)")
        rec = float(row.get("reciprocity") or 0)
        bits.append(f"{rec:.0%} reciprocal")
        if float(row.get("burstiness") or 0) >= 0.3:
            bits.append("bursty")
    else:
        bits.append("no communications seen")
    for ev in (row.get("claim_evidence") or [])[:2]:
        bits.append(ev)
    return "; ".join(bits)


def logit(p: float) -> float:
    """Log-odds of ``p`` (clipped)."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))
