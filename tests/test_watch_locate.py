"""The ``locate`` watch: a change of the target's top area raises exactly its alert.

Day-by-day deliveries from the schema-driven factory (tests/casefolder.py). A
HUMINT report says the target uses phone T; T sleeps at HOME for a week, the
watch is added (its baseline: locate's answer then), two more nights at HOME
are delivered, then twelve nights 14 km north. Whether a delivery must fire is
decided by locate itself asked before and after it (on a copy of the store,
outside the watch) and read by ``change``, whose rules are pinned below on
reasoned values; the scene must fire at least once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casefolder import CaseFolder, at
from fusioncell.errors import UsageError
from fusioncell.ingest import ingest_case
from fusioncell.store import CaseStore
from fusioncell.watch import add_watch, list_alerts
from fusioncell.watch.analytic import TopArea, change, top_area

T = "+523311110001"
P = "+523322220002"
HOME = (20.6700, -103.3500)
NORTH = (20.8000, -103.3500)  # 14.5 km north of HOME


def _nights(c: CaseFolder, days: range, where: tuple[float, float]) -> None:
    for d in days:
        for h in (22.0, 0.0 + 24, 2.0 + 24, 4.0 + 24):  # 22:00 and the small hours of the next day
            c.fix(T, at(d, h), where[0], where[1], 50.0)
        c.call(T, P, at(d, 20), cell=where)


def _base() -> CaseFolder:
    c = CaseFolder()
    c.source("cdr", "SIGINT")
    c.source("geo", "GEOINT")
    c.source("humint", "HUMINT")
    c.report("humint", at(0, 9), 2, [{"subject": "person-target", "predicate": "uses", "object": T}])
    _nights(c, range(7), HOME)
    return c


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]], dict[str, list[str]]]:
    """Deliver day by day; the oracle for each delivery is locate itself, asked before and after on a copy
    of the store (its public function, outside the watch), read by :func:`change` (pinned below)."""
    root = tmp_path_factory.mktemp("locate")
    c = _base()
    folder = c.write(root / "case")
    path = root / "case.duckdb"
    fired: dict[str, list[str]] = {}
    expect: dict[str, list[str]] = {}
    with CaseStore.open(path) as store:
        ingest_case(folder, store)
        add_watch(store, "locate", ["person-target"])  # w-1: a move (or a first area) fires
    days = {"d1": (range(7, 9), HOME), "d2": (range(9, 21), NORTH)}
    for label, (span, where) in days.items():
        with CaseStore.open(path) as store:
            before = top_area(store, "person-target")
        _nights(c, span, where)
        c.deliver(folder, label)
        oracle = root / f"oracle-{label}.duckdb"
        shutil.copy(path, oracle)
        with CaseStore.open(oracle) as copy:
            ingest_case(folder, copy)
            after = top_area(copy, "person-target")
        expect[label] = ["w-1"] if change(before, after, None) else []
        with CaseStore.open(path) as store:
            fired[label] = sorted(a.watch_id for a in ingest_case(folder, store).alerts)
    return path, expect, fired


def test_the_top_area_changing_raises_exactly_its_alert(run) -> None:  # type: ignore[no-untyped-def]
    _, expect, fired = run
    assert fired == expect
    assert ["w-1"] in expect.values()  # the scene does move locate at least once


def test_the_alert_names_the_change_and_the_rows_inside_the_new_area(run) -> None:  # type: ignore[no-untyped-def]
    path, expect, _ = run
    with CaseStore.open(path) as store:
        (alert,) = list_alerts(store)
    assert alert.kind == "locate" and alert.summary.startswith("top area of person-target: ")
    assert [k for k, v in expect.items() if v] == [alert.delivery_id.split("-")[-1].split(".")[0]]
    # the new rows placed inside the new top area, or (none inside it) one row naming the area
    rows = [e for e in alert.evidence if e.tbl != "locate"]
    assert all(e.identifier == T and e.delivery_id == alert.delivery_id for e in rows)
    assert rows or [(e.tbl, e.event_id) for e in alert.evidence] == [("locate", "top-area")]


HOME_A = TopArea(HOME[0], HOME[1], 500.0, 0.40)


@pytest.mark.parametrize("before,now,threshold,fires", [
    (HOME_A, TopArea(HOME[0] + 0.003, HOME[1], 500.0, 0.40), None, None),      # 334 m: inside the radius
    (HOME_A, TopArea(NORTH[0], NORTH[1], 500.0, 0.40), None, "moved 14.5 km"),  # beyond it
    (HOME_A, TopArea(HOME[0], HOME[1], 500.0, 0.60), 0.5, "rose above 0.5"),
    (HOME_A, TopArea(HOME[0], HOME[1], 500.0, 0.30), 0.35, "fell below 0.35"),
    (HOME_A, TopArea(HOME[0], HOME[1], 500.0, 0.45), 0.5, None),               # still below
    (None, TopArea(HOME[0], HOME[1], 500.0, 0.60), None, "now 20.67"),         # a first top area
    (HOME_A, TopArea(None, None, None, 0.0), None, "now none"),                # no place any more
    (TopArea(None, None, None, 0.0), TopArea(None, None, None, 0.0), 0.5, None),
])
def test_what_counts_as_a_change(before: TopArea | None, now: TopArea, threshold: float | None,
                                 fires: str | None) -> None:
    why = change(before, now, threshold)
    assert (why is None) if fires is None else (why is not None and fires in why)


def test_a_threshold_must_be_a_probability_of_a_locate_watch(tmp_path: Path) -> None:
    store = CaseStore.memory()
    ingest_case(_base().write(tmp_path / "case"), store)
    with pytest.raises(UsageError, match="between 0 and 1"):
        add_watch(store, "locate", ["person-target"], threshold=1.5)
    with pytest.raises(UsageError, match="locate watch only"):
        add_watch(store, "identifier", [T], threshold=0.5)


def test_cli_adds_a_locate_watch_and_refuses_a_bad_threshold(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fusioncell.cli import app

    folder = _base().write(tmp_path / "case")
    store = tmp_path / "s.duckdb"
    assert CliRunner().invoke(app, ["ingest", str(folder), "--store", str(store)]).exit_code == 0
    r = CliRunner().invoke(app, ["watch", "add", str(store), "locate", "person-target", "--threshold", "0.6"])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("w-1 locate person-target: its top area moves, or its probability crosses 0.6")
    with pytest.raises(UsageError, match="between 0 and 1"):  # the entry point turns it into one line, exit 2
        CliRunner().invoke(app, ["watch", "add", str(store), "locate", "person-target", "--threshold", "2"],
                           catch_exceptions=False)
