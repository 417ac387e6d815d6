"""Rows that are legal but odd: kept as delivered, and flagged in ``row_flags``.

A real carrier file holds self-calls (voicemail, a test call), calls of
0 seconds (a missed call logged as a call), the same call twice (two
exports, two agencies) and handset fixes at exactly 0,0 (a failed fix
reported as "null island"). None of them breaks the case format, so ingest
keeps them; each is flagged here so ``info`` counts them and analyses can be
robust to them:

==================  =========================================================
flag                rule
==================  =========================================================
``self-call``       ``comms`` with ``caller = callee``
``zero-duration``   ``comms`` of channel ``call`` with ``duration_s = 0``
``duplicate``       a row equal to an earlier one on its content: ``comms``
                    (caller, callee, start, channel, duration_s), ``locations``
                    (identifier, observed, lat, lon), ``sightings`` (subject,
                    observed, lat, lon); the first copy (earlier delivery, then
                    earlier line) is not flagged
``null-island``     a position at exactly 0,0 (a fix, a sighting, a call's cell)
==================  =========================================================

Flags are computed for the deliveries an ingest loads, against what the
store already holds (proportional to the delivery, not the store).
Analyses: network ties count a duplicate once and ignore self-calls; a 0,0
position is never a position (spacetime ``positions_sql``), so never a stay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from fusioncell.store.store import CaseStore

FLAGS_DDL = """CREATE TABLE IF NOT EXISTS row_flags (
    tbl VARCHAR NOT NULL, event_id VARCHAR NOT NULL, delivery_id VARCHAR, line BIGINT, flag VARCHAR NOT NULL)"""

FLAGS = ("self-call", "zero-duration", "duplicate", "null-island")

#: Content that makes two rows of a table the same observation.
DUPLICATE_KEY = {
    "comms": ("caller", "callee", "start", "channel", "duration_s"),
    "locations": ("identifier", "observed", "lat", "lon"),
    "sightings": ("subject", "observed", "lat", "lon"),
}

_SIMPLE = {
    "comms": [("self-call", "caller = callee"),
              ("zero-duration", "channel = 'call' AND duration_s = 0"),
              ("null-island", "(caller_lat = 0 AND caller_lon = 0) OR (callee_lat = 0 AND callee_lon = 0)")],
    "locations": [("null-island", "lat = 0 AND lon = 0")],
    "sightings": [("null-island", "lat = 0 AND lon = 0")],
}


def _duplicates_sql(table: str, old: bool = True, repeats: bool = True) -> str:
    """New rows equal on content to an older row, or to an earlier new row (by delivery, then line).

    Repeats within the delivery are found by a hash aggregate on one 64-bit
    hash of the content first (one column to group, not five; the temp table
    ``_fc_flag_rep``, see :func:`_repeated_hashes`); only the rows of a
    repeated hash are compared on content and ranked (a window over every
    row cost seconds per million rows). A hash collision only adds a
    candidate that the exact comparison then drops. ``old=False`` (the table
    holds no row of another delivery) leaves out the comparison with older
    rows, ``repeats=False`` (no content hash repeats among the new rows) the
    one within the delivery: both would find nothing.
    """
    key = DUPLICATE_KEY[table]
    on = " AND ".join(f"o.{k} IS NOT DISTINCT FROM n.{k}" for k in key)
    same = " AND ".join(f"r.{k} IS NOT DISTINCT FROM n.{k}" for k in key)
    part = ", ".join(key)
    t = "start" if table == "comms" else "observed"
    older = f"""
        SELECT '{table}', n.event_id, n.delivery_id, n.line, 'duplicate' FROM n
         WHERE EXISTS (SELECT 1 FROM {table} o
                        WHERE o.delivery_id NOT IN (SELECT delivery_id FROM _fc_flag_new)
                          AND o.{t} BETWEEN (SELECT min({t}) FROM n) AND (SELECT max({t}) FROM n) AND {on})"""
    within = f"""
        SELECT '{table}', event_id, delivery_id, line, 'duplicate' FROM (
            SELECT n.* FROM n WHERE hash({part}) IN (SELECT h FROM _fc_flag_rep) AND EXISTS (SELECT 1 FROM rep r WHERE {same}))
        QUALIFY row_number() OVER (PARTITION BY {part} ORDER BY delivery_id, line) > 1"""
    body = "\n        UNION ALL".join(q for q, on_ in ((older, old), (within, repeats)) if on_)
    return f"""
        WITH n AS (SELECT * FROM {table} WHERE delivery_id IN (SELECT delivery_id FROM _fc_flag_new)),
        rep AS (SELECT {part} FROM n WHERE hash({part}) IN (SELECT h FROM _fc_flag_rep) GROUP BY ALL HAVING count(*) > 1)
        {body}"""


def _repeated_hashes(con: "duckdb.DuckDBPyConnection", table: str) -> bool:
    """Fill ``_fc_flag_rep`` with the content hashes that repeat among the new rows of ``table``
    (one scan of the key columns); whether there is any.

    A hash repeats when it equals its neighbour in hash order: sorting the 64-bit hashes cost 0.28 CPU s
    per 2M rows against 0.37-0.42 for ``GROUP BY h HAVING count(*) > 1``, and 1.45 against 2.3 per 10M
    (a hash table of 10M groups under the ingest's 1 GB memory limit; docs/benchmarks.md, round 9).
    """
    part = ", ".join(DUPLICATE_KEY[table])
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _fc_flag_rep AS
        SELECT DISTINCT h FROM (
            SELECT h, lag(h) OVER (ORDER BY h) AS before FROM (
                SELECT hash({part}) AS h FROM {table} WHERE delivery_id IN (SELECT delivery_id FROM _fc_flag_new)))
         WHERE h = before""")
    row = con.execute("SELECT count(*) FROM _fc_flag_rep").fetchone()
    return bool(row and row[0])


def _has_older(con: "duckdb.DuckDBPyConnection", table: str) -> bool:
    """Whether ``table`` holds a row outside this run's deliveries (what a new row may repeat)."""
    row = con.execute(f"SELECT EXISTS (SELECT 1 FROM {table} "
                      "WHERE delivery_id NOT IN (SELECT delivery_id FROM _fc_flag_new))").fetchone()
    return bool(row and row[0])


def _simple_sql(table: str, rules: list[tuple[str, str]]) -> str:
    """Every simple flag of a table's new rows in one scan (rows come out flag by flag, in table order,
    as one INSERT per flag wrote them)."""
    conds = " OR ".join(f"({c})" for _, c in rules)
    flags = ", ".join(f"CASE WHEN ({c}) THEN {i} END" for i, (_, c) in enumerate(rules))
    names = ", ".join(f"'{f}'" for f, _ in rules)
    return f"""
        INSERT INTO row_flags (tbl, event_id, delivery_id, line, flag)
        SELECT '{table}', event_id, delivery_id, line, [{names}][f + 1] FROM (
            SELECT event_id, delivery_id, line, rowid AS r, unnest(list_filter([{flags}], lambda x: x IS NOT NULL)) AS f
              FROM {table} WHERE delivery_id IN (SELECT delivery_id FROM _fc_flag_new) AND ({conds}))
        ORDER BY f, r"""


def flag_rows(store: "CaseStore", ingest_run: str) -> None:
    """Flag the odd rows of the deliveries ``ingest_run`` loaded (inside the ingest's transaction)."""
    con = store.con
    con.execute(FLAGS_DDL)
    con.execute("CREATE OR REPLACE TEMP TABLE _fc_flag_new AS SELECT delivery_id FROM deliveries WHERE ingest_run = ?",
                [ingest_run])
    # flags of reloaded or removed deliveries go; those of this run are computed afresh
    con.execute("DELETE FROM row_flags WHERE delivery_id IN (SELECT delivery_id FROM _fc_flag_new) "
                "OR delivery_id NOT IN (SELECT delivery_id FROM deliveries)")
    for table, rules in _SIMPLE.items():
        con.execute(_simple_sql(table, rules))
        # (one query with both parts as CTEs read every new row five times: a materialised CTE of all
        # columns, the hash aggregate, min/max of the times; the parts that cannot find anything are skipped)
        repeats, old = _repeated_hashes(con, table), _has_older(con, table)
        if repeats or old:
            con.execute("INSERT INTO row_flags (tbl, event_id, delivery_id, line, flag) "
                        f"SELECT DISTINCT * FROM ({_duplicates_sql(table, old, repeats)})")
    con.execute("DROP TABLE IF EXISTS _fc_flag_rep")
    con.execute("DROP TABLE IF EXISTS _fc_flag_new")


def flag_counts(store: "CaseStore") -> dict[str, int]:
    """Flagged rows per flag (every flag listed, 0 when none)."""
    counts = dict.fromkeys(FLAGS, 0)
    if store.has_table("row_flags"):
        for flag, n in store.con.execute("SELECT flag, count(*) FROM row_flags GROUP BY flag").fetchall():
            counts[flag] = int(n)
    return counts
