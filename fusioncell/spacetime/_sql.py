"""Tiny helpers to run SQL on the store's DuckDB connection and leave no result open."""

from __future__ import annotations

from typing import Any, Sequence

import duckdb
import numpy as np
import pyarrow as pa


def settle(con: duckdb.DuckDBPyConnection) -> None:
    """Finish any result another caller left open (``fetchone()`` leaves one in DuckDB 2)."""
    complete = getattr(con, "complete", None)
    if complete is not None:
        complete()


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view exists (without leaving a result open)."""
    settle(con)
    rows = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()
    return bool(rows and rows[0][0])


def arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """Run ``sql`` and return an Arrow table."""
    settle(con)
    return con.sql(sql).to_arrow_table()


def numpy(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, np.ndarray]:
    """Run ``sql`` and return a dict of numpy arrays."""
    settle(con)
    res = con.sql(sql)
    if res is None:
        return {}
    return {k: np.asarray(v) for k, v in res.fetchnumpy().items()}


def one(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
    """First row of ``sql`` (fetching everything, so no result stays open)."""
    settle(con)
    rows = con.execute(sql, list(params) if params else None).fetchall()
    return tuple(rows[0]) if rows else None


def run(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run a statement."""
    settle(con)
    con.execute(sql).fetchall()
