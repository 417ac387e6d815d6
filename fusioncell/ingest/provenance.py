"""Raw spellings as delivered: written once per distinct spelling, read back here.

An observation row keeps its normalised values (``caller`` in E.164, ``start``
as a UTC instant) and, for provenance, how the file spelled them. Writing one
string per row for that was a quarter of the store and, under load, up to
half of the insert (docs/benchmarks.md, "Ingest speed", rounds 2 and 3), so
since store schema 2:

* an identifier's spelling (``caller``, ``callee``, ``identifier``,
  ``subject``) is an integer ``*_raw_id`` into ``spellings`` (one row per
  distinct spelling of the store), or NULL when it is spelled exactly as
  the normalised identifier (``+523115550101``);
* a time spelled exactly ``YYYY-MM-DDTHH:MM:SS+HH:MM`` in its delivery's
  offset (``raw_time_offsets``) is NULL in ``start_raw`` / ``observed_raw``
  and rendered back from the typed time; any other spelling is kept as is.

Rows written before schema 2 keep their strings in ``*_raw``; :func:`raw_sql`
reads both. Every reader of a raw spelling goes through this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from fusioncell.store.store import CaseStore

#: Per observation table: its identifier columns and its time column.
RAW_IDENTS = {"comms": ("caller", "callee"), "locations": ("identifier",), "sightings": ("subject",)}
RAW_TIME = {"comms": "start", "locations": "observed", "sightings": "observed"}


def raw_sql(table: str, alias: str, schema2: bool = True) -> dict[str, str]:
    """SQL expressions, one per raw column of ``table`` (``caller_raw`` ...), for a row aliased ``alias``.

    Correlated look-ups: meant for a few rows (evidence, exports of a
    selection), not for scanning a whole table. ``schema2=False``: a store
    made before schema 2, opened read-only (strings only).
    """
    if not schema2:
        return {f"{c}_raw": f"{alias}.{c}_raw" for c in RAW_IDENTS[table] + (RAW_TIME[table],)}
    out: dict[str, str] = {}
    for col in RAW_IDENTS[table]:
        # no id: spelled as its identifier (a row from a case file; other rows, e.g. imported, have no spelling)
        out[f"{col}_raw"] = (f"coalesce({alias}.{col}_raw, (SELECT sp.raw FROM spellings sp "
                             f"WHERE sp.spelling_id = {alias}.{col}_raw_id LIMIT 1), CASE WHEN {alias}.{col}_raw_id "
                             f"IS NULL AND {alias}.line IS NOT NULL THEN {alias}.{col} END)")
    tcol = RAW_TIME[table]
    out[f"{tcol}_raw"] = (
        f"coalesce({alias}.{tcol}_raw, (SELECT strftime(({alias}.{tcol} AT TIME ZONE 'UTC') + to_minutes(o.minutes), "
        f"'%Y-%m-%dT%H:%M:%S') || o.time_offset FROM raw_time_offsets o WHERE o.delivery_id = {alias}.delivery_id))")
    return out


@dataclass(frozen=True, slots=True)
class RawRow:
    """One observation row as its file spelled it."""

    table: str
    event_id: str
    delivery_id: str | None
    line: int | None
    #: column name (``caller``, ``start`` ...) -> the spelling as delivered
    raw: dict[str, str | None]


def raw_rows(store: "CaseStore", table: str, event_ids: list[str]) -> list[RawRow]:
    """The raw spellings of the given events of ``table`` (comms, locations, sightings), by line."""
    cols = raw_sql(table, "r", store.has_table("spellings"))
    names = list(cols)
    sql = (f"SELECT r.event_id, r.delivery_id, r.line, {', '.join(cols.values())} FROM {table} r "
           "WHERE r.event_id IN (SELECT unnest(?)) ORDER BY r.delivery_id, r.line")
    rows = store.con.execute(sql, [event_ids]).fetchall()
    return [RawRow(table, r[0], r[1], r[2], {n[:-4]: v for n, v in zip(names, r[3:])}) for r in rows]


def assign_spellings(con: "duckdb.DuckDBPyConnection", mapped: pa.Table) -> pa.Table:
    """``mapped`` (distinct ``raw`` spellings and what they normalise to) with ``raw_id`` added.

    A spelling equal to its identifier (``+523115550101`` as delivered) needs
    no entry: its ``raw_id`` is NULL and the reader gives the identifier back.
    Other spellings are appended to ``spellings`` (inside the ingest's
    transaction: a failed ingest leaves none); known ones keep their id.
    Work is proportional to the delivery's distinct spellings plus one scan of
    the dictionary.
    """
    con.register("_fc_sp_in", mapped)
    try:
        top = con.execute("SELECT coalesce(max(spelling_id), 0) FROM spellings").fetchall()[0][0]
        con.execute(f"""
            INSERT INTO spellings
            SELECT {int(top)} + row_number() OVER (ORDER BY n.raw), n.raw  -- the same ids on every engine and run
            FROM (SELECT DISTINCT raw FROM _fc_sp_in WHERE raw IS NOT NULL AND raw IS DISTINCT FROM identifier) n
            ANTI JOIN spellings s ON s.raw = n.raw
        """)
        return con.sql("SELECT m.*, s.spelling_id AS raw_id FROM _fc_sp_in m "
                       "LEFT JOIN spellings s ON s.raw = m.raw AND m.raw IS DISTINCT FROM m.identifier").to_arrow_table()
    finally:
        con.unregister("_fc_sp_in")


def note_time_offset(con: "duckdb.DuckDBPyConnection", delivery_id: str, offset: str | None) -> None:
    """Record the offset whose canonical spellings a delivery stored as NULL (``-06:00`` -> -360 min)."""
    con.execute("DELETE FROM raw_time_offsets WHERE delivery_id = ?", [delivery_id])
    if offset is None:
        return
    minutes = (1 if offset[0] == "+" else -1) * (int(offset[1:3]) * 60 + int(offset[4:6]))
    con.execute("INSERT INTO raw_time_offsets VALUES (?, ?, ?)", [delivery_id, offset, minutes])
