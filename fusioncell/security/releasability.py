"""The releasability filter: what one agency may see of a case.

Every read on behalf of a principal goes through :func:`view_for`. It builds
a separate in-memory case store holding only the rows whose source the
agency may see:

* its own sources (``sources.agency == agency``), with their methods;
* other agencies' sources whose ``releasable_to`` names it, with the
  ``method`` and ``extra`` columns blanked (methods never leave the owning
  agency) and ``releasable_to`` cut down to the agency itself (the partner
  does not learn with whom else a source is shared).

Derived tables (ties, places, hypotheses, caches) are *not* copied: a stage
run on the view recomputes them from releasable evidence only, so no
aggregate (a tie strength, a place's dwell time, a posterior) can carry a
withheld fact. The ``identifiers`` table (counts and first/last seen per
identifier) is recomputed on the view for the same reason.

Reference entities (``entities.jsonl``) are the case owner's analytic
holdings and carry no source: the owner's view keeps them all, any other
agency's view keeps only the case's targets (the subject of any exchange).
The legal authority and the raw ``case.toml`` stay with the owner.

:func:`withheld` lists, for the owner's eyes only, what a view leaves out.

>>> from fusioncell.store import CaseStore
>>> s = CaseStore.memory()
>>> _ = s.con.execute("INSERT INTO case_info (case_id, owner_agency, legal_authority, timezone)"
...                   " VALUES ('c', 'A', 'order 1', 'UTC')")
>>> _ = s.con.execute("INSERT INTO sources (source_id, agency, discipline, method, reliability, releasable_to, line)"
...                   " VALUES ('s1', 'A', 'HUMINT', 'secret', 'B', ['B'], 1), ('s2', 'A', 'HUMINT', 'secret', 'B', [], 2)")
>>> v = view_for(s, "B")
>>> v.con.execute("SELECT source_id, method FROM sources").fetchall()
[('s1', None)]
"""

from __future__ import annotations

import logging
from typing import Any

from fusioncell.errors import NotFound
from fusioncell.store import CaseStore
from fusioncell.store.schema import TABLES

log = logging.getLogger(__name__)

#: Tables whose rows carry a ``source_id`` and are filtered row by row.
SOURCED_TABLES: tuple[str, ...] = ("comms", "locations", "sightings", "reports", "claims")
#: Minimisation state that a view shares with its case (pseudonyms stay stable).
_CARRIED_TABLES: tuple[str, ...] = ("minimisation_secret", "minimisation_unmasked", "minimisation_protected")


def known_agencies(store: CaseStore) -> set[str]:
    """Every agency the case names: the owner, sources' owners and recipients."""
    rows = store.con.execute(
        """
        SELECT owner_agency FROM case_info
        UNION SELECT agency FROM sources
        UNION SELECT unnest(releasable_to) FROM sources
        """
    ).fetchall()
    return {r[0] for r in rows if r[0]}


def check_agency(store: CaseStore, agency: str) -> str:
    """Return ``agency`` stripped, or raise :class:`NotFound` if the case never names it."""
    agency = agency.strip()
    known = known_agencies(store)
    if agency not in known:
        raise NotFound(f"unknown agency {agency!r} (this case names: {', '.join(sorted(known)) or 'none'})")
    return agency


def visible_source_ids(store: CaseStore, agency: str) -> list[str]:
    """Ids of the sources ``agency`` may see (its own and those releasable to it)."""
    rows = store.con.execute(
        "SELECT source_id FROM sources WHERE agency = ? OR list_contains(releasable_to, ?) ORDER BY source_id",
        [agency, agency],
    ).fetchall()
    return [r[0] for r in rows]


def _copy(src: Any, dst: CaseStore, table: str, sql: str, params: list[Any] | dict[str, Any]) -> None:
    """Run ``sql`` on ``src`` (a cursor of the case) and append its rows to ``dst.table`` via Arrow."""
    data = src.sql(sql, params=params).to_arrow_table()
    name = f"_fc_copy_{table}"
    dst.con.register(name, data)
    try:
        dst.con.execute(f"INSERT INTO {table} SELECT * FROM {name}")
    finally:
        dst.con.unregister(name)


def _columns(table: str) -> list[str]:
    cols = []
    for line in TABLES[table].strip().splitlines():
        line = line.strip().rstrip(",")
        if line:
            cols.append(line.split()[0])
    return cols


def view_for(store: CaseStore, agency: str, *, record: bool = False, why: str | None = None) -> CaseStore:
    """An in-memory case store with only what ``agency`` may see.

    Parameters
    ----------
    store
        The full case store.
    agency
        The principal's agency code (must be named somewhere in the case).
    record, why
        With ``record=True`` the read is logged in the case's audit log
        (action ``read``) — what the API does for every request by a person.

    Returns
    -------
    CaseStore
        A new in-memory store with the schema of :mod:`fusioncell.store.schema`.
        ``view.parent`` is ``store`` and ``view.principal`` is ``agency``, so
        audit records made against the view land in the real case.

    Raises
    ------
    NotFound
        The case does not name ``agency``.
    """
    agency = check_agency(store, agency)
    if record:
        from fusioncell.security import audit

        audit.record(store, "read", {"view_for": agency}, why=why)
    info = store.con.execute("SELECT owner_agency FROM case_info").fetchone()
    owner = info[0] if info else None
    is_owner = agency == owner
    visible = visible_source_ids(store, agency)
    view = CaseStore.memory()
    view.parent = store  # type: ignore[attr-defined]
    view.principal = agency  # type: ignore[attr-defined]
    cur = store.con.cursor()  # own connection: unaffected by unfinished results on store.con
    try:
        _fill(store, cur, view, agency, is_owner, visible)
    finally:
        cur.close()
    return view


def _fill(store: CaseStore, cur: Any, view: CaseStore, agency: str, is_owner: bool, visible: list[str]) -> None:
    """Copy what ``agency`` may see from the case (through ``cur``) into ``view``."""
    if is_owner:
        _copy(cur, view, "case_info", "SELECT * FROM case_info", [])
    else:
        _copy(
            cur, view, "case_info",
            "SELECT case_id, title, owner_agency, '(held by the owning agency)', timezone, phone_region, NULL "
            "FROM case_info", [],
        )
    _copy(cur, view, "targets", "SELECT * FROM targets", [])
    _copy(
        cur, view, "sources",
        """
        SELECT source_id, agency, discipline,
               CASE WHEN agency = $a THEN method END,
               reliability,
               CASE WHEN agency = $a THEN releasable_to ELSE [$a] END,
               tlp,
               CASE WHEN agency = $a THEN extra END,
               line
        FROM sources WHERE source_id IN (SELECT unnest($v))
        """,
        {"a": agency, "v": visible},
    )
    for table in SOURCED_TABLES:
        _copy(cur, view, table, f"SELECT * FROM {table} WHERE source_id IN (SELECT unnest(?))", [visible])
    ent_filter = "" if is_owner else " WHERE entity_id IN (SELECT entity_id FROM targets)"
    _copy(cur, view, "entities", f"SELECT * FROM entities{ent_filter}", [])
    _copy(cur, view, "entity_identifiers", f"SELECT * FROM entity_identifiers{ent_filter}", [])
    _rebuild_identifiers(cur, view)
    for table in _CARRIED_TABLES:
        if store.has_table(table):
            ddl = store.con.execute(
                "SELECT sql FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database()", [table]
            ).fetchone()
            if ddl:
                view.con.execute(ddl[0])
                _copy(cur, view, table, f"SELECT * FROM {table}", [])
    _carry_protection(store, view)


def _carry_protection(store: CaseStore, view: CaseStore) -> None:
    """Who is protected is decided on the whole case, never on what a view happens to hold.

    A partner's view keeps only the targets' entities, so a ``"protected": true``
    on a cooperating witness's entity would vanish from it and her number would
    read as an ordinary pertinent identifier. The owner's full protected set is
    written into the view's ``minimisation_protected`` table instead.
    """
    from fusioncell.security.minimise import ensure_tables, protected_identifiers

    protected = sorted(protected_identifiers(store))
    ensure_tables(view)
    if protected:
        view.con.execute(
            "INSERT OR REPLACE INTO minimisation_protected (identifier, reason) SELECT unnest(?), 'protected in the owning case'", [protected])


def _rebuild_identifiers(cur: Any, view: CaseStore) -> None:
    """Recompute the ``identifiers`` table from the view's own rows."""
    cols = _columns("identifiers")
    view.con.execute(
        """
        CREATE TEMP TABLE _fc_ids AS
        WITH seen AS (
            SELECT caller AS identifier, 'comms' AS t, start AS ts FROM comms
            UNION ALL SELECT callee, 'comms', start FROM comms
            UNION ALL SELECT identifier, 'locations', observed FROM locations
            UNION ALL SELECT subject, 'sightings', observed FROM sightings
            UNION ALL SELECT subject, 'claims', reported FROM claims
            UNION ALL SELECT object, 'claims', reported FROM claims WHERE object IS NOT NULL
            UNION ALL SELECT identifier, 'entities', NULL FROM entity_identifiers
        )
        SELECT identifier,
               count(*) FILTER (WHERE t = 'comms') AS n_comms,
               count(*) FILTER (WHERE t = 'locations') AS n_locations,
               count(*) FILTER (WHERE t = 'sightings') AS n_sightings,
               count(*) FILTER (WHERE t = 'claims') AS n_claims,
               min(ts) AS first_seen, max(ts) AS last_seen
        FROM seen GROUP BY identifier
        """
    )
    schemes = cur.sql("SELECT identifier, scheme FROM identifiers").to_arrow_table()
    view.con.register("_fc_schemes", schemes)
    try:
        view.con.execute(
            f"""
            INSERT INTO identifiers ({', '.join(cols)})
            SELECT i.identifier,
                   coalesce(s.scheme,
                            CASE WHEN i.identifier LIKE '+%' THEN 'phone'
                                 WHEN i.identifier LIKE '%:%' THEN split_part(i.identifier, ':', 1)
                                 ELSE 'entity' END),
                   i.n_comms, i.n_locations, i.n_sightings, i.n_claims, i.first_seen, i.last_seen
            FROM _fc_ids i LEFT JOIN _fc_schemes s USING (identifier)
            """
        )
    finally:
        view.con.unregister("_fc_schemes")
        view.con.execute("DROP TABLE _fc_ids")


def withheld(store: CaseStore, agency: str) -> dict[str, Any]:
    """What a view for ``agency`` leaves out — for the owning agency's eyes only.

    Returns
    -------
    dict
        ``{"agency", "sources": [{"source_id", "agency", "discipline",
        "reliability", "rows": {table: n}}], "rows": {table: n},
        "entities": n}``. Never put this in a product for ``agency``.
    """
    agency = check_agency(store, agency)
    visible = visible_source_ids(store, agency)
    info = store.con.execute("SELECT owner_agency FROM case_info").fetchone()
    is_owner = bool(info and info[0] == agency)
    counts = " UNION ALL ".join(
        f"SELECT '{t}' AS tbl, source_id, count(*) AS n FROM {t} GROUP BY source_id" for t in SOURCED_TABLES
    )
    rows = store.con.execute(
        f"""
        WITH c AS ({counts})
        SELECT s.source_id, s.agency, s.discipline, s.reliability, c.tbl, c.n
        FROM sources s LEFT JOIN c USING (source_id)
        WHERE s.source_id NOT IN (SELECT unnest(?))
        ORDER BY s.source_id, c.tbl
        """,
        [visible],
    ).fetchall()
    sources: dict[str, dict[str, Any]] = {}
    totals: dict[str, int] = {}
    for sid, ag, disc, rel, tbl, n in rows:
        entry = sources.setdefault(
            sid, {"source_id": sid, "agency": ag, "discipline": disc, "reliability": rel, "rows": {}}
        )
        if tbl is not None:
            entry["rows"][tbl] = int(n)
            totals[tbl] = totals.get(tbl, 0) + int(n)
    n_entities = 0
    if not is_owner:
        row = store.con.execute(
            "SELECT count(*) FROM entities WHERE entity_id NOT IN (SELECT entity_id FROM targets)"
        ).fetchone()
        n_entities = int(row[0]) if row else 0
    return {"agency": agency, "sources": list(sources.values()), "rows": totals, "entities": n_entities}


def require_owner(store: CaseStore, principal_agency: str) -> None:
    """Raise :class:`fusioncell.errors.PolicyViolation` unless ``principal_agency`` owns the case."""
    from fusioncell.errors import PolicyViolation

    info = store.con.execute("SELECT owner_agency FROM case_info").fetchone()
    if info is None:
        raise NotFound(f"{store.path}: the store holds no ingested case")
    if info[0] != principal_agency:
        raise PolicyViolation(f"only the owning agency {info[0]} may do this, not {principal_agency}")
