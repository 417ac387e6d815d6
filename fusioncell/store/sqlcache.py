"""Compiled SQL kept across processes: an ingest compiles the same handful of queries every time.

:meth:`fusioncell.store.engine.DuckDBEngine.sql` caches the SQL it compiles from an Ibis expression by the
caller's key, for the life of the process. Every ``fusioncell ingest`` is a new process, though, and building
and compiling its queries (the checks' aggregate, the typed insert, the distinct spellings, ``identifiers``)
costs ~0.5 CPU s: a third of appending a 100,000-row day to a store (docs/benchmarks.md, session 17). This
module keeps each compiled query in a file under the user's cache directory, named by a digest of

* the caller's key (its ``repr``; a key whose ``repr`` is not stable across processes is not kept),
* the source of every fusioncell module and the versions of Ibis, sqlglot and DuckDB (the code that builds
  and compiles the expression: any change to it, even a comment, misses), and
* the columns and types of the store's own tables (``fusioncell.store.schema.TABLES``) as the connection
  sees them (a store of another shape compiles its own).

The file holds the key's ``repr`` on its first line and is used only when that line matches; it is written
to a temporary name and renamed, so a reader never sees half a file; past :data:`MAX_FILES` files the
older half is dropped. A directory that cannot be written only costs the compile, never an error.

**Off unless asked for.** What is kept here is SQL that a later ``fusioncell`` runs against the case
store, so whoever can write the folder can make it run theirs. The cache is therefore opt-in:
``FUSIONCELL_SQL_CACHE=DIR`` turns it on (``FUSIONCELL_SQL_CACHE=default`` for
``~/.cache/fusioncell/sql``); the folder is created private (0700), and a file is read only when it
belongs to the user running fusioncell and nobody else may write it (nor the folder).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Hashable

import duckdb

ENV = "FUSIONCELL_SQL_CACHE"


def cache_dir() -> Path | None:
    """Where compiled SQL is kept (None: off, the default)."""
    env = (os.environ.get(ENV) or "").strip()
    if env.lower() in ("", "off", "0", "no"):
        return None
    if env.lower() == "default":
        return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fusioncell" / "sql"
    return Path(env)


def _private(path: Path) -> bool:
    """The file and its folder belong to this user and nobody else may write them."""
    try:
        for st in (path.stat(), path.parent.stat()):
            if st.st_uid != os.getuid() or st.st_mode & 0o022:
                return False
    except OSError:
        return False
    return True


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of fusioncell's source and the versions of the libraries that compile SQL."""
    import ibis
    import sqlglot

    root = Path(__file__).resolve().parents[1]
    sqlglot_version = getattr(sqlglot, "__version__")  # set in a try block, not re-exported for mypy
    h = hashlib.sha256(f"{ibis.__version__}|{sqlglot_version}|{duckdb.__version__}".encode())
    for p in sorted(root.rglob("*.py")):
        h.update(str(p.relative_to(root)).encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()


def store_shape(con: duckdb.DuckDBPyConnection) -> str:
    """The columns and types of the store's own tables, as one string."""
    from fusioncell.store.schema import TABLES

    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND list_contains($t, table_name) ORDER BY table_name, column_index",
        {"t": sorted(TABLES)}).fetchall()
    return ";".join(f"{t}.{c}:{d}" for t, c, d in rows)


def _path(con: duckdb.DuckDBPyConnection, key: Hashable) -> tuple[Path, str] | None:
    folder = cache_dir()
    if folder is None:
        return None
    label = repr(key)
    if " at 0x" in label or "\n" in label:  # an object's address: not the same key in another process
        return None
    try:
        shape = store_shape(con)
    except duckdb.Error:  # e.g. an aborted transaction: compile as before
        return None
    digest = hashlib.sha256("\n".join((code_version(), shape, label)).encode()).hexdigest()
    return folder / f"{digest}.sql", label


def load(con: duckdb.DuckDBPyConnection, key: Hashable) -> str | None:
    """The SQL compiled for ``key`` by an earlier process, or None."""
    found = _path(con, key)
    if found is None:
        return None
    path, label = found
    if not _private(path):
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    first, _, sql = text.partition("\n")
    return sql if first == label and sql else None


def save(con: duckdb.DuckDBPyConnection, key: Hashable, sql: str) -> None:
    """Keep the SQL compiled for ``key`` (silently not, when the directory cannot be written)."""
    found = _path(con, key)
    if found is None:
        return
    path, label = found
    tmp: str | None = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".sql-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(label + "\n" + sql)
        os.replace(tmp, path)
        _prune(path.parent)
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


#: At most this many compiled queries are kept (each code version writes its own ~20, a few kB each).
MAX_FILES = 2000


def _prune(folder: Path) -> None:
    """Drop the older half of the files when there are more than :data:`MAX_FILES` (only after a compile)."""
    files = list(folder.glob("*.sql"))
    if len(files) <= MAX_FILES:
        return
    files.sort(key=lambda p: p.stat().st_mtime)
    for p in files[: len(files) // 2]:
        p.unlink(missing_ok=True)
