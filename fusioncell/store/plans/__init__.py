"""One query layer: named relational plans, rendered for DuckDB or Spark SQL.

A stage never writes SQL for an engine. It asks for a plan by name and
parameters::

    from fusioncell.store import plans
    tbl = plans.run(store, "stays.positions", identifiers=["+52..."], kinds=("fix",), ...)

and the layer (in the manner of splink, whose core builds SQL and whose
backends run it):

1. looks the plan up in :data:`PLANS` (a registry filled by
   ``@plan("name")`` in :mod:`.spacetime` and :mod:`.network`);
2. renders it with a :class:`Dialect` (``DUCKDB`` or ``SPARK``): every
   difference between the two SQL dialects is a method of that class and
   nowhere else (epoch seconds, local time, day of week, sorted distinct
   lists, products, JSON paths, regular expressions, array filters,
   structs, typed empty lists, double literals);
3. resolves the store tables it names on the engine (on Spark they are
   copied from the case store into temporary views) and the Arrow tables
   the caller passes as ``inputs``;
4. runs it on the store's engine (:meth:`fusioncell.store.CaseStore.engine`,
   ``fusioncell --engine``) and returns Arrow (:func:`run`) or writes a store
   table (:func:`materialise`).

A plan is a function ``(q: Query, **params) -> str`` whose text uses only
what both engines understand plus ``q.d.<method>`` for the rest; the parity
tests (``tests/test_plans_parity.py``) run every moved stage on both engines
and compare the rows.

>>> render("stays.covered", DUCKDB, inputs={"coarse": "c", "fine": "f"}).split()[:3]
['SELECT', 'DISTINCT', 'c._row']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import duckdb
import pyarrow as pa


PlanFn = Callable[..., str]

#: Every named plan: name -> function rendering it (see :func:`plan`).
PLANS: dict[str, PlanFn] = {}


def plan(name: str) -> Callable[[PlanFn], PlanFn]:
    """Register a plan under ``name`` (``stage.what``)."""

    def register(fn: PlanFn) -> PlanFn:
        if name in PLANS:
            raise ValueError(f"plan {name!r} registered twice")
        PLANS[name] = fn
        return fn

    return register


@dataclass(frozen=True)
class Dialect:
    """Every difference between DuckDB SQL and Spark SQL the plans need, in one place."""

    name: str

    @property
    def spark(self) -> bool:
        return self.name == "spark"

    def ident(self, name: str) -> str:
        """A quoted identifier (``"end"`` / `` `end` ``)."""
        return f"`{name}`" if self.spark else f'"{name}"'

    def f(self, x: float) -> str:
        """A DOUBLE literal (Spark reads ``1.0`` as a DECIMAL)."""
        return f"CAST({float(x)!r} AS DOUBLE)"

    def str_type(self) -> str:
        return "STRING" if self.spark else "VARCHAR"

    def null(self, sql_type: str) -> str:
        """A typed NULL; ``sql_type`` is DOUBLE, VARCHAR, TIMESTAMPTZ, BIGINT or BOOLEAN."""
        t = {"VARCHAR": self.str_type(), "TIMESTAMPTZ": "TIMESTAMP" if self.spark else "TIMESTAMPTZ"}.get(sql_type, sql_type)
        return f"CAST(NULL AS {t})"

    def epoch_s(self, ts: str) -> str:
        """Seconds since the epoch (DOUBLE, microsecond precision) of a timestamp."""
        return f"(unix_micros({ts}) / 1e6)" if self.spark else f"epoch({ts})"

    def epoch_us(self, ts: str) -> str:
        """Microseconds since the epoch (BIGINT) of a timestamp."""
        return f"unix_micros({ts})" if self.spark else f"epoch_us({ts})"

    def local(self, ts: str, tz: str) -> str:
        """An instant as wall-clock time in the IANA zone ``tz`` (hour(), CAST AS DATE read it)."""
        z = tz.replace("'", "")
        return f"from_utc_timestamp({ts}, '{z}')" if self.spark else f"({ts} AT TIME ZONE '{z}')"

    def dow0(self, ts: str) -> str:
        """Day of week, 0 = Sunday … 6 = Saturday."""
        return f"(dayofweek({ts}) - 1)" if self.spark else f"dayofweek({ts})"

    def sorted_set(self, x: str) -> str:
        """Aggregate: the sorted list of distinct non-null values."""
        return f"array_sort(collect_set({x}))" if self.spark else f"list_sort(list(DISTINCT {x}))"

    def list_cat_sorted_set(self, a: str, b: str) -> str:
        """The sorted distinct elements of two lists."""
        return f"array_sort(array_distinct(concat({a}, {b})))" if self.spark else f"list_sort(list_distinct(list_concat({a}, {b})))"

    def list_cat(self, a: str, b: str) -> str:
        return f"concat({a}, {b})" if self.spark else f"({a} || {b})"

    def array(self, *items: str) -> str:
        return f"array({', '.join(items)})" if self.spark else f"[{', '.join(items)}]"

    def empty_list(self) -> str:
        """An empty list of strings."""
        return "CAST(array() AS ARRAY<STRING>)" if self.spark else "[]::VARCHAR[]"

    def non_null(self, *items: str) -> str:
        """The list of the items that are not NULL, in order."""
        if self.spark:
            return f"filter(array({', '.join(items)}), x -> x IS NOT NULL)"
        return f"list_filter([{', '.join(items)}], lambda x: x IS NOT NULL)"

    def product_agg(self, x: str) -> str:
        """Aggregate: the product of a DOUBLE column."""
        return f"aggregate(collect_list({x}), CAST(1.0 AS DOUBLE), (acc, v) -> acc * v)" if self.spark else f"product({x})"

    def ordered_list(self, value: str, desc_key: str, asc_key: str) -> str:
        """Aggregate: ``value`` listed by ``desc_key`` descending then ``asc_key`` ascending."""
        if self.spark:
            return (f"transform(array_sort(collect_list(named_struct('k1', -({desc_key}), 'k2', {asc_key}, "
                    f"'v', {value}))), s -> s.v)")
        return f"list({value} ORDER BY {desc_key} DESC, {asc_key})"

    def json_str(self, col: str, path: str) -> str:
        """The string at a JSON path (``$.person[0]``) of a JSON text column."""
        return f"get_json_object({col}, '{path}')" if self.spark else f"json_extract_string({col}, '{path}')"

    def regex(self, text: str, pattern: str) -> str:
        """Whether ``text`` contains a match of ``pattern`` (a literal, no quotes inside)."""
        return f"({text} RLIKE '{pattern}')" if self.spark else f"regexp_matches({text}, '{pattern}')"

    def arg_max(self, value: str, key: str) -> str:
        return f"max_by({value}, {key})" if self.spark else f"arg_max({value}, {key})"

    def struct(self, fields: Sequence[tuple[str, str]]) -> str:
        """A struct with the given (name, expression) fields."""
        if self.spark:
            return "named_struct(" + ", ".join(f"'{k}', {v}" for k, v in fields) + ")"
        return "{" + ", ".join(f"'{k}': {v}" for k, v in fields) + "}"

    def lit(self, text: str) -> str:
        """A string literal (Spark reads a backslash as an escape, DuckDB does not)."""
        t = str(text).replace("'", "''")
        if self.spark:
            t = t.replace("\\", "\\\\")
        return f"'{t}'"

    def in_list(self, col: str, values: Sequence[str] | None) -> str:
        """``col IN ('a', 'b')``; TRUE for None (no restriction), FALSE for an empty list."""
        if values is None:
            return "TRUE"
        if not values:
            return "FALSE"
        return f"{col} IN ({', '.join(self.lit(v) for v in values)})"

    def salt(self, key: str, n: int) -> str:
        """A bucket ``0..n-1`` from a hash of ``key`` (hub salting)."""
        return f"pmod(hash({key}), {int(n)})" if self.spark else f"CAST(hash({key}) % {int(n)} AS BIGINT)"

    def salt_values(self, n: int) -> str:
        """A relation ``(_salt)`` with the rows ``0..n-1``."""
        if self.spark:
            return f"(SELECT explode(sequence(0, {int(n) - 1})) AS _salt)"
        return f"(SELECT CAST(range AS BIGINT) AS _salt FROM range({int(n)}))"

    def round_to(self, x: str, digits: int) -> str:
        """A DOUBLE rounded to ``digits`` decimals (half up), bit-identical on both engines.

        Not ``round()``: DuckDB scales the double and rounds it, Spark rounds
        its exact decimal expansion, so the two disagree on halves
        (``round(x, 5)`` of a tower's latitude moved it to another key).
        """
        k = 10 ** int(digits)
        return f"(floor({x} * {k}.0 + 0.5) / {k}.0)" if not self.spark else f"(floor({x} * CAST({k} AS DOUBLE) + CAST(0.5 AS DOUBLE)) / CAST({k} AS DOUBLE))"


    # -- network speed-ups and provenance lists (see fusioncell.store.plans.network) -------------
    def pair_hash(self, a: str, b: str) -> str:
        """A 64-bit hash of two values (DuckDB ``hash``; Spark's ``hash`` is 32-bit, so ``xxhash64``)."""
        return f"xxhash64({a}, {b})" if self.spark else f"hash({a}, {b})"

    def day_index(self, day0: str, date: str) -> str:
        """Days from the date literal ``day0`` (``YYYY-MM-DD``) to the DATE ``date``."""
        z = day0.replace("'", "")
        return f"datediff({date}, DATE '{z}')" if self.spark else f"date_diff('day', DATE '{z}', {date})"

    def bitmask_count(self, index: str) -> str:
        """Aggregate: how many distinct values 0..63 ``index`` takes (popcount of a 64-bit OR mask)."""
        if self.spark:
            return f"bit_count(bit_or(shiftleft(CAST(1 AS BIGINT), CAST({index} AS INT))))"
        return f"bit_count(bit_or(CAST(1 AS UBIGINT) << CAST({index} AS INTEGER)))"

    def list_agg(self, x: str) -> str:
        """Aggregate: the values as a list (order not defined: sort it, :meth:`sort_structs`)."""
        return f"collect_list({x})" if self.spark else f"list({x})"

    def flatten_agg(self, x: str) -> str:
        """Aggregate: the lists ``x`` concatenated (order not defined)."""
        return f"flatten(collect_list({x}))" if self.spark else f"flatten(list({x}))"

    def list_by(self, value: str, key: str) -> str:
        """Aggregate: ``value`` listed by ``key`` ascending (keys should be unique)."""
        if self.spark:
            return f"transform(array_sort(collect_list(named_struct('k', {key}, 'v', {value}))), s -> s.v)"
        return f"list({value} ORDER BY {key})"

    def sort_structs(self, lst: str, keys: Sequence[str]) -> str:
        """A list of structs sorted by the fields ``keys`` (then by the whole struct)."""
        # lambda variables named so that no table alias of a plan shadows them
        if self.spark:
            ks = ", ".join(f"'k{i}', el_.{k}" for i, k in enumerate(keys))
            return f"transform(array_sort(transform({lst}, el_ -> named_struct({ks}, 'v', el_))), ks_ -> ks_.v)"
        ks = ", ".join(f"'k{i}': el_.{k}" for i, k in enumerate(keys))
        return f"list_transform(list_sort(list_transform({lst}, lambda el_: {{{ks}, 'v': el_}})), lambda ks_: ks_.v)"

    def list_sort(self, lst: str) -> str:
        return f"array_sort({lst})" if self.spark else f"list_sort({lst})"

    def join_first(self, lst: str, n: int, sep: str) -> str:
        """The first ``n`` elements of a list of strings joined by ``sep``."""
        if self.spark:
            return f"array_join(slice({lst}, 1, {int(n)}), {self.lit(sep)})"
        return f"array_to_string(({lst})[1:{int(n)}], {self.lit(sep)})"

    def first_elem(self, lst: str) -> str:
        """The first element of a list (NULL when empty)."""
        return f"element_at({lst}, 1)" if self.spark else f"({lst})[1]"

    def to_str(self, x: str) -> str:
        return f"CAST({x} AS {self.str_type()})"

    def struct_type(self, fields: Sequence[tuple[str, str]]) -> str:
        """A struct type of (name, SQL type) fields; VARCHAR reads as STRING on Spark."""
        if self.spark:
            return "STRUCT<" + ", ".join(f"{k}: {'STRING' if t == 'VARCHAR' else t}" for k, t in fields) + ">"
        return "STRUCT(" + ", ".join(f"{k} {t}" for k, t in fields) + ")"

    def typed_struct(self, fields: Sequence[tuple[str, str, str]]) -> str:
        """A struct of (name, expression, SQL type) fields, each cast to its type."""
        return self.struct([(k, f"CAST({v} AS {self.str_type() if t == 'VARCHAR' else t})") for k, v, t in fields])

    def empty_struct_list(self, fields: Sequence[tuple[str, str]]) -> str:
        """An empty list of structs of the given (name, SQL type) fields."""
        if self.spark:
            return f"CAST(array() AS ARRAY<{self.struct_type(fields)}>)"
        return f"CAST([] AS {self.struct_type(fields)}[])"

    # -- pattern of life (see fusioncell.store.plans.pattern) ----------------------------------------
    def hour_series(self, lo: str, hi: str) -> str:
        """Select-list generator: one row per integer ``lo..hi`` (both included)."""
        return f"explode(sequence({lo}, {hi}))" if self.spark else f"unnest(generate_series({lo}, {hi}))"

    def from_epoch_s(self, x: str) -> str:
        """The instant ``x`` seconds after the epoch."""
        return f"timestamp_seconds({x})" if self.spark else f"to_timestamp({x})"

    def isodow(self, ts: str) -> str:
        """ISO day of week, 1 = Monday … 7 = Sunday."""
        return f"(weekday({ts}) + 1)" if self.spark else f"isodow({ts})"

    def last_non_null(self, x: str) -> str:
        """Window function: the last non-null ``x`` of the frame."""
        return f"last({x}, true)" if self.spark else f"last_value({x} IGNORE NULLS)"

    def first_non_null(self, x: str) -> str:
        """Window function: the first non-null ``x`` of the frame."""
        return f"first({x}, true)" if self.spark else f"first_value({x} IGNORE NULLS)"

    def ts_type(self) -> str:
        """The type of an instant (Spark's TIMESTAMP is one, read in the session's UTC)."""
        return "TIMESTAMP" if self.spark else "TIMESTAMPTZ"


DUCKDB = Dialect("duckdb")
SPARK = Dialect("spark")


@dataclass
class Query:
    """What a plan function gets: the dialect and the names of its tables on the engine."""

    d: Dialect
    tables: Callable[[str], str]
    inputs: Mapping[str, str] = field(default_factory=dict)

    def t(self, name: str) -> str:
        """The engine's name for a store table (``comms``, ``attributions``, …)."""
        return self.tables(name)

    def i(self, name: str) -> str:
        """The engine's name for an Arrow input the caller passed."""
        if name not in self.inputs:
            raise KeyError(f"plan input {name!r} not given")
        return self.inputs[name]


def render(name: str, dialect: Dialect, inputs: Mapping[str, str] | None = None,
           tables: Callable[[str], str] | None = None, **params: Any) -> str:
    """The SQL of plan ``name`` in ``dialect`` (store tables by their own names unless ``tables`` maps them)."""
    _load()
    fn = PLANS.get(name)
    if fn is None:
        raise KeyError(f"no plan named {name!r}")
    return fn(Query(dialect, tables or (lambda t: t), dict(inputs or {})), **params)


def dialect_of(engine: Any) -> Dialect:
    return SPARK if getattr(engine, "name", "duckdb") == "spark" else DUCKDB


def _prepare(store: Any, name: str, engine: Any, inputs: Mapping[str, pa.Table] | None,
             params: dict[str, Any]) -> tuple[Any, str]:
    eng = engine if engine is not None else store.engine()
    names = {k: eng.register_arrow(v, k) for k, v in (inputs or {}).items()}
    sql = render(name, dialect_of(eng), names, eng.store_table, **params)
    return eng, sql


def run(store: Any, name: str, *, engine: Any = None, inputs: Mapping[str, pa.Table] | None = None,
        **params: Any) -> pa.Table:
    """Run plan ``name`` on the store's engine (or ``engine``) and fetch its result as Arrow."""
    from fusioncell.spacetime._sql import settle

    settle(store.con)
    eng, sql = _prepare(store, name, engine, inputs, params)
    try:
        return eng.run_sql(sql)
    finally:
        eng.drop_registered()


def materialise(store: Any, table: str, name: str, *, engine: Any = None,
                inputs: Mapping[str, pa.Table] | None = None, temp: bool = False, **params: Any) -> int:
    """``CREATE OR REPLACE TABLE table`` in the case store with the rows of plan ``name``; returns the row count.

    On DuckDB the rows never leave the store; on Spark they stream back as Arrow.
    ``temp``: a temporary table (in memory, spilled only under pressure; for
    an intermediate that never needs the store's disk format).
    """
    from fusioncell.spacetime._sql import settle

    create = "CREATE OR REPLACE TEMP TABLE" if temp else "CREATE OR REPLACE TABLE"
    con: duckdb.DuckDBPyConnection = store.con
    settle(con)
    eng, sql = _prepare(store, name, engine, inputs, params)
    try:
        if dialect_of(eng) is DUCKDB and getattr(eng, "con", None) is con:
            con.execute(f"{create} {table} AS {sql}")
        else:
            arrow = eng.run_sql(sql)
            tmp = f"_fc_mat_{table}"
            store.con.register(tmp, arrow)
            try:
                store.con.execute(f"{create} {table} AS SELECT * FROM {tmp}")
            finally:
                store.con.unregister(tmp)
    finally:
        eng.drop_registered()
    rows = store.con.execute(f"SELECT count(*) FROM {table}").fetchall()
    return int(rows[0][0])


def to_parquet(store: Any, path: str, name: str, *, engine: Any = None,
               inputs: Mapping[str, pa.Table] | None = None, buckets: int | None = None, **params: Any) -> None:
    """Write the rows of plan ``name`` as Parquet under the folder ``path`` (national scale).

    The rows never reach this process: DuckDB ``COPY``s them (spilling under
    its ``memory_limit``), Spark writes them from the executors. Read the
    result back with ``engine.lake`` or any Parquet reader.

    A plan in :data:`BUCKETED` runs on DuckDB in ``buckets`` buckets (default
    :func:`buckets_for`: from the record count and the ``memory_limit``), each
    aggregated within memory, so its time grows with the records instead of
    spilling one hash table; the rows are those of the one-statement plan.
    On Spark such a plan runs as the same chain of parts, each written as Parquet
    next to ``path`` by the executors and read back by the next (its shuffle
    partitions are its buckets): a Spark SQL statement recomputes a CTE at each
    use, so the one statement would read and join the records once per use.
    """
    from fusioncell.spacetime._sql import settle

    settle(store.con)
    eng, sql = _prepare(store, name, engine, inputs, params)
    try:
        if dialect_of(eng) is DUCKDB and name in BUCKETED and not inputs:
            n = buckets if buckets is not None else buckets_for(eng, plan=name)
            if n > 1:
                _to_parquet_bucketed(eng, name, path, n, params)
                return
        if dialect_of(eng) is SPARK and name in BUCKETED and not inputs:
            _to_parquet_parts_spark(eng, name, path, params)
        elif dialect_of(eng) is SPARK:
            eng.session.sql(sql).write.mode("overwrite").parquet(path)
        else:
            from pathlib import Path

            Path(path).mkdir(parents=True, exist_ok=True)
            target = str(Path(path) / "part-0.parquet").replace("'", "''")
            eng.con.execute(f"COPY ({sql}) TO '{target}' (FORMAT parquet)")
    finally:
        eng.drop_registered()


#: Plans that run bucketed past memory on DuckDB: name -> the parts run once per bucket. The plan takes
#: ``part`` ("ev": its input records with a ``_bucket`` column; each per-bucket part over the input ``ev``;
#: "finish": over the per-bucket parts' rows as inputs of the same names) and ``buckets``.
BUCKETED: dict[str, tuple[str, ...]] = {"network.edges": ("pairs", "cells"), "pattern.dark": ("dark",)}

#: Bucketed plans whose finish is bucketed again, by another key: name -> (the parts that write the first
#: parts' rows with a ``_bucket`` of that key, over the first parts as inputs; the part run per such bucket over
#: those as inputs, whose rows are the finish's input of its name).
REBUCKETED: dict[str, tuple[tuple[str, ...], str]] = {"network.edges": (("ends", "node_cells"), "nodes")}

#: Memory a bucket may take per input record (bytes): network.edges peaked at ~600 B per call record
#: in memory (10 M records, 6.1 GB); a bucket aims at a third of ``memory_limit``.
BUCKET_BYTES_PER_RECORD = 1800
#: ... unless a plan needs less: going dark peaked at ~330 B per record in one statement (30 M records,
#: 9.84 GB), so it runs whole until its measured peak would reach the ``memory_limit`` (bucketed at 30 M it
#: was 2.4x slower than whole, with the edges' figure)
BUCKET_BYTES_OF_PLAN: dict[str, int] = {"pattern.dark": 110}


def _duck_bytes(text: str) -> float:
    """Bytes of a DuckDB size setting (``11.1 GiB``, ``12GB``, ``512.0 MiB``)."""
    import re

    m = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]?)(i?)B\s*", text, flags=re.I)
    if not m:
        raise ValueError(f"memory_limit {text!r} not understood")
    k = 1024.0 if m.group(3) else 1000.0
    return float(m.group(1)) * k ** "_KMGT".index(m.group(2).upper() or "_")


def buckets_for(eng: Any, table: str = "comms", plan: str | None = None) -> int:
    """How many buckets a DuckDB run of a bucketed plan over ``table`` needs: records x
    :data:`BUCKET_BYTES_PER_RECORD` (or the plan's :data:`BUCKET_BYTES_OF_PLAN`) over a third of the
    ``memory_limit`` (1 = run it in one statement)."""
    rows = int(eng.con.execute(f"SELECT count(*) FROM {eng.store_table(table)}").fetchall()[0][0])
    return bucket_count(rows, _duck_bytes(eng.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]),
                        BUCKET_BYTES_OF_PLAN.get(plan or "", BUCKET_BYTES_PER_RECORD))


def bucket_count(records: int, memory_bytes: float, bytes_per_record: int | None = None) -> int:
    """Buckets for ``records`` input records under a ``memory_bytes`` limit (at least 1)."""
    per = BUCKET_BYTES_PER_RECORD if bytes_per_record is None else bytes_per_record
    return max(1, -(-int(records) * per // int(memory_bytes / 3)))


def _copy(con: Any, sql: str, target: Any, extra: str = "") -> None:
    t = str(target).replace("'", "''")
    con.execute(f"COPY ({sql}) TO '{t}' (FORMAT parquet{extra})")


def _scan(folder: Any) -> str:
    return f"read_parquet('{str(folder).replace(chr(39), chr(39) * 2)}/*.parquet', hive_partitioning = false)"


def _to_parquet_bucketed(eng: Any, name: str, path: str, n: int, params: dict[str, Any]) -> None:
    """DuckDB: plan ``name`` in ``n`` buckets, each within memory; the parts go through ``path.parts``."""
    import logging
    import shutil
    import time
    from pathlib import Path

    log, t0 = logging.getLogger(__name__), time.perf_counter()

    def phase(what: str) -> None:
        nonlocal t0
        log.info("%s %s: %.1f s", name, what, time.perf_counter() - t0)
        t0 = time.perf_counter()

    work = Path(f"{path}.parts")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    def sql(part: str, inputs: Mapping[str, str]) -> str:
        return render(name, DUCKDB, inputs, eng.store_table, **params, part=part, buckets=n)

    ev_sql = sql("ev", {})
    # one pass over the records: each to its bucket's folder (ev/_bucket=k/)
    _copy(eng.con, ev_sql, work / "ev", ", PARTITION_BY (_bucket)")
    phase(f"records into {n} buckets")
    for k in range(n):
        src = work / "ev" / f"_bucket={k}"
        ev = _scan(src) if src.exists() else f"(SELECT * FROM ({ev_sql}) e WHERE FALSE)"
        for part in BUCKETED[name]:
            (work / part).mkdir(exist_ok=True)
            _copy(eng.con, sql(part, {"ev": ev}), work / part / f"part-{k}.parquet")
        shutil.rmtree(src, ignore_errors=True)  # disk back as the buckets are done
    phase(f"{n} buckets")
    inputs = {p: _scan(work / p) for p in BUCKETED[name]}
    if name in REBUCKETED:  # the finish's own aggregates, bucketed by their key
        keyed, per = REBUCKETED[name]
        for kp in keyed:
            _copy(eng.con, sql(kp, inputs), work / kp, ", PARTITION_BY (_bucket)")
        (work / per).mkdir()
        for k in range(n):
            ins = {kp: _scan(work / kp / f"_bucket={k}") if (work / kp / f"_bucket={k}").exists()
                   else f"(SELECT * EXCLUDE (_bucket) FROM ({sql(kp, inputs)}) e WHERE FALSE)" for kp in keyed}
            _copy(eng.con, sql(per, ins), work / per / f"part-{k}.parquet")
            for kp in keyed:
                shutil.rmtree(work / kp / f"_bucket={k}", ignore_errors=True)
        inputs = {**inputs, per: _scan(work / per)}
        phase(f"{per} in {n} buckets")
    Path(path).mkdir(parents=True, exist_ok=True)
    _copy(eng.con, sql("finish", inputs), Path(path) / "part-0.parquet")
    phase("finish")
    shutil.rmtree(work, ignore_errors=True)


def _to_parquet_parts_spark(eng: Any, name: str, path: str, params: dict[str, Any]) -> None:
    """Spark: plan ``name`` as its chain of parts (one bucket), each part's rows written under ``path.parts``
    by the executors and read back as the next part's input; ``path.parts`` is deleted after (any file system)."""
    work = f"{path.rstrip('/')}.parts"
    views: dict[str, str] = {}

    def write(part: str, target: str) -> None:
        sql = render(name, SPARK, views, eng.store_table, **params, part=part, buckets=1)
        eng.session.sql(sql).write.mode("overwrite").parquet(target)

    def stage(part: str) -> None:
        write(part, f"{work}/{part}")
        view = _tmp_view(part)
        eng.session.read.parquet(f"{work}/{part}").createOrReplaceTempView(view)
        eng._registered.append(view)
        views[part] = view

    try:
        stage("ev")
        for part in BUCKETED[name]:
            stage(part)
        del views["ev"]
        write("finish", path)
    finally:
        jvm_path = eng.session._jvm.org.apache.hadoop.fs.Path(work)
        jvm_path.getFileSystem(eng.session._jsc.hadoopConfiguration()).delete(jvm_path, True)


def _tmp_view(part: str) -> str:
    import uuid

    return f"_fc_part_{part}_{uuid.uuid4().hex[:8]}"


def _load() -> None:
    """Import the modules that register plans (once)."""
    from fusioncell.store.plans import network, pattern, places, resolve, spacetime  # noqa: F401


def names() -> list[str]:
    """Every registered plan name."""
    _load()
    return sorted(PLANS)


def duckdb_sql(name: str, con: duckdb.DuckDBPyConnection, inputs: Mapping[str, pa.Table] | None = None,
               **params: Any) -> str:
    """The DuckDB SQL of a plan with its Arrow inputs registered on ``con`` under ``_fc_in_<name>``
    (for DuckDB-only callers that embed the plan in a larger query)."""
    names_ = {}
    for k, v in (inputs or {}).items():
        con.register(f"_fc_in_{k}", v)
        names_[k] = f"_fc_in_{k}"
    return render(name, DUCKDB, names_, **params)
