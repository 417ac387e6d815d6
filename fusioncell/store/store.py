"""The case store: one DuckDB file per case, and how a CLI argument finds it.

Every command that reads a case accepts either a case folder (ingested into a
cached store beside it, or under ``--store``) or an already ingested store
file (``*.duckdb``). :func:`open_case` does that resolution.

Relational stages get the store's connection either raw (``store.con``, a
``duckdb.DuckDBPyConnection``) or as an Ibis backend (``store.ibis()``), so
the same expression can run on Spark at scale (see :mod:`fusioncell.store.engine`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from fusioncell.errors import NotFound, StoreBusy, UsageError
from fusioncell.store.schema import SCHEMA_VERSION, ddl, migrations

log = logging.getLogger(__name__)

STORE_SUFFIX = ".duckdb"


@dataclass(frozen=True, slots=True)
class CaseInfo:
    """What case.toml says about the case."""

    case_id: str
    title: str | None
    owner_agency: str
    legal_authority: str
    timezone: str
    phone_region: str | None
    targets: tuple[str, ...] = field(default_factory=tuple)


#: How long a command waits for another one to release the store (seconds; env FUSIONCELL_STORE_WAIT).
STORE_WAIT_S = 10.0


#: Memory a case store may use before DuckDB spills to disk (env FUSIONCELL_MEMORY_LIMIT, e.g. "8GB").
MEMORY_LIMIT = "4GB"


#: DuckDB draws a progress bar on *stdout* for any query over 2 s, also into a pipe: a first
#: `locate --format json` on a medium case began with 20 kB of bars before the JSON.
QUIET = "SET enable_progress_bar = false"


def _memory_limit(env: str = "FUSIONCELL_MEMORY_LIMIT", default: str = MEMORY_LIMIT) -> str:
    """A DuckDB memory limit from the environment variable ``env`` (or ``default``), checked."""
    value = os.environ.get(env, default).strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, flags=re.IGNORECASE):
        raise UsageError(f"{env}={value!r}: write a size such as 4GB")
    return value


def _connect_waiting(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the store; while another process holds it, wait a little, then say so clearly."""
    import time

    try:
        wait = float(os.environ.get("FUSIONCELL_STORE_WAIT", STORE_WAIT_S))
    except ValueError:
        wait = STORE_WAIT_S
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise StoreBusy(f"{path}: cannot open the case store: {str(exc).splitlines()[0]}") from None
            if time.monotonic() >= deadline:
                pid = re.search(r"PID (\d+)", str(exc))
                who = f" (process {pid.group(1)})" if pid else ""
                raise StoreBusy(f"{path}: the case store is busy: another command{who} is using it; "
                                "try again when it has finished") from None
            time.sleep(0.25)


class CaseStore:
    """A case store (a DuckDB database file)."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, folder: Path | None = None) -> None:
        self.path = path
        self.con = con
        #: The case folder this store was ingested from, when known.
        self.folder = folder
        #: Where relational steps run (``fusioncell --engine``); DuckDB by default.
        self.engine_settings: Any = None
        self._engine: Any = None
        #: Opened read-only (``CaseStore.open(..., read_only=True)``): derived tables are read when current,
        #: never rebuilt (:func:`fusioncell.store.derived.cached` says so instead of failing in DuckDB).
        self.read_only = False

    @classmethod
    def open(cls, path: Path | str, *, read_only: bool = False, folder: Path | None = None) -> "CaseStore":
        path = Path(path)
        if read_only and not path.exists():
            raise NotFound(f"{path}: no case store here")
        path.parent.mkdir(parents=True, exist_ok=True)
        con = _connect_waiting(path, read_only)
        con.execute("SET TimeZone = 'UTC'")  # TIMESTAMPTZ values come back in UTC on every machine
        # DuckDB's default (80 % of RAM) let burner-pair detection on a medium case reach 17 GB;
        # bounded, it spills to disk instead (41 s, 3 GB).
        con.execute(f"SET memory_limit = '{_memory_limit()}'")
        con.execute(QUIET)
        store = cls(path, con, folder)
        store.read_only = read_only
        try:
            if not read_only:
                store.init_schema()
            else:
                store.schema_version()
        except BaseException:
            con.close()
            raise
        return store

    @classmethod
    def memory(cls) -> "CaseStore":
        """An in-memory store (tests, pure analysis)."""
        con = duckdb.connect(":memory:")
        con.execute("SET TimeZone = 'UTC'")
        con.execute(QUIET)
        store = cls(Path(":memory:"), con)
        store.init_schema()
        return store

    def schema_version(self, tables: set[str] | None = None) -> int | None:
        """The store's schema version (None: an empty file); refuses one made by a newer fusioncell.
        ``tables``: the store's table names when the caller has them (:meth:`table_names`)."""
        tables = self.table_names() if tables is None else tables
        version: int | None = None
        if "store_meta" in tables:
            row = self.con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchall()
            version = int(row[0][0]) if row and str(row[0][0]).isdigit() else None
        if version is None and "comms" in tables:
            version = 1
        if version is not None and version > SCHEMA_VERSION:
            raise UsageError(f"{self.path}: this case store was made by a newer fusioncell (store schema {version}; "
                             f"this version reads up to {SCHEMA_VERSION}); upgrade fusioncell, or ingest the case "
                             "folder into a new store with --store")
        return version

    def table_names(self) -> set[str]:
        """The name of every table (what :meth:`has_table` asks of each name), in one query."""
        return {str(r[0]) for r in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}

    def init_schema(self) -> None:
        """Create the tables this fusioncell has and the store lacks, and migrate an older store. The tables
        are listed once and only the missing ones created (net18: a ``CREATE TABLE IF NOT EXISTS`` for each of
        the 16 tables and one catalog query per name cost every command ≈ 0.005 CPU s more on open)."""
        tables = self.table_names()
        version = self.schema_version(tables)
        old = "comms" in tables and not self.con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'comms' "
            "AND column_name = 'delivery_id'").fetchall()[0][0]
        for stmt in ddl(skip=tables):
            self.con.execute(stmt)
        if old:  # a store made before deliveries existed
            for stmt in migrations():
                self.con.execute(stmt)
        if version != SCHEMA_VERSION:
            self.con.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "CaseStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------
    def is_ingested(self) -> bool:
        row = _one(self.con.execute("SELECT count(*) FROM case_info"))
        return bool(row and row[0])

    def case(self) -> CaseInfo:
        rows = self.con.execute(
            "SELECT case_id, title, owner_agency, legal_authority, timezone, phone_region FROM case_info"
        ).fetchall()
        row = rows[0] if rows else None
        if row is None:
            raise NotFound(f"{self.path}: the store holds no ingested case")
        targets = tuple(r[0] for r in self.con.execute("SELECT entity_id FROM targets ORDER BY rowid").fetchall())
        return CaseInfo(row[0], row[1], row[2], row[3], row[4], row[5], targets)

    def read_only_refusal(self, what: str) -> UsageError:
        """The one-sentence refusal of a read-only store asked to write ``what`` is missing or stale."""
        return UsageError(f"{self.path}: opened read-only, and {what}; open it writable once "
                          "(any analysis command, e.g. `fusioncell locate CASE`) to build it, then read-only works")

    def keeps_tables_as_they_are(self, names: set[str]) -> bool:
        """True when the store is read-only, so the caller must not create ``names`` (it reads them as they
        are); refuses (:meth:`read_only_refusal`) when one of them does not exist yet."""
        if not self.read_only:
            return False
        missing = names - self.table_names()
        if missing:
            raise self.read_only_refusal(f"it has no {', '.join(sorted(missing))} table yet")
        return True

    def has_table(self, name: str) -> bool:
        rows = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchall()
        row = rows[0] if rows else None
        return bool(row and row[0])

    def count(self, table: str) -> int:
        row = _one(self.con.execute(f"SELECT count(*) FROM {table}"))
        return int(row[0]) if row else 0

    def ibis(self) -> Any:
        """The store as an Ibis DuckDB backend (same connection).

        Ibis 12's DuckDB backend still calls DuckDB 2.0's deprecated
        ``fetch_arrow_table`` (a DeprecationWarning); :meth:`engine` avoids the
        backend and is what relational stages should use.
        """
        import ibis

        return ibis.duckdb.from_connection(self.con)

    def engine(self) -> Any:
        """The engine of this store: DuckDB in this connection (default), or the Spark
        engine that :attr:`engine_settings` names (``fusioncell --engine spark``).

        ``eng.table("comms")`` gives an Ibis table; ``eng.to_arrow(expr)`` runs
        an expression; the same expression runs on DuckDB and on Spark
        (:mod:`fusioncell.store.engine`); named plans run through
        :func:`fusioncell.store.plans.run`.
        """
        from fusioncell.store.engine import DuckDBEngine

        if self.engine_settings is None or self.engine_settings.name == "duckdb":
            return DuckDBEngine(self.con)
        if self._engine is None:
            self._engine = self.engine_settings.make(self.con)
        return self._engine

    def use_engine(self, settings: Any) -> "CaseStore":
        """Run this store's relational steps on the engine ``settings`` names
        (a :class:`fusioncell.store.engine.EngineSettings`, or None for DuckDB)."""
        self.engine_settings = settings
        self._engine = None
        return self

    # -- derived results ---------------------------------------------------
    def new_run(self, stage: str, params: dict[str, Any] | None = None) -> str:
        """Register an analysis run; derived tables carry its ``run_id``."""
        run_id = f"{stage}-{uuid.uuid4().hex[:12]}"
        self.con.execute(
            "INSERT INTO runs (run_id, stage, started, params) VALUES (?, ?, ?, ?)",
            [run_id, stage, datetime.now(timezone.utc), json.dumps(params or {}, default=str)],
        )
        return run_id


def _one(result: duckdb.DuckDBPyConnection) -> Any:
    """First row of a result, consuming it whole (DuckDB 2 refuses a new query
    on a connection whose previous result was left unfinished)."""
    rows = result.fetchall()
    return rows[0] if rows else None


def _default_store_for(folder: Path) -> Path:
    """Where the cached store of a case folder lives.

    Beside the folder (``CASE/.fusioncell/case.duckdb``) when the folder is
    writable; otherwise under the user's cache directory, keyed by the
    folder's absolute path, so read-only case folders work too.
    """
    local = folder / ".fusioncell" / f"case{STORE_SUFFIX}"
    if os.access(folder, os.W_OK):
        return local
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fusioncell"
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return cache / f"{folder.name}-{key}{STORE_SUFFIX}"


def open_case(case: Path | str, store: Path | str | None = None, *, quiet: bool = True,
              engine: Any = None) -> CaseStore:
    """Open the case a CLI argument names, ingesting a folder if needed.

    ``case`` is a case folder (with ``case.toml``) or a store file. A folder
    is (re-)ingested into ``store`` or its cached store; ingest is idempotent
    per file (content hash), so an unchanged folder costs a hash check.
    ``engine`` (:class:`fusioncell.store.engine.EngineSettings`) says where the
    relational steps run, ingest included.
    """
    path = Path(case)
    if path.is_file() and path.suffix == STORE_SUFFIX:
        return CaseStore.open(path).use_engine(engine)
    if path.is_dir():
        if not (path / "case.toml").is_file():
            raise UsageError(f"{path}: not a case folder (no case.toml) and not a case store")
        from fusioncell.ingest import ingest_case

        target = Path(store) if store else _default_store_for(path)
        cs = CaseStore.open(target, folder=path).use_engine(engine)
        spark = engine is not None and engine.name != "duckdb"
        ingest_case(path, cs, quiet=quiet, engine=cs.engine() if spark else None)
        return cs
    if not path.exists():
        raise NotFound(f"{path}: no such case folder or store")
    raise UsageError(f"{path}: expected a case folder or a {STORE_SUFFIX} case store")
