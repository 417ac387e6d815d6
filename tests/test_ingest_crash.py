"""A crash or kill in the middle of an ingest leaves the store as it was before."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from fusioncell.ingest import example_case, ingest_case
from fusioncell.store import CaseStore
from fusioncell.store.engine import sweep_orphan_copies

# Ingest in a child process that SIGKILLs itself right after the INSERT of
# comms.csv ran inside its transaction (before COMMIT): the worst moment.
KILLER = r"""
import os, signal, sys
import fusioncell.store.engine as engine
from fusioncell.ingest import ingest_case
from fusioncell.store import CaseStore

orig = engine.DuckDBEngine.insert
def insert_then_die(self, con, table, expr, key=None):
    n = orig(self, con, table, expr, key)
    if table == "comms":
        sys.stdout.write("inserted %d\n" % n); sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return n
engine.DuckDBEngine.insert = insert_then_die
ingest_case(sys.argv[1], CaseStore.open(sys.argv[2]))
"""


def _state(path: Path) -> dict[str, object]:
    with CaseStore.open(path) as store:
        return {
            "comms": sorted(store.con.execute("SELECT event_id, caller, callee, start FROM comms").fetchall()),
            "log": sorted(store.con.execute("SELECT file, sha256 FROM ingest_log").fetchall()),
            "identifiers": sorted(store.con.execute("SELECT * FROM identifiers").fetchall()),
        }


def test_kill_during_ingest_leaves_the_store_as_before(tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(example_case(), case)
    db = tmp_path / "store.duckdb"
    with CaseStore.open(db) as store:
        ingest_case(case, store)
    before = _state(db)
    # change comms.csv: one more call; the killed ingest must not show it
    with (case / "comms.csv").open("a", encoding="utf-8") as fh:
        fh.write("c-9999,sigint-01,2026-02-21T10:00:00-06:00,60,call,33 1234 5678,+52 33 9999 0000,,,,,\n")
    # the killed child cannot remove its temporary files (a \n-only copy of a file with mixed line ends):
    # keep them in tmp_path, not in the machine's /tmp
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", KILLER, str(case), str(db)], capture_output=True, text=True, env=env)
    assert out.returncode == -9, out.stderr
    assert "inserted" in out.stdout  # it died after writing rows, before committing them
    assert _state(db) == before
    # its \n-only copy of comms.csv (mixed line ends) stayed behind; the next ingest sweeps it, not at once
    left = sorted(tmp_path.glob("fusioncell-*.csv"))
    assert len(left) == 1, left
    assert sweep_orphan_copies(tmp_path) == [] and left[0].exists()  # written just now: not yet judged
    os.utime(left[0], (left[0].stat().st_atime - 7200, left[0].stat().st_mtime - 7200))
    mine = tmp_path / f"fusioncell-{os.getpid()}-x.csv"  # a live process's copy (ours)
    mine.write_text("x")
    os.utime(mine, (mine.stat().st_atime - 7200, mine.stat().st_mtime - 7200))
    assert sweep_orphan_copies(tmp_path) == left and not left[0].exists() and mine.exists()
    # and the next ingest completes the job
    with CaseStore.open(db) as store:
        summary = ingest_case(case, store)
        assert [f.file for f in summary.files if f.status == "ingested"] == ["comms.csv"]
        assert store.con.execute("SELECT count(*) FROM comms WHERE event_id = 'c-9999'").fetchone() == (1,)


def test_an_exception_mid_file_rolls_the_whole_delivery_back() -> None:
    import pytest

    import fusioncell.store.engine as engine

    store = CaseStore.memory()
    orig = engine.DuckDBEngine.insert

    def boom(self, con, table, expr, key=None):  # type: ignore[no-untyped-def]
        n = orig(self, con, table, expr, key)
        if table == "locations":
            raise RuntimeError("disk full")
        return n

    engine.DuckDBEngine.insert = boom  # type: ignore[method-assign]
    try:
        with pytest.raises(RuntimeError):
            ingest_case(example_case(), store)
    finally:
        engine.DuckDBEngine.insert = orig  # type: ignore[method-assign]
    assert store.count("locations") == 0
    assert store.count("comms") == 0  # the delivery is one transaction: the files before it are gone too
    assert store.con.execute("SELECT count(*) FROM ingest_log").fetchone() == (0,)
