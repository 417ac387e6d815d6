"""After an append, info says which derived results are current and which were built before the new delivery."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from casefolder import CaseFolder, at
from fusioncell.cli import app
from fusioncell.ingest import ingest_case
from fusioncell.ingest.freshness import derived_status
from fusioncell.network.api import contact_ties
from fusioncell.spacetime.analysis import compute
from fusioncell.store import CaseStore

T, P = "+523311110001", "+523322220002"
HOME = (20.67, -103.35)


def _status(cs: CaseStore) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {s.table: (s.status, s.missing) for s in derived_status(cs)}


def test_an_append_marks_cached_results_stale_until_the_next_command_rebuilds_them(tmp_path: Path) -> None:
    c = CaseFolder()
    c.source("cdr", "SIGINT")
    c.source("geo", "GEOINT")
    for day in range(3):
        c.call(T, P, at(day, 21), cell=HOME)
        c.fix(T, at(day, 22), *HOME)
    folder = c.write(tmp_path / "case")
    path = tmp_path / "case.duckdb"
    with CaseStore.open(path) as cs:
        ingest_case(folder, cs)
        ties = contact_ties(cs, level="identifier").to_pylist()
        compute(cs)
        assert ties[0]["n_events"] == 3
        st = _status(cs)
        assert st["net_ties_identifier"] == ("current", ()) and st["st_stays"] == ("current", ())
        assert st["identifiers"] == ("current", ())
    c.call(P, T, at(3, 21), cell=HOME)
    c.deliver(folder, "d1")
    with CaseStore.open(path) as cs:
        ingest_case(folder, cs)
        st = _status(cs)
        # built before the day's calls: stale, naming the delivery they have not seen
        assert st["net_ties_identifier"] == ("stale", ("comms-d1.csv",))
        assert st["st_stays"] == ("stale", ("comms-d1.csv",))
        assert st["identifiers"] == ("current", ()) and st["row_flags"] == ("current", ())
    r = CliRunner().invoke(app, ["info", str(path)])
    assert r.exit_code == 0, r.output
    assert "net_ties_identifier    stale: built before comms-d1.csv; recomputed by the next command" in r.stdout
    with CaseStore.open(path) as cs:
        # the next use rebuilds: never served stale
        assert contact_ties(cs, level="identifier").to_pylist()[0]["n_events"] == 4
        s = next(x for x in derived_status(cs) if x.table == "net_ties_identifier")
        assert s.status == "current" and "comms-d1.csv" in s.built_from
