"""The ``burner`` watch: a new burner succession touching the watched phone raises exactly its alert.

Day-by-day deliveries from the schema-driven factory (tests/casefolder.py), as
in tests/test_watch_alerts.py. The target's phone T talks to P, C and Q every
day, then falls silent; three days later a new phone N talks to the same three
(a textbook succession: same contacts, same cell, a silence between); later N
falls silent and M takes over. Which delivery must fire is reasoned from the
planted rows.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casefolder import CaseFolder, at
from fusioncell.ingest import ingest_case
from fusioncell.store import CaseStore
from fusioncell.watch import add_watch, list_alerts

T = "+523311110001"   # the target's phone
N = "+523377770007"   # his next phone
M = "+523388880008"   # the one after
P, C, Q = "+523322220002", "+523333330003", "+523344440004"  # his three contacts
Z = "+523399990009"   # a phone nobody watches
HOME = (20.6700, -103.3500)


def _talk(c: CaseFolder, phone: str, day: int) -> None:
    for k, other in enumerate((P, C, Q)):
        c.call(phone, other, at(day, 10 + 3 * k), cell=HOME)


def _base() -> CaseFolder:
    c = CaseFolder()
    c.source("cdr", "SIGINT")
    c.source("geo", "GEOINT")
    for day in range(5):
        _talk(c, T, day)
        c.call(Z, P, at(day, 20))
    return c


def _deliver(c: CaseFolder, folder: Path) -> dict[str, list[str]]:
    expect: dict[str, list[str]] = {}
    c.call(P, C, at(5, 12))            # d1: the contacts talk among themselves; T is silent
    c.call(Z, P, at(5, 20))
    c.deliver(folder, "d1")
    expect["d1"] = []
    _talk(c, N, 7)                      # d2: N appears with T's contacts: T -> N
    c.deliver(folder, "d2")
    expect["d2"] = ["w-1"]
    _talk(c, N, 8)                      # d3: N again: a known succession, nothing new
    c.deliver(folder, "d3")
    expect["d3"] = []
    _talk(c, M, 11)                     # d4: M takes over from N (the chain T -> N -> M)
    c.deliver(folder, "d4")
    expect["d4"] = ["w-1"]
    return expect


def _ingest_day_by_day(folder: Path, store: CaseStore, days: list[str]) -> dict[str, list[str]]:
    fired: dict[str, list[str]] = {}
    for day in days:
        for f in folder.glob("*.csv"):
            if "-d" in f.name and f.stem.split("-")[-1] > day:
                f.rename(f.with_suffix(".later"))
        fired[day] = sorted(a.watch_id for a in ingest_case(folder, store).alerts)
        for f in folder.glob("*.later"):
            f.rename(f.with_suffix(".csv"))
    return fired


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]], dict[str, list[str]]]:
    root = tmp_path_factory.mktemp("burner")
    c = _base()
    folder = c.write(root / "case")
    path = root / "case.duckdb"
    with CaseStore.open(path) as store:
        ingest_case(folder, store)
        add_watch(store, "burner", [T])   # w-1
        add_watch(store, "burner", [Z])   # w-2: Z never changes phone
    expect = _deliver(c, folder)
    with CaseStore.open(path) as store:
        fired = _ingest_day_by_day(folder, store, sorted(expect))
    return path, expect, fired


def test_each_new_succession_raises_exactly_its_alert(run) -> None:  # type: ignore[no-untyped-def]
    _, expect, fired = run
    assert fired == expect


def test_the_alert_names_the_succession_and_the_successor_rows(run) -> None:  # type: ignore[no-untyped-def]
    path, _, _ = run
    with CaseStore.open(path) as store:
        first, second = list_alerts(store)
    assert first.delivery_id == "comms-d2.csv" and first.kind == "burner"
    assert sorted((e.identifier, e.other) for e in first.evidence) == [(N, T)] * 3  # N's three calls of day 7
    assert f"{T} -> {N}" in first.summary
    assert second.delivery_id == "comms-d4.csv" and {e.identifier for e in second.evidence} == {M}
    assert N in second.summary and M in second.summary  # reached through the known T -> N


def test_a_succession_known_when_the_watch_is_added_never_fires(tmp_path: Path) -> None:
    c = _base()
    folder = c.write(tmp_path / "case")
    store = CaseStore.memory()
    ingest_case(folder, store)
    _talk(c, N, 7)
    c.deliver(folder, "d2")
    ingest_case(folder, store)            # T -> N is in the store before anyone watches T
    add_watch(store, "burner", [T])
    _talk(c, N, 8)                        # more of N: the succession is the past
    c.deliver(folder, "d3")
    assert ingest_case(folder, store).alerts == []
    shutil.rmtree(folder)
