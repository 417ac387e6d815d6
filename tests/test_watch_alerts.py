"""Standing watches: each planted event of a day's delivery raises exactly its alert, and nothing else fires.

The case is built with the schema-driven factory (tests/casefolder.py): a base
folder, then one labelled delivery per day (``comms-d1.csv`` ...). Which watch
fires on which delivery is worked out from the planted rows, not read off the
output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casefolder import CaseFolder, at
from fusioncell.cli import app
from fusioncell.errors import NotFound, UsageError
from fusioncell.ingest import ingest_case
from fusioncell.store import CaseStore
from fusioncell.watch import add_watch, list_alerts, list_watches, remove_watch

T = "+523311110001"   # the target's phone
P = "+523322220002"   # the partner
C = "+523333330003"   # a courier, old contact of T
X = "+523344440004"   # someone T never called before day 8
L = "+523355550005"   # a lieutenant, declared by entity person-lt
W = "+523366660006"   # a witness, declared by a protected entity
HOME = (20.6700, -103.3500)
HIDEOUT = (19.9400, -103.7500)
MARKET = (20.7000, -103.3000)
NORTH = (20.8000, -103.3500)  # 14 km north of HOME


def _base() -> CaseFolder:
    c = CaseFolder()
    c.source("cdr", "SIGINT")
    c.source("geo", "GEOINT")
    c.add("sources.csv", source_id="imint", agency="SEDENA-INT", discipline="IMINT", method="aerial", reliability="B",
          releasable_to="PARTNER")
    c.person("person-lt", phone=[L])
    c.entities.append({"id": "person-witness", "schema": "Person", "protected": True,
                       "properties": {"name": ["witness"], "phone": [W]}})
    for day in range(3):  # T at home, calling P and C every day
        c.call(T, P, at(day, 21), cell=HOME)
        c.call(T, C, at(day, 10), cell=HOME)
        c.fix(T, at(day, 22), *HOME)
    c.call(C, W, at(1, 12))
    return c


def _day(c: CaseFolder, day: int) -> None:
    """T's ordinary day: one call to C from home (keeps T active, never new)."""
    c.call(T, C, at(day, 10), cell=HOME)


WATCHES: list[tuple[str, list[str], dict[str, float | str]]] = [
    ("identifier", ["plate:jal 1234"], {}),                   # w-1
    ("person", ["person-lt"], {}),                            # w-2
    ("place", [str(HIDEOUT[0]), str(HIDEOUT[1])], {"radius_m": 500}),  # w-3
    ("new-area", [T], {}),                                    # w-4 (1000 m)
    ("meeting", [P, C], {"radius_m": 250, "window_min": 30}),  # w-5
    ("dark-return", [T], {"gap_h": 48}),                      # w-6
    ("new-contact", [T], {}),                                 # w-7
    ("identifier", [W], {}),                                  # w-8 (a protected person)
]


def _plant(c: CaseFolder, folder: Path) -> dict[str, list[str]]:
    """Write day deliveries d1..d8; return the watches each delivery must fire (by reasoning)."""
    expect: dict[str, list[str]] = {}
    # d1 (day 3): near misses — P and C at the market 3 h apart, then 5 min apart but 2 km apart
    _day(c, 3)
    c.fix(P, at(3, 10), *MARKET)
    c.fix(C, at(3, 13), *MARKET)
    c.fix(P, at(3, 15), *MARKET)
    c.fix(C, at(3, 15.08), MARKET[0] + 0.018, MARKET[1])
    c.deliver(folder, "d1")
    expect["d1"] = []
    # d2 (day 4): the watched plate is sighted (written as delivered: lower case, a space)
    _day(c, 4)
    c.sighting("plate:Jal 1234", at(4, 11), *MARKET, confidence=0.9)
    c.deliver(folder, "d2")
    expect["d2"] = ["w-1"]
    # d3 (day 7): T silent on days 5 and 6 (last activity day 4 10:00): 71 h later he calls C again
    c.call(T, C, at(7, 9), cell=HOME)
    c.deliver(folder, "d3")
    expect["d3"] = ["w-6"]
    # d4 (day 8): T calls X for the first time
    _day(c, 8)
    c.call(X, T, at(8, 18), cell=HOME)
    c.deliver(folder, "d4")
    expect["d4"] = ["w-7"]
    # d5 (day 9): T's handset 14 km north of anywhere it was seen
    _day(c, 9)
    c.fix(T, at(9, 14), *NORTH)
    c.deliver(folder, "d5")
    expect["d5"] = ["w-4"]
    # d6 (day 10): an unknown car photographed 100 m from the hideout
    _day(c, 10)
    c.sighting("plate:ABC999", at(10, 16), HIDEOUT[0] + 0.0009, HIDEOUT[1], confidence=0.7)
    c.deliver(folder, "d6")
    expect["d6"] = ["w-3"]
    # d7 (day 11): P and C 60 m and 10 minutes apart at the market (one of the rows is new)
    _day(c, 11)
    c.fix(P, at(11, 17), *MARKET)
    c.fix(C, at(11, 17.17), MARKET[0] + 0.0005, MARKET[1])
    c.deliver(folder, "d7")
    expect["d7"] = ["w-5"]
    # d8 (day 12): the lieutenant calls C (an old contact of T, not of L: only the person watch)
    _day(c, 12)
    c.call(L, C, at(12, 20))
    c.call(C, W, at(12, 21))  # and the protected witness is named
    c.deliver(folder, "d8")
    expect["d8"] = ["w-2", "w-8"]
    return expect


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, list[str]], dict[str, list[str]]]:
    root = tmp_path_factory.mktemp("watch")
    folder = root / "case"
    c = _base()
    c.write(folder)
    path = root / "case.duckdb"
    with CaseStore.open(path) as store:
        ingest_case(folder, store)
        for kind, args, opts in WATCHES:
            add_watch(store, kind, args, **opts)  # type: ignore[arg-type]
    expect = _plant(c, folder)
    fired: dict[str, list[str]] = {}
    with CaseStore.open(path) as store:  # one ingest per day, as deliveries arrive
        for day in sorted(expect):
            for f in folder.glob("*.csv"):
                if "-d" in f.name and f.stem.split("-")[-1] > day:
                    f.rename(f.with_suffix(".later"))
            summary = ingest_case(folder, store)
            fired[day] = sorted(a.watch_id for a in summary.alerts)
            assert {a.delivery_id.rsplit("-", 1)[-1].split(".")[0] for a in summary.alerts} <= {day}
            for f in folder.glob("*.later"):
                f.rename(f.with_suffix(".csv"))
    return folder, path, expect, fired


def test_each_planted_event_raises_exactly_its_alert(run) -> None:  # type: ignore[no-untyped-def]
    _, _, expect, fired = run
    assert fired == expect


def test_alerts_name_the_rows_that_fired_them(run) -> None:  # type: ignore[no-untyped-def]
    _, path, _, _ = run
    with CaseStore.open(path) as store:
        by_watch = {a.watch_id: a for a in list_alerts(store)}
    meeting = by_watch["w-5"]
    assert meeting.delivery_id == "locations-d7.csv"
    assert sorted((e.identifier, e.other) for e in meeting.evidence) == [(P, C), (C, P)]
    assert by_watch["w-1"].evidence[0].identifier == "plate:JAL1234" and by_watch["w-1"].evidence[0].tbl == "sightings"
    new = by_watch["w-7"]
    assert [(e.identifier, e.other) for e in new.evidence] == [(T, X)] and X in new.summary
    dark = by_watch["w-6"]
    assert dark.n_rows == 1 and "71.0 h" in dark.summary  # day 4 10:00 -> day 7 09:00
    assert by_watch["w-4"].evidence[0].tbl == "locations" and by_watch["w-4"].n_rows == 1
    assert by_watch["w-3"].evidence[0].identifier == "plate:ABC999"


def test_the_same_folder_again_raises_nothing(run) -> None:  # type: ignore[no-untyped-def]
    folder, path, _, _ = run
    with CaseStore.open(path) as store:
        before = len(list_alerts(store))
        assert ingest_case(folder, store).alerts == []
        assert len(list_alerts(store)) == before == 8


def test_a_partner_sees_only_alerts_built_on_what_it_may_see(run) -> None:  # type: ignore[no-untyped-def]
    _, path, _, _ = run
    with CaseStore.open(path) as store:
        # only the imint source is releasable to PARTNER: the two sighting alerts
        assert sorted(a.watch_id for a in list_alerts(store, agency="PARTNER")) == ["w-1", "w-3"]


def test_the_cli_lists_alerts_with_protected_persons_masked(run) -> None:  # type: ignore[no-untyped-def]
    _, path, _, _ = run
    out = CliRunner().invoke(app, ["alerts", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["n_alerts"] == 8
    assert W not in out.stdout  # the witness is protected: her number never appears, even in her own watch's alert
    w8 = next(a for a in data["alerts"] if a["watch_id"] == "w-8")
    assert w8["evidence"][0]["identifier"].startswith("masked:phone-")
    assert T in out.stdout and P in out.stdout  # watched, pertinent people stay in clear
    text = CliRunner().invoke(app, ["alerts", str(path)])
    assert text.exit_code == 0 and "w-5 meeting in locations-d7.csv" in text.stdout and W not in text.stdout


def test_watch_list_and_remove(tmp_path: Path) -> None:
    folder = _base().write(tmp_path / "case")
    store = CaseStore.memory()
    ingest_case(folder, store)
    w = add_watch(store, "identifier", ["33 1111 0001"])
    assert w.subject == T  # normalised as the case files are
    add_watch(store, "dark-return", [T])
    assert [x.watch_id for x in list_watches(store)] == ["w-1", "w-2"]
    assert list_watches(store)[1].gap_s == 48 * 3600
    remove_watch(store, "w-1")
    assert [x.watch_id for x in list_watches(store)] == ["w-2"]
    with pytest.raises(NotFound):
        remove_watch(store, "w-1")


@pytest.mark.parametrize("kind,args,opts,msg", [
    ("sometimes", [T], {}, "unknown watch kind"),
    ("meeting", [T], {}, "takes ID ID2"),
    ("meeting", [T, "33 1111 0001"], {}, "two different"),
    ("place", ["95", "10"], {"radius_m": 10}, "not a latitude"),
    ("place", ["20", "10"], {}, "needs --radius-m"),
    ("new-area", [T], {"radius_m": -5}, "positive"),
    ("identifier", ["not a thing at all"], {}, "unknown entity reference"),
])
def test_bad_watches_are_refused_with_one_line(tmp_path: Path, kind: str, args: list[str],
                                                opts: dict[str, float], msg: str) -> None:
    folder = _base().write(tmp_path / "case")
    store = CaseStore.memory()
    ingest_case(folder, store)
    with pytest.raises(UsageError, match=msg):
        add_watch(store, kind, args, **opts)  # type: ignore[arg-type]


def test_cli_watch_add_place_with_a_negative_longitude_and_a_bad_person(tmp_path: Path) -> None:
    folder = _base().write(tmp_path / "case")
    store = tmp_path / "s.duckdb"
    r = CliRunner().invoke(app, ["ingest", str(folder), "--store", str(store)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["watch", "add", str(store), "place", "19.94,-103.75", "--radius-m", "500"])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("w-1 place 19.94000,-103.75000 r 500 m")
    r = CliRunner().invoke(app, ["watch", "list", str(store), "--format", "json"])
    assert json.loads(r.stdout)["watches"][0]["radius_m"] == 500


def test_cli_ingest_prints_the_alerts_of_the_new_delivery(tmp_path: Path) -> None:
    c = _base()
    folder = c.write(tmp_path / "case")
    store = tmp_path / "s.duckdb"
    assert CliRunner().invoke(app, ["ingest", str(folder), "--store", str(store)]).exit_code == 0
    assert CliRunner().invoke(app, ["watch", "add", str(store), "identifier", W]).exit_code == 0
    c.call(C, W, at(5, 9))
    c.deliver(folder, "2026-02-07")
    r = CliRunner().invoke(app, ["ingest", str(folder), "--store", str(store)])
    assert r.exit_code == 0, r.output
    assert "1 alert (see: fusioncell alerts)" in r.stdout
    assert "w-1 identifier in comms-2026-02-07.csv: masked:phone-" in r.stdout and W not in r.stdout


def test_a_place_watch_of_one_identifier_ignores_everyone_else(tmp_path: Path) -> None:
    c = _base()
    folder = c.write(tmp_path / "case")
    store = CaseStore.memory()
    ingest_case(folder, store)
    add_watch(store, "place", [str(HOME[0]), str(HOME[1])], radius_m=200, of=P)
    c.fix(T, at(4, 9), *HOME)               # T at home: not the one watched
    c.deliver(folder, "a")
    assert ingest_case(folder, store).alerts == []
    c.fix(P, at(5, 9), HOME[0] + 0.001, HOME[1])  # P 110 m from home
    c.deliver(folder, "b")
    (alert,) = ingest_case(folder, store).alerts
    assert alert.delivery_id == "locations-b.csv" and [e.identifier for e in alert.evidence] == [P]


def test_alerts_since_filters_and_a_bad_time_is_one_line(run) -> None:  # type: ignore[no-untyped-def]
    _, path, _, _ = run
    r = CliRunner().invoke(app, ["alerts", str(path), "--since", "2000-01-01T00:00:00+00:00", "--format", "json"])
    assert json.loads(r.stdout)["n_alerts"] == 8
    r = CliRunner().invoke(app, ["alerts", str(path), "--since", "2999-01-01T00:00:00+00:00", "--format", "json"])
    assert json.loads(r.stdout)["n_alerts"] == 0
    with pytest.raises(UsageError, match="give a UTC offset"):
        CliRunner().invoke(app, ["alerts", str(path), "--since", "2026-02-01T00:00:00"], catch_exceptions=False)


def test_a_removed_watch_id_is_never_reused_while_alerts_point_at_it(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    _, path, _, _ = run
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    with CaseStore.open(copy) as store:
        remove_watch(store, "w-8")  # it raised an alert on d8
        assert add_watch(store, "identifier", [X]).watch_id == "w-9"
        assert [a.watch_id for a in list_alerts(store) if a.watch_id == "w-8"] == ["w-8"]  # its alert stays
