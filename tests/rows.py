"""The schema-driven row factory for store tables: every test row is written by column *name*.

``put(con, "sources", source_id="s1", agency="AG", ...)`` reads the table's
columns from the live store (so from :data:`fusioncell.store.schema.TABLES`),
refuses a column the table does not have, and leaves every column it was not
given at its default (NULL). A column added to the store schema therefore never
breaks a test case; a misspelt column name fails loudly here.
``put_select`` does the same for ``INSERT ... SELECT`` (the SELECT's aliases
name the columns). ``case_store`` builds the minimal case every analysis needs
(case_info, the target, sources).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import duckdb

from fusioncell.store import CaseStore


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The table's column names in schema order (an unknown table is an error)."""
    names = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()]
    if not names:
        raise ValueError(f"no store table {table!r}")
    return names


def _checked(con: duckdb.DuckDBPyConnection, table: str, names: Iterable[str]) -> list[str]:
    known = set(columns(con, table))
    names = list(names)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"{table}: unknown column(s) {unknown}")
    return names


def put(con: duckdb.DuckDBPyConnection, table: str, **values: Any) -> None:
    """Insert one row into ``table``; the columns not named stay NULL / default."""
    put_many(con, table, [values])


def put_many(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows that all name the same columns."""
    if not rows:
        return
    names = _checked(con, table, rows[0])
    for r in rows:
        if list(r) != names:
            raise ValueError(f"{table}: rows name different columns ({list(r)} vs {names})")
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['?'] * len(names))})"
    con.executemany(sql, [list(r.values()) for r in rows])


def put_select(con: duckdb.DuckDBPyConnection, table: str, select_sql: str, params: Sequence[Any] = ()) -> None:
    """``INSERT INTO table BY NAME <select_sql>``: the SELECT's output names are the columns it fills."""
    con.execute(f"INSERT INTO {table} BY NAME {select_sql}", list(params))


def case_store(
    case_id: str = "test-case", owner: str = "AG", tz: str = "America/Mexico_City",
    target: str | None = "person-target", sources: Sequence[Mapping[str, Any]] = (),
    store: CaseStore | None = None, **case_info: Any,
) -> CaseStore:
    """A store with case_info, one target and ``sources`` (dicts of sources columns; agency defaults to owner)."""
    s = store or CaseStore.memory()
    info = {"case_id": case_id, "owner_agency": owner, "legal_authority": "court order 1/2026", "timezone": tz}
    put(s.con, "case_info", **{**info, **case_info})
    if target is not None:
        put(s.con, "targets", entity_id=target)
    for i, src in enumerate(sources, start=1):
        put(s.con, "sources", **{"agency": owner, "reliability": "B", "releasable_to": [], "line": i, **src})
    return s
