"""What `fusioncell network --focus` imports (net12, issue #13): neither pandas, matplotlib nor Ibis.

igraph's drawing modules import ``matplotlib.pyplot`` (0.37 s) and pyarrow imports
pandas (0.2 s) the first time it turns a zoned timestamp or any column into
numpy, and the store's engine module imported Ibis (0.15 s) for the named
plans' sake; the command needs none of them. :func:`fusioncell.store.derived.pylist` gives
the rows ``to_pylist`` gives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
from casefolder import CaseFolder, at

from fusioncell.ingest.pipeline import ingest_case
from fusioncell.store import CaseStore
from fusioncell.store.derived import pylist

A, B, C = "+523311110001", "+523311110002", "+523311110003"

PROBE = """
import json, sys
from fusioncell.cli import main
sys.argv = ["fusioncell", "network", sys.argv[1], "--focus", sys.argv[2], "--format", "json"]
try:
    main()
except SystemExit:
    pass
print(json.dumps({m: m in sys.modules for m in ("igraph", "pandas", "matplotlib", "matplotlib.pyplot", "ibis")}), file=sys.stderr)
"""


def test_the_network_command_imports_neither_pandas_matplotlib_nor_ibis(tmp_path: Path) -> None:
    f = CaseFolder()
    f.source("cdr", "SIGINT")
    for d in range(3):
        f.call(A, B, at(d, 10), duration_s=60)
        f.call(B, C, at(d, 12), duration_s=30)
    store = tmp_path / "case.duckdb"
    with CaseStore.open(store) as cs:
        ingest_case(f.write(tmp_path / "case"), cs)
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", PROBE, str(store), A], capture_output=True, text=True, env=env,
                         cwd=tmp_path, check=True)
    assert [c["identifier"] for c in json.loads(out.stdout)["close_circle"]] == [B]
    loaded = json.loads(out.stderr.strip().splitlines()[-1])
    assert loaded == {"igraph": True, "pandas": False, "matplotlib": False, "matplotlib.pyplot": False, "ibis": False}


def test_pylist_gives_the_rows_to_pylist_gives() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    tbl = con.sql("SELECT * FROM (VALUES (TIMESTAMPTZ '2026-02-01 05:06:07.123456+00', 'x', TIMESTAMP '2026-01-01'),"
                  " (NULL, 'y', NULL)) t(t, s, n)").to_arrow_table()
    got = pylist(tbl)
    assert got == tbl.to_pylist()
    assert got[0]["t"].isoformat() == "2026-02-01T05:06:07.123456+00:00" and got[1]["t"] is None
    assert repr(got[0]["t"].tzinfo) == repr(tbl.to_pylist()[0]["t"].tzinfo)
