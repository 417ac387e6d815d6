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

from fusioncell.network.edges import Level, edges_sql, local_day0, node_map_sql, timezone_of
from fusioncell.network.layers import PROV, empty_prov, grades_values, places_sql, register_visits, vehicles_sql
from fusioncell.resolve import build_attributions
from fusioncell.resolve import derived_table as cached
from fusioncell.store import CaseStore

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
    "single": "CASE WHEN n_events = 1 AND claim_p = 0 AND n_meetings = 0 AND veh_p = 0 AND place_p = 0 "
              "THEN 1.0 ELSE 0.0 END",
}

#: The literature coefficients of the relationship model (tradecraft slopes): label -> feature -> weight
#: (plus "bias"). The fitted model (:data:`MODEL_PATH`) starts from these and is pulled back towards them.
PRIOR_COEF: dict[str, dict[str, float]] = {
    "partner": {"bias": -3.5, "night": 8.0, "long": 1.0, "rhythm": 3.0, "reciprocity": 0.5, "business": -1.0,
                "volume": 0.3, "home": 2.0, "share": 2.0, "top": 1.0},
    "family": {"bias": -2.0, "weekend": 2.0, "long": 1.0, "rhythm": 2.5, "reciprocity": 0.5, "night": -1.0,
               "business": -0.5, "home": 2.0},
    "friend": {"bias": 0.3, "weekend": 1.0, "night": 1.0, "long": 0.3, "reciprocity": 0.3, "rhythm": -0.5},
    "work": {"bias": -0.3, "business": 1.5, "weekend": -2.0, "night": -2.0, "long": -0.2, "reciprocity": 1.0,
             "workplace": 2.0, "coloc_day": 1.0},
    "logistics": {"bias": -0.5, "long": -1.5, "short": 2.0, "burst": 2.5, "business": 1.5, "night": -0.5,
                  "reciprocity": -1.0},
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


def _grades_values() -> str:
    return grades_values()


def _claims_sql(level: Level) -> str:
    """Typed claim edges ``(a, b, kind, p, evidence)`` mapped to nodes of ``level``."""
    nm = node_map_sql(level)
    preds = ", ".join(f"'{k}'" for k in CLAIM_LABELS if k[0].islower())
    return f"""
raw_claims AS (
    SELECT c.subject AS x, c.object AS y, c.predicate AS kind, g.p,
           'report ' || c.report_id || ' (' || coalesce(upper(c.reliability), 'F')
             || coalesce(CAST(c.credibility AS VARCHAR), '6') || '): ' || c.subject || ' ' || c.predicate || ' ' || c.object
             AS evidence,
           {{'layer': 'claims', 'source': 'claims', 'ref': c.report_id || '#' || c.claim_no, 'agency': c.agency,
             'grade': coalesce(upper(c.reliability), 'F') || coalesce(CAST(c.credibility AS VARCHAR), '6'),
             'p': g.p}}::{PROV} AS prov
    FROM claims c JOIN {_grades_values()}
      ON g.reliability = CASE WHEN upper(c.reliability) IN ('A','B','C','D','E','F') THEN upper(c.reliability) ELSE 'F' END
     AND g.credibility = CASE WHEN c.credibility BETWEEN 1 AND 6 THEN c.credibility ELSE 6 END
    WHERE c.predicate IN ({preds}) AND c.object IS NOT NULL
    UNION ALL
    SELECT json_extract_string(properties, '$.person[0]'),
           coalesce(json_extract_string(properties, '$.relative[0]'), json_extract_string(properties, '$.associate[0]')),
           CASE {" ".join(f"WHEN regexp_matches(lower(coalesce(json_extract_string(properties, '$.relationship[0]'), '')), '{w}') THEN '{k}'" for k, w in RELATION_WORDS.items())}
                ELSE schema END,
           {FTM_P},
           'entities.jsonl: ' || schema || ' ' || entity_id
             || coalesce(' (' || json_extract_string(properties, '$.relationship[0]') || ')', ''),
           {{'layer': 'claims', 'source': 'entities', 'ref': entity_id, 'agency': NULL, 'grade': NULL,
             'p': {FTM_P}}}::{PROV}
    FROM entities WHERE schema IN ('Family', 'Associate')
),
claim_nodes AS (
    SELECT coalesce(m1.node, x) AS u, coalesce(m2.node, y) AS v, kind, p, evidence, prov
    FROM raw_claims
    LEFT JOIN {nm} m1 ON m1.identifier = x
    LEFT JOIN {nm} m2 ON m2.identifier = y
    WHERE x IS NOT NULL AND y IS NOT NULL
),
claim_edges AS (
    SELECT least(u, v) AS a, greatest(u, v) AS b,
           list(DISTINCT kind) AS claim_kinds,
           1 - product(1 - p) AS claim_p,
           {", ".join(f"max(CASE {' '.join(f'WHEN kind = {k!r} THEN {CLAIM_BONUS[k]} * p' for k, ls in CLAIM_LABELS.items() if lab in ls)} ELSE 0 END) AS cp_{lab.replace('-', '_')}" for lab in LABELS[:-1])},
           list(evidence ORDER BY p DESC, evidence) AS claim_evidence,
           list(prov ORDER BY p DESC, evidence) AS claim_prov
    FROM claim_nodes WHERE u <> v GROUP BY 1, 2
)"""


#: How much observed meetings add to a tie (noisy-or with calls and claims): two people
#: seen together a few times are tied whether or not they phone each other.
MEETING_STRENGTH = 0.8
#: How much a shared vehicle adds (× the pair's probability of both using it).
VEHICLE_STRENGTH = 0.5
#: How much a shared non-public place adds (× the places layer's evidence, network/layers.py).
PLACE_STRENGTH = 0.5


def _meetings_sql(level: Level) -> str:
    """The meetings layer: subjects sighted together (spacetime.sighted), mapped to nodes of ``level``."""
    from fusioncell.spacetime.sighted import pairs_sql

    nm = node_map_sql(level)
    return f"""{pairs_sql()},
meet_nodes AS (
    SELECT coalesce(m1.node, id_a) AS u, coalesce(m2.node, id_b) AS v, p, date_trunc('hour', t0) AS episode,
           {{'layer': 'meetings', 'source': 'sightings', 'ref': ea || '+' || eb, 'agency': ag_a, 'grade': NULL,
             'p': p}}::{PROV} AS prov
    FROM sighted_pairs LEFT JOIN {nm} m1 ON m1.identifier = id_a LEFT JOIN {nm} m2 ON m2.identifier = id_b
),
meet_edges AS (
    SELECT least(u, v) AS a, greatest(u, v) AS b, count(DISTINCT episode) AS n_meetings, avg(p) AS meet_p,
           list(prov ORDER BY prov.ref) AS meet_prov
    FROM meet_nodes WHERE u <> v GROUP BY 1, 2
)"""


def _score_sql(lab: str) -> str:
    terms = [str(COEF[lab].get("bias", 0.0))]
    for f, w in COEF[lab].items():
        if f != "bias":
            terms.append(f"({w}) * coalesce({FEATURES[f]}, 0)")
    if lab != "one-off":
        col = "cp_" + lab.replace("-", "_")
        terms.append(f"coalesce({col}, 0)")
    return " + ".join(terms)


def ties_sql(table: str, run_id: str, level: Level) -> str:
    """SQL that builds the ties table from the edge table ``_edges_<level>`` and the claims."""
    sc = {lab: _score_sql(lab) for lab in LABELS}
    score_cols = ",\n           ".join(f"{sc[lab]} AS s_{lab.replace('-', '_')}" for lab in LABELS)
    lab_ids = [lab.replace("-", "_") for lab in LABELS]
    mx = "greatest(" + ", ".join(f"s_{x}" for x in lab_ids) + ")"
    z = " + ".join(f"exp(s_{x} - mx)" for x in lab_ids)
    best = "CASE " + " ".join(f"WHEN s_{x} = mx THEN '{lab}'" for x, lab in zip(lab_ids, LABELS)) + " END"
    return f"""
CREATE OR REPLACE TABLE {table} AS
WITH {_claims_sql(level)},
{_meetings_sql(level)},
{vehicles_sql(level)},
{places_sql(level)},
other_keys AS (   -- pairs the small layers speak of (claims, meetings, vehicles, places)
    SELECT a, b FROM claim_edges UNION SELECT a, b FROM meet_edges
    UNION SELECT a, b FROM veh_edges UNION SELECT a, b FROM place_edges
),
other_edges AS (
    SELECT k.a, k.b, c.* EXCLUDE (a, b, claim_prov), m.n_meetings, m.meet_p, v.n_vehicles, v.veh_p,
           pl.n_places, pl.place_p,
           list_concat(coalesce(c.claim_prov, {empty_prov()}), coalesce(m.meet_prov, {empty_prov()}),
                       coalesce(v.veh_prov, {empty_prov()}), coalesce(pl.place_prov, {empty_prov()})) AS provenance
    FROM other_keys k
    LEFT JOIN claim_edges c ON c.a = k.a AND c.b = k.b
    LEFT JOIN meet_edges m ON m.a = k.a AND m.b = k.b
    LEFT JOIN veh_edges v ON v.a = k.a AND v.b = k.b
    LEFT JOIN place_edges pl ON pl.a = k.a AND pl.b = k.b
),
joined AS (
    SELECT coalesce(e.a, o.a) AS a, coalesce(e.b, o.b) AS b,
           coalesce(e.n_events, 0) AS n_events, coalesce(e.n_calls, 0) AS n_calls,
           coalesce(e.total_duration_s, 0) AS total_duration_s, coalesce(e.mean_call_s, 0) AS mean_call_s,
           coalesce(e.n_ab, 0) AS n_ab, coalesce(e.n_ba, 0) AS n_ba,
           coalesce(e.reciprocity, 0) AS reciprocity, e.night_share, e.weekend_share, e.business_share,
           coalesce(e.active_days, 0) AS active_days, coalesce(e.rhythm, 0) AS rhythm,
           coalesce(e.burstiness, 0) AS burstiness, e.recency_days, e.first, e.last,
           coalesce(e.identifiers, []::VARCHAR[]) AS identifiers,
           e.coloc_share, e.coloc_day_share, e.same_home, e.same_work, coalesce(e.tie_share, 0) AS tie_share,
           coalesce(e.top_tie, 0) AS top_tie,
           coalesce(o.claim_kinds, []::VARCHAR[]) AS claim_kinds, coalesce(o.claim_p, 0) AS claim_p,
           coalesce(o.claim_evidence, []::VARCHAR[]) AS claim_evidence,
           {", ".join(f"o.cp_{x}" for x in lab_ids[:-1])},
           coalesce(o.n_meetings, 0) AS n_meetings, coalesce(o.meet_p, 0) AS meet_p,
           coalesce(o.n_vehicles, 0) AS n_vehicles, coalesce(o.veh_p, 0) AS veh_p,
           coalesce(o.n_places, 0) AS n_places, coalesce(o.place_p, 0) AS place_p,
           coalesce(o.provenance, {empty_prov()}) AS provenance
    FROM _edges_{level} e FULL OUTER JOIN other_edges o ON o.a = e.a AND o.b = e.b
),
_ends AS (
    SELECT a AS node FROM _edges_{level} UNION ALL SELECT b FROM _edges_{level}
),
_deg AS (
    SELECT node, count(*) AS contacts FROM _ends GROUP BY node
),
hub_nodes AS (
    SELECT node FROM _deg
    WHERE contacts >= {HUB_MIN_CONTACTS}
      AND contacts >= {HUB_FACTOR} * (SELECT coalesce(median(contacts), 0) FROM _deg)
),
joined_h AS (
    SELECT j.*, (j.a IN (SELECT node FROM hub_nodes) OR j.b IN (SELECT node FROM hub_nodes)) AS hub
    FROM joined j
),
scored AS (
    SELECT *,
           {score_cols}
    FROM joined_h
),
probs AS (
    SELECT *, {mx} AS mx FROM scored
)
SELECT '{run_id}' AS run_id, a, b, n_events, n_calls, total_duration_s, mean_call_s, n_ab, n_ba, reciprocity,
       night_share, weekend_share, business_share, active_days, rhythm, burstiness, recency_days, first, last,
       coloc_share, coloc_day_share, same_home, same_work, tie_share, top_tie,
       {", ".join(f"cp_{x}" for x in lab_ids[:-1])},
       identifiers, claim_kinds, claim_p, claim_evidence, n_meetings, meet_p, n_vehicles, veh_p, n_places, place_p,
       hub,
       list_filter(['calls', 'claims', 'meetings', 'vehicles', 'places'],
                   lambda x: (x = 'calls' AND n_events > 0) OR (x = 'claims' AND claim_p > 0)
                             OR (x = 'meetings' AND n_meetings > 0) OR (x = 'vehicles' AND veh_p > 0)
                             OR (x = 'places' AND place_p > 0)) AS layers,
       provenance,
       1 - (1 - CASE WHEN hub THEN {HUB_WEIGHT} ELSE 1.0 END * CASE WHEN n_events > 0 THEN 1 - exp(-(ln(1 + n_events) + 0.5 * ln(1 + total_duration_s / 60.0)
                                                      + 3 * rhythm + reciprocity) / 6.0) ELSE 0 END)
         * (1 - {CLAIM_STRENGTH} * claim_p)
         * (1 - {MEETING_STRENGTH} * (1 - exp(-meet_p * n_meetings)))
         * (1 - {VEHICLE_STRENGTH} * veh_p) * (1 - {PLACE_STRENGTH} * place_p) AS strength,
       {best} AS relationship,
       1.0 / ({z}) AS relationship_p,
       {{ {", ".join(f"'{lab}': exp(s_{x} - mx) / ({z})" for x, lab in zip(lab_ids, LABELS))} }} AS relationship_probs
FROM probs
"""


def build_ties(store: CaseStore, level: Level = "person") -> str:
    """Compute (or reuse) the ties table of ``level``; return its run id."""
    attr_run = build_attributions(store) if level == "person" else ""
    tz = timezone_of(store)
    table = TABLES[level]

    def build(run_id: str) -> None:
        register_visits(store)
        store.con.execute(edges_sql(f"_edges_{level}", run_id, tz, level, local_day0(store, tz)))
        store.con.execute(ties_sql(table, run_id, level))
        store.con.execute(f"DROP TABLE IF EXISTS _edges_{level}")

    params = {"level": level, "tz": tz, "coef": COEF, "bonus": CLAIM_BONUS, "cs": CLAIM_STRENGTH,
              "ms": MEETING_STRENGTH, "vs": VEHICLE_STRENGTH, "ps": PLACE_STRENGTH, "hub": [HUB_MIN_CONTACTS, HUB_FACTOR, HUB_WEIGHT], "v": 4}
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
