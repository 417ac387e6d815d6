"""Ingest a case folder into its case store: order, idempotence, transactions.

Files are read in dependency order::

    case.toml ─┐ (phone_region, legal authority: read first, refused early)
    sources.csv ──────────────┐
    entities.jsonl ─▶ targets ├─▶ comms.csv, locations.csv, sightings.csv, reports.jsonl
                              └─▶ identifiers (derived, recomputed when anything changed)

Each file is ingested in its own transaction: its old rows are deleted, its
new rows inserted and its content hash logged in ``ingest_log``, then the
transaction commits; any problem (or a crash, or a kill) rolls the whole file
back, so the store is as it was before. A file whose hash is already logged
is skipped, unless a file it depends on was just re-ingested (new sources or
entities can change how its rows read).
"""

from __future__ import annotations

import re
import logging
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, TypeVar

import duckdb

import pyarrow as pa

from fusioncell.errors import InvalidCase, Problem, UsageError
from fusioncell.ingest import casefile
from fusioncell.ingest.activity import forget_delivery, record_delivery
from fusioncell.ingest.csvfiles import OBSERVATION_SPECS, SOURCES, CsvSpec, read_csv_file
from fusioncell.ingest.filefacts import (  # noqa: F401  (re-exported)
    FACTS_CHUNK, FILE_STATS_DDL, MAX_CSV_COMMAS, MAX_LINE_BYTES, RACY_NS, FileFacts, _facts, file_facts,
    first_lone_cr_line, sha256_of, shape_problems)
from fusioncell.ingest.derived import extend_identifiers, rebuild_identifiers
from fusioncell.ingest.idnorm import IdNormalizer
from fusioncell.ingest.jsonl import read_entities, read_reports
from fusioncell.ingest.provenance import note_time_offset
from fusioncell.store.engine import DuckDBEngine, Engine
from fusioncell.store.store import _memory_limit
from fusioncell.store.schema import DELIVERY_TABLES

if TYPE_CHECKING:  # pragma: no cover
    from fusioncell.store.store import CaseStore

log = logging.getLogger(__name__)

#: Files of a case in ingest order, with the store tables each one fills (in the
#: order their rows are cleared: dependent rows first).
FILE_TABLES: dict[str, tuple[str, ...]] = {
    "sources.csv": ("sources",),
    "entities.jsonl": ("entity_identifiers", "entities"),
    "case.toml": ("case_info", "targets"),
    "comms.csv": ("comms",),
    "locations.csv": ("locations",),
    "sightings.csv": ("sightings",),
    "reports.jsonl": ("claims", "reports"),
}
#: A file is re-ingested when one of these changed in the same run.
UPSTREAM: dict[str, tuple[str, ...]] = {
    "sources.csv": (),
    "entities.jsonl": ("case.toml",),
    "case.toml": ("entities.jsonl",),
    "comms.csv": ("case.toml", "sources.csv", "entities.jsonl"),
    "locations.csv": ("case.toml", "sources.csv", "entities.jsonl"),
    "sightings.csv": ("case.toml", "sources.csv", "entities.jsonl"),
    "reports.jsonl": ("case.toml", "sources.csv", "entities.jsonl"),
}
REQUIRED = ("case.toml", "sources.csv")


@dataclass
class FileOutcome:
    """What happened to one file of the case."""

    file: str
    status: str  # ingested | unchanged | removed | failed | skipped | absent
    rows: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class IngestSummary:
    """The outcome of :func:`ingest_case`; ``str()`` is one human summary."""

    case_id: str
    store: str
    files: list[FileOutcome]
    seconds: float
    engine: str = "duckdb"
    #: rows set aside by ``--quarantine`` in this ingest (``fusioncell rejects`` lists them)
    quarantined: int = 0
    #: the ``runs`` id of this ingest (None when nothing was loaded); ``deliveries(store, run_id)``
    run_id: str | None = None
    #: alerts the standing watches raised on this ingest's new deliveries (fusioncell.watch)
    alerts: list[Any] = field(default_factory=list)
    #: ``(scheme, distinct identifiers)`` of identifiers kept in schemes the case format does not list
    other_schemes: list[tuple[str, int]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(f.status in ("ingested", "removed") for f in self.files)

    def rows(self, file: str) -> int:
        return next((f.rows for f in self.files if f.file == file), 0)

    def __str__(self) -> str:
        done = [f for f in self.files if f.status == "ingested"]
        same = [f for f in self.files if f.status == "unchanged"]
        gone = [f for f in self.files if f.status == "removed"]
        parts = [f"{f.file} {f.rows:,} rows" for f in done]
        text = f"case {self.case_id}: "
        text += f"ingested {len(done)} file{'s' if len(done) != 1 else ''}" + (f" ({', '.join(parts)})" if parts else "")
        if same:
            text += f"; {len(same)} unchanged"
        if gone:
            text += f"; removed {', '.join(f.file for f in gone)}"
        if self.quarantined:
            loaded = sum(f.rows for f in done)
            text += f"; loaded {loaded:,}, quarantined {self.quarantined:,} (see: fusioncell rejects)"
        if self.alerts:
            text += f"; {len(self.alerts)} alert{'s' if len(self.alerts) != 1 else ''} (see: fusioncell alerts)"
        if self.other_schemes:
            text += ("; kept identifiers in schemes the case format does not list: "
                     + ", ".join(f"{s}: ({n:,})" for s, n in self.other_schemes[:5])
                     + (" …" if len(self.other_schemes) > 5 else "") + " (a typo of plate:, imei:, … would show here)")
        return text + f" in {self.seconds:.1f} s -> {self.store}"


def check_case_files(folder: Path, names: Iterable[str]) -> list[Problem]:
    """Case files that are not regular files (a directory, a FIFO, a dangling link) are refused, never read."""
    problems = []
    for f in names:
        p = folder / f
        if os.path.lexists(p) and not p.is_file():
            kind = ("a directory" if p.is_dir() else "a link to nothing" if p.is_symlink() and not p.exists()
                    else "a FIFO" if p.is_fifo() else "not a regular file")
            problems.append(Problem(f, None, None, f"{p} is {kind}; a case file must be a regular file"))
    return problems


T = TypeVar("T")


def _transaction(store: "CaseStore", work: Callable[[], T]) -> T:
    con = store.con
    if getattr(store, "_fc_ingest_tx", False):  # inside the ingest's own transaction: it decides
        return work()
    con.execute("BEGIN TRANSACTION")
    try:
        result = work()
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return result


class _Rollback(Exception):
    def __init__(self, problems: list[Problem], rows: int = 0) -> None:
        self.problems = problems
        self.rows = rows


def ingest_case(folder: Path | str, store: "CaseStore", quiet: bool = True, engine: Engine | None = None,
                quarantine: bool = False) -> IngestSummary:
    """Validate a case folder and load it into ``store``.

    Parameters
    ----------
    folder
        The case folder (see docs/case-format.md). It may be read-only.
    store
        The case store to fill (:class:`fusioncell.store.CaseStore`).
    quiet
        When False, report progress per file on stderr.
    engine
        Where relational steps run; default DuckDB inside the store.

    Returns
    -------
    IngestSummary
        Per file: ingested, unchanged (same content hash) or removed.

    Raises
    ------
    PolicyViolation
        case.toml names no legal authority; nothing is ingested.
    InvalidCase
        Every problem of every bad file, each with file, line and column.
        Good files are committed; a bad file commits nothing.

    Examples
    --------
    >>> from fusioncell.store import CaseStore
    >>> from fusioncell.ingest import example_case
    >>> s = ingest_case(example_case(), CaseStore.memory())
    >>> s.rows("comms.csv") > 0
    True
    """
    t0 = time.perf_counter()
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a case folder")
    odd = check_case_files(folder, FILE_TABLES)
    if odd:
        raise InvalidCase(odd)
    missing = [f for f in REQUIRED if not (folder / f).is_file()]
    if missing:
        raise InvalidCase([Problem(f, None, None, f"required file {f} is missing from {folder}") for f in missing])
    toml = casefile.read_case_toml(folder / "case.toml")
    eng: Engine = engine if engine is not None else DuckDBEngine(store.con)
    con = store.con
    # Bound DuckDB's memory while ingesting (a staged file larger than the budget spills to DuckDB's temp
    # directory): env FUSIONCELL_INGEST_MEMORY_LIMIT, else the store's own budget (FUSIONCELL_MEMORY_LIMIT,
    # 4 GB). It was 1 GB until session 31: a 10M-row file then spilled its staged table and every later pass
    # read it back (0.33x raw DuckDB; at 4 GB 0.37x, peak RSS 2.35 GB: docs/benchmarks.md, "Ingest, session 31").
    old_limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
    con.execute(f"SET memory_limit = '{_memory_limit('FUSIONCELL_INGEST_MEMORY_LIMIT', _memory_limit())}'")
    try:
        return _atomic(store, lambda: _ingest(folder, store, toml, eng, quiet, t0, quarantine))
    finally:
        if old_limit:
            con.execute(f"SET memory_limit = '{old_limit[0]}'")


def _atomic(store: "CaseStore", work: Callable[[], T]) -> T:
    """One ingest, one transaction: any problem in any file leaves the store exactly as it was.

    (Before, each file committed on its own, so a failure in the fourth file
    left the first three loaded and ``locate`` ran on part of a delivery.)
    """
    con = store.con
    con.execute("BEGIN TRANSACTION")
    setattr(store, "_fc_ingest_tx", True)
    try:
        result = work()
    except BaseException:
        setattr(store, "_fc_ingest_tx", False)
        con.execute("ROLLBACK")
        raise
    setattr(store, "_fc_ingest_tx", False)
    con.execute("COMMIT")
    return result


def _ingest(folder: Path, store: "CaseStore", toml: casefile.CaseToml, eng: Engine, quiet: bool,
            t0: float, quarantine: bool = False) -> IngestSummary:
    con = store.con
    logged = dict(con.execute(
        "SELECT file, arg_max(sha256, ingested_at) FROM ingest_log GROUP BY file"
    ).fetchall())
    outcomes: list[FileOutcome] = []
    failed: set[str] = set()  # kinds with a failed file
    run_id: str | None = None

    def say(msg: str) -> None:
        if not quiet:
            print(msg, file=sys.stderr)

    files = case_files(folder)
    facts = _facts(store, folder, [f for fs in files.values() for f in fs])
    shape = shape_problems({f: x for f, x in facts.items() if f != "case.toml"}, folder)
    if shape:
        raise InvalidCase(shape)
    plan = plan_deliveries(files, facts, logged)
    redone = any(plan.removed.values())  # (a dict of every kind: bool() of it was always true)
    for kind, tables in FILE_TABLES.items():
        for file in plan.removed.get(kind, ()):
            _clear(store, kind, file)
            outcomes.append(FileOutcome(file, "removed"))
        if not files[kind] and not plan.removed.get(kind):
            outcomes.append(FileOutcome(kind, "absent"))
        for file in files[kind]:
            t1 = time.perf_counter()
            if any(u in failed for u in UPSTREAM[kind]):
                outcomes.append(FileOutcome(file, "skipped"))
                continue
            if file not in plan.load:
                outcomes.append(FileOutcome(file, "unchanged"))
                continue
            if run_id is None:
                run_id = store.new_run("ingest", {"folder": str(folder.resolve()), "engine": eng.name})
            say(f"ingesting {file} …")
            digest = facts[file].sha256
            run = run_id

            def work() -> int:
                if file in logged:  # a new delivery has no rows to clear (appends stay proportional to the day)
                    _clear(store, kind, file)
                with _row_default(con, tables if kind in MULTI else (), file):
                    n = _ingest_file(file, folder / file, toml, store, eng, facts[file], quarantine, run, kind)
                _log_delivery(store, kind, folder / file, digest, n, run, first=logged.get(file) != digest)
                return n

            try:
                rows = _transaction(store, work)
            except _Rollback as rb:
                failed.add(kind)
                outcomes.append(FileOutcome(file, "failed", rb.rows, time.perf_counter() - t1, rb.problems))
                if _aborted(con):  # a DuckDB error aborted the ingest's transaction: nothing more can run
                    raise InvalidCase(rb.problems) from None
                continue
            finally:
                eng.drop_staged()
            redone = True
            outcomes.append(FileOutcome(file, "ingested", rows, time.perf_counter() - t1))
            say(f"  {file}: {rows:,} rows in {time.perf_counter() - t1:.1f} s")

    if redone:
        appended = [f for f in plan.load if f not in logged and kind_of(f) in MULTI]
        if not any(plan.removed.values()) and len(appended) == len(plan.load) and not failed:
            # only new deliveries: merge their identifiers (proportional to the day, not the store)
            _transaction(store, lambda: extend_identifiers(store, eng, sorted(appended)))
        else:
            _transaction(store, lambda: rebuild_identifiers(store, eng))
        eng.drop_staged()
    if run_id is not None and not failed:
        from fusioncell.ingest.flags import flag_rows

        _transaction(store, lambda: flag_rows(store, run_id))
    fired = _evaluate_watches(store, run_id) if run_id is not None and not failed else []
    summary = IngestSummary(toml.case_id, str(store.path), outcomes, time.perf_counter() - t0, eng.name,
                            run_id=run_id, alerts=fired)
    if redone:
        summary.other_schemes = other_schemes(store)
    if run_id is not None and store.has_table("rejects"):
        row = con.execute("SELECT count(*) FROM rejects WHERE ingest_run = ?", [run_id]).fetchone()
        summary.quarantined = int(row[0]) if row else 0
    problems = [p for f in outcomes for p in f.problems]
    if problems:
        raise InvalidCase(problems)
    return summary


def _evaluate_watches(store: "CaseStore", run_id: str) -> list[Any]:
    """Standing watches on the rows first loaded by this run (inside the ingest's transaction)."""
    if not store.has_table("watches"):
        return []
    from fusioncell.watch.alerts import evaluate_watches

    new = [d.delivery_id for d in deliveries(store, run_id) if d.first_load and d.kind in MULTI]
    return _transaction(store, lambda: evaluate_watches(store, new, run_id))


#: Kinds of case file that may arrive as several deliveries: ``comms.csv`` and/or
#: ``comms-LABEL.csv`` (LABEL: a letter or digit, then letters, digits, ``.``, ``_``, ``-``;
#: typically the delivery date, ``comms-2026-02-01.csv``).
MULTI = ("comms.csv", "locations.csv", "sightings.csv", "reports.jsonl")


def _label_re(kind: str) -> re.Pattern[str]:
    stem, ext = kind.rsplit(".", 1)
    return re.compile(rf"{re.escape(stem)}-[A-Za-z0-9][A-Za-z0-9._-]*\.{re.escape(ext)}")


_LABELLED = {k: _label_re(k) for k in MULTI}


def kind_of(file: str) -> str | None:
    """The kind of case file a file name is (``comms-2026-02-01.csv`` → ``comms.csv``), or None."""
    if file in FILE_TABLES:
        return file
    return next((k for k, rx in _LABELLED.items() if rx.fullmatch(file)), None)


def case_files(folder: Path) -> dict[str, list[str]]:
    """The case files of a folder by kind: the plain file first, then labelled deliveries by name."""
    names = sorted(os.listdir(folder))
    return {kind: ([kind] if kind in names else []) + [n for n in names if kind in _LABELLED
                                                        and _LABELLED[kind].fullmatch(n)]
            for kind in FILE_TABLES}


@dataclass(frozen=True)
class DeliveryPlan:
    """Which files an ingest loads, and which earlier deliveries left the folder."""

    load: frozenset[str]
    removed: dict[str, list[str]]


def plan_deliveries(files: dict[str, list[str]], facts: dict[str, FileFacts],
                    logged: dict[str, str]) -> DeliveryPlan:
    """New or changed files load; everything of a kind loads again when a file it depends on does.

    A labelled delivery (``comms-2026-02-01.csv``) is immutable once loaded:
    changed content is refused, naming the file. The plain file of a kind
    (``comms.csv``) is the analyst's working copy and is reloaded when it changes.
    """
    changed = [Problem(f, None, None, f"{f} was loaded before with other content (sha256 {logged[f][:12]}…, now "
                                      f"{facts[f].sha256[:12]}…); a delivery is never changed: put corrections "
                                      "in a new file, or remove it and ingest again")
               for fs in files.values() for f in fs
               if f in logged and f != kind_of(f) and logged[f] != facts[f].sha256]
    if changed:
        raise InvalidCase(changed)
    present = {f for fs in files.values() for f in fs}
    removed = {k: [f for f in sorted(logged) if kind_of(f) == k and f not in present] for k in FILE_TABLES}
    need = {f: facts[f].sha256 != logged.get(f) for f in present}
    redo = {k: any(need[f] for f in files[k]) or bool(removed[k]) for k in FILE_TABLES}
    while True:  # a kind is redone when a kind it depends on is redone
        grown = {k: redo[k] or any(redo[u] for u in UPSTREAM[k]) for k in FILE_TABLES}
        if grown == redo:
            break
        redo = grown
    load = {f for k, fs in files.items() for f in fs if need[f] or any(redo[u] for u in UPSTREAM[k])}
    return DeliveryPlan(frozenset(load), removed)


def _aborted(con: "duckdb.DuckDBPyConnection") -> bool:
    """True when the open transaction was aborted by an error (every statement now fails)."""
    try:
        con.execute("SELECT 1").fetchone()
    except duckdb.Error:
        return True
    return False


@contextmanager
def _row_default(con: "duckdb.DuckDBPyConnection", tables: Iterable[str], file: str) -> Iterator[None]:
    """Rows inserted meanwhile into ``tables`` get ``delivery_id = file`` (a column default: no extra pass)."""
    tables = [t for t in tables if t in DELIVERY_TABLES]
    lit = "'" + file.replace("'", "''") + "'"
    for t in tables:
        con.execute(f"ALTER TABLE {t} ALTER COLUMN delivery_id SET DEFAULT {lit}")
    try:
        yield
    except BaseException:
        for t in tables:  # the transaction may be aborted (a DuckDB error): the rollback undoes the default
            try:
                con.execute(f"ALTER TABLE {t} ALTER COLUMN delivery_id DROP DEFAULT")
            except duckdb.Error:
                break
        raise
    for t in tables:
        con.execute(f"ALTER TABLE {t} ALTER COLUMN delivery_id DROP DEFAULT")


def _log_delivery(store: "CaseStore", kind: str, path: Path, digest: str, rows: int, run_id: str,
                  first: bool) -> None:
    now = datetime.now(timezone.utc)
    con = store.con
    con.execute("INSERT INTO ingest_log (file, sha256, rows, ingested_at, run_id) VALUES (?, ?, ?, ?, ?)", [path.name, digest, rows, now, run_id])
    quarantined = 0
    if store.has_table("rejects"):
        quarantined = int(con.execute("SELECT count(*) FROM rejects WHERE file = ? AND ingest_run = ?",
                                      [path.name, run_id]).fetchall()[0][0])
    con.execute("INSERT INTO deliveries (delivery_id, kind, path, sha256, rows, quarantined, ingest_run, "
                "loaded_at, first_load) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [path.name, kind, str(path.resolve()), digest, rows, quarantined, run_id, now, first])


@dataclass(frozen=True, slots=True)
class Delivery:
    """One loaded case file (a row of the ``deliveries`` table)."""

    delivery_id: str
    kind: str
    path: str
    sha256: str
    rows: int
    quarantined: int
    ingest_run: str
    loaded_at: datetime
    #: False when the same content was loaded before and only reloaded because a file it depends on changed.
    first_load: bool


def deliveries(store: "CaseStore", ingest_run: str | None = None) -> list[Delivery]:
    """The deliveries in the store (those one ingest run loaded, when ``ingest_run`` is given)."""
    sql = ("SELECT delivery_id, kind, path, sha256, rows, quarantined, ingest_run, loaded_at, first_load "
           "FROM deliveries")
    args: list[object] = []
    if ingest_run is not None:
        sql += " WHERE ingest_run = ?"
        args.append(ingest_run)
    return [Delivery(*r) for r in store.con.execute(sql + " ORDER BY loaded_at, delivery_id", args).fetchall()]


#: Rows of these tables that did not come from a case file (``line`` is NULL, e.g.
#: a partner's STIX bundle added by ``fusioncell import``) survive a re-ingest.
_OWN_ROWS = {
    "claims": "report_id IN (SELECT report_id FROM reports WHERE line IS NOT NULL)",
    "entity_identifiers": "entity_id IN (SELECT entity_id FROM entities WHERE line IS NOT NULL)",
    "case_info": "TRUE",
    "targets": "TRUE",
}


def _clear(store: "CaseStore", kind: str, file: str) -> None:
    """Delete what an earlier ingest of ``file`` wrote (only rows from case files)."""
    if kind == "comms.csv":
        forget_delivery(store.con, file)
    for table in FILE_TABLES[kind]:
        if kind in MULTI:
            store.con.execute(f"DELETE FROM {table} WHERE delivery_id = ?", [file])
        else:
            store.con.execute(f"DELETE FROM {table} WHERE {_OWN_ROWS.get(table, 'line IS NOT NULL')}")
    store.con.execute("DELETE FROM ingest_log WHERE file = ?", [file])
    store.con.execute("DELETE FROM deliveries WHERE delivery_id = ?", [file])
    store.con.execute("DELETE FROM raw_time_offsets WHERE delivery_id = ?", [file])
    if store.has_table("rejects"):
        store.con.execute("DELETE FROM rejects WHERE file = ?", [file])


def _entity_ids(store: "CaseStore") -> frozenset[str]:
    return frozenset(r[0] for r in store.con.execute("SELECT entity_id FROM entities").fetchall())


def _ingest_file(file: str, path: Path, toml: casefile.CaseToml, store: "CaseStore", eng: Engine,
                 facts: FileFacts, quarantine: bool = False, run_id: str | None = None,
                 kind: str | None = None) -> int:
    """Ingest one file (of ``kind``, default its name) inside the current transaction; raise _Rollback on problems."""
    con = store.con
    kind = kind or file
    try:
        return _ingest_kind(kind, file, path, toml, store, eng, facts, quarantine, run_id)
    except duckdb.ConstraintException as exc:  # e.g. a report_id already loaded from another delivery
        raise _Rollback([Problem(file, None, None, "a row repeats a key already in the store "
                                                   f"({str(exc).splitlines()[0][:200]})")]) from None


def _ingest_kind(kind: str, file: str, path: Path, toml: casefile.CaseToml, store: "CaseStore", eng: Engine,
                 facts: FileFacts, quarantine: bool, run_id: str | None) -> int:
    con = store.con

    def sink(table: str, batch: pa.Table) -> None:
        con.register("_fc_batch", batch)
        try:
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _fc_batch")
        finally:
            con.unregister("_fc_batch")

    if kind == "case.toml":
        ids = _entity_ids(store)
        problems = [
            Problem(file, toml.target_lines.get(t) or None, "entity_id",
                    f"target {t!r} is not an entity in entities.jsonl")
            for t in toml.targets if t not in ids
        ]
        if toml.agencies is not None:  # a case.toml that now declares agencies re-checks the loaded sources
            problems += undeclared_agencies(store, toml.agencies)
        if problems:
            raise _Rollback(problems)
        con.execute(
            "INSERT INTO case_info (case_id, title, owner_agency, legal_authority, timezone, phone_region, raw_toml) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [toml.case_id, toml.title, toml.owner_agency, toml.legal_authority, toml.timezone,
             toml.phone_region, toml.raw_toml],
        )
        for t in toml.targets:
            con.execute("INSERT INTO targets (entity_id) VALUES (?)", [t])
        return len(toml.targets)
    if kind == "entities.jsonl":
        res = read_entities(path, file, toml.phone_region, sink, quarantine)
        if res.problems:
            raise _Rollback(res.problems)
        if res.quarantined:
            store_rejects(store, path, res.quarantined, run_id)
        return res.rows
    if kind == "reports.jsonl":
        srcs = {r[0]: (r[1], r[2]) for r in con.execute("SELECT source_id, agency, reliability FROM sources").fetchall()}
        norm = IdNormalizer(toml.phone_region, _entity_ids(store))
        rres = read_reports(path, file, srcs, norm, sink, quarantine)
        if rres.problems:
            raise _Rollback(rres.problems)
        if rres.quarantined:
            store_rejects(store, path, rres.quarantined, run_id)
        return rres.rows
    spec = _spec(kind)
    if file != kind:
        spec = replace(spec, file=file)
    normalizer = None if spec is SOURCES else IdNormalizer(toml.phone_region, _entity_ids(store))
    known = None if spec is SOURCES else {r[0] for r in con.execute("SELECT source_id FROM sources").fetchall()}
    result = read_csv_file(path, spec, eng, normalizer, known, facts.mixed_newlines, facts.blank_lines,
                           quarantine=quarantine and spec is not SOURCES, padded=facts.padded,
                           quoted=facts.quoted, plain_numbers=facts.plain_numbers,
                           short_numbers=facts.short_numbers, lines=facts.lines)
    if result.problems or result.rows is None:
        raise _Rollback(result.problems, result.n_records)
    if result.quarantined:
        store_rejects(store, path, result.quarantined, run_id)
    if spec is not SOURCES:
        note_time_offset(con, file, result.time_offset)
    n = eng.insert(con, spec.table, result.rows, key=result.key)
    if spec.table == "comms":  # the delivery's activity per identifier, for the resolve stage (issue #13)
        record_delivery(con, file, n)
    if spec.table == "sources" and toml.agencies is not None:
        undeclared = undeclared_agencies(store, toml.agencies, file)
        if undeclared:
            raise _Rollback(undeclared, n)
    return n


def other_schemes(store: "CaseStore") -> list[tuple[str, int]]:
    """Schemes of the store's identifiers that the case format does not list (``vehicle:…``), most used
    first, with the number of distinct identifiers in each (kept as given: identifiers.OTHER_SCHEME)."""
    from fusioncell.model.identifiers import OTHER_SCHEME_SQL_RE, SCHEMES

    if not store.has_table("identifiers"):
        return []
    return [(str(s), int(n)) for s, n in store.con.execute(
        f"""SELECT split_part(identifier, ':', 1) AS s, count(*) AS n FROM identifiers
            WHERE identifier NOT LIKE '+%' AND regexp_matches(identifier, '{OTHER_SCHEME_SQL_RE}')
              AND split_part(identifier, ':', 1) NOT IN ({', '.join(repr(x) for x in SCHEMES)})
              AND identifier NOT IN (SELECT entity_id FROM entities)
            GROUP BY s ORDER BY n DESC, s""").fetchall()]


def undeclared_agencies(store: "CaseStore", declared: Iterable[str], file: str = "sources.csv") -> list[Problem]:
    """Agency codes in sources.csv (``agency``, ``releasable_to``) that case.toml's ``agencies`` does not list.

    A typo ("PARTNR-US") would otherwise make a source releasable to an agency that does not exist, and
    ``share --to PARTNR-US`` would find it.
    """
    names = sorted(set(declared))
    rows = store.con.execute(
        """
        SELECT line, 'agency' AS col, agency AS code FROM sources WHERE NOT list_contains($d, agency)
        UNION ALL
        SELECT line, 'releasable_to', code FROM (SELECT line, unnest(releasable_to) AS code FROM sources)
        WHERE NOT list_contains($d, code)
        ORDER BY line, col
        """, {"d": names}).fetchall()
    return [Problem(file, line, col, f"agency {code!r} is not among the agencies case.toml declares "
                                     f"([case] agencies: {', '.join(names)})") for line, col, code in rows]


REJECTS_DDL = """CREATE TABLE IF NOT EXISTS rejects (
    file VARCHAR NOT NULL, line BIGINT, field VARCHAR, rule VARCHAR NOT NULL, raw VARCHAR,
    ingest_run VARCHAR, quarantined_at TIMESTAMPTZ NOT NULL)"""


def store_rejects(store: "CaseStore", path: Path, problems: list[Problem], run_id: str | None) -> None:
    """Keep each quarantined row whole and unchanged (its physical line), with the rule it broke."""
    want = {p.line for p in problems if p.line is not None}
    raw: dict[int, str] = {}
    with path.open("rb") as fh:  # the quarantine path only: one pass to copy the bad lines verbatim
        for n, data in enumerate(fh, 1):
            if n in want:
                raw[n] = data.rstrip(b"\r\n").decode("utf-8", errors="replace")
    now = datetime.now(timezone.utc)
    store.con.execute(REJECTS_DDL)
    store.con.executemany(
        "INSERT INTO rejects (file, line, field, rule, raw, ingest_run, quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [[p.file, p.line, p.column, p.message, raw.get(p.line) if p.line else None, run_id, now] for p in problems])


def rejects(store: "CaseStore") -> list[dict[str, object]]:
    """The quarantined rows of the case, oldest first."""
    if not store.has_table("rejects"):
        return []
    cur = store.con.execute("SELECT file, line, field, rule, raw, ingest_run, quarantined_at FROM rejects "
                            "ORDER BY quarantined_at, file, line")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _spec(file: str) -> CsvSpec:
    for spec in (SOURCES, *OBSERVATION_SPECS):
        if spec.file == file:
            return spec
    raise KeyError(file)  # pragma: no cover
