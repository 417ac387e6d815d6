"""What `fusioncell network --focus` imports (net12, issue #13): neither pandas, matplotlib nor Ibis.

igraph's drawing modules import ``matplotlib.pyplot`` (0.37 s) and pyarrow imports
pandas (0.2 s) the first time it turns a zoned timestamp or any column into
numpy, and the store's engine module imported Ibis (0.15 s) for the named
plans' sake; the command needs none of them. :func:`fusioncell.store.derived.pylist` gives
the rows ``to_pylist`` gives.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from casefolder import CaseFolder, at
from probe import run_python

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
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

#: loaded by main's `network` run and not needed by it (net15): the spacetime package imported all its modules
#: (stay points, places, routines: pyarrow.compute among them) for the network's one use of `spacetime.sighted`,
#: the report imported the GraphML/GEXF writers (xml.etree) with no file asked for, and burner successions'
#: rows cast their timestamps with pyarrow.compute
#: and (net18) phonenumbers: the focus is typed as the case writes it, so nothing parses a number
NOT_NEEDED = ("pyarrow.compute", "fusioncell.spacetime.analysis", "fusioncell.spacetime.staypoints",
              "fusioncell.spacetime.places", "fusioncell.spacetime.colocation", "fusioncell.spacetime.routines",
              "fusioncell.network.export", "xml.etree.ElementTree", "phonenumbers")


def _network_run(tmp_path: Path) -> tuple[dict[str, object], list[str]]:
    """Run `fusioncell network --focus A --format json` in a fresh interpreter: its JSON and its sys.modules."""
    f = CaseFolder()
    f.source("cdr", "SIGINT")
    for d in range(3):
        f.call(A, B, at(d, 10), duration_s=60)
        f.call(B, C, at(d, 12), duration_s=30)
    store = tmp_path / "case.duckdb"
    with CaseStore.open(store) as cs:
        ingest_case(f.write(tmp_path / "case"), cs)
    out = run_python(PROBE, str(store), A, cwd=tmp_path)
    lines = out.stderr.strip().splitlines()
    assert [c["identifier"] for c in json.loads(out.stdout)["close_circle"]] == [B]
    return json.loads(lines[-2]), json.loads(lines[-1])


def test_the_network_command_imports_neither_pandas_matplotlib_nor_ibis(tmp_path: Path) -> None:
    loaded, _ = _network_run(tmp_path)
    assert loaded == {"igraph": True, "pandas": False, "matplotlib": False, "matplotlib.pyplot": False, "ibis": False}


def test_the_network_command_imports_no_module_it_does_not_use(tmp_path: Path) -> None:
    _, modules = _network_run(tmp_path)
    assert "fusioncell.spacetime.sighted" in modules and "fusioncell.resolve.burner" in modules  # it ran them
    assert [m for m in NOT_NEEDED if m in modules] == []


def test_the_spacetime_package_names_are_its_functions_whatever_was_imported_first() -> None:
    """Lazy since net15: `places` and `positions` are both submodules and functions; the package's names stay
    the functions (as when the package imported everything), whichever submodule is imported first."""
    probe = ("import fusioncell.spacetime.places, fusioncell.spacetime.positions\n"
             "import fusioncell.spacetime as st\n"
             "from fusioncell.spacetime import compute, places, positions, StayParams\n"
             "import fusioncell.spacetime.analysis as an, fusioncell.spacetime.staypoints as sp\n"
             "print(callable(places), places is an.places, type(st.positions).__name__, StayParams is sp.StayParams,"
             " sorted(set(st.__all__) - set(dir(st))))")
    out = run_python(probe)
    assert out.stdout.split() == ["True", "True", "function", "True", "[]"]


def test_pylist_gives_the_rows_to_pylist_gives() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    tbl = con.sql("SELECT * FROM (VALUES (TIMESTAMPTZ '2026-02-01 05:06:07.123456+00', 'x', TIMESTAMP '2026-01-01'),"
                  " (NULL, 'y', NULL)) t(t, s, n)").to_arrow_table()
    got = pylist(tbl)
    assert got == tbl.to_pylist()
    assert got[0]["t"].isoformat() == "2026-02-01T05:06:07.123456+00:00" and got[1]["t"] is None
    assert repr(got[0]["t"].tzinfo) == repr(tbl.to_pylist()[0]["t"].tzinfo)


def test_pylist_on_several_chunks_and_zones() -> None:
    import pyarrow as pa

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    part = con.sql("SELECT TIMESTAMPTZ '2026-03-29 00:30:00+00' + INTERVAL (i) HOUR AS t, i FROM range(4) r(i)"
                   ).to_arrow_table()
    tbl = pa.concat_tables([part, part.slice(1, 2)])
    tbl = tbl.set_column(0, "t", tbl.column("t").cast(pa.timestamp("us", tz="Europe/Madrid")))
    assert tbl.column("t").num_chunks == 2
    got = pylist(tbl)
    assert got == tbl.to_pylist()
    assert [r["t"].isoformat() for r in got[:4]] == ["2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00",
                                                     "2026-03-29T04:30:00+02:00", "2026-03-29T05:30:00+02:00"]
