"""The error paths of a CSV file: the rows behind every failed check, placed by their file line.

Only reached when the one aggregate pass of :func:`fusioncell.ingest.csvfiles.read_csv_file` counted a failed
check, a repeated key or a record the reader refused: strict mode lists the problems (at most
:data:`MAX_PROBLEMS`), ``--quarantine`` sets every bad row aside.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

import ibis
import ibis.expr.types as ir

from fusioncell.errors import Problem
from fusioncell.ingest.csvlines import record_lines
from fusioncell.store.engine import ROW_COL, Engine

if TYPE_CHECKING:  # pragma: no cover
    from fusioncell.ingest.csvfiles import Check, CsvSpec

#: At most this many problems are listed per file; the rest are counted.
MAX_PROBLEMS = 1000


def quarantine_rows(path: Path, spec: CsvSpec, engine: Engine, t: ir.Table,
                    build: Callable[[ir.Table, bool], list[tuple[Check, ir.Table]]], dups: bool,
                    rejects: list[tuple[int, str | None, str]]) -> tuple[list[int], list[Problem]]:
    """Every row that breaks a rule, as a problem on its file line (quarantine: nothing is capped)."""
    hits: dict[int, tuple[str | None, str, int | None]] = {}
    for ck, tbl in build(t, dups):
        bad = tbl.filter(ck.bad)
        sel = bad.select(_r=bad[ROW_COL], _m=ck.message,
                         _ref=ck.ref_row if ck.ref_row is not None else ibis.null().cast("int64"))
        for r in engine.to_arrow(sel.order_by("_r")).to_pylist():
            hits.setdefault(int(r["_r"]), (ck.column, str(r["_m"]), r["_ref"]))
    lines = record_lines(path, set(hits) | {int(h[2]) for h in hits.values() if h[2] is not None},
                         [r[0] for r in rejects]) if hits else {}
    out = [Problem(spec.file, line, column, message) for line, column, message in rejects]
    for row, (column, message, ref) in sorted(hits.items()):
        if ref is not None:
            message = message.replace("{ref}", str(lines.get(int(ref), int(ref) + 2)))
        out.append(Problem(spec.file, lines.get(row, row + 2), column, message))
    return sorted(hits), out


def problem_rows(path: Path, spec: CsvSpec, engine: Engine, t: ir.Table,
                 build: Callable[[ir.Table, bool], list[tuple[Check, ir.Table]]],
                 counts: dict[str, int], dups: bool, rejects: list[tuple[int, str | None, str]]) -> list[Problem]:
    """Fetch the rows behind every failed check (error path only) and place them by line."""
    checks = build(t, dups)
    hits: list[tuple[int, str | None, str, int | None]] = []
    budget = MAX_PROBLEMS + 1
    overflow = 0
    for i, (ck, tbl) in enumerate(checks):
        key = f"c{i}"
        if key in counts and not counts[key]:
            continue
        bad = tbl.filter(ck.bad)
        sel = bad.select(
            _r=bad[ROW_COL],
            _m=ck.message,
            _ref=ck.ref_row if ck.ref_row is not None else ibis.null().cast("int64"),
        )
        n_bad = counts.get(key)
        if n_bad is None:
            n_bad = int(engine.to_arrow(sel.aggregate(n=sel["_r"].count())).to_pylist()[0]["n"])
            if not n_bad:
                continue
        fetched = engine.to_arrow(sel.order_by("_r").limit(budget)).to_pylist()
        overflow += max(0, int(n_bad) - len(fetched))
        hits += [(int(r["_r"]), ck.column, str(r["_m"]), r["_ref"]) for r in fetched]
    problems = [Problem(spec.file, line, column, message) for line, column, message in rejects]
    if hits:
        want = {h[0] for h in hits} | {int(h[3]) for h in hits if h[3] is not None}
        lines = record_lines(path, want, [r[0] for r in rejects])
        for row, column, message, ref in hits:
            if ref is not None:
                message = message.replace("{ref}", str(lines.get(int(ref), int(ref) + 2)))
            problems.append(Problem(spec.file, lines.get(row, row + 2), column, message))
    problems.sort(key=lambda p: (p.line or 0, p.column or ""))
    extra = len(problems) - MAX_PROBLEMS + overflow
    if extra > 0:
        problems = problems[:MAX_PROBLEMS]
        problems.append(Problem(spec.file, None, None, f"… and {extra} more problems not listed"))
    return problems
