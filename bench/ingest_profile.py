"""Benchmark: where a full ingest's time goes, stage by stage, beside a raw DuckDB ``read_csv``.

Generates bench/ingest.py's case (``--rows`` call records), then in one
process: the raw peer (DuckDB ``CREATE TABLE AS SELECT * FROM read_csv``
into a fresh database file), then ``ingest_case`` into a fresh store with
timing wrappers around its stages (nothing in fusioncell is changed):

* ``facts``: the streamed hash / line-shape pass over each file;
* ``stage``: DuckDB's ``read_csv`` of the file into a staged table (all VARCHAR);
* ``distinct`` / ``normalise``: the distinct raw identifiers fetched, and read
  into E.164 (``IdNormalizer.map_values``); ``spellings dictionary``: their
  ids in the store's ``spellings`` (store schema 2);
* ``checks``: the one aggregate pass of every row check;
* ``insert``: the typed ``INSERT … SELECT`` into the store table;
* ``activity``: the delivery's activity per identifier (``comms_activity``, net14), inside ``insert``'s file;
* ``identifiers``, ``flags``, ``watches``: the derived tables after the files;
* ``commit``: the transaction's commit (the write to disk).

Usage::

    nice -n 10 .venv/bin/python bench/ingest_profile.py --rows 10000000

Record the figures, with the command, in docs/benchmarks.md (## Ingest speed and appends).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import types
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import generate  # noqa: E402  (bench/ingest.py's generator)

TIMES: dict[str, float] = defaultdict(float)
#: CPU seconds of the whole process (every DuckDB thread) per stage: steadier than wall time on a
#: shared machine, where other jobs stretch the wall clock but not the work done.
CPU: dict[str, float] = defaultdict(float)


def _wrap(obj: Any, attr: str, label: Callable[..., str] | str) -> None:
    fn = getattr(obj, attr)

    def timed(*a: Any, **k: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        try:
            return fn(*a, **k)
        finally:
            name = label(*a, **k) if callable(label) else label
            TIMES[name] += time.perf_counter() - t
            CPU[name] += time.process_time() - c

    setattr(obj, attr, timed)


def _to_arrow_label(self: Any, expr: Any, key: Any = None) -> str:
    kind = key[0] if isinstance(key, tuple) and key else "other"
    return {"distinct": "distinct", "agg": "checks"}.get(str(kind), "to_arrow other")


def instrument() -> None:
    from fusioncell.ingest import derived, flags, idnorm, pipeline
    from fusioncell.store import engine

    facts_module: types.ModuleType = pipeline
    try:  # the file facts moved out of the pipeline module in round 4
        from fusioncell.ingest import filefacts as facts_module
    except ImportError:  # pragma: no cover (an older tree, benched against)
        pass
    _wrap(facts_module, "file_facts", "facts")
    _wrap(engine.DuckDBEngine, "stage_csv", "stage")
    _wrap(engine.DuckDBEngine, "to_arrow", _to_arrow_label)
    _wrap(engine.DuckDBEngine, "insert", lambda self, con, table, *a, **k: f"insert {table}")
    _wrap(idnorm.IdNormalizer, "map_values", "normalise")
    if hasattr(pipeline, "assign_spellings"):  # store schema 2: the spellings dictionary
        _wrap(pipeline, "assign_spellings", "spellings dictionary")
    _wrap(pipeline, "extend_identifiers", "identifiers")
    _wrap(pipeline, "rebuild_identifiers", "identifiers")
    _wrap(flags, "flag_rows", "flags")
    if hasattr(pipeline, "record_delivery"):  # net14: each call-record delivery's activity per identifier
        _wrap(pipeline, "record_delivery", "activity")
    _wrap(pipeline, "_evaluate_watches", "watches")
    _wrap(pipeline, "_atomic", "total (in transaction + commit)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    args = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    try:
        folder = root / "case"
        generate(folder, args.rows)
        raw = duckdb.connect(str(root / "raw.duckdb"))
        t, c = time.perf_counter(), time.process_time()
        raw.execute(f"CREATE TABLE comms AS SELECT * FROM read_csv('{folder / 'comms.csv'}')")
        raw.close()
        raw_s, raw_cpu = time.perf_counter() - t, time.process_time() - c
        instrument()
        from fusioncell.ingest import ingest_case
        from fusioncell.store import CaseStore

        t, c = time.perf_counter(), time.process_time()
        with CaseStore.open(root / "case.duckdb") as store:
            ingest_case(folder, store)
        total, total_cpu = time.perf_counter() - t, time.process_time() - c
        try:  # session 17: compiled SQL is kept across processes; a warm cache skips ~0.5 s of compiling
            from fusioncell.store.sqlcache import cache_dir
            where = cache_dir()
            print(f"compiled SQL cache: {where if where else 'off'} (opt-in: FUSIONCELL_SQL_CACHE=DIR or default)")
        except ImportError:  # pragma: no cover (an older tree)
            pass
        print(f"rows {args.rows:,}: raw read_csv {raw_s:.2f} s (CPU {raw_cpu:.2f} s), fusioncell ingest "
              f"{total:.2f} s (CPU {total_cpu:.2f} s), speed vs raw {raw_s / total:.2f} (CPU {raw_cpu / total_cpu:.2f})")
        print("| stage | s | share | CPU s |\n|---|---|---|---|")
        for k, v in sorted(TIMES.items(), key=lambda kv: -kv[1]):
            print(f"| {k} | {v:.2f} | {v / total:.0%} | {CPU[k]:.2f} |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
