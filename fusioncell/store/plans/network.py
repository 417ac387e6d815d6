"""Plans of the network stage: contact edges, ties, the close circle, shown identifiers.

The model's numbers (coefficients, claim bonuses, hub thresholds) are the
stage's (:mod:`fusioncell.network.ties`) and come in as parameters; these
functions only say how to compute with them, for either dialect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from fusioncell.spacetime.geo import haversine_sql
from fusioncell.store.plans import Query, plan
from fusioncell.store.plans.spacetime import sighted_pairs_ctes


def node_map(q: Query, level: str) -> str:
    """A relation ``(identifier, node)``: the resolved person of an identifier (person level) or nothing."""
    if level == "identifier":
        s = q.d.null("VARCHAR")
        return f"(SELECT {s} AS identifier, {s} AS node FROM (SELECT 1 AS one) z WHERE FALSE)"
    return f"(SELECT identifier, person AS node FROM {q.t('attributions')})"


def _salt_on(level: str, salt: int) -> str:
    """The node-map join condition that salts it into ``salt`` buckets ("" for no salt).

    A call centre is one join key with millions of call records: without a
    salt, the join of the calls with the node map sends all of them to one
    partition. With ``salt = n > 1`` each (de-duplicated) call gets a bucket
    (a hash of its start mod n) and the node map is replicated n times, so a
    hub's records spread over n partitions; the result is the same rows.
    """
    if salt <= 1 or level == "identifier":
        return ""
    return " AND {m}._salt = c._salt"


@plan("network.day_span")
def day_span(q: Query, *, tz: str) -> str:
    """The first and last local date of the calls (``d0, d1``)."""
    d = q.d
    return f"""SELECT CAST({d.local('min(start)', tz)} AS DATE) AS d0, CAST({d.local('max(start)', tz)} AS DATE) AS d1
               FROM {q.t('comms')}"""


def _near(d: Any, lat1: str, lon1: str, lat2: str, lon2: str, dist_m: float) -> str:
    return f"{haversine_sql(lat1, lon1, lat2, lon2)} <= {d.f(dist_m)}"


@plan("network.edges")
def edges(q: Query, *, run_id: str, tz: str, level: str, night_from_h: int, night_to_h: int, salt: int = 1,
          day0: str | None = None, coloc_m: float = 1500.0, part: str = "all", buckets: int = 1,
          records: str = "comms") -> str:
    """Pair features of the contact graph (see :mod:`fusioncell.network.edges`).

    Speed (network3, kept on both engines): duplicate records are merged by a
    hash aggregate, not a window; a pair's gaps are partitioned by a 64-bit
    hash of the pair over integer microseconds (:meth:`Dialect.pair_hash`);
    with ``day0`` (every call within 64 local days of it) active days are the
    popcount of a 64-bit day mask (:meth:`Dialect.bitmask_count`) instead of a
    distinct count.

    Past memory (scale5) the plan comes in parts that :func:`fusioncell.store.plans.run_bucketed`
    chains: ``part="ev"`` (the records with their nodes, the pair hash ``h`` and
    ``_bucket`` = ``h`` mod ``buckets``), then per bucket ``"pairs"`` and
    ``"cells"`` over the input ``ev`` (one bucket's records; every record of a
    pair, and of a de-duplication group, is in one bucket), then ``"finish"``
    over the inputs ``pairs`` and ``cells`` (all buckets). ``part="all"`` is
    the same chain in one statement.

    The finish can be bucketed too, by node (scale6): ``"ends"`` (each pair's two
    ends, ``node, n_events``) and ``"node_cells"`` (the cells) over the inputs
    ``pairs`` and ``cells``, with ``_bucket`` a hash of the node mod ``buckets``;
    per node bucket ``"nodes"`` over the inputs ``ends`` and ``node_cells`` (each
    node's totals and modal home and work cells); then ``"finish"`` given the
    input ``nodes`` joins them to the pairs instead of computing them.

    ``records`` (net8): the table the call records are read from; the span of
    the case (``first_frac``, ``rhythm``, ``recency_days``) is still that of
    ``comms``. :mod:`fusioncell.network.hood` passes the calls of a
    neighbourhood's nodes, whose pairs among themselves come out as on all calls.
    """
    d = q.d
    if part not in ("all", "ev", "pairs", "cells", "ends", "node_cells", "nodes", "finish"):
        raise ValueError(f"network.edges: no part {part!r}")
    p = _EdgeParams(tz, level, night_from_h, night_to_h, day0, coloc_m)
    span = f"""span AS (
    SELECT min(start) AS t0, max(start) AS t1,
           greatest({d.f(1.0)}, CAST(ceil(({d.epoch_s('max(start)')} - {d.epoch_s('min(start)')}) / 86400.0) AS DOUBLE))
             AS span_days
    FROM {q.t('comms')}
)"""
    if part == "ev":
        return f"SELECT *, {_bucket_of(d, 'h', buckets)} AS _bucket FROM ({_edge_records(q, level, salt, records)}) r"
    if part in ("pairs", "cells"):
        ctes = _pair_ctes(q, p, q.i("ev"))
        return f"WITH {ctes}\nSELECT * FROM {'agg' if part == 'pairs' else 'cells0'}"
    if part in ("ends", "node_cells"):  # the pairs' ends and the cells, with a bucket of the node
        rel = (f"SELECT a AS node, n_events FROM {q.i('pairs')} UNION ALL SELECT b, n_events FROM {q.i('pairs')}"
               if part == "ends" else f"SELECT * FROM {q.i('cells')}")
        return f"SELECT *, {d.salt('node', buckets)} AS _bucket FROM ({rel}) r"
    if part == "nodes":  # one node bucket's ends and cells
        ends = f"SELECT * FROM {q.i('ends')}"
        return f"WITH {_node_ctes(q, '', q.i('node_cells'), ends=ends)}\nSELECT * FROM nodes"
    if part == "finish":
        parts = [span, f"agg AS (SELECT * FROM {q.i('pairs')})"]
        if "nodes" not in q.inputs:
            parts.append(f"cells0 AS (SELECT * FROM {q.i('cells')})")
        return _finish(q, p, run_id, parts)
    return _finish(q, p, run_id, [span, f"ev AS ({_edge_records(q, level, salt, records)})", _pair_ctes(q, p, "ev")])


@dataclass(frozen=True)
class _EdgeParams:
    tz: str
    level: str
    night_from_h: int
    night_to_h: int
    day0: str | None
    coloc_m: float


def _bucket_of(d: Any, h: str, n: int) -> str:
    """A bucket ``0..n-1`` of the 64-bit pair hash ``h``."""
    return f"pmod({h}, {int(n)})" if d.spark else f"CAST({h} % {int(n)} AS BIGINT)"


def _edge_records(q: Query, level: str, salt: int, records: str = "comms") -> str:
    """Every call record between two different nodes, with its nodes (``src``, ``dst``) and pair hash ``h``.

    The node map is joined before duplicates are merged: two records of one
    call have the same identifiers, so the same nodes, and the merge (in
    :func:`_pair_ctes`) groups by the nodes too, so the rows are those of
    merging first. Salted by a hash of the start (equal for duplicates).
    """
    d = q.d
    nm = node_map(q, level)
    salt_on = _salt_on(level, salt)
    if salt_on:
        nm = f"(SELECT m.*, s._salt FROM {nm} m CROSS JOIN {d.salt_values(salt)} s)"
    calls = f"(SELECT *, {d.salt('start', salt)} AS _salt FROM {q.t(records)})" if salt_on else q.t(records)
    return f"""SELECT src, dst, caller, callee, start, channel, duration_s, caller_lat, caller_lon, callee_lat,
           callee_lon, {d.pair_hash('least(src, dst)', 'greatest(src, dst)')} AS h
    FROM (SELECT coalesce(m1.node, c.caller) AS src, coalesce(m2.node, c.callee) AS dst,
                 c.caller, c.callee, c.start, c.channel, c.duration_s,
                 c.caller_lat, c.caller_lon, c.callee_lat, c.callee_lon
          FROM {calls} c
          LEFT JOIN {nm} m1 ON m1.identifier = c.caller{salt_on.format(m='m1')}
          LEFT JOIN {nm} m2 ON m2.identifier = c.callee{salt_on.format(m='m2')}) j
    WHERE src <> dst"""


def _pair_ctes(q: Query, p: _EdgeParams, ev: str) -> str:
    """CTEs ``calls1 … agg`` (one row per pair) and ``cells0`` (each node's cells, counted) over records ``ev``."""
    d = q.d
    if p.level == "person":
        ids_agg = f"{d.sorted_set('caller')} AS ids_caller, {d.sorted_set('callee')} AS ids_callee"
    else:
        ids_agg = f"{d.null('VARCHAR')} AS ids_caller"
    if p.day0:
        days = f"{d.bitmask_count(d.day_index(p.day0, 'CAST(lt AS DATE)'))} AS active_days"
    else:
        days = "count(DISTINCT CAST(lt AS DATE)) AS active_days"
    one, zero = d.f(1.0), d.f(0.0)
    fi, la = d.ident("first"), d.ident("last")
    nf, nt = int(p.night_from_h), int(p.night_to_h)
    biz = "hour(lt) >= 9 AND hour(lt) < 18"
    wkday = f"{d.dow0('lt')} BETWEEN 1 AND 5"
    return f"""calls1 AS (   -- one record per call: the same call delivered twice (two agencies, two exports) counts once
    SELECT src, dst, caller, callee, start, channel, duration_s, h,
           min(caller_lat) AS caller_lat, min(caller_lon) AS caller_lon,
           min(callee_lat) AS callee_lat, min(callee_lon) AS callee_lon
    FROM {ev} GROUP BY src, dst, caller, callee, start, channel, duration_s, h
),
ev2 AS (
    SELECT least(src, dst) AS a, greatest(src, dst) AS b, src, dst, start, duration_s, channel, lt,
           caller, callee, caller_lat, caller_lon, callee_lat, callee_lon,
           CASE WHEN caller_lat IS NOT NULL AND callee_lat IS NOT NULL THEN
                CASE WHEN {_near(d, 'caller_lat', 'caller_lon', 'callee_lat', 'callee_lon', p.coloc_m)}
                     THEN {one} ELSE {zero} END END AS coloc,
           -- gaps between a pair's events: partitioned by a 64-bit hash of the pair and ordered by an integer
           -- time (4-5x cheaper than partitioning on the two strings; two pairs would have to collide in 64 bits
           -- to mix their gaps, and colliding pairs share a bucket)
           (e_us - lag(e_us) OVER (PARTITION BY h ORDER BY e_us)) / 1e6 AS gap_s
    FROM (SELECT *, {d.local('start', p.tz)} AS lt, {d.epoch_us('start')} AS e_us FROM calls1) ev1
),
agg AS (
    SELECT a, b,
           count(*) AS n_events,
           count(*) FILTER (WHERE channel = 'call') AS n_calls,
           coalesce(CAST(sum(duration_s) FILTER (WHERE channel = 'call') AS DOUBLE), {zero}) AS total_duration_s,
           coalesce(CAST(avg(duration_s) FILTER (WHERE channel = 'call') AS DOUBLE), {zero}) AS mean_call_s,
           count(*) FILTER (WHERE src = a) AS n_ab,
           count(*) FILTER (WHERE src = b) AS n_ba,
           avg(CASE WHEN hour(lt) >= {nf} OR hour(lt) < {nt} THEN {one} ELSE {zero} END) AS night_share,
           avg(CASE WHEN hour(lt) >= 18 AND hour(lt) < {nf} THEN {one} ELSE {zero} END) AS evening_share,
           avg(CASE WHEN {d.dow0('lt')} IN (0, 6) THEN {one} ELSE {zero} END) AS weekend_share,
           avg(CASE WHEN duration_s < 60 THEN {one} ELSE {zero} END) FILTER (WHERE channel = 'call') AS short_share,
           avg(CASE WHEN gap_s < 1800 THEN {one} ELSE {zero} END) AS quick_share,
           avg(CASE WHEN {wkday} AND {biz} THEN {one} ELSE {zero} END) AS business_share,
           {days},
           avg(gap_s) AS gap_mean_s, stddev_pop(gap_s) AS gap_sd_s,
           min(start) AS {fi}, max(start) AS {la},
           avg(coloc) AS coloc_share,
           avg(coloc) FILTER (WHERE {wkday} AND {biz}) AS coloc_day_share,
           {ids_agg}
    FROM ev2 GROUP BY a, b
),
own AS (   -- each node's own side of its events with a known cell: its serving cell, local time
    SELECT src AS node, caller_lat AS lat, caller_lon AS lon, lt FROM ev2 WHERE caller_lat IS NOT NULL
    UNION ALL SELECT dst, callee_lat, callee_lon, lt FROM ev2 WHERE callee_lat IS NOT NULL
),
cells0 AS (   -- counts: additive over buckets (a node's events fall in several)
    SELECT node, {d.round_to('lat', 3)} AS glat, {d.round_to('lon', 3)} AS glon,
           count(*) FILTER (WHERE hour(lt) >= {nf} OR hour(lt) < {nt}) AS n_home,
           count(*) FILTER (WHERE {wkday} AND hour(lt) >= 9 AND hour(lt) < 17) AS n_work
    FROM own WHERE lat IS NOT NULL GROUP BY node, {d.round_to('lat', 3)}, {d.round_to('lon', 3)}
)"""


def _node_ctes(q: Query, agg: str, cells: str, ends: str | None = None) -> str:
    """CTEs ending in ``nodes(node, n_tot, n_top, home_lat, home_lon, work_lat, work_lon)``: each node's
    events over all its pairs (``agg``, or its ``ends`` rows ``node, n_events`` when given) and its modal
    home and work cells (``cells``: counts per node and cell, summed here)."""
    ends_sql = ends or f"SELECT a AS node, n_events FROM {agg} UNION ALL SELECT b, n_events FROM {agg}"
    return f"""ends AS ({ends_sql}),
node_tot AS (SELECT node, sum(n_events) AS n_tot, max(n_events) AS n_top FROM ends GROUP BY node),
node_cells AS (
    SELECT node, glat, glon, CAST(sum(n_home) AS BIGINT) AS n_home, CAST(sum(n_work) AS BIGINT) AS n_work
    FROM {cells} GROUP BY node, glat, glon
),
node_ranked AS (   -- each node's modal home and work cell (ties broken by position, the same on every engine)
    SELECT node, glat, glon, n_home, n_work,
           row_number() OVER (PARTITION BY node ORDER BY n_home DESC, glat, glon) AS r_home,
           row_number() OVER (PARTITION BY node ORDER BY n_work DESC, glat, glon) AS r_work
    FROM node_cells
),
node_place AS (
    SELECT node,
           max(CASE WHEN r_home = 1 AND n_home > 0 THEN glat END) AS home_lat,
           max(CASE WHEN r_home = 1 AND n_home > 0 THEN glon END) AS home_lon,
           max(CASE WHEN r_work = 1 AND n_work > 0 THEN glat END) AS work_lat,
           max(CASE WHEN r_work = 1 AND n_work > 0 THEN glon END) AS work_lon
    FROM node_ranked GROUP BY node
),
nodes AS (
    SELECT coalesce(t.node, pl.node) AS node, t.n_tot, t.n_top, pl.home_lat, pl.home_lon, pl.work_lat, pl.work_lon
    FROM node_tot t FULL OUTER JOIN node_place pl ON pl.node = t.node
)"""


def _finish(q: Query, p: _EdgeParams, run_id: str, ctes: list[str]) -> str:
    """The edge rows: ``ctes`` (defining ``span``, ``agg``, all pairs, and ``cells0``, the bucket counts, unless
    the input ``nodes`` gives each node's totals and cells), then each node's figures, joined to both ends."""
    d = q.d
    one, zero = d.f(1.0), d.f(0.0)
    fi, la = d.ident("first"), d.ident("last")
    # an identifier-level tie's identifiers are its two ends: derived on read (IDENTIFIERS_ON_READ)
    ids_out = f"{d.list_cat_sorted_set('ids_caller', 'ids_callee')} AS identifiers," if p.level == "person" else ""
    home = _near(d, 'pa.home_lat', 'pa.home_lon', 'pb.home_lat', 'pb.home_lon', p.coloc_m)
    nodes = q.i("nodes") if "nodes" in q.inputs else "nodes"
    if "nodes" not in q.inputs:
        ctes = [*ctes, _node_ctes(q, "agg", "cells0")]
    return "WITH " + ",\n".join(ctes) + f"""
SELECT {d.lit(run_id)} AS run_id, agg.a, agg.b, n_events, n_calls, total_duration_s, mean_call_s, n_ab, n_ba,
       {d.f(2.0)} * least(n_ab, n_ba) / n_events AS reciprocity,
       night_share, evening_share, weekend_share, business_share, short_share, quick_share, active_days,
       least({one}, active_days / span.span_days) AS rhythm,
       least({one}, ({d.epoch_s(fi)} - {d.epoch_s('span.t0')}) / 86400.0 / span.span_days) AS first_frac,
       CASE WHEN n_events >= 3 AND gap_mean_s + gap_sd_s > 0
            THEN (gap_sd_s - gap_mean_s) / (gap_sd_s + gap_mean_s) ELSE {zero} END AS burstiness,
       ({d.epoch_s('span.t1')} - {d.epoch_s(la)}) / 86400.0 AS recency_days,
       {fi}, {la},
       {ids_out}
       coloc_share, coloc_day_share,
       CASE WHEN pa.home_lat IS NOT NULL AND pb.home_lat IS NOT NULL THEN
            CASE WHEN {home} THEN {one} ELSE {zero} END END AS same_home,
       CASE WHEN pa.work_lat IS NOT NULL AND pb.work_lat IS NOT NULL THEN
            CASE WHEN {_near(d, 'pa.work_lat', 'pa.work_lon', 'pb.work_lat', 'pb.work_lon', p.coloc_m)}
                  AND NOT coalesce({home}, FALSE)
                 THEN {one} ELSE {zero} END END AS same_work,
       CAST(n_events AS DOUBLE) / least(pa.n_tot, pb.n_tot) AS tie_share,
       CAST(n_events AS DOUBLE) / greatest(pa.n_tot, pb.n_tot) AS tie_share_max,
       (CASE WHEN n_events >= pa.n_top THEN {one} ELSE {zero} END
        + CASE WHEN n_events >= pb.n_top THEN {one} ELSE {zero} END) / {d.f(2.0)} AS top_tie
FROM agg CROSS JOIN span
LEFT JOIN {nodes} pa ON pa.node = agg.a LEFT JOIN {nodes} pb ON pb.node = agg.b
"""


#: The fields of a provenance struct (docs/network.md): the layer, the observation table, the row, the
#: agency that delivered it, its Admiralty grade when it has one, and its probability.
PROV_FIELDS = (("layer", "VARCHAR"), ("source", "VARCHAR"), ("ref", "VARCHAR"), ("agency", "VARCHAR"),
               ("grade", "VARCHAR"), ("p", "DOUBLE"))


def _prov(q: Query, layer: str, source: str, ref: str, agency: str, grade: str, p: str) -> str:
    """A provenance struct (``layer`` and ``source`` are literals, the rest expressions)."""
    d = q.d
    vals = (d.lit(layer), d.lit(source), ref, agency, grade, p)
    return d.typed_struct([(k, v, t) for (k, t), v in zip(PROV_FIELDS, vals)])


def _sorted_prov(q: Query, lst: str) -> str:
    """A provenance list in one order on every engine (by row, then probability)."""
    return q.d.sort_structs(lst, ("ref", "p"))


def _grades(q: Query, grades: Mapping[str, Mapping[int, float]]) -> str:
    d = q.d
    rows = ", ".join(f"({d.lit(r)}, {c}, {d.f(p)})" for r, cs in grades.items() for c, p in cs.items())
    return f"grades AS (SELECT * FROM (VALUES {rows}) AS g(reliability, credibility, p))"


def _graded(alias: str) -> str:
    """Join condition of a claims row ``alias`` with ``grades`` (unknown grades read as F6)."""
    return (f"g.reliability = CASE WHEN upper({alias}.reliability) IN ('A','B','C','D','E','F') "
            f"THEN upper({alias}.reliability) ELSE 'F' END "
            f"AND g.credibility = CASE WHEN {alias}.credibility BETWEEN 1 AND 6 THEN {alias}.credibility ELSE 6 END")


def _grade(q: Query, alias: str) -> str:
    return (f"coalesce(upper({alias}.reliability), 'F') || "
            f"coalesce(CAST({alias}.credibility AS {q.d.str_type()}), '6')")


def _claims(q: Query, level: str, claim_labels: Mapping[str, tuple[str, ...]],
            bonus: Mapping[str, float], words: Mapping[str, str], ftm_p: float, labels: tuple[str, ...]) -> str:
    """CTEs ending in ``claim_edges(a, b, claim_kinds, claim_p, cp_<label>…, claim_evidence, claim_prov)``."""
    d = q.d
    nm = node_map(q, level)
    preds = ", ".join(d.lit(k) for k in claim_labels if k[0].islower())
    rel = f"lower(coalesce({d.json_str('properties', '$.relationship[0]')}, ''))"
    kind = "CASE " + " ".join(f"WHEN {d.regex(rel, w)} THEN {d.lit(k)}" for k, w in words.items()) + " ELSE schema END"
    cps = ", ".join(
        "max(CASE " + " ".join(f"WHEN kind = {d.lit(k)} THEN {d.f(bonus[k])} * p"
                               for k, ls in claim_labels.items() if lab in ls)
        + f" ELSE {d.f(0.0)} END) AS cp_{lab.replace('-', '_')}"
        for lab in labels[:-1])
    claim_prov = _prov(q, "claims", "claims", "c.report_id || '#' || c.claim_no", "c.agency", _grade(q, "c"), "g.p")
    ent_prov = _prov(q, "claims", "entities", "entity_id", d.null("VARCHAR"), d.null("VARCHAR"), d.f(ftm_p))
    return f"""
raw_claims AS (
    SELECT c.subject AS x, c.object AS y, c.predicate AS kind, g.p,
           'report ' || c.report_id || ' (' || {_grade(q, 'c')} || '): ' || c.subject || ' ' || c.predicate || ' '
             || c.object AS evidence,
           {claim_prov} AS prov
    FROM {q.t('claims')} c JOIN grades g ON {_graded('c')}
    WHERE c.predicate IN ({preds}) AND c.object IS NOT NULL
    UNION ALL
    SELECT {d.json_str('properties', '$.person[0]')},
           coalesce({d.json_str('properties', '$.relative[0]')}, {d.json_str('properties', '$.associate[0]')}),
           {kind},
           {d.f(ftm_p)},
           'entities.jsonl: ' || schema || ' ' || entity_id
             || coalesce(' (' || {d.json_str('properties', '$.relationship[0]')} || ')', ''),
           {ent_prov}
    FROM {q.t('entities')} WHERE schema IN ('Family', 'Associate')
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
           {d.sorted_set('kind')} AS claim_kinds,
           1 - {d.product_agg('1 - p')} AS claim_p,
           {cps},
           {d.ordered_list('evidence', 'p', 'evidence')} AS claim_evidence,
           {d.ordered_list('prov', 'p', 'evidence')} AS claim_prov
    FROM claim_nodes WHERE u <> v GROUP BY least(u, v), greatest(u, v)
)"""


def _meetings(q: Query, level: str, max_dt_s: float, max_dist_m: float) -> str:
    """CTEs ending in ``meet_edges(a, b, n_meetings, meet_p, meet_prov)`` (and ``sighted_pairs`` on the way)."""
    d = q.d
    nm = node_map(q, level)
    prov = _prov(q, "meetings", "sightings", "ea || '+' || eb", "ag_a", d.null("VARCHAR"), "p")
    return f"""{sighted_pairs_ctes(q, max_dt_s, max_dist_m)},
meet_nodes AS (
    SELECT coalesce(m1.node, id_a) AS u, coalesce(m2.node, id_b) AS v, p, date_trunc('hour', t0) AS episode,
           {prov} AS prov
    FROM sighted_pairs LEFT JOIN {nm} m1 ON m1.identifier = id_a LEFT JOIN {nm} m2 ON m2.identifier = id_b
),
meet_edges AS (
    SELECT least(u, v) AS a, greatest(u, v) AS b, count(DISTINCT episode) AS n_meetings, avg(p) AS meet_p,
           {_sorted_prov(q, d.list_agg('prov'))} AS meet_prov
    FROM meet_nodes WHERE u <> v GROUP BY least(u, v), greatest(u, v)
)"""


def _vehicles(q: Query, level: str, owner_p: float, max_users: int) -> str:
    """CTEs ending in ``veh_edges(a, b, veh_p, n_vehicles, veh_prov)``; needs ``grades`` and ``sighted_pairs``."""
    d = q.d
    nm = node_map(q, level)
    owner = d.json_str("properties", "$.owner[0]")
    ents = q.t("entities")
    claim_prov = _prov(q, "vehicles", "claims", "c.report_id || '#' || c.claim_no", "c.agency", _grade(q, "c"), "g.p")
    own_prov = _prov(q, "vehicles", "entities", "entity_id", d.null("VARCHAR"), d.null("VARCHAR"), d.f(owner_p))
    seen_prov = _prov(q, "vehicles", "sightings", "s.ea || '+' || s.eb", "s.ag_a", d.null("VARCHAR"), "s.p")
    return f"""
vehicle_ids AS (   -- identifiers that name a vehicle, and the vehicle they name (its entity id when declared)
    SELECT ei.identifier, ei.entity_id AS vehicle
    FROM {q.t('entity_identifiers')} ei JOIN {ents} e ON e.entity_id = ei.entity_id
    WHERE e.schema = 'Vehicle'
    UNION SELECT entity_id, entity_id FROM {ents} WHERE schema = 'Vehicle'
),
veh_raw AS (
    SELECT c.subject AS x, coalesce(v.vehicle, c.object) AS vehicle, g.p, {claim_prov} AS prov
    FROM {q.t('claims')} c JOIN grades g ON {_graded('c')}
    LEFT JOIN vehicle_ids v ON v.identifier = c.object
    WHERE c.predicate = 'uses' AND c.object IS NOT NULL AND (c.object LIKE 'plate:%' OR v.vehicle IS NOT NULL)
    UNION ALL
    SELECT {owner}, entity_id, {d.f(owner_p)}, {own_prov}
    FROM {ents} WHERE schema = 'Vehicle' AND {owner} IS NOT NULL
    UNION ALL
    SELECT CASE WHEN va.vehicle IS NULL AND s.id_a NOT LIKE 'plate:%' THEN s.id_a ELSE s.id_b END,
           coalesce(va.vehicle, vb.vehicle, CASE WHEN s.id_a LIKE 'plate:%' THEN s.id_a ELSE s.id_b END), s.p,
           {seen_prov}
    FROM sighted_pairs s
    LEFT JOIN vehicle_ids va ON va.identifier = s.id_a LEFT JOIN vehicle_ids vb ON vb.identifier = s.id_b
    WHERE ((va.vehicle IS NOT NULL OR s.id_a LIKE 'plate:%') <> (vb.vehicle IS NOT NULL OR s.id_b LIKE 'plate:%'))
),
veh_links AS (   -- person node -> vehicle, noisy-or over the evidence
    SELECT coalesce(m.node, r.x) AS u, r.vehicle, 1 - {d.product_agg('1 - r.p')} AS p,
           {d.list_agg('r.prov')} AS prov
    FROM veh_raw r LEFT JOIN {nm} m ON m.identifier = r.x
    WHERE r.x IS NOT NULL AND r.vehicle IS NOT NULL AND r.x <> r.vehicle
    GROUP BY coalesce(m.node, r.x), r.vehicle
),
veh_users AS (SELECT vehicle FROM veh_links GROUP BY vehicle HAVING count(*) BETWEEN 2 AND {int(max_users)}),
veh_edges AS (
    SELECT least(x.u, y.u) AS a, greatest(x.u, y.u) AS b,
           1 - {d.product_agg('1 - x.p * y.p')} AS veh_p, count(DISTINCT x.vehicle) AS n_vehicles,
           {_sorted_prov(q, d.flatten_agg(d.list_cat('x.prov', 'y.prov')))} AS veh_prov
    FROM veh_links x JOIN veh_links y ON x.vehicle = y.vehicle AND x.u < y.u
    JOIN veh_users vu ON vu.vehicle = x.vehicle
    GROUP BY least(x.u, y.u), greatest(x.u, y.u)
)"""


def _places(q: Query, level: str, tz: str, max_visitors: int, place_days: float) -> str:
    """CTEs ending in ``place_edges(a, b, place_p, n_places, place_prov)`` over the fine stays of the
    input ``visits`` (``identifier, place_id, start, precision, event_ids, lat, lon``)."""
    d = q.d
    nm = node_map(q, level)
    ll = d.struct([("lat", "v.lat"), ("lon", "v.lon")])
    evs = d.join_first(d.list_sort(d.list_cat("x.event_ids", "y.event_ids")), 20, ",")
    ref = (f"x.place_id || ' (' || {d.to_str(d.round_to('x.ll.lat', 5))} || ', ' "
           f"|| {d.to_str(d.round_to('x.ll.lon', 5))} || '): ' || {evs}")
    prov = _prov(q, "places", "locations", ref, "x.agency", d.null("VARCHAR"),
                 f"1 - exp(-least(x.days, y.days) / {d.f(place_days)})")
    return f"""
loc_agency AS (SELECT event_id, min(agency) AS agency FROM {q.t('locations')} GROUP BY event_id),
pv AS (   -- fine stays by place, with the local day and the agency of the stay's first fix
    SELECT coalesce(m.node, v.identifier) AS u, v.place_id, CAST({d.local('v.start', tz)} AS DATE) AS day,
           v.event_ids, l.agency, v.lat, v.lon
    FROM {q.i('visits')} v
    LEFT JOIN loc_agency l ON l.event_id = {d.first_elem('v.event_ids')}
    LEFT JOIN {nm} m ON m.identifier = v.identifier
    WHERE v.precision = 'fine' AND v.place_id IS NOT NULL
),
pv_public AS (SELECT place_id FROM pv GROUP BY place_id HAVING count(DISTINCT u) > {int(max_visitors)}),
pv_node AS (
    SELECT v.u, v.place_id, count(DISTINCT v.day) AS days, min({ll}) AS ll,
           {d.flatten_agg('v.event_ids')} AS event_ids, min(v.agency) AS agency
    FROM pv v LEFT JOIN pv_public pp ON pp.place_id = v.place_id
    WHERE pp.place_id IS NULL GROUP BY v.u, v.place_id
),
place_edges AS (
    SELECT least(x.u, y.u) AS a, greatest(x.u, y.u) AS b,
           1 - exp(-sum(least(x.days, y.days)) / {d.f(place_days)}) AS place_p, count(*) AS n_places,
           {_sorted_prov(q, d.list_agg(prov))} AS place_prov
    FROM pv_node x JOIN pv_node y ON x.place_id = y.place_id AND x.u < y.u
    GROUP BY least(x.u, y.u), greatest(x.u, y.u)
)"""


def _score(q: Query, lab: str, coef: Mapping[str, Mapping[str, float]], features: Mapping[str, str]) -> str:
    d = q.d
    bias = d.f(coef[lab].get("bias", 0.0))
    # a tie known only from reports (no call, message or meeting): its label is what the reports say, not the
    # base rate of labels among phone ties (a fitted prior that made two "partner_of" reports read "friend")
    terms = [bias if lab == "one-off" else
             f"CASE WHEN n_events = 0 AND n_meetings = 0 AND claim_p > 0 THEN {d.f(0.0)} ELSE {bias} END"]
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
def ties(q: Query, *, run_id: str, level: str, tz: str, edges: str, labels: tuple[str, ...],
         coef: Mapping[str, Mapping[str, float]], features: Mapping[str, str],
         grades: Mapping[str, Mapping[int, float]], claim_labels: Mapping[str, tuple[str, ...]],
         bonus: Mapping[str, float], words: Mapping[str, str], ftm_p: float, claim_strength: float,
         meeting_strength: float, vehicle_strength: float, place_strength: float,
         hub_min_contacts: int, hub_factor: float, hub_weight: float, meet_dt_s: float, meet_dist_m: float,
         owner_p: float, vehicle_max_users: int, place_max_visitors: int, place_days: float,
         unknown_p: float = 0.0, thin_events: int = 0, hub_med: float | None = None) -> str:
    """The ties table: edges (store table ``edges``) + the claims, meetings, vehicles and places layers
    (with provenance; places from the input ``visits``), hubs, strength, relationship.

    The relationship is ``unknown`` (its probabilities still given) when the best label is not
    ``one-off`` and either its probability is below ``unknown_p`` or the tie rests on fewer than
    ``thin_events`` calls and messages with no claim, meeting, vehicle or place behind it.

    At ``level="identifier"`` the table has no ``identifiers`` column: a tie's
    identifiers are its two ends, derived on read
    (:data:`fusioncell.network.ties.IDENTIFIERS_ON_READ`), which keeps the
    cached table lean (writing the list was a fifth of writing the table).

    ``hub_med`` (net8): the case's median number of contacts, when ``edges`` holds
    only a neighbourhood's pairs (:mod:`fusioncell.network.hood`); else the
    median of ``edges``."""
    d = q.d
    fs = dict(features)
    ids = [lab.replace("-", "_") for lab in labels]
    cp = [f"cp_{x}" for x in ids[:-1]]
    edges_t = q.t(edges)
    score_cols = ",\n           ".join(f"{_score(q, lab, coef, fs)} AS s_{x}" for lab, x in zip(labels, ids))
    mx = "greatest(" + ", ".join(f"s_{x}" for x in ids) + ")"
    return f"""
WITH {_grades(q, grades)},
{_claims(q, level, claim_labels, bonus, words, ftm_p, labels)},
{_meetings(q, level, meet_dt_s, meet_dist_m)},
{_vehicles(q, level, owner_p, vehicle_max_users)},
{_places(q, level, tz, place_max_visitors, place_days)},
{_other_edges(q, level, cp)},
{_joined(q, level, edges_t, cp)},
{_hubs(q, edges_t, hub_min_contacts, hub_factor, hub_med)},
scored AS (SELECT *, {score_cols} FROM joined_h),
probs AS (SELECT *, {mx} AS mx FROM scored)
{_tie_select(q, run_id, level, labels, ids, cp, claim_strength, meeting_strength, vehicle_strength, place_strength,
             hub_weight, unknown_p, thin_events)}"""


def _other_edges(q: Query, level: str, cp: list[str]) -> str:
    """CTEs ending in ``other_edges``: the pairs of the small layers (claims, meetings, vehicles, places) with
    their evidence and provenance; ``named``: the nodes an informant report speaks of."""
    d = q.d
    no_prov = d.empty_struct_list(PROV_FIELDS)
    provenance = d.list_cat(d.list_cat(f"coalesce(c.claim_prov, {no_prov})", f"coalesce(m.meet_prov, {no_prov})"),
                            d.list_cat(f"coalesce(v.veh_prov, {no_prov})", f"coalesce(pl.place_prov, {no_prov})"))
    return f"""named AS (   -- nodes an informant report speaks of (subject or object of any claim)
    SELECT DISTINCT coalesce(m.node, x.ident) AS node
    FROM (SELECT subject AS ident FROM {q.t('claims')} UNION SELECT object FROM {q.t('claims')}) x
    LEFT JOIN {node_map(q, level)} m ON m.identifier = x.ident WHERE x.ident IS NOT NULL
),
other_keys AS (   -- pairs the small layers speak of (claims, meetings, vehicles, places)
    SELECT a, b FROM claim_edges UNION SELECT a, b FROM meet_edges
    UNION SELECT a, b FROM veh_edges UNION SELECT a, b FROM place_edges
),
other_edges AS (
    SELECT k.a, k.b, c.claim_kinds, c.claim_p, c.claim_evidence, {", ".join(f"c.{x}" for x in cp)},
           m.n_meetings, m.meet_p, v.n_vehicles, v.veh_p, pl.n_places, pl.place_p,
           {provenance} AS provenance
    FROM other_keys k
    LEFT JOIN claim_edges c ON c.a = k.a AND c.b = k.b
    LEFT JOIN meet_edges m ON m.a = k.a AND m.b = k.b
    LEFT JOIN veh_edges v ON v.a = k.a AND v.b = k.b
    LEFT JOIN place_edges pl ON pl.a = k.a AND pl.b = k.b
)"""


def _joined(q: Query, level: str, edges_t: str, cp: list[str]) -> str:
    """The CTE ``joined``: the call edges (``edges_t``) and ``other_edges`` side by side, absent values filled."""
    d = q.d
    zero = d.f(0.0)
    fi, la = d.ident("first"), d.ident("last")
    no_prov = d.empty_struct_list(PROV_FIELDS)
    # lean identifier-level table: its identifiers are always its two ends (a, b), derived on read
    ids_join = f"coalesce(e.identifiers, {d.empty_list()}) AS identifiers," if level == "person" else ""
    return f"""joined AS (
    SELECT coalesce(e.a, o.a) AS a, coalesce(e.b, o.b) AS b,
           coalesce(e.n_events, 0) AS n_events, coalesce(e.n_calls, 0) AS n_calls,
           coalesce(e.total_duration_s, {zero}) AS total_duration_s, coalesce(e.mean_call_s, {zero}) AS mean_call_s,
           coalesce(e.n_ab, 0) AS n_ab, coalesce(e.n_ba, 0) AS n_ba,
           coalesce(e.reciprocity, {zero}) AS reciprocity, e.night_share, e.weekend_share, e.business_share,
           e.evening_share, e.short_share, e.quick_share, e.first_frac, coalesce(e.tie_share_max, {zero}) AS tie_share_max,
           coalesce(e.active_days, 0) AS active_days, coalesce(e.rhythm, {zero}) AS rhythm,
           coalesce(e.burstiness, {zero}) AS burstiness, e.recency_days, e.{fi}, e.{la},
           {ids_join}
           e.coloc_share, e.coloc_day_share, e.same_home, e.same_work, coalesce(e.tie_share, {zero}) AS tie_share,
           coalesce(e.top_tie, {zero}) AS top_tie,
           coalesce(o.claim_kinds, {d.empty_list()}) AS claim_kinds, coalesce(o.claim_p, {zero}) AS claim_p,
           coalesce(o.claim_evidence, {d.empty_list()}) AS claim_evidence,
           {", ".join(f"o.{x}" for x in cp)},
           coalesce(o.n_meetings, 0) AS n_meetings, coalesce(o.meet_p, {zero}) AS meet_p,
           coalesce(o.n_vehicles, 0) AS n_vehicles, coalesce(o.veh_p, {zero}) AS veh_p,
           coalesce(o.n_places, 0) AS n_places, coalesce(o.place_p, {zero}) AS place_p,
           coalesce(o.provenance, {no_prov}) AS provenance
    FROM {edges_t} e FULL OUTER JOIN other_edges o ON o.a = e.a AND o.b = e.b
)"""


def _hubs(q: Query, edges_t: str, hub_min_contacts: int, hub_factor: float, hub_med: float | None) -> str:
    """CTEs ending in ``joined_h``: ``joined`` with ``hub`` (an end has at least ``hub_min_contacts`` contacts
    and ``hub_factor`` × the median) and ``named_ends`` (the share of its ends a report speaks of)."""
    d = q.d
    one, zero = d.f(1.0), d.f(0.0)
    return f"""_ends AS (SELECT a AS node FROM {edges_t} UNION ALL SELECT b FROM {edges_t}),
_deg AS (SELECT node, count(*) AS contacts FROM _ends GROUP BY node),
_med AS ({"SELECT coalesce(median(contacts), 0) AS med FROM _deg" if hub_med is None
          else f"SELECT {d.f(float(hub_med))} AS med"}),
hub_nodes AS (
    SELECT node FROM _deg CROSS JOIN _med
    WHERE contacts >= {int(hub_min_contacts)} AND contacts >= {d.f(hub_factor)} * med
),
joined_h AS (
    SELECT j.*, (ha.node IS NOT NULL OR hb.node IS NOT NULL) AS hub,
           ((CASE WHEN na.node IS NOT NULL THEN {one} ELSE {zero} END)
            + (CASE WHEN nb.node IS NOT NULL THEN {one} ELSE {zero} END)) / {d.f(2.0)} AS named_ends
    FROM joined j LEFT JOIN hub_nodes ha ON ha.node = j.a LEFT JOIN hub_nodes hb ON hb.node = j.b
    LEFT JOIN named na ON na.node = j.a LEFT JOIN named nb ON nb.node = j.b
)"""


def _tie_select(q: Query, run_id: str, level: str, labels: tuple[str, ...], ids: list[str], cp: list[str],
                claim_strength: float, meeting_strength: float, vehicle_strength: float, place_strength: float,
                hub_weight: float, unknown_p: float, thin_events: int) -> str:
    """The final ``SELECT`` from ``probs``: the columns of the ties table, ``strength`` and ``relationship``."""
    d = q.d
    one, zero = d.f(1.0), d.f(0.0)
    fi, la = d.ident("first"), d.ident("last")
    z = " + ".join(f"exp(s_{x} - mx)" for x in ids)
    best = "CASE " + " ".join(f"WHEN s_{x} = mx THEN {d.lit(lab)}" for x, lab in zip(ids, labels)) + " END"
    ids_sel = "identifiers, " if level == "person" else ""
    layers = d.non_null("CASE WHEN n_events > 0 THEN 'calls' END", "CASE WHEN claim_p > 0 THEN 'claims' END",
                        "CASE WHEN n_meetings > 0 THEN 'meetings' END", "CASE WHEN veh_p > 0 THEN 'vehicles' END",
                        "CASE WHEN place_p > 0 THEN 'places' END")
    probs = d.struct([(lab, f"exp(s_{x} - mx) / ({z})") for x, lab in zip(ids, labels)])
    return f"""SELECT {d.lit(run_id)} AS run_id, a, b, n_events, n_calls, total_duration_s, mean_call_s, n_ab, n_ba, reciprocity,
       night_share, weekend_share, business_share, active_days, rhythm, burstiness, recency_days, {fi}, {la},
       coloc_share, coloc_day_share, same_home, same_work, tie_share, top_tie,
       evening_share, short_share, quick_share, first_frac, tie_share_max, named_ends,
       {", ".join(cp)},
       {ids_sel}claim_kinds, claim_p, claim_evidence, n_meetings, meet_p, n_vehicles, veh_p, n_places, place_p,
       hub,
       {layers} AS layers,
       provenance,
       1 - (1 - CASE WHEN hub THEN {d.f(hub_weight)} ELSE {one} END
                * CASE WHEN n_events > 0 THEN 1 - exp(-(ln(1 + n_events) + 0.5 * ln(1 + total_duration_s / 60.0)
                                                     + 3 * rhythm + reciprocity) / 6.0) ELSE {zero} END)
         * (1 - {d.f(claim_strength)} * claim_p)
         * (1 - {d.f(meeting_strength)} * (1 - exp(-meet_p * n_meetings)))
         * (1 - {d.f(vehicle_strength)} * veh_p) * (1 - {d.f(place_strength)} * place_p) AS strength,
       CASE WHEN {best} <> 'one-off' AND ({one} / ({z}) < {d.f(unknown_p)}
                 OR (n_events < {int(thin_events)} AND claim_p = 0 AND n_meetings = 0 AND veh_p = 0 AND place_p = 0))
            THEN 'unknown' ELSE {best} END AS relationship,
       {one} / ({z}) AS relationship_p,
       {probs} AS relationship_probs
FROM probs
"""


@plan("network.fix_identifiers")
def fix_identifiers(q: Query) -> str:
    """How many identifiers have fixes (``n``): the places layer needs two."""
    return f"SELECT count(DISTINCT identifier) AS n FROM {q.t('locations')}"


@plan("network.circles")
def circles(q: Query, *, k: int, ties_table: str = "net_ties_person") -> str:
    """The close circles of many foci (input ``foci``: ``focus_node``) in one plan: the ``k`` strongest ties
    of each, ``focus_node, other`` and every column of the ties table.

    The top-k is chosen on the pair and strength columns only (two hash joins
    of the ties table with the foci); only the chosen rows are joined back
    for their features and explanations.
    """
    t = q.t(ties_table)
    return f"""
WITH f AS (SELECT DISTINCT focus_node FROM {q.i('foci')}),
hits AS (
    SELECT f.focus_node, t.b AS other, t.a, t.b, t.strength FROM {t} t JOIN f ON t.a = f.focus_node
    UNION ALL
    SELECT f.focus_node, t.a AS other, t.a, t.b, t.strength FROM {t} t JOIN f ON t.b = f.focus_node
),
ranked AS (
    SELECT focus_node, other, a, b,
           row_number() OVER (PARTITION BY focus_node ORDER BY strength DESC, other) AS r
    FROM hits
),
top AS (SELECT focus_node, other, a, b FROM ranked WHERE r <= {int(k)})
SELECT top.focus_node, top.other, t.* FROM top JOIN {t} t ON t.a = top.a AND t.b = top.b
ORDER BY top.focus_node, t.strength DESC, top.other"""


@plan("network.shown_identifiers")
def shown_identifiers(q: Query, *, only: bool = False, delivered: bool = False) -> str:
    """Per resolved person, the identifier to show: the most active one (``person, identifier``).

    ``only``: just the persons in input ``nodes`` (column ``n``); only their
    identifiers' records are counted (the same counts for them). ``delivered``: the
    counts (records an identifier is on, a self-call twice) are read from the per-delivery
    activity ingest writes (``comms_activity``: ``n_events + 2 * n_self``) instead of the
    records; the caller says it covers every record (:func:`fusioncell.resolve.activity.covered`).
    """
    att = q.t("attributions")
    if only:
        att = f"(SELECT * FROM {att} WHERE person IN (SELECT n FROM {q.i('nodes')}))"
    c = q.t("comms")
    if only:
        c = (f"(SELECT caller, callee FROM {c} WHERE caller IN (SELECT identifier FROM {att} x) "
             f"OR callee IN (SELECT identifier FROM {att} y))")
    act = f"""SELECT ident, count(*) AS n FROM (
            SELECT caller AS ident FROM {c} c1 UNION ALL SELECT callee FROM {c} c2) x GROUP BY ident"""
    if delivered:
        mine = f"WHERE ident IN (SELECT identifier FROM {att} x)" if only else ""
        act = f"SELECT ident, sum(n_events) + 2 * sum(n_self) AS n FROM {q.t('comms_activity')} {mine} GROUP BY ident"
    return f"""
    WITH act AS (
        {act}
    )
    SELECT person, identifier FROM (
      -- ties (equal activity and confidence) go to the first identifier by value, not the engine's pick
      SELECT a.person, a.identifier, row_number() OVER (
               PARTITION BY a.person ORDER BY coalesce(act.n, 0) * 10 + a.confidence
                 + CASE WHEN a.identifier LIKE '+%' THEN 1 ELSE 0 END DESC, a.identifier) AS rk
      FROM {att} a LEFT JOIN act ON act.ident = a.identifier
      WHERE a.identifier NOT LIKE 'alias:%') ranked
    WHERE rk = 1 ORDER BY person"""
