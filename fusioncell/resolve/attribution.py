"""Identifier → person attribution, with confidence, evidence and analyst overrides.

Evidence, weakest link first:

* ``entities.jsonl`` declares identifiers of a Person (``phone``, ``alias``,
  ``email``) — confidence ``ENTITY_P``; a Vehicle's plate goes to its
  ``owner`` with ``OWNER_P``;
* informant ``uses`` claims (subject uses object) — confidence from the
  Admiralty grade via :data:`fusioncell.model.grading.P_TRUE`, the only place
  grades become numbers; a claim whose subject is an alias is read through
  the alias's person;
* behaviour: a burner successor inherits its predecessor's person
  (confidence = predecessor confidence × succession score); so does each
  new phone of a group switch (:mod:`fusioncell.resolve.groups`,
  confidence = predecessor confidence × the pair's ``p``); a group
  successor whose predecessor nobody is attributed to is attributed to the
  old phone itself (``method = 'group'``), so old and new phone are one node
  of the network;
* person dedupe (:mod:`fusioncell.resolve.dedupe`): entity ids judged to be
  the same person are folded onto one canonical id.

Independent pieces of evidence for the same (identifier, person) combine by
noisy-OR; when two persons compete for one identifier the stronger wins and
the other is kept in the evidence as an alternative. An analyst's override
(:func:`override`) always wins and is persisted in ``attribution_overrides``,
so a wrong merge is split by one call and survives re-runs.

Output table ``attributions``: ``run_id, identifier, person, confidence,
method, evidence`` (JSON list of strings).
"""

from __future__ import annotations

from dataclasses import asdict

import duckdb

from fusioncell.errors import UsageError
from fusioncell.model.grading import P_TRUE
from fusioncell.resolve.burner import TABLE as BURNER_TABLE
from fusioncell.resolve.burner import BurnerParams, build_burner_pairs
from fusioncell.store.derived import cached, ensure_tables
from fusioncell.resolve.groups import GroupParams, group_switches
from fusioncell.store import CaseStore

TABLE = "attributions"
#: Confidence of an identifier declared on a Person entity (what is already known).
ENTITY_P = 0.9
#: Confidence that a vehicle's plate is used by the vehicle's owner.
OWNER_P = 0.7
#: Minimum combined confidence for an attribution.
MIN_P = 0.5

PERSON_SCHEMAS = ("Person", "LegalEntity")


def _grades_values() -> str:
    rows = [f"('{r}', {c}, {p})" for r, cs in P_TRUE.items() for c, p in cs.items()]
    return "(VALUES " + ", ".join(rows) + ") AS g(reliability, credibility, p)"


def _group_pairs(store: CaseStore) -> None:
    """Register the group switches as ``_group_pairs(old, new, p, grp)`` (tens of rows, from igraph matching)."""
    rows = group_switches(store)
    store.con.execute("CREATE OR REPLACE TEMP TABLE _group_pairs (old VARCHAR, new VARCHAR, p DOUBLE, grp VARCHAR)")
    if rows:
        store.con.executemany("INSERT INTO _group_pairs VALUES (?, ?, ?, ?)",
                              [[r["old"], r["new"], float(r["p"]), r["group"]] for r in rows])


def _build(store: CaseStore, run_id: str, dedupe_run: str | None) -> None:
    """Evidence per (identifier, person), the best person per identifier, successors, then the table."""
    _group_pairs(store)
    canon = "person_canonical" if dedupe_run and store.has_table("person_canonical") else None
    _evidence(store.con, canon)
    _direct(store.con)
    _inherit(store.con)
    _write(store.con, run_id, canon)
    for t in ("_attr_evidence", "_attr_direct", "_group_pairs"):
        store.con.execute(f"DROP TABLE IF EXISTS {t}")


def _evidence(con: duckdb.DuckDBPyConnection, canon: str | None) -> None:
    """``_attr_evidence(identifier, person, p, method, evidence)``: every reason to tie an identifier to a person."""
    canon_join = (
        f"LEFT JOIN {canon} pc ON pc.entity_id = x.person" if canon else "LEFT JOIN (SELECT NULL::VARCHAR entity_id, NULL::VARCHAR canonical) pc ON false"
    )
    con.execute(
        f"""
CREATE OR REPLACE TEMP TABLE _attr_evidence AS
WITH persons AS (
    SELECT entity_id FROM entities WHERE schema IN {PERSON_SCHEMAS}
),
alias_map AS (   -- aliases and entity ids that name a person
    SELECT ei.identifier AS name, ei.entity_id AS person
    FROM entity_identifiers ei JOIN persons p USING (entity_id)
    WHERE ei.identifier LIKE 'alias:%'
    UNION
    SELECT entity_id, entity_id FROM persons
),
alias_claims AS (  -- "X uses alias:Y": Y names X
    SELECT c.object AS name, coalesce(am.person, c.subject) AS person
    FROM claims c LEFT JOIN alias_map am ON am.name = c.subject
    WHERE c.predicate = 'uses' AND c.object LIKE 'alias:%'
      AND c.object NOT IN (SELECT name FROM alias_map)
),
names AS (SELECT * FROM alias_map UNION SELECT * FROM alias_claims),
ev AS (
    SELECT ei.identifier, ei.entity_id AS person, {ENTITY_P} AS p, 'entity' AS method,
           'entities.jsonl: ' || ei.entity_id || '.' || ei.prop AS evidence
    FROM entity_identifiers ei JOIN persons USING (entity_id)
    UNION ALL
    SELECT ei.identifier, json_extract_string(e.properties, '$.owner[0]') AS person, {OWNER_P}, 'entity',
           'entities.jsonl: vehicle ' || ei.entity_id || ' owned by ' || json_extract_string(e.properties, '$.owner[0]')
    FROM entity_identifiers ei JOIN entities e USING (entity_id)
    WHERE e.schema = 'Vehicle' AND json_extract_string(e.properties, '$.owner[0]') IS NOT NULL
    UNION ALL
    SELECT c.object, coalesce(n.person, c.subject), g.p, 'claim',
           'report ' || c.report_id || ' claim ' || c.claim_no || ' (' || coalesce(c.reliability, 'F')
             || coalesce(CAST(c.credibility AS VARCHAR), '6') || '): ' || c.subject || ' uses ' || c.object
    FROM claims c
    LEFT JOIN names n ON n.name = c.subject
    JOIN {_grades_values()}
      ON g.reliability = CASE WHEN upper(c.reliability) IN ('A','B','C','D','E','F') THEN upper(c.reliability) ELSE 'F' END
     AND g.credibility = CASE WHEN c.credibility BETWEEN 1 AND 6 THEN c.credibility ELSE 6 END
    WHERE c.predicate = 'uses' AND c.object IS NOT NULL
)
SELECT x.identifier, coalesce(pc.canonical, x.person) AS person, x.p, x.method, x.evidence
FROM ev x {canon_join}
WHERE x.person IS NOT NULL AND x.identifier IS NOT NULL
"""
    )


def _direct(con: duckdb.DuckDBPyConnection) -> None:
    """``_attr_direct``: the evidence combined per (identifier, person); the likeliest person of each identifier.

    Names (aliases, entity ids) resolve to persons too, so an alias-only person and a later entity are one node.
    """
    con.execute(
        f"""
CREATE OR REPLACE TEMP TABLE _attr_direct AS
WITH comb AS (
    SELECT identifier, person, 1 - product(1 - p) AS p,
           CASE WHEN bool_or(method = 'entity') THEN 'entity' ELSE 'claim' END AS method,
           list(evidence ORDER BY p DESC, evidence) AS evidence
    FROM _attr_evidence GROUP BY identifier, person
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY identifier ORDER BY p DESC, person) AS r,
           count(*) OVER (PARTITION BY identifier) AS n_alt
    FROM comb
),
alts AS (
    SELECT identifier, list('alternative: ' || person || ' (' || round(p, 2) || ')' ORDER BY p DESC) AS alt
    FROM ranked WHERE r > 1 GROUP BY identifier
)
SELECT r.identifier, r.person, r.p AS confidence, r.method,
       list_concat(r.evidence, coalesce(a.alt, []::VARCHAR[])) AS evidence
FROM ranked r LEFT JOIN alts a USING (identifier)
WHERE r.r = 1 AND r.p >= {MIN_P}
"""
    )


def _inherit(con: duckdb.DuckDBPyConnection) -> None:
    """Burner successors inherit the person of their predecessor (both directions, chains of up to 3).

    A group switch's new phone inherits its old phone's person the same way.
    """
    succ = (f"(SELECT old, new, score, 'burner' AS method, 'burner' AS what FROM {BURNER_TABLE}"
            " UNION ALL SELECT old, new, p, 'group', 'group switch (' || grp || ')' FROM _group_pairs)")
    for _ in range(3):
        con.execute(
            f"""
INSERT INTO _attr_direct
SELECT b.new, a.person, a.confidence * b.score, b.method,
       [b.what || ' successor of ' || b.old || ' (' || CASE WHEN b.method = 'group' THEN 'p ' ELSE 'score ' END
        || round(b.score, 2) || ')']
FROM {succ} b JOIN _attr_direct a ON a.identifier = b.old
WHERE b.new NOT IN (SELECT identifier FROM _attr_direct) AND a.confidence * b.score >= {MIN_P}
UNION ALL
SELECT b.old, a.person, a.confidence * b.score, b.method,
       [b.what || ' predecessor of ' || b.new || ' (' || CASE WHEN b.method = 'group' THEN 'p ' ELSE 'score ' END
        || round(b.score, 2) || ')']
FROM {succ} b JOIN _attr_direct a ON a.identifier = b.new
WHERE b.old NOT IN (SELECT identifier FROM _attr_direct) AND a.confidence * b.score >= {MIN_P}
"""
        )
    # A group successor of a phone nobody is attributed to: the old phone stands for the person.
    con.execute(
        f"""
INSERT INTO _attr_direct
SELECT g.new, g.old, g.p, 'group', ['group switch (' || g.grp || ') successor of ' || g.old || ' (p ' || round(g.p, 2) || ')']
FROM _group_pairs g
WHERE g.new NOT IN (SELECT identifier FROM _attr_direct) AND g.old NOT IN (SELECT identifier FROM _attr_direct)
  AND g.p >= {MIN_P}
"""
    )


def _write(con: duckdb.DuckDBPyConnection, run_id: str, canon: str | None) -> None:
    """The attributions table: the analyst's last decisions override; merged person records point to one."""
    merged = (
        f"""UNION ALL
SELECT '{run_id}', pc.entity_id, pc.canonical, pc.match_p, 'dedupe',
       to_json(['person records judged the same person (splink, p=' || round(pc.match_p, 3) || ')'])::VARCHAR
FROM {canon} pc WHERE pc.entity_id <> pc.canonical
  AND pc.entity_id NOT IN (SELECT identifier FROM last_override)"""
        if canon
        else ""
    )
    con.execute(
        f"""
CREATE OR REPLACE TABLE {TABLE} AS
WITH last_override AS (
    -- a split stores person NULL; arg_max skips NULLs, so the newest decision is taken by its row, not its value
    SELECT identifier, NULLIF(arg_max(coalesce(person, ''), decided_at), '') AS person,
           arg_max(coalesce(analyst, '?'), decided_at) AS analyst,
           arg_max(coalesce(reason, ''), decided_at) AS reason
    FROM attribution_overrides GROUP BY identifier
)
SELECT '{run_id}' AS run_id, d.identifier, d.person, d.confidence, d.method, to_json(d.evidence)::VARCHAR AS evidence
FROM _attr_direct d WHERE d.identifier NOT IN (SELECT identifier FROM last_override)
UNION ALL
SELECT '{run_id}', o.identifier, o.person, 1.0, 'analyst',
       to_json(['analyst ' || o.analyst || ': ' || o.reason])::VARCHAR
FROM last_override o WHERE o.person IS NOT NULL
{merged}
"""
    )


def build_attributions(store: CaseStore, burner: BurnerParams | None = None) -> str:
    """Compute (or reuse) the ``attributions`` table; return its run id."""
    ensure_tables(store)
    burner_run = build_burner_pairs(store, burner)
    from fusioncell.resolve.dedupe import build_person_canonical

    dedupe_run = build_person_canonical(store)
    return cached(
        store,
        TABLE,
        {"entity_p": ENTITY_P, "owner_p": OWNER_P, "min_p": MIN_P, "groups": asdict(GroupParams())},
        lambda run_id: _build(store, run_id, dedupe_run),
        depends=f"{burner_run}/{dedupe_run}",
    )


def override(
    store: CaseStore, identifier: str, person: str | None, *, analyst: str = "analyst", reason: str = ""
) -> None:
    """Record an analyst's decision: ``identifier`` belongs to ``person`` (None: to nobody).

    The decision is persisted in ``attribution_overrides`` and wins over all
    derived evidence; derived tables are rebuilt on next use.
    """
    if not identifier:
        raise UsageError("override needs an identifier")
    ensure_tables(store)
    store.con.execute(
        "INSERT INTO attribution_overrides (identifier, person, analyst, reason) VALUES (?, ?, ?, ?)",
        [identifier, person, analyst, reason],
    )


def split(store: CaseStore, identifier: str, *, analyst: str = "analyst", reason: str = "wrong merge") -> None:
    """Detach ``identifier`` from whatever person it was merged into (reversible with :func:`override`)."""
    override(store, identifier, None, analyst=analyst, reason=reason)


def analyst_decisions(store: CaseStore) -> dict[str, str | None]:
    """The analyst's latest decision per identifier: the person it was given to, or None (split).

    Every stage that reads who uses an identifier applies these, so one
    merge or split changes network, pattern and locate alike.
    """
    if not store.has_table("attribution_overrides"):
        return {}
    rows = store.con.execute(
        "SELECT identifier, NULLIF(arg_max(coalesce(person, ''), decided_at), '') FROM attribution_overrides "
        "GROUP BY identifier ORDER BY 1"
    ).fetchall()
    return {str(i): (None if p is None else str(p)) for i, p in rows}
