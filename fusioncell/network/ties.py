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
specific claim. Probabilities are the softmax of the scores. The label is
``unknown`` (the probabilities still given) when the tie rests on fewer than
:data:`THIN_EVENTS` calls and messages and nothing else, or when the best
label's probability is below :data:`UNKNOWN_P`; a single event with nothing
else is ``one-off``.

Tie strength
------------
``strength = 1 − (1 − s_comm)(1 − CLAIM_STRENGTH × p_claim)`` with
``s_comm = 1 − exp(−(ln(1+n) + 0.5 ln(1+minutes) + 3·rhythm + reciprocity) / 6)``:
frequency, duration, regularity and mutuality (Granovetter's ingredients of
tie strength, as used for call graphs by Onnela et al. 2007).

Layers
------
Besides calls and claims, a tie may rest on observed meetings, a shared
vehicle or a shared non-public place (:mod:`fusioncell.network.layers`);
each adds ``1 − (1 − W × evidence)`` by noisy-or with its weight
(:data:`MEETING_STRENGTH`, :data:`VEHICLE_STRENGTH`, :data:`PLACE_STRENGTH`),
and the tie keeps its ``layers`` and the ``provenance`` of that evidence.

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

import json
import math
from pathlib import Path
from typing import Any

from fusioncell.model.grading import P_TRUE
from fusioncell.network.edges import COLOC_M, NIGHT_FROM_H, NIGHT_TO_H, Level, local_day0, timezone_of
from fusioncell.network.layers import OWNER_P, PLACE_DAYS, PLACE_MAX_VISITORS, VEHICLE_MAX_USERS, place_visits
from fusioncell.resolve import persons_table
from fusioncell.store.derived import cached
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
    # evidence of place (network/edges.py): together when they talk, a shared home, a shared work place
    "coloc": "coloc_share",
    "coloc_day": "coloc_day_share",
    "home": "same_home",
    "workplace": "same_work",
    "share": "tie_share",
    "top": "top_tie",
    # a single call or message and no other evidence at all: a one-off
    # behaviour by kind of tie (docs/network.md): evenings, the share of short calls, calls in quick
    # succession, the tie's share of the busier end's traffic. (The table also has first_frac, a tie that
    # starts late, and named_ends, ends an informant names: shown to the analyst, not in the model; neither
    # moved held-out accuracy, bench/relationship_labels.py.)
    "evening": "evening_share",
    "shortcalls": "short_share",
    "quick": "quick_share",
    "share_max": "tie_share_max",
    "single": "CASE WHEN n_events = 1 AND claim_p = 0 AND n_meetings = 0 AND veh_p = 0 AND place_p = 0 "
              "THEN 1.0 ELSE 0.0 END",
}

#: The literature coefficients of the relationship model (tradecraft slopes): label -> feature -> weight
#: (plus "bias"). The fitted model (:data:`MODEL_PATH`) starts from these and is pulled back towards them.
PRIOR_COEF: dict[str, dict[str, float]] = {
    "partner": {"bias": -3.5, "night": 8.0, "long": 1.0, "rhythm": 3.0, "reciprocity": 0.5, "business": -1.0,
                "volume": 0.3, "home": 2.0, "share": 2.0, "top": 1.0, "share_max": 2.0},
    "family": {"bias": -2.0, "weekend": 2.0, "long": 1.0, "rhythm": 2.5, "reciprocity": 0.5, "night": -1.0,
               "business": -0.5, "home": 2.0},
    "friend": {"bias": 0.3, "weekend": 1.0, "night": 1.0, "evening": 1.5, "long": 0.3, "reciprocity": 0.3,
               "rhythm": -0.5},
    "work": {"bias": -0.3, "business": 1.5, "weekend": -2.0, "night": -2.0, "long": -0.2, "reciprocity": 1.0,
             "workplace": 2.0, "coloc_day": 1.0},
    "logistics": {"bias": -0.5, "long": -1.5, "short": 2.0, "burst": 2.5, "business": 1.5, "night": -0.5,
                  "reciprocity": -1.0, "shortcalls": 2.0, "quick": 3.0},
    "one-off": {"bias": -30.0, "single": 60.0},
}

#: Coefficients fitted on simulated world families by bench/relationship_labels.py (held-out report in
#: docs/benchmarks.md); labels it does not fit (one-off) keep their literature coefficients.
MODEL_PATH = Path(__file__).with_name("relationship_model.json")


def _load_coef() -> dict[str, dict[str, float]]:
    fitted: dict[str, dict[str, float]] = {}
    if MODEL_PATH.exists():
        fitted = json.loads(MODEL_PATH.read_text(encoding="utf-8")).get("coef", {})
    return {lab: {k: float(v) for k, v in (fitted.get(lab) or PRIOR_COEF[lab]).items()} for lab in PRIOR_COEF}


#: Coefficients in use: label -> feature -> weight (plus "bias").
COEF: dict[str, dict[str, float]] = _load_coef()

#: A tie's label is "unknown" when the best label's probability is below this: on held-out simulated
#: families such labels were right 44% of the time, those at 0.4-0.5 50% (refit of 2026-12-04,
#: docs/benchmarks.md) ...
UNKNOWN_P = 0.4
#: ... or when it rests on fewer calls and messages than this and nothing else (no claim, meeting,
#: vehicle or place). 2: a single event with nothing else is "one-off" (its own label); two events are
#: not thin by themselves (labels on two-event ties were right 70% of the time).
THIN_EVENTS = 2

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

#: The identifier-level table does not store ``identifiers`` (always its two ends, or none for a tie
#: without calls); readers derive them with this expression over the row (DuckDB).
IDENTIFIERS_ON_READ = "CASE WHEN n_events > 0 THEN [a, b] ELSE []::VARCHAR[] END"


#: How much observed meetings add to a tie (noisy-or with calls and claims): two people
#: seen together a few times are tied whether or not they phone each other.
MEETING_STRENGTH = 0.8
#: How much a shared vehicle adds (× the pair's probability of both using it).
VEHICLE_STRENGTH = 0.5
#: How much a shared non-public place adds (× the places layer's evidence, network/layers.py).
PLACE_STRENGTH = 0.5


def build_ties(store: CaseStore, level: Level = "person", *, salt: int = 1) -> str:
    """Compute (or reuse) the ties table of ``level``; return its run id.

    Plans ``network.edges`` (into a temporary table) and ``network.ties``
    (:mod:`fusioncell.store.plans.network`) run on the store's engine
    (``fusioncell --engine``); the places layer reads the stays of
    :func:`fusioncell.network.layers.place_visits`. ``salt > 1`` spreads each
    identifier's call records over that many buckets in the node-map join
    (hubs on Spark; the same rows, docs/store.md).
    """
    attr_run = persons_table(store).run_id if level == "person" else ""
    tz = timezone_of(store)
    table = TABLES[level]

    def build(run_id: str) -> None:
        edges = f"_edges_{level}"
        visits = place_visits(store)
        plans.materialise(store, edges, "network.edges", temp=True, run_id=run_id, tz=tz, level=level,
                          night_from_h=NIGHT_FROM_H, night_to_h=NIGHT_TO_H, salt=salt,
                          day0=local_day0(store, tz), coloc_m=COLOC_M)
        plans.materialise(store, table, "network.ties", inputs={"visits": visits}, run_id=run_id, level=level,
                          tz=tz, edges=edges, labels=LABELS, coef=COEF, features=FEATURES, grades=P_TRUE,
                          claim_labels=CLAIM_LABELS, bonus=CLAIM_BONUS, words=RELATION_WORDS, ftm_p=FTM_P,
                          claim_strength=CLAIM_STRENGTH, meeting_strength=MEETING_STRENGTH,
                          vehicle_strength=VEHICLE_STRENGTH, place_strength=PLACE_STRENGTH,
                          hub_min_contacts=HUB_MIN_CONTACTS, hub_factor=HUB_FACTOR, hub_weight=HUB_WEIGHT,
                          meet_dt_s=SIGHTED_DT_S, meet_dist_m=SIGHTED_DIST_M, owner_p=OWNER_P,
                          vehicle_max_users=VEHICLE_MAX_USERS, place_max_visitors=PLACE_MAX_VISITORS,
                          place_days=PLACE_DAYS, unknown_p=UNKNOWN_P, thin_events=THIN_EVENTS)
        store.con.execute(f"DROP TABLE IF EXISTS {edges}")

    # v5: the layers of network3 on the query layer (identifiers, claim kinds and provenance in one order
    # on DuckDB and Spark); v7: the identifier-level table without its identifiers (IDENTIFIERS_ON_READ)
    params = {"level": level, "tz": tz, "coef": COEF, "bonus": CLAIM_BONUS, "cs": CLAIM_STRENGTH,
              "ms": MEETING_STRENGTH, "vs": VEHICLE_STRENGTH, "ps": PLACE_STRENGTH,
              "hub": [HUB_MIN_CONTACTS, HUB_FACTOR, HUB_WEIGHT], "unknown": [UNKNOWN_P, THIN_EVENTS], "v": 7,
              "night": [NIGHT_FROM_H, NIGHT_TO_H]}
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
        eve = row.get("evening_share")
        if eve is not None and eve >= 0.4:
            bits.append(f"{eve:.0%} in the evening")
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
        quick = row.get("quick_share")
        if quick is not None and quick >= 0.3:
            bits.append(f"{quick:.0%} within 30 min of the previous")
    else:
        bits.append("no communications seen")
    for ev in (row.get("claim_evidence") or [])[:2]:
        bits.append(ev)
    if row.get("relationship") == "unknown":
        bits.append("too little evidence to label")
    return "; ".join(bits)


def logit(p: float) -> float:
    """Log-odds of ``p`` (clipped)."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))
