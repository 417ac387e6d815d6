"""Derived-table cache of the store, shared by resolve/ and network/ (was ``resolve/cache.py``).

A derived table (attributions, burner pairs, ties) is rebuilt only when what
it is derived from changes. The *observation key* is a hash over the ingest
log (file content hashes), row counts of the observation tables and the
analyst overrides; a derived table remembers the key and parameters it was
built with in ``derived_cache`` and is reused while they match.

Every derived table carries the ``run_id`` of the run that built it
(:meth:`fusioncell.store.CaseStore.new_run`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from datetime import timezone
from typing import Any, Callable

import duckdb

from fusioncell.store.store import CaseStore

log = logging.getLogger(__name__)

CACHE_DDL = """
CREATE TABLE IF NOT EXISTS derived_cache (
    name VARCHAR PRIMARY KEY,
    key VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL
)
"""

#: Analyst decisions on attribution (persisted, never derived): an identifier
#: is forced onto ``person`` or, with ``person`` NULL, detached from anyone.
OVERRIDES_DDL = """
CREATE TABLE IF NOT EXISTS attribution_overrides (
    identifier VARCHAR NOT NULL,
    person VARCHAR,
    analyst VARCHAR,
    reason VARCHAR,
    decided_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""

#: Tables whose rows are observations (or their sources): a derived table may read any of them.
_OBSERVED = ("comms", "locations", "claims", "entities", "entity_identifiers", "sightings", "reports", "sources")

#: The observation key in one statement, from the store's bookkeeping only (no scan of the records).
#: Every ingest (case files, appended deliveries, ``--quarantine``, a re-ingest of a changed file, a
#: STIX import) writes its rows in one transaction with an ``ingest_log`` line carrying a new
#: ``run_id`` and the file's SHA-256, and a removal or replacement deletes that line; the analyst's
#: decisions are ``attribution_overrides``; anything else that adds or removes rows changes a count.
_KEY_SQL = " UNION ALL ".join(
    ["SELECT 'ingest_log' AS part, coalesce(string_agg(concat_ws(':', file, sha256, rows, run_id), ',' "
     "ORDER BY file, sha256, run_id), '') AS v FROM ingest_log"]
    + [f"SELECT '{t}', CAST(count(*) AS VARCHAR) FROM {t}" for t in _OBSERVED]
    + ["SELECT 'overrides', coalesce(string_agg(concat_ws('>', identifier, coalesce(person, '-'), decided_at), ',' "
       "ORDER BY decided_at, identifier), '') FROM attribution_overrides"]
)


def ensure_tables(store: CaseStore) -> None:
    """Create the cache bookkeeping and override tables if missing (a read-only store must have them)."""
    if store.keeps_tables_as_they_are({"derived_cache", "attribution_overrides"}):
        return
    store.con.execute(CACHE_DDL)
    store.con.execute(OVERRIDES_DDL)


def observation_key(store: CaseStore) -> str:
    """A hash that changes whenever an input of the derived tables changes.

    Read from the ingest log, the row counts of the observation tables and the
    analyst overrides (one statement, about 1 ms at any size; until
    session 12 it also scanned ``comms`` for ``max(start), sum(duration_s)``,
    0.46 s of a cached 10 M-record ``network --focus`` run over its ~23 calls).
    Not seen: an ``UPDATE`` of an observation table typed by hand into the
    store, which no fusioncell command does (nor did the old key see it, but
    for those two ``comms`` columns).
    """
    ensure_tables(store)
    parts = sorted(store.con.execute(_KEY_SQL).fetchall())
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:20]


_CODE_KEYS: dict[str, str] = {}


def _code_key(build: Callable[[str], None]) -> str:
    """A hash of the source of the module that builds the table, so that a store written by an earlier
    version of the code recomputes instead of answering with the old results (a derived table
    survives upgrades in the store file; before session 16 only parameters and observations keyed it).
    Memoised per process; a module whose source cannot be read is keyed by its name alone."""
    name = getattr(build, "__module__", None) or "?"
    if name not in _CODE_KEYS:
        path = getattr(sys.modules.get(name), "__file__", None)
        try:
            with open(str(path), "rb") as fh:
                _CODE_KEYS[name] = hashlib.sha256(fh.read()).hexdigest()[:12]
        except OSError:
            _CODE_KEYS[name] = name
    return _CODE_KEYS[name]


def cached(
    store: CaseStore,
    name: str,
    params: dict[str, Any],
    build: Callable[[str], None],
    *,
    depends: str = "",
) -> str:
    """Make sure derived table ``name`` is fresh; return its ``run_id``.

    Parameters
    ----------
    store
        The case store.
    name
        Name of the derived table; ``build`` must ``CREATE OR REPLACE`` it.
    params
        Parameters the table depends on (part of the cache key).
    build
        Called with a fresh ``run_id`` when the table is stale or missing.
    depends
        Extra key material (e.g. the run ids of upstream derived tables).
    """
    ensure_tables(store)
    key = hashlib.sha256(
        json.dumps([observation_key(store), params, depends, _code_key(build)], sort_keys=True, default=str).encode()
    ).hexdigest()[:24]
    row = one(store.con, "SELECT key, run_id FROM derived_cache WHERE name = ?", [name])
    if row and row[0] == key and store.has_table(name):
        return str(row[1])
    if store.read_only:
        raise store.read_only_refusal(f"its derived table {name} is missing or older than its observations")
    run_id = store.new_run(name, params)
    log.debug("building %s (run %s)", name, run_id)
    build(run_id)
    store.con.execute("DELETE FROM derived_cache WHERE name = ?", [name])
    store.con.execute("INSERT INTO derived_cache (name, key, run_id) VALUES (?, ?, ?)", [name, key, run_id])
    return run_id


def arrow(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """Run ``sql`` and return a pyarrow Table (no DB-API copy).

    DuckDB ≥ 2 refuses ``con.sql`` while an ``execute`` result is unfinished
    (e.g. after a ``fetchone``); a trivial fully fetched statement first
    finishes any such result.
    """
    con.execute("SELECT 1").fetchall()
    return con.sql(sql).to_arrow_table()


def pylist(tbl: Any) -> list[dict[str, Any]]:
    """``tbl.to_pylist()`` (a pyarrow Table) without importing pandas.

    pyarrow asks whether pandas is installed, importing it (0.2 s CPU), the first
    time it turns a time-zone-aware timestamp into a ``datetime`` (net12). The
    timestamp columns are read as naive UTC and given their zone here: the
    same ``datetime`` values, with the same ``tzinfo`` as pyarrow's.
    """
    import pyarrow as pa

    zoned = {f.name: f.type for f in tbl.schema if pa.types.is_timestamp(f.type) and f.type.tz}
    if not zoned or any(t.unit == "ns" for t in zoned.values()):  # nanoseconds: pyarrow's pandas Timestamps
        return list(tbl.to_pylist())
    naive = pa.schema([pa.field(f.name, pa.timestamp(f.type.unit)) if f.name in zoned else f for f in tbl.schema])
    # the zoned columns viewed as naive (the same int64 UTC values): Table.cast would import pyarrow.compute,
    # 0.03 s CPU that nothing else in a `network` run needs (net15)
    cols = [pa.chunked_array([ch.view(naive.field(i).type) for ch in col.chunks], type=naive.field(i).type)
            if tbl.schema.field(i).name in zoned else col for i, col in enumerate(tbl.columns)]
    rows: list[dict[str, Any]] = pa.Table.from_arrays(cols, schema=naive).to_pylist()
    zones = {c: pa.lib.string_to_tzinfo(t.tz) for c, t in zoned.items()}
    for r in rows:
        for c, z in zones.items():
            if r[c] is not None:
                r[c] = r[c].replace(tzinfo=timezone.utc).astimezone(z)
    return rows


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """First row of ``sql`` (or None), fetching the result completely."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def dict_rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows of ``sql`` as dicts (small results only)."""
    cur = con.execute(sql, params or [])
    rows = cur.fetchall()
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r)) for r in rows]
