"""Each call-record delivery's activity per identifier, written by ingest with the delivery (issue #13).

Burner succession and group switches start from when each phone was first
and last heard (:mod:`fusioncell.resolve.activity`): one grouping of every
call record by identifier. Ingest reads every record already, so it writes
that grouping *per delivery*, in the delivery's own transaction:

``comms_activity``
    ``delivery_id``, ``ident``, ``first_seen``, ``last_seen``, ``n_events``
    (records with another party; the times are those records'), ``n_out``
    (of them, made), ``n_self`` (records whose caller is the callee) — one row
    per identifier in the delivery, computed from the delivery's rows just
    inserted (one grouping by caller and one by callee, in time proportional
    to the delivery);
``comms_activity_log``
    ``delivery_id``, ``records``: the deliveries covered and how many
    ``comms`` rows each brought.

Ingest's ``identifiers`` (:mod:`fusioncell.ingest.derived`) reads its call-record counts and spans
from the same rows (plus the self-calls' times, which they leave out), so an ingest groups the
records once, here.

The case's activity is the min / max / sum merge of the deliveries' rows
(plan ``resolve.activity_delivered``); the number of records each identifier
is on, the one ``network`` shows a person by (plan
``network.shown_identifiers``), is ``n_events + 2 * n_self``. It is never stale or partial: a
delivery removed or reloaded loses its rows with its records
(:func:`forget_delivery`, called where ingest clears the records), a refused
or failed delivery rolls back with the ingest's transaction, and
:func:`fusioncell.store.delivered.covered` says the table is usable only when the deliveries it covers
hold every ``comms`` row of the store (a store made before this table, a
partner's view, records written by other means: the resolve stage then
groups ``comms`` itself, as before). The derived tables read from it keep
their cache key (the store's observation key), which every ingest changes.
"""

from __future__ import annotations

import duckdb

TABLE = "comms_activity"
LOG = "comms_activity_log"

_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    delivery_id VARCHAR NOT NULL, ident VARCHAR NOT NULL, first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ,
    n_events BIGINT NOT NULL, n_out BIGINT NOT NULL, n_self BIGINT NOT NULL)""",
    f"CREATE TABLE IF NOT EXISTS {LOG} (delivery_id VARCHAR NOT NULL, records BIGINT NOT NULL)",
)


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = "
                      "current_database() AND NOT temporary", [name]).fetchone()
    return bool(row and row[0])


def record_delivery(con: duckdb.DuckDBPyConnection, delivery_id: str, records: int) -> None:
    """Write the activity of the ``comms`` rows of ``delivery_id`` just inserted (``records`` of them).

    One grouping of the delivery's rows by caller and by callee (``caller <> callee``, as the resolve
    stage counts); the delivery's rows are found by ``delivery_id`` (the rows of other deliveries are
    skipped by DuckDB's zone maps when the deliveries were written one after the other).
    """
    for ddl in _DDL:
        con.execute(ddl)
    con.execute(
        # ``o``: the record has another party, compared once per record (not once per aggregate: 0.58 -> 0.49
        # CPU s on 2 M records, docs/benchmarks.md round 10)
        f"""INSERT INTO {TABLE} (delivery_id, ident, first_seen, last_seen, n_events, n_out, n_self)
        WITH r AS (SELECT caller, callee, start, caller <> callee AS o FROM comms WHERE delivery_id = $d)
        SELECT $d, ident, min(f), max(l), sum(n), sum(n_out), sum(n_self) FROM (
            SELECT caller AS ident, min(start) FILTER (WHERE o) AS f, max(start) FILTER (WHERE o) AS l,
                   count(*) FILTER (WHERE o) AS n, count(*) FILTER (WHERE o) AS n_out,
                   count(*) FILTER (WHERE NOT o) AS n_self
            FROM r GROUP BY caller
            UNION ALL
            SELECT callee, min(start), max(start), count(*), 0, 0 FROM r WHERE o GROUP BY callee
        ) GROUP BY ident""", {"d": delivery_id})
    con.execute(f"INSERT INTO {LOG} (delivery_id, records) VALUES (?, ?)", [delivery_id, int(records)])


def forget_delivery(con: duckdb.DuckDBPyConnection, delivery_id: str) -> None:
    """Delete the activity of ``delivery_id`` (its records are being deleted or reloaded)."""
    if _exists(con, LOG):
        con.execute(f"DELETE FROM {TABLE} WHERE delivery_id = ?", [delivery_id])
        con.execute(f"DELETE FROM {LOG} WHERE delivery_id = ?", [delivery_id])
