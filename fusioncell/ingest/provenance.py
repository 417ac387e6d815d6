"""Raw spellings as delivered: kept without writing the common ones, read back here.

An observation row keeps its normalised values (``caller`` in E.164, ``start``
as a UTC instant) and, for provenance, how the file spelled them. Since store
schema 2 a spelling equal to its canonical rendering is not written:

* an identifier (``caller``, ``callee``, ``identifier``, ``subject``) spelled
  exactly as its normalised form (``+523115550101``) is NULL in ``*_raw``;
* a time spelled exactly ``YYYY-MM-DDTHH:MM:SS+HH:MM`` in its delivery's
  offset (``raw_time_offsets``) is NULL in ``start_raw`` / ``observed_raw``
  and rendered back from the typed time;

any other spelling (``(311) 555-0101``, ``2026-02-01 10:00-06:00``) is kept
as written. Rows written before schema 2 keep every string. Every reader of
a raw spelling goes through :func:`raw_sql` / :func:`raw_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from fusioncell.store.store import CaseStore

#: Per observation table: its identifier columns and its time column.
RAW_IDENTS = {"comms": ("caller", "callee"), "locations": ("identifier",), "sightings": ("subject",)}
RAW_TIME = {"comms": "start", "locations": "observed", "sightings": "observed"}


def raw_sql(table: str, alias: str, schema2: bool = True) -> dict[str, str]:
    """SQL expressions, one per raw column of ``table`` (``caller_raw`` ...), for a row aliased ``alias``.

    Correlated look-ups: meant for a few rows (evidence, exports of a
    selection), not for scanning a whole table. A row that did not come from a
    case file (``line`` NULL, e.g. imported) has no spelling to give back.
    ``schema2=False``: a store made before schema 2 (opened read-only), strings only.
    """
    if not schema2:
        return {f"{c}_raw": f"{alias}.{c}_raw" for c in RAW_IDENTS[table] + (RAW_TIME[table],)}
    out: dict[str, str] = {}
    for col in RAW_IDENTS[table]:
        out[f"{col}_raw"] = f"coalesce({alias}.{col}_raw, CASE WHEN {alias}.line IS NOT NULL THEN {alias}.{col} END)"
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
    cols = raw_sql(table, "r", store.has_table("raw_time_offsets"))
    names = list(cols)
    sql = (f"SELECT r.event_id, r.delivery_id, r.line, {', '.join(cols.values())} FROM {table} r "
           "WHERE r.event_id IN (SELECT unnest(?)) ORDER BY r.delivery_id, r.line")
    rows = store.con.execute(sql, [event_ids]).fetchall()
    return [RawRow(table, r[0], r[1], r[2], {n[:-4]: v for n, v in zip(names, r[3:])}) for r in rows]


def note_time_offset(con: "duckdb.DuckDBPyConnection", delivery_id: str, offset: str | None) -> None:
    """Record the offset whose canonical spellings a delivery stored as NULL (``-06:00`` -> -360 min)."""
    con.execute("DELETE FROM raw_time_offsets WHERE delivery_id = ?", [delivery_id])
    if offset is None:
        return
    minutes = (1 if offset[0] == "+" else -1) * (int(offset[1:3]) * 60 + int(offset[4:6]))
    con.execute("INSERT INTO raw_time_offsets (delivery_id, time_offset, minutes) VALUES (?, ?, ?)", [delivery_id, offset, minutes])
