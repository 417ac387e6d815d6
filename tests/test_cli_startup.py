"""What a command pays before its analysis starts (net18, issue #13's `rest` stage).

* The garbage collector stays out of a command's start: loading its modules made a few hundred thousand
  objects that all live on, and at CPython's default pace (a young collection every 700 net allocations)
  the collector scanned them ~120 times before a `network` run opened its store (0.04-0.08 CPU s, freeing
  nothing to speak of). Once the command has what it needs loaded (it opens its case) the objects are frozen
  and the collector is back at the default pace, so the analysis runs as before.
* Opening a store lists its tables once and creates only the missing ones.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from casefolder import CaseFolder, at
from probe import run_python

from fusioncell.ingest.pipeline import ingest_case
from fusioncell.store import CaseStore
from fusioncell.store.schema import TABLES, ddl

A, B = "+523311110001", "+523311110002"

#: runs `fusioncell network --focus A` in a fresh interpreter, counting the collector's runs from `main` until
#: the store is opened, and what the collector looks like afterwards
PROBE = """
import gc, json, sys
from fusioncell.cli import main
import fusioncell.store.store as st

runs, at_open = [0], []
gc.callbacks.append(lambda phase, info: phase == "start" and runs.__setitem__(0, runs[0] + 1))
opener = st.CaseStore.open.__func__
def counted(cls, *a, **k):
    at_open.append(runs[0])
    return opener(cls, *a, **k)
st.CaseStore.open = classmethod(counted)
before = gc.get_threshold()
sys.argv = ["fusioncell", "network", sys.argv[1], "--focus", sys.argv[2], "--format", "json"]
try:
    main()
except SystemExit:
    pass
print(json.dumps({"at_open": at_open, "before": before, "after": gc.get_threshold(),
                  "frozen": gc.get_freeze_count()}), file=sys.stderr)
"""


def _case_store(tmp_path: Path) -> Path:
    f = CaseFolder()
    f.source("cdr", "SIGINT")
    for d in range(3):
        f.call(A, B, at(d, 10), duration_s=60)
    store = tmp_path / "case.duckdb"
    with CaseStore.open(store) as cs:
        ingest_case(f.write(tmp_path / "case"), cs)
    return store


def test_the_collector_stays_out_of_a_commands_start_and_is_back_for_its_analysis(tmp_path: Path) -> None:
    store = _case_store(tmp_path)
    out = run_python(PROBE, str(store), A, cwd=tmp_path)
    assert [c["identifier"] for c in json.loads(out.stdout)["close_circle"]] == [B]  # the command ran
    seen = json.loads(out.stderr.strip().splitlines()[-1])
    # from `main` to the store's opening: igraph, the argument parser (pydantic), DuckDB, pyarrow, numpy and the
    # network modules load. At the default pace that was dozens of collections; now at most one
    assert len(seen["at_open"]) == 1 and seen["at_open"][0] <= 1
    assert seen["after"] == seen["before"]  # the analysis collects at the pace it always had
    assert seen["frozen"] > 10_000  # what the start loaded is frozen: no later collection scans it


def test_a_light_command_loads_no_heavy_library() -> None:
    """`fusioncell --help` (and so the start of every command) imports none of the libraries that only some
    commands use: they load inside the commands that need them."""
    probe = ("import json, sys\nfrom fusioncell.cli import main\nsys.argv = ['fusioncell', '--help']\ntry:\n"
             "    main()\nexcept SystemExit:\n    pass\n"
             "heavy = ('pyspark', 'fastapi', 'uvicorn', 'stix2', 'followthemoney', 'ibis', 'sqlglot', 'splink', "
             "'pandas', 'matplotlib', 'jinja2', 'pyarrow', 'duckdb', 'pydantic')\n"
             "print(json.dumps([m for m in heavy if m in sys.modules]), file=sys.stderr)")
    out = run_python(probe)
    assert "network" in out.stdout  # the help was printed
    assert json.loads(out.stderr.strip().splitlines()[-1]) == []


def test_the_statements_that_create_tables_skip_the_tables_a_store_has() -> None:
    names = list(TABLES)
    assert len(ddl()) == len(names) and ddl(skip=set(names)) == []
    only = ddl(skip=set(names) - {"runs"})
    assert len(only) == 1 and only[0].startswith("CREATE TABLE IF NOT EXISTS runs (")


def test_a_store_missing_a_table_gets_it_back_on_open_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with CaseStore.open(path) as cs:
        cs.con.execute("INSERT INTO store_meta (key, value) VALUES ('note', 'kept')")
        cs.con.execute("DROP TABLE runs")
        assert not cs.has_table("runs")
    with CaseStore.open(path) as cs:
        assert cs.has_table("runs") and cs.table_names() >= set(TABLES)
        assert cs.con.execute("SELECT value FROM store_meta WHERE key = 'note'").fetchall() == [("kept",)]
        assert cs.schema_version() == cs.schema_version(cs.table_names())


def test_main_leaves_the_collector_as_it_found_it_when_no_case_was_opened(monkeypatch: pytest.MonkeyPatch,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Called in a process that goes on (a test, a notebook), `main` restores the collector's pace even when
    the command stopped before opening a case."""
    import gc

    from fusioncell.cli import main

    before = gc.get_threshold()
    monkeypatch.setattr(sys, "argv", ["fusioncell", "simulate", "/nonexistent/x", "--difficulty", "extreme"])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2 and "difficulty" in capsys.readouterr().err
    assert gc.get_threshold() == before
