"""Connection settings every case store gets, whichever way it is opened."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
from fusioncell.store import CaseStore
for store in (CaseStore.open(sys.argv[1]), CaseStore.memory()):
    with store:
        print(store.con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0], file=sys.stderr)
"""


def test_store_never_draws_duckdb_progress_bars_on_stdout(tmp_path: Path) -> None:
    # DuckDB prints its bar to stdout (not stderr) once a query passes 2 s, into a pipe too:
    # stdout of `locate --format json` must hold the JSON and nothing else (cli-contract).
    # A child process, because under pytest's capture DuckDB starts with the bar off anyway.
    r = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "case.duckdb")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr.split() == ["False", "False"]
    assert r.stdout == ""
