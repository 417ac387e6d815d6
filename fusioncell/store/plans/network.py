"""Plans of the network stage: contact edges, ties, the close circle, shown identifiers.

The model's numbers (coefficients, claim bonuses, hub thresholds) are the
stage's (:mod:`fusioncell.network.ties`) and come in as parameters; these
functions only say how to compute with them, for either dialect.
"""

from __future__ import annotations

from typing import Mapping

from fusioncell.store.plans import Query, plan
from fusioncell.store.plans.spacetime import sighted_pairs_ctes

def node_map(q: Query, level: str) -> str:
    """A relation ``(identifier, node)``: the resolved person of an identifier (person level) or nothing."""
    if level == "identifier":
        s = q.d.null("VARCHAR")
        return f"(SELECT {s} AS identifier, {s} AS node FROM (SELECT 1 AS one) z WHERE FALSE)"
    return f"(SELECT identifier, person AS node FROM {q.t('attributions')})"


def _salted(q: Query, level: str, salt: int) -> tuple[str, str]:
    """The ``comms`` relation and node-map join condition, salted into ``salt`` buckets.

    A call centre is one join key with millions of call records: without a
    salt, the join of ``comms`` with the node map sends all of them to one
    partition. With ``salt = n > 1`` each record gets a bucket (a hash of its
    event id mod n) and the node map is replicated n times, so a hub's
    records spread over n partitions; the result is the same rows.
    """
    if salt <= 1 or level == "identifier":
        return q.t("comms"), ""
    d = q.d
    return (f"(SELECT *, {d.salt('event_id', salt)} AS _salt FROM {q.t('comms')})",
            f" AND {{m}}._salt = c._salt")


@plan("network.edges")
def edges(q: Query, *, run_id: str, tz: str, level: str, night_from_h: int, night_to_h: int, salt: int = 1) -> str:
    """Pair features of the contact graph (see :mod:`fusioncell.network.edges`)."""
    d = q.d
    nm = node_map(q, level)
    comms, salt_on = _salted(q, level, salt)
    if salt_on:
        nm = f"(SELECT m.*, s._salt FROM {nm} m CROSS JOIN {d.salt_values(salt)} s)"
    if level == "person":
        ids_agg = f"{d.sorted_set('caller')} AS ids_caller, {d.sorted_set('callee')} AS ids_callee"
        ids_out = d.list_cat_sorted_set("ids_caller", "ids_callee")
    else:
        ids_agg = f"{d.null('VARCHAR')} AS ids_caller"
        ids_out = d.array("agg.a", "agg.b")
    lt = d.local("c.start", tz)
    one, zero = d.f(1.0), d.f(0.0)
    return f"""
WITH span AS (
    SELECT min(start) AS t0, max(start) AS t1,
           greatest({one}, CAST(ceil(({d.epoch_s('max(start)')} - {d.epoch_s('min(start)')}) / 86400.0) AS DOUBLE))
             AS span_days
    FROM {q.t('comms')}
),
ev0 AS (
    SELECT coalesce(m1.node, c.caller) AS src, coalesce(m2.node, c.callee) AS dst,
           c.caller, c.callee, c.start, c.duration_s, c.channel, c.event_id, {lt} AS lt,
           -- one record per call: the same call delivered twice (two agencies, two exports) counts once
           row_number() OVER (PARTITION BY c.caller, c.callee, c.start, c.channel, c.duration_s
                              ORDER BY c.event_id) AS _dup
    FROM {comms} c
    LEFT JOIN {nm} m1 ON m1.identifier = c.caller{salt_on.format(m='m1')}
    LEFT JOIN {nm} m2 ON m2.identifier = c.callee{salt_on.format(m='m2')}
),
ev AS (SELECT * FROM ev0 WHERE _dup = 1),
ev2 AS (
    SELECT least(src, dst) AS a, greatest(src, dst) AS b, src, start, duration_s, channel, lt, caller, callee,
           {d.epoch_s('start')} - lag({d.epoch_s('start')}) OVER (PARTITION BY least(src, dst), greatest(src, dst)
                                                            ORDER BY start) AS gap_s
    FROM ev WHERE src <> dst
),
agg AS (
    SELECT a, b,
           count(*) AS n_events,
           count(*) FILTER (WHERE channel = 'call') AS n_calls,
           coalesce(CAST(sum(duration_s) FILTER (WHERE channel = 'call') AS DOUBLE), {zero}) AS total_duration_s,
           coalesce(CAST(avg(duration_s) FILTER (WHERE channel = 'call') AS DOUBLE), {zero}) AS mean_call_s,
           count(*) FILTER (WHERE src = a) AS n_ab,
           count(*) FILTER (WHERE src = b) AS n_ba,
           avg(CASE WHEN hour(lt) >= {int(night_from_h)} OR hour(lt) < {int(night_to_h)} THEN {one} ELSE {zero} END) AS night_share,
           avg(CASE WHEN {d.dow0('lt')} IN (0, 6) THEN {one} ELSE {zero} END) AS weekend_share,
           avg(CASE WHEN {d.dow0('lt')} BETWEEN 1 AND 5 AND hour(lt) >= 9 AND hour(lt) < 18 THEN {one} ELSE {zero} END)
               AS business_share,
           count(DISTINCT CAST(lt AS DATE)) AS active_days,
           avg(gap_s) AS gap_mean_s, stddev_pop(gap_s) AS gap_sd_s,
           min(start) AS {d.ident('first')}, max(start) AS {d.ident('last')},
           {ids_agg}
    FROM ev2 GROUP BY a, b
)
SELECT {d.lit(run_id)} AS run_id, agg.a, agg.b, n_events, n_calls, total_duration_s, mean_call_s, n_ab, n_ba,
       2.0 * least(n_ab, n_ba) / n_events AS reciprocity,
       night_share, weekend_share, business_share, active_days,
       least({one}, active_days / span.span_days) AS rhythm,
       CASE WHEN n_events >= 3 AND gap_mean_s + gap_sd_s > 0
            THEN (gap_sd_s - gap_mean_s) / (gap_sd_s + gap_mean_s) ELSE {zero} END AS burstiness,
       ({d.epoch_s('span.t1')} - {d.epoch_s(d.ident('last'))}) / 86400.0 AS recency_days,
       {d.ident('first')}, {d.ident('last')},
       {ids_out} AS identifiers
FROM agg CROSS JOIN span
"""


def _claims(q: Query, level: str, grades: Mapping[str, Mapping[int, float]], claim_labels: Mapping[str, tuple[str, ...]],
            bonus: Mapping[str, float], words: Mapping[str, str], ftm_p: float, labels: tuple[str, ...]) -> str:
    d = q.d
    nm = node_map(q, level)
    rows = ", ".join(f"({d.lit(r)}, {c}, {d.f(p)})" for r, cs in grades.items() for c, p in cs.items())
    preds = ", ".join(d.lit(k) for k in claim_labels if k[0].islower())
    rel = f"lower(coalesce({d.json_str('properties', '$.relationship[0]')}, ''))"
    kind = "CASE " + " ".join(f"WHEN {d.regex(rel, w)} THEN {d.lit(k)}" for k, w in words.items()) + " ELSE schema END"
    s = d.str_type()
    cps = ", ".join(
        "max(CASE " + " ".join(f"WHEN kind = {d.lit(k)} THEN {d.f(bonus[k])} * p"
                               for k, ls in claim_labels.items() if lab in ls)
        + f" ELSE {d.f(0.0)} END) AS cp_{lab.replace('-', '_')}"
        for lab in labels[:-1])
    return f"""
grades AS (SELECT * FROM (VALUES {rows}) AS g(reliability, credibility, p)),
raw_claims AS (
    SELECT c.subject AS x, c.object AS y, c.predicate AS kind, g.p,
           'report ' || c.report_id || ' (' || coalesce(upper(c.reliability), 'F')
             || coalesce(CAST(c.credibility AS {s}), '6') || '): ' || c.subject || ' ' || c.predicate || ' ' || c.object
             AS evidence
    FROM {q.t('claims')} c JOIN grades g
      ON g.reliability = CASE WHEN upper(c.reliability) IN ('A','B','C','D','E','F') THEN upper(c.reliability) ELSE 'F' END
     AND g.credibility = CASE WHEN c.credibility BETWEEN 1 AND 6 THEN c.credibility ELSE 6 END
    WHERE c.predicate IN ({preds}) AND c.object IS NOT NULL
    UNION ALL
    SELECT {d.json_str('properties', '$.person[0]')},
           coalesce({d.json_str('properties', '$.relative[0]')}, {d.json_str('properties', '$.associate[0]')}),
           {kind},
           {d.f(ftm_p)},
           'entities.jsonl: ' || schema || ' ' || entity_id
             || coalesce(' (' || {d.json_str('properties', '$.relationship[0]')} || ')', '')
    FROM {q.t('entities')} WHERE schema IN ('Family', 'Associate')
),
claim_nodes AS (
    SELECT coalesce(m1.node, x) AS u, coalesce(m2.node, y) AS v, kind, p, evidence
    FROM raw_claims
    LEFT JOIN {nm} m1 ON m1.identifier = x
    LEFT JOIN {nm} m2 ON m2.identifier = y
    WHERE x IS NOT NULL AND y IS NOT NULL
),
claim_edges AS (
    SELECT least(u, v) AS a, greatest(u, v) AS b,
           {d.sorted_set('kind')} AS claim_kinds,
           1 - {d.product_agg('1 - p')} AS claim_p,
           {cps},
           {d.ordered_list('evidence', 'p', 'evidence')} AS claim_evidence
    FROM claim_nodes WHERE u <> v GROUP BY least(u, v), greatest(u, v)
)"""


def _meetings(q: Query, level: str, max_dt_s: float, max_dist_m: float) -> str:
    nm = node_map(q, level)
    return f"""{sighted_pairs_ctes(q, max_dt_s, max_dist_m)},
meet_nodes AS (
    SELECT coalesce(m1.node, id_a) AS u, coalesce(m2.node, id_b) AS v, p, date_trunc('hour', t0) AS episode
    FROM sighted_pairs LEFT JOIN {nm} m1 ON m1.identifier = id_a LEFT JOIN {nm} m2 ON m2.identifier = id_b
),
meet_edges AS (
    SELECT least(u, v) AS a, greatest(u, v) AS b, count(DISTINCT episode) AS n_meetings, avg(p) AS meet_p
    FROM meet_nodes WHERE u <> v GROUP BY least(u, v), greatest(u, v)
)"""


def _score(q: Query, lab: str, coef: Mapping[str, Mapping[str, float]], features: Mapping[str, str]) -> str:
    d = q.d
    terms = [d.f(coef[lab].get("bias", 0.0))]
    for f, w in coef[lab].items():
        if f != "bias":
            terms.append(f"{d.f(w)} * coalesce({features[f]}, {d.f(0.0)})")
    if lab != "one-off":
        terms.append(f"coalesce(cp_{lab.replace('-', '_')}, {d.f(0.0)})")
    return " + ".join(terms)


_EDGE_COLS = ("n_events", "n_calls", "total_duration_s", "mean_call_s", "n_ab", "n_ba", "reciprocity", "night_share",
              "weekend_share", "business_share", "active_days", "rhythm", "burstiness", "recency_days", "first", "last",
              "identifiers")


@plan("network.ties")
def ties(q: Query, *, run_id: str, level: str, edges: str, labels: tuple[str, ...],
         coef: Mapping[str, Mapping[str, float]], features: Mapping[str, str],
         grades: Mapping[str, Mapping[int, float]], claim_labels: Mapping[str, tuple[str, ...]],
         bonus: Mapping[str, float], words: Mapping[str, str], ftm_p: float, claim_strength: float,
         meeting_strength: float, hub_min_contacts: int, hub_factor: float, hub_weight: float,
         meet_dt_s: float, meet_dist_m: float) -> str:
    """The ties table: edges (store table ``edges``) + claims + meetings, hubs, strength, relationship."""
    d = q.d
    fs = dict(features)
    ids = [lab.replace("-", "_") for lab in labels]
    score_cols = ",\n           ".join(f"{_score(q, lab, coef, fs)} AS s_{x}" for lab, x in zip(labels, ids))
    mx = "greatest(" + ", ".join(f"s_{x}" for x in ids) + ")"
    z = " + ".join(f"exp(s_{x} - mx)" for x in ids)
    best = "CASE " + " ".join(f"WHEN s_{x} = mx THEN {d.lit(lab)}" for x, lab in zip(ids, labels)) + " END"
    e_cols = ", ".join(f"e.{d.ident(c)}" for c in _EDGE_COLS)
    c_cols = ", ".join(["c.claim_kinds", "c.claim_p", "c.claim_evidence"] + [f"c.cp_{x}" for x in ids[:-1]])
    one, zero = d.f(1.0), d.f(0.0)
    edges_t = q.t(edges)
    fi, la = d.ident("first"), d.ident("last")
    layers = d.non_null("CASE WHEN n_events > 0 THEN 'calls' END", "CASE WHEN claim_p > 0 THEN 'claims' END",
                        "CASE WHEN n_meetings > 0 THEN 'meetings' END")
    probs = d.struct([(lab, f"exp(s_{x} - mx) / ({z})") for x, lab in zip(ids, labels)])
    return f"""
WITH {_claims(q, level, grades, claim_labels, bonus, words, ftm_p, labels)},
{_meetings(q, level, meet_dt_s, meet_dist_m)},
calls_claims AS (
    SELECT coalesce(e.a, c.a) AS a, coalesce(e.b, c.b) AS b, {e_cols}, {c_cols}
    FROM {edges_t} e FULL OUTER JOIN claim_edges c ON c.a = e.a AND c.b = e.b
),
joined AS (
    SELECT coalesce(e.a, m.a) AS a, coalesce(e.b, m.b) AS b,
           coalesce(e.n_events, 0) AS n_events, coalesce(e.n_calls, 0) AS n_calls,
           coalesce(e.total_duration_s, {zero}) AS total_duration_s, coalesce(e.mean_call_s, {zero}) AS mean_call_s,
           coalesce(e.n_ab, 0) AS n_ab, coalesce(e.n_ba, 0) AS n_ba,
           coalesce(e.reciprocity, {zero}) AS reciprocity, e.night_share, e.weekend_share, e.business_share,
           coalesce(e.active_days, 0) AS active_days, coalesce(e.rhythm, {zero}) AS rhythm,
           coalesce(e.burstiness, {zero}) AS burstiness, e.recency_days, e.{fi}, e.{la},
           coalesce(e.identifiers, {d.empty_list()}) AS identifiers,
           coalesce(e.claim_kinds, {d.empty_list()}) AS claim_kinds, coalesce(e.claim_p, {zero}) AS claim_p,
           coalesce(e.claim_evidence, {d.empty_list()}) AS claim_evidence,
           {", ".join(f"e.cp_{x}" for x in ids[:-1])},
           coalesce(m.n_meetings, 0) AS n_meetings, coalesce(m.meet_p, {zero}) AS meet_p
    FROM calls_claims e FULL OUTER JOIN meet_edges m ON m.a = e.a AND m.b = e.b
),
_ends AS (SELECT a AS node FROM {edges_t} UNION ALL SELECT b FROM {edges_t}),
_deg AS (SELECT node, count(*) AS contacts FROM _ends GROUP BY node),
_med AS (SELECT coalesce(median(contacts), 0) AS med FROM _deg),
hub_nodes AS (
    SELECT node FROM _deg CROSS JOIN _med
    WHERE contacts >= {int(hub_min_contacts)} AND contacts >= {d.f(hub_factor)} * med
),
joined_h AS (
    SELECT j.*, (ha.node IS NOT NULL OR hb.node IS NOT NULL) AS hub
    FROM joined j LEFT JOIN hub_nodes ha ON ha.node = j.a LEFT JOIN hub_nodes hb ON hb.node = j.b
),
scored AS (SELECT *, {score_cols} FROM joined_h),
probs AS (SELECT *, {mx} AS mx FROM scored)
SELECT {d.lit(run_id)} AS run_id, a, b, n_events, n_calls, total_duration_s, mean_call_s, n_ab, n_ba, reciprocity,
       night_share, weekend_share, business_share, active_days, rhythm, burstiness, recency_days, {fi}, {la},
       identifiers, claim_kinds, claim_p, claim_evidence, n_meetings, meet_p, hub,
       {layers} AS layers,
       1 - (1 - CASE WHEN hub THEN {d.f(hub_weight)} ELSE {one} END
                * CASE WHEN n_events > 0 THEN 1 - exp(-(ln(1 + n_events) + 0.5 * ln(1 + total_duration_s / 60.0)
                                                     + 3 * rhythm + reciprocity) / 6.0) ELSE {zero} END)
         * (1 - {d.f(claim_strength)} * claim_p)
         * (1 - {d.f(meeting_strength)} * (1 - exp(-meet_p * n_meetings))) AS strength,
       {best} AS relationship,
       {one} / ({z}) AS relationship_p,
       {probs} AS relationship_probs
FROM probs
"""


@plan("network.circle")
def circle(q: Query, *, node: str, k: int, ties_table: str = "net_ties_person") -> str:
    """The ``k`` strongest ties of ``node``: ``other`` and every column of the ties table."""
    d = q.d
    n = d.lit(node)
    return f"""SELECT CASE WHEN a = {n} THEN b ELSE a END AS other, t.* FROM {q.t(ties_table)} t
               WHERE a = {n} OR b = {n} ORDER BY strength DESC, other LIMIT {int(k)}"""


@plan("network.shown_identifiers")
def shown_identifiers(q: Query) -> str:
    """Per resolved person, the identifier to show: the most active one (``person, identifier``)."""
    d = q.d
    c = q.t("comms")
    return f"""
    WITH act AS (
        SELECT ident, count(*) AS n FROM (
            SELECT caller AS ident FROM {c} UNION ALL SELECT callee FROM {c}) x GROUP BY ident
    )
    SELECT a.person, {d.arg_max('a.identifier', "coalesce(act.n, 0) * 10 + a.confidence + CASE WHEN a.identifier LIKE '+%' THEN 1 ELSE 0 END")} AS identifier
    FROM {q.t('attributions')} a LEFT JOIN act ON act.ident = a.identifier
    WHERE a.identifier NOT LIKE 'alias:%'
    GROUP BY a.person ORDER BY a.person"""
