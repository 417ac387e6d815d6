"""Engines: where the relational steps of a stage run.

Relational steps are written once as Ibis expressions over named tables and
executed by an *engine*:

* :class:`DuckDBEngine` (the default) runs them inside the case store's own
  DuckDB connection. A result is written with ``INSERT INTO … BY NAME
  SELECT …`` compiled from the expression, so rows stream from the input file
  to the store without passing through Python.
* :class:`SparkEngine` runs the same expressions on Apache Spark (pyspark,
  local mode or a cluster) and streams the result back into the case store
  as Arrow record batches. It is the seam for national-scale call records;
  the parity test (``tests/test_engine.py``) ingests the example case on both
  engines and compares every table.

A stage asks the engine for tables (:meth:`Engine.table`), builds an Ibis
expression, and then either fetches a small result (:meth:`Engine.to_arrow`)
or writes a large one into the store (:meth:`Engine.insert`).

Known traps, both checked by tests: ``CAST(x AS TIMESTAMP)`` of a string
with an offset silently drops the offset in DuckDB (we cast to
``TIMESTAMPTZ``, i.e. ``dt.Timestamp(timezone="UTC")``); DuckDB's ``//`` on a
DOUBLE is not floor division (use ``floor(a / b)``).

Examples
--------
>>> import duckdb
>>> eng = DuckDBEngine(duckdb.connect())
>>> eng.name
'duckdb'
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Hashable, Mapping, Protocol, Sequence, Union

import duckdb
import pyarrow as pa

from fusioncell.errors import UsageError
from fusioncell.store import sqlcache

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir
    from pyspark.sql import SparkSession

# Ibis is imported where an expression is built or compiled, not with this module: the CLI's root
# command imports it for EngineSettings, and a command that runs only named plans (network,
# locate) never needs Ibis (0.15-0.18 s, net12).

log = logging.getLogger(__name__)

#: Column added to every staged CSV: the 0-based index of the record among the
#: records the reader accepted, in file order.
ROW_COL = "_row"
#: Prefix of the column a typed time is staged in (``Engine.stage_csv``'s ``times``).
TYPED_TIME = "_fc_ts_"


class Engine(Protocol):
    """What a stage needs from an engine (DuckDB or Spark)."""

    name: str

    def table(self, name: str) -> ir.Table:
        """An Ibis table for a store table (or a table staged by this engine)."""
        ...

    def stage_csv(self, path: Path, columns: Sequence[str], mixed_newlines: bool = False,
                  name: str | None = None, doubles: Sequence[str] = (),
                  times: Mapping[str, str] | None = None) -> "StagedCSV":
        """Read a CSV file with every column as a string, plus :data:`ROW_COL`.

        ``mixed_newlines`` says the file mixes ``\\r\\n`` and ``\\n`` line ends. ``doubles`` are read as
        DOUBLE instead (a record with a value the reader cannot read as one is refused); DuckDB only.
        ``times`` (column -> offset such as ``-06:00``; DuckDB only): a value spelled exactly
        ``YYYY-MM-DDTHH:MM:SS`` + the offset (proved by printing the parsed time back, :func:`typed_time_sql`)
        is staged as its instant in :data:`TYPED_TIME` ``+ column`` and as NULL in the column; any other
        value stays in the column as written (NULL in the typed one).
        """
        ...

    def from_arrow(self, table: pa.Table, prefix: str = "tmp", name: str | None = None) -> ir.Table:
        """Make a small Arrow table available to expressions; returns its Ibis table."""
        ...

    def to_arrow(self, expr: "Lazy", key: Hashable | None = None) -> pa.Table:
        """Execute an expression and fetch its (small) result.

        ``expr`` may be a function building the expression; with a ``key``
        an engine may reuse what it compiled for the same key before.
        """
        ...

    def insert(self, store_con: duckdb.DuckDBPyConnection, table: str, expr: "Lazy",
               key: Hashable | None = None) -> int:
        """Append the rows of ``expr`` to the store's ``table`` (by column name)."""
        ...

    def drop_staged(self) -> None:
        """Forget everything staged by this engine."""
        ...


#: An Ibis expression, or a function that builds one (so a cached compile can skip building).
Lazy = Union["ir.Expr", Callable[[], "ir.Expr"]]


def _build(expr: Lazy) -> ir.Expr:
    import ibis.expr.types as ir

    return expr() if callable(expr) and not isinstance(expr, ir.Expr) else expr


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Which engine a command's relational steps run on (``fusioncell --engine``).

    ``master`` is Spark's master URL: ``local[N]`` (default ``local[2]``),
    ``spark://HOST:PORT`` (standalone, e.g. ``scripts/spark-cluster.sh``),
    ``yarn`` or ``k8s://https://HOST:PORT``.
    """

    name: str = "duckdb"
    master: str | None = None

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise UsageError(f"--engine {self.name}: unknown engine; use {' or '.join(ENGINES)}")
        if self.master is not None:
            if self.name != "spark":
                raise UsageError("--spark-master needs --engine spark")
            if not _MASTER_RE.fullmatch(self.master):
                raise UsageError(f"--spark-master {self.master}: not a Spark master URL "
                                 "(spark://HOST:PORT, local[N], yarn or k8s://https://HOST:PORT)")

    def make(self, store_con: duckdb.DuckDBPyConnection) -> "Engine":
        """The engine over a store's connection."""
        if self.name == "spark":
            return SparkEngine.connect(store_con, self.master or "local[2]")
        return DuckDBEngine(store_con)


ENGINES = ("duckdb", "spark")
_MASTER_RE = re.compile(r"spark://[\w.\-]+:\d{1,5}(,[\w.\-]+:\d{1,5})*|local(\[(\d+|\*)\])?|yarn|k8s://\S+")


class CsvReadError(Exception):
    """The CSV reader could not read a file at all (the message is for the user)."""


class StagedCSV:
    """A CSV file staged as strings, with the rows the reader refused."""

    def __init__(self, table: ir.Table, rejects: list[tuple[int, str | None, str]]) -> None:
        self.table = table
        #: (line, column or None, message) of each record the CSV reader refused.
        self.rejects = rejects


def _tmp_name(prefix: str) -> str:
    return f"_fc_{prefix}_{uuid.uuid4().hex[:10]}"


#: an offset as a canonical time spelling writes it (``-06:00``; within ±14:00)
TIME_OFFSET = re.compile(r"[+-](0\d|1[0-3]):[0-5]\d|[+-]14:00")


def typed_time_sql(source: str, times: Mapping[str, str]) -> str:
    """``SELECT`` from ``source`` with each time column of ``times`` (column -> offset) staged typed.

    A value is *canonical* when DuckDB's ``try_strptime`` with the offset written into the format reads it
    and ``strftime`` of what it read, with the same format, gives the value back byte for byte, and its year
    is 1900-2100: the round trip, not the parser's leniency (it also reads ``2026-2-1``, blanks at the
    ends), decides. A canonical value is staged as its UTC instant (``to_timestamp`` of its epoch less the
    offset: exact for whole seconds) in :data:`TYPED_TIME` ``+ column`` and as NULL in the column; any other
    value stays in the column as written, for the string checks.
    """
    if not times:
        return f"SELECT * FROM {source}"
    parsed, checked, replaced, added, hidden = [], [], [], [], []
    for i, (col, offset) in enumerate(sorted(times.items())):
        if not TIME_OFFSET.fullmatch(offset):
            raise ValueError(f"not a canonical offset: {offset!r}")
        fmt = _sql_str("%Y-%m-%dT%H:%M:%S" + offset)
        sign = -1 if offset[0] == "-" else 1
        seconds = sign * (int(offset[1:3]) * 3600 + int(offset[4:6]) * 60)
        c, p, ok = _sql_ident(col), f"_fc_p{i}", f"_fc_ok{i}"
        parsed.append(f"try_strptime({c}, {fmt}) AS {p}")
        checked.append(f"coalesce(strftime({p}, {fmt}) = {c} AND year({p}) BETWEEN 1900 AND 2100, false) AS {ok}")
        replaced.append(f"CASE WHEN {ok} THEN NULL ELSE {c} END AS {c}")
        added.append(f"CASE WHEN {ok} THEN to_timestamp(epoch({p}) - ({seconds})) END AS "
                     f"{_sql_ident(TYPED_TIME + col)}")
        hidden += [p, ok]
    return (f"SELECT * EXCLUDE ({', '.join(hidden)}) REPLACE ({', '.join(replaced)}), {', '.join(added)} "
            f"FROM (SELECT *, {', '.join(checked)} FROM (SELECT *, {', '.join(parsed)} FROM {source}))")


class DuckDBEngine:
    """Run Ibis expressions inside a DuckDB connection (the case store's)."""

    name = "duckdb"
    #: Compiled SQL by caller-given key (compiling Ibis costs ~0.1-0.5 s per query).
    _sql_cache: dict[Hashable, str] = {}

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._staged: list[str] = []
        self._files: list[Path] = []
        self._registered: list[str] = []
        #: Plans run by :meth:`run_sql` (the query layer's count, for tests and logs).
        self.queries = 0
        #: Store tables read from a Parquet lake instead: table -> folder (``lake/comms``, holding
        #: ``day=YYYY-MM-DD/part-*.parquet``).
        self.lake: dict[str, str] = {}

    def table(self, name: str) -> ir.Table:
        """An unbound Ibis table with the columns of a DuckDB table or view.

        Expressions are compiled to DuckDB SQL and run on ``self.con``, so no
        Ibis backend (and none of its own queries) is involved.
        """
        import ibis
        from ibis.backends.sql.datatypes import DuckDBType

        cols = self.con.execute(f"DESCRIBE {name}").fetchall()
        schema = ibis.schema({c[0]: DuckDBType.from_string(str(c[1])).copy(nullable=True) for c in cols})
        return ibis.table(schema, name=name)

    def sql(self, expr: Lazy, key: Hashable | None = None) -> str:
        """The DuckDB SQL of an expression (cached by ``key`` when given)."""
        if key is not None:
            hit = self._sql_cache.get(key)
            if hit is None:  # compiled by an earlier process (fusioncell.store.sqlcache)?
                hit = sqlcache.load(self.con, key)
                if hit is not None:
                    self._sql_cache[key] = hit
            if hit is not None:
                return hit
        import ibis

        text = str(ibis.to_sql(_build(expr), dialect="duckdb"))
        if key is not None:
            if len(self._sql_cache) > 512:
                self._sql_cache.clear()
            self._sql_cache[key] = text
            sqlcache.save(self.con, key, text)
        return text

    def stage_csv(self, path: Path, columns: Sequence[str], mixed_newlines: bool = False,
                  name: str | None = None, doubles: Sequence[str] = (),
                  times: Mapping[str, str] | None = None) -> StagedCSV:
        name = name or _tmp_name("csv")
        if mixed_newlines:
            # DuckDB's reader refuses a file that mixes \r\n and \n line ends
            # (hand-edited files do): read a copy with \n only (same lines).
            path = _unix_newlines(path)
            self._files.append(path)
        try:
            rejects = self._read_csv(path, columns, name, doubles, times or {})
        except duckdb.Error as exc:
            raise CsvReadError(f"the CSV reader cannot parse this file: {str(exc).splitlines()[0]}") from None
        return StagedCSV(self.table(name), rejects)

    def _read_csv(self, path: Path, columns: Sequence[str], name: str, doubles: Sequence[str] = (),
                  times: Mapping[str, str] | None = None) -> list[tuple[int, str | None, str]]:
        rej, scan = name + "_rej", name + "_scan"
        cols = "{" + ", ".join(f"{_sql_str(c)}: '{'DOUBLE' if c in doubles else 'VARCHAR'}'" for c in columns) + "}"
        self.con.execute(f"DROP VIEW IF EXISTS {name}")
        for old in (f"{name}_raw", rej, scan):
            self.con.execute(f"DROP TABLE IF EXISTS {old}")
        self.con.execute(
            f"CREATE TEMP TABLE {name}_raw AS " + typed_time_sql(
                f"read_csv({_sql_str(str(path))}, "
                f"header = true, auto_detect = false, columns = {cols}, delim = ',', quote = '\"', "
                f"escape = '\"', encoding = 'utf-8', ignore_errors = true, store_rejects = true, "
                f"rejects_table = '{rej}', rejects_scan = '{scan}', null_padding = false)", times or {})
        )
        # rowids of rows written inside a transaction start at a large offset: rebase to 0.
        first = self.con.execute(f"SELECT coalesce(min(rowid), 0) FROM {name}_raw").fetchone()
        base = int(first[0]) if first else 0
        self.con.execute(f"CREATE TEMP VIEW {name} AS SELECT rowid - {base} AS {ROW_COL}, * FROM {name}_raw")
        self._staged += [f"VIEW {name}", f"TABLE {name}_raw", f"TABLE {rej}", f"TABLE {scan}"]
        rows = self.con.execute(
            f"SELECT line, column_name, error_type, error_message FROM {rej} ORDER BY line"
        ).fetchall()
        return [(int(r[0]), r[1], _reject_message(str(r[2]), str(r[3]))) for r in rows]

    def from_arrow(self, table: pa.Table, prefix: str = "tmp", name: str | None = None) -> ir.Table:
        name = name or _tmp_name(prefix)
        self.con.register(name + "_arrow", table)
        self.con.execute(f"DROP TABLE IF EXISTS {name}")
        self.con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        self.con.unregister(name + "_arrow")
        self._staged.append(f"TABLE {name}")
        return self.table(name)

    def to_arrow(self, expr: Lazy, key: Hashable | None = None) -> pa.Table:
        return self.con.sql(self.sql(expr, key)).to_arrow_table()

    def insert(self, store_con: duckdb.DuckDBPyConnection, table: str, expr: Lazy,
               key: Hashable | None = None) -> int:
        if store_con is not self.con:
            return _insert_arrow(store_con, table, self.to_arrow(expr, key))
        before = _count(store_con, table)
        store_con.execute(f"INSERT INTO {table} BY NAME {self.sql(expr, key)}")
        return _count(store_con, table) - before

    # -- the query layer (fusioncell.store.plans) ---------------------------
    def store_table(self, name: str) -> str:
        """The name of a store table in SQL run by :meth:`run_sql` (itself: same connection),
        or a Parquet scan when :attr:`lake` maps the table to files."""
        if name in self.lake:
            return f"read_parquet({_sql_str(self.lake[name] + '/**/*.parquet')}, hive_partitioning = true)"
        return name

    def register_arrow(self, table: pa.Table, prefix: str = "in") -> str:
        """Make an Arrow table readable by :meth:`run_sql` until :meth:`drop_registered`."""
        name = _tmp_name(prefix)
        self.con.register(name, table)
        self._registered.append(name)
        return name

    def run_sql(self, sql: str) -> pa.Table:
        """Run a query rendered for DuckDB and fetch its result."""
        self.queries += 1
        return self.con.sql(sql).to_arrow_table()

    def drop_registered(self) -> None:
        for name in self._registered:
            self.con.unregister(name)
        self._registered.clear()

    def drop_staged(self) -> None:
        for item in reversed(self._staged):
            kind, name = item.split(" ", 1)
            try:
                self.con.execute(f"DROP {kind} IF EXISTS {name}")
            except duckdb.Error:  # pragma: no cover - the connection may be closing
                pass
        self._staged.clear()
        for f in self._files:
            f.unlink(missing_ok=True)
        self._files.clear()


class SparkEngine:
    """Run the same Ibis expressions on Apache Spark; results stream into the store.

    Store tables an expression refers to (``sources``, ``entities``, …) are
    copied from the case store into Spark temporary views on first use; they
    are reference tables, small next to the observations.
    """

    name = "spark"

    def __init__(self, session: "SparkSession", store_con: duckdb.DuckDBPyConnection) -> None:
        self.session = session
        self.store_con = store_con
        import ibis

        self.backend: Any = ibis.pyspark.connect(session)
        self._staged: list[str] = []
        self._registered: list[str] = []
        self.queries = 0
        self.lake: dict[str, str] = {}

    @classmethod
    def local(cls, store_con: duckdb.DuckDBPyConnection, cores: int = 2) -> "SparkEngine":
        """A Spark local-mode engine (``local[cores]``, UTC session time zone)."""
        return cls(spark_session(f"local[{cores}]", shuffle_partitions=max(2, cores)), store_con)

    @classmethod
    def connect(cls, store_con: duckdb.DuckDBPyConnection, master: str) -> "SparkEngine":
        """An engine on a Spark cluster: ``spark://HOST:PORT`` (standalone), ``yarn``,
        ``k8s://…`` or ``local[N]`` (see docs/store.md)."""
        return cls(spark_session(master), store_con)

    def table(self, name: str) -> ir.Table:
        if name.startswith("_fc_"):
            return self.backend.table(name)
        view = f"_fc_store_{name}"
        arrow = self.store_con.sql(f"SELECT * FROM {name}").to_arrow_table()
        self._register(view, arrow)
        return self.backend.table(view)

    def _register(self, view: str, arrow: pa.Table) -> None:
        # JSON columns arrive as DuckDB's json extension type; Spark wants strings.
        fields = []
        for f in arrow.schema:
            t = f.type
            if isinstance(t, pa.ExtensionType):
                t = t.storage_type
            fields.append(pa.field(f.name, t))
        arrow = arrow.cast(pa.schema(fields))
        if arrow.num_rows == 0:
            df = self.session.createDataFrame([], _spark_schema(arrow.schema))
        else:
            df = self.session.createDataFrame(arrow, _spark_schema(arrow.schema))
        df.createOrReplaceTempView(view)
        self._staged.append(view)

    def stage_csv(self, path: Path, columns: Sequence[str], mixed_newlines: bool = False,
                  name: str | None = None, doubles: Sequence[str] = (),
                  times: Mapping[str, str] | None = None) -> StagedCSV:
        if doubles or times:  # the typed first read is DuckDB's (fusioncell.ingest.csvfiles.read_csv_file)
            raise NotImplementedError("typed staging is DuckDB's")
        from pyspark.sql import functions as F
        from pyspark.sql import types as T
        from pyspark.sql.window import Window

        schema = T.StructType([T.StructField(c, T.StringType(), True) for c in columns])
        df = (
            self.session.read.option("header", "true")
            .option("multiLine", "true")
            .option("escape", '"')
            .option("mode", "PERMISSIVE")
            .option("encoding", "UTF-8")
            .schema(schema)
            .csv(str(path))
        )
        df = df.withColumn("_mono", F.monotonically_increasing_id())
        df = df.withColumn(ROW_COL, F.row_number().over(Window.orderBy("_mono")) - F.lit(1)).drop("_mono")
        df = df.select(ROW_COL, *columns)
        name = name or _tmp_name("csv")
        df.createOrReplaceTempView(name)
        self._staged.append(name)
        return StagedCSV(self.backend.table(name), [])

    def from_arrow(self, table: pa.Table, prefix: str = "tmp", name: str | None = None) -> ir.Table:
        name = name or _tmp_name(prefix)
        self._register(name, table)
        return self.backend.table(name)

    def to_arrow(self, expr: Lazy, key: Hashable | None = None) -> pa.Table:
        # Spark SQL compiled by Ibis, fetched as Arrow by Spark itself (Ibis'
        # own to_pyarrow goes through pandas).
        import ibis

        sql = str(ibis.to_sql(_build(expr), dialect="pyspark"))
        return self.session.sql(sql).toArrow()

    def insert(self, store_con: duckdb.DuckDBPyConnection, table: str, expr: Lazy,
               key: Hashable | None = None) -> int:
        return _insert_arrow(store_con, table, self.to_arrow(expr))

    # -- the query layer (fusioncell.store.plans) ---------------------------
    def store_table(self, name: str) -> str:
        """A temporary view holding a copy of the store table ``name`` (a case's tables are small),
        or over the Parquet files :attr:`lake` maps it to (read by the executors, never the driver)."""
        view = _tmp_name("st_" + name)
        if name in self.lake:
            self.session.read.parquet(self.lake[name]).createOrReplaceTempView(view)
            self._registered.append(view)
            return view
        self._register(view, self.store_con.sql(f"SELECT * FROM {name}").to_arrow_table())
        self._staged.remove(view)
        self._registered.append(view)
        return view

    def register_arrow(self, table: pa.Table, prefix: str = "in") -> str:
        name = _tmp_name(prefix)
        self._register(name, table)
        self._staged.remove(name)
        self._registered.append(name)
        return name

    def run_sql(self, sql: str) -> pa.Table:
        """Run a query rendered for Spark SQL and fetch its result as Arrow (UTC instants)."""
        self.queries += 1
        return _utc(self.session.sql(sql).toArrow())

    def drop_registered(self) -> None:
        for view in self._registered:
            self.session.catalog.dropTempView(view)
        self._registered.clear()

    def drop_staged(self) -> None:
        for view in self._staged:
            self.session.catalog.dropTempView(view)
        self._staged.clear()


#: Executor memory asked of a cluster (env FUSIONCELL_SPARK_EXECUTOR_MEMORY).
SPARK_EXECUTOR_MEMORY = "512m"


def spark_session(master: str, shuffle_partitions: int = 4) -> "SparkSession":
    """The process's Spark session on ``master`` (created once; UTC session time zone).

    A cluster master gets small executors (``FUSIONCELL_SPARK_EXECUTOR_MEMORY``,
    default 512m) and at most ``FUSIONCELL_SPARK_CORES`` cores (default 2);
    on a real cluster set them, or pass ``spark.*`` settings through
    ``PYSPARK_SUBMIT_ARGS`` as for any pyspark program.
    """
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName("fusioncell")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    if not master.startswith("local"):
        builder = (builder
                   .config("spark.executor.memory", os.environ.get("FUSIONCELL_SPARK_EXECUTOR_MEMORY",
                                                                   SPARK_EXECUTOR_MEMORY))
                   .config("spark.cores.max", os.environ.get("FUSIONCELL_SPARK_CORES", "2")))
        # executors must reach the driver: on a cluster of this machine that is the loopback
        driver_host = os.environ.get("FUSIONCELL_SPARK_DRIVER_HOST")
        if driver_host is None and ("//127.0.0.1:" in master or "//localhost:" in master):
            driver_host = "127.0.0.1"
        if driver_host:
            builder = builder.config("spark.driver.host", driver_host)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _spark_schema(schema: pa.Schema) -> Any:
    from pyspark.sql import types as T

    def conv(t: pa.DataType) -> Any:
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            return T.StringType()
        if pa.types.is_int64(t):
            return T.LongType()
        if pa.types.is_integer(t):
            return T.IntegerType()
        if pa.types.is_floating(t):
            return T.DoubleType()
        if pa.types.is_boolean(t):
            return T.BooleanType()
        if pa.types.is_timestamp(t):
            return T.TimestampType()
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return T.ArrayType(conv(t.value_type))
        if pa.types.is_struct(t):
            return T.StructType([T.StructField(t.field(i).name, conv(t.field(i).type), True)
                                 for i in range(t.num_fields)])
        return T.StringType()

    return T.StructType([T.StructField(f.name, conv(f.type), True) for f in schema])


def _utc(table: pa.Table) -> pa.Table:
    """A Spark result shaped as DuckDB gives it: timestamps as UTC instants
    (``timestamp[us, tz=UTC]``) and every field nullable."""

    def conv(t: pa.DataType) -> pa.DataType:
        if pa.types.is_timestamp(t):
            return pa.timestamp("us", tz="UTC")
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return pa.list_(pa.field("element", conv(t.value_type)))
        if pa.types.is_struct(t):
            return pa.struct([pa.field(t.field(i).name, conv(t.field(i).type)) for i in range(t.num_fields)])
        return t

    return table.cast(pa.schema([pa.field(f.name, conv(f.type)) for f in table.schema]))


def _insert_arrow(store_con: duckdb.DuckDBPyConnection, table: str, arrow: pa.Table) -> int:
    name = _tmp_name("ins")
    store_con.register(name, arrow)
    try:
        store_con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
    finally:
        store_con.unregister(name)
    return int(arrow.num_rows)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


#: Temporary copies are named ``fusioncell-<pid>-…``: a copy whose process is gone was left by an ingest
#: that was killed (nothing else removes it), and the next one sweeps it (:func:`sweep_orphan_copies`).
_COPY_PREFIX = "fusioncell-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours to sweep
        return True
    return True


def sweep_orphan_copies(folder: Path | None = None, older_than_s: float = 3600.0) -> list[Path]:
    """Remove the temporary copies left by ingests that were killed (their process no longer runs).

    A carrier's file with mixed line ends is read from a ``\\n``-only copy (:func:`_unix_newlines`) that
    the ingest removes when it ends; a SIGKILL or a power cut leaves it behind, as large as the file. A
    copy is swept when no process of its number runs here and it has not been written for
    ``older_than_s`` (a process number seen from another container sharing the folder is not ours to
    judge at once). Returns what was removed.
    """
    gone: list[Path] = []
    now = time.time()
    for f in Path(folder or tempfile.gettempdir()).glob(f"{_COPY_PREFIX}*.csv"):
        pid = f.name[len(_COPY_PREFIX):].split("-", 1)[0]
        try:
            stale = now - f.stat().st_mtime >= older_than_s
        except OSError:
            continue
        if stale and pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            f.unlink(missing_ok=True)
            gone.append(f)
    return gone


def _unix_newlines(path: Path) -> Path:
    """A temporary copy of a file with every line ending as \\n (streamed)."""
    sweep_orphan_copies()
    fd, name = tempfile.mkstemp(prefix=f"{_COPY_PREFIX}{os.getpid()}-", suffix=".csv")
    with os.fdopen(fd, "wb") as out, path.open("rb") as src:
        carry = b""
        for chunk in iter(lambda: src.read(1 << 20), b""):
            chunk = carry + chunk
            carry = b"\r" if chunk.endswith(b"\r") else b""
            if carry:
                chunk = chunk[:-1]
            out.write(chunk.replace(b"\r\n", b"\n"))
        out.write(carry)
    return Path(name)


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reject_message(kind: str, message: str) -> str:
    kind = kind.upper()
    if kind == "INVALID ENCODING" or "unicode" in message.lower():
        return "not valid UTF-8 (save the file as UTF-8)"
    if kind == "MISSING COLUMNS":
        return f"too few fields on this line ({message.strip()})"
    if kind == "TOO MANY COLUMNS":
        return f"too many fields on this line ({message.strip()})"
    if kind == "UNQUOTED VALUE":
        return f"malformed quoting ({message.strip()})"
    return f"malformed CSV record: {message.strip()}"
