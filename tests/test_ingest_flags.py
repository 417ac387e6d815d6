"""Legal but odd rows (self-calls, zero durations, exact duplicates, fixes at 0,0) are kept, flagged, counted,
and do not bend the analyses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casefolder import CaseFolder, at
from fusioncell.cli import app
from fusioncell.ingest import ingest_case
from fusioncell.ingest.flags import flag_counts
from fusioncell.network.api import contact_ties
from fusioncell.spacetime.staypoints import stay_points
from fusioncell.store import CaseStore

T, P, C = "+523311110001", "+523322220002", "+523333330003"
HOME = (20.67, -103.35)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("flags")
    c = CaseFolder()
    c.source("cdr", "SIGINT")
    c.source("geo", "GEOINT")
    for day in range(3):
        c.call(T, P, at(day, 21), cell=HOME)
        c.fix(T, at(day, 22), *HOME)
    folder = c.write(root / "case")
    store = root / "case.duckdb"
    with CaseStore.open(store) as cs:
        ingest_case(folder, cs)
    c.call(T, T, at(3, 9))                      # self-call
    c.call(T, C, at(3, 10), duration_s=0)       # a call of 0 s
    c.add("comms.csv", source_id="cdr", start=at(3, 11).isoformat(), duration_s=0, channel="sms", caller=T, callee=C)
    c.call(T, P, at(0, 21), cell=HOME)          # day 0's call delivered again ...
    c.call(T, P, at(0, 21), cell=HOME)          # ... twice
    for k in range(7):                          # a handset reporting 0,0 every 30 min for 3 h
        c.fix(T, at(5, 1 + k / 2), 0.0, 0.0)
    c.deliver(folder, "d1")
    with CaseStore.open(store) as cs:
        ingest_case(folder, cs)
    return folder, store


def test_odd_rows_are_kept_and_each_flag_counted(case: tuple[Path, Path]) -> None:
    _, store = case
    with CaseStore.open(store) as cs:
        assert cs.count("comms") == 3 + 5 and cs.count("locations") == 3 + 7  # nothing dropped
        # the sms of 0 s is normal; both new copies of day 0's call are duplicates of the one loaded first
        assert flag_counts(cs) == {"self-call": 1, "zero-duration": 1, "duplicate": 2, "null-island": 7}
        first = cs.con.execute("SELECT count(*) FROM row_flags WHERE delivery_id = 'comms.csv'").fetchall()[0][0]
        assert first == 0  # the original is never the duplicate


def test_info_counts_the_flags(case: tuple[Path, Path]) -> None:
    _, store = case
    r = CliRunner().invoke(app, ["info", str(store), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["flags"]["null-island"] == 7
    text = CliRunner().invoke(app, ["info", str(store)]).stdout
    assert "Flagged rows (kept; legal but odd): self-call 1, zero-duration 1, duplicate 2, null-island 7" in text


def test_a_duplicate_call_counts_once_in_ties_and_a_self_call_is_no_tie(case: tuple[Path, Path]) -> None:
    _, store = case
    with CaseStore.open(store) as cs:
        ties = contact_ties(cs, level="identifier").to_pylist()
    tp = [t for t in ties if {t["a"], t["b"]} == {T, P}]
    assert len(tp) == 1 and tp[0]["n_events"] == 3  # days 0, 1, 2; the two re-deliveries add nothing
    assert not [t for t in ties if t["a"] == t["b"]]


def test_a_fix_at_0_0_never_becomes_a_stay(case: tuple[Path, Path]) -> None:
    _, store = case
    with CaseStore.open(store) as cs:
        stays = stay_points(cs, [T], coarse=False).to_pylist()
    assert not [s for s in stays if abs(s["lat"]) < 1 and abs(s["lon"]) < 1]


def test_reingesting_the_folder_keeps_the_flags(case: tuple[Path, Path]) -> None:
    folder, store = case
    with CaseStore.open(store) as cs:
        before = flag_counts(cs)
        ingest_case(folder, cs)
        assert flag_counts(cs) == before
