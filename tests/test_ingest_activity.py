"""Ingest writes each call-record delivery's activity per identifier (``comms_activity``, issue #13), and the
resolve stage's ``resolve_activity`` merges it instead of grouping every record: appends, refusals, removals."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fusioncell.errors import InvalidCase
from fusioncell.ingest import example_case, ingest_case
from fusioncell.resolve.activity import TABLE, build_activity, covered
from fusioncell.resolve.burner import BurnerParams
from fusioncell.store import CaseStore, plans

# the example case's +523312345678 calls again on the 21st; two numbers never heard before talk twice
DAY2 = ("c-9001,sigint-01,2026-02-21T10:00:00-06:00,60,call,33 1234 5678,+52 33 9999 0000,,,,,\n"
        "c-9002,sigint-01,2026-02-21T11:00:00-06:00,60,call,+52 33 5555 0001,+52 33 5555 0002,,,,,\n"
        "c-9003,sigint-01,2026-02-21T12:30:00-06:00,0,sms,+52 33 5555 0002,+52 33 5555 0001,,,,,\n")


def _case(tmp_path: Path, name: str = "case") -> Path:
    case = tmp_path / name
    shutil.copytree(example_case(), case)
    return case


def _delivery(case: Path, name: str, body: str) -> None:
    header = (case / "comms.csv").read_text(encoding="utf-8").splitlines()[0]
    (case / name).write_text(header + "\n" + body, encoding="utf-8")


def _activity(store: CaseStore) -> list[tuple]:
    build_activity(store)
    return store.con.execute(f"SELECT ident, first_seen, last_seen, n_events, n_out FROM {TABLE} ORDER BY ident"
                             ).fetchall()


def _grouped(store: CaseStore) -> list[tuple]:
    """The activity grouped from every record (the plan used before ingest kept it)."""
    plans.materialise(store, "_t_grouped", "resolve.activity", run_id="t", temp=True)
    return store.con.execute("SELECT ident, first_seen, last_seen, n_events, n_out FROM _t_grouped ORDER BY ident"
                             ).fetchall()


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=timezone.utc)


def test_an_append_updates_the_activity_as_a_fresh_ingest_of_both_deliveries(tmp_path: Path) -> None:
    case = _case(tmp_path)
    store = CaseStore.memory()
    ingest_case(case, store)
    before = {r[0]: r for r in _activity(store)}
    _delivery(case, "comms-2026-02-21.csv", DAY2)
    ingest_case(case, store)
    assert covered(store)
    # the day's rows only: one row per identifier active in it
    assert store.con.execute("SELECT ident, n_events, n_out FROM comms_activity WHERE delivery_id = "
                             "'comms-2026-02-21.csv' ORDER BY ident").fetchall() == [
        ("+523312345678", 1, 1), ("+523355550001", 2, 1), ("+523355550002", 2, 1), ("+523399990000", 1, 0)]
    assert store.con.execute("SELECT * FROM comms_activity_log ORDER BY delivery_id").fetchall() == [
        ("comms-2026-02-21.csv", 3), ("comms.csv", 35)]
    got = {r[0]: r for r in _activity(store)}
    # pinned: the old number's span now ends on the 21st (16:00 UTC), one event more, one more made
    old = before["+523312345678"]
    assert got["+523312345678"] == ("+523312345678", old[1], _utc(2026, 2, 21, 16, 0), old[3] + 1, old[4] + 1)
    assert got["+523355550001"] == ("+523355550001", _utc(2026, 2, 21, 17, 0), _utc(2026, 2, 21, 18, 30), 2, 1)
    assert got["+523399990000"] == ("+523399990000", _utc(2026, 2, 21, 16, 0), _utc(2026, 2, 21, 16, 0), 1, 0)
    assert len(got) == len(before) + 3
    # the same as one ingest of both deliveries, and as grouping every record
    fresh = CaseStore.memory()
    ingest_case(case, fresh)
    assert _activity(fresh) == list(got.values()) == _grouped(store)


def test_a_failed_delivery_leaves_the_activity_untouched(tmp_path: Path) -> None:
    case = _case(tmp_path)
    store = CaseStore.memory()
    ingest_case(case, store)
    snap = store.con.execute("SELECT * FROM comms_activity ORDER BY ALL").fetchall()
    _delivery(case, "comms-2026-02-21.csv", DAY2)
    _delivery(case, "comms-2026-02-22.csv", DAY2.replace("c-900", "c-990").replace(",60,", ",-5,"))  # refused
    with pytest.raises(InvalidCase):
        ingest_case(case, store)
    assert store.con.execute("SELECT * FROM comms_activity ORDER BY ALL").fetchall() == snap
    assert store.con.execute("SELECT * FROM comms_activity_log").fetchall() == [("comms.csv", 35)]
    assert covered(store) and _activity(store) == _grouped(store)


def test_a_removed_or_reloaded_delivery_takes_its_activity_with_it(tmp_path: Path) -> None:
    case = _case(tmp_path)
    store = CaseStore.memory()
    _delivery(case, "comms-2026-02-21.csv", DAY2)
    ingest_case(case, store)
    (case / "comms-2026-02-21.csv").unlink()
    ingest_case(case, store)
    assert store.con.execute("SELECT DISTINCT delivery_id FROM comms_activity").fetchall() == [("comms.csv",)]
    assert "+523355550001" not in {r[0] for r in _activity(store)}
    # the working copy edited: reloaded, its activity replaced
    text = (case / "comms.csv").read_text(encoding="utf-8")
    (case / "comms.csv").write_text(text + DAY2.splitlines(keepends=True)[1], encoding="utf-8")
    ingest_case(case, store)
    assert store.con.execute("SELECT * FROM comms_activity_log").fetchall() == [("comms.csv", 36)]
    assert covered(store) and _activity(store) == _grouped(store)


def test_records_written_by_other_means_fall_back_to_grouping_every_record(tmp_path: Path) -> None:
    store = CaseStore.memory()
    ingest_case(_case(tmp_path), store)
    store.con.execute("INSERT INTO comms (event_id, source_id, agency, start, duration_s, channel, caller, callee) "
                      "VALUES ('x-1', 'sigint-01', 'AG', TIMESTAMPTZ '2026-03-01 00:00:00+00', 1, 'call', "
                      "'+523300000001', '+523300000002')")
    assert not covered(store)
    got = _activity(store)
    assert ("+523300000001", _utc(2026, 3, 1), _utc(2026, 3, 1), 1, 1) in got and got == _grouped(store)
    assert not covered(CaseStore.memory())


def test_burner_pairs_without_any_end_are_the_same_empty_table(tmp_path: Path) -> None:
    """No identifier has a partner in its handover window: the plan reads no record and gives the same table."""
    store = CaseStore.memory()
    ingest_case(_case(tmp_path), store)
    build_activity(store)
    p = BurnerParams()
    assert plans.run(store, "resolve.burner_ends", p=p).num_rows == 0
    a = plans.run(store, "resolve.burner_pairs", run_id="r", p=p)
    b = plans.run(store, "resolve.burner_pairs", run_id="r", p=p, no_ends=True)
    assert a.schema == b.schema and a.num_rows == b.num_rows == 0


def test_quarantined_rows_are_not_in_the_activity(tmp_path: Path) -> None:
    case = _case(tmp_path)
    store = CaseStore.memory()
    ingest_case(case, store)
    _delivery(case, "comms-2026-02-21.csv", DAY2.replace("c-9002,sigint-01,2026-02-21T11:00:00-06:00,60,",
                                                         "c-9002,sigint-01,2026-02-21T11:00:00-06:00,-60,"))
    summary = ingest_case(case, store, quarantine=True)
    assert summary.quarantined == 1
    assert store.con.execute("SELECT ident, n_events, n_out FROM comms_activity WHERE delivery_id = "
                             "'comms-2026-02-21.csv' ORDER BY ident").fetchall() == [
        ("+523312345678", 1, 1), ("+523355550001", 1, 0), ("+523355550002", 1, 1), ("+523399990000", 1, 0)]
    assert covered(store) and _activity(store) == _grouped(store)


def test_group_switches_read_from_the_delivered_activity_are_the_same_as_from_every_record(tmp_path: Path) -> None:
    from test_resolve_groups import _carrier

    from fusioncell.resolve.groups import group_switches
    from fusioncell.store import open_case

    folder, truth = _carrier(tmp_path)
    with open_case(folder, tmp_path / "carrier.duckdb") as cs:
        assert covered(cs)
        delivered = group_switches(cs)
        assert sorted((g["old"], g["new"]) for g in delivered) == sorted(truth.items())  # the five switches
        cs.con.execute("DROP TABLE comms_activity_log")  # as a store written before: every record is grouped
        cs.con.execute("DELETE FROM derived_cache")
        assert not covered(cs)
        assert group_switches(cs) == delivered


def test_self_calls_count_for_the_shown_identifier_but_not_for_the_activity(tmp_path: Path) -> None:
    """A record whose caller is the callee: no activity (as grouping the records), two records on the number."""
    case = _case(tmp_path)
    store = CaseStore.memory()
    _delivery(case, "comms-2026-02-21.csv", DAY2 + (
        "c-9004,sigint-01,2026-02-21T13:00:00-06:00,5,call,+52 33 5555 0003,+52 33 5555 0003,,,,,\n"
        "c-9005,sigint-01,2026-02-21T13:05:00-06:00,5,call,+52 33 5555 0001,+52 33 5555 0001,,,,,\n"))
    ingest_case(case, store)
    assert store.con.execute("SELECT ident, n_events, n_self, first_seen FROM comms_activity WHERE n_self > 0 "
                             "ORDER BY ident").fetchall() == [
        ("+523355550001", 2, 1, _utc(2026, 2, 21, 17, 0)), ("+523355550003", 0, 1, None)]
    got = _activity(store)
    assert "+523355550003" not in {r[0] for r in got} and got == _grouped(store)
    from fusioncell.resolve import persons_table

    persons_table(store)
    a = plans.run(store, "network.shown_identifiers").to_pylist()
    b = plans.run(store, "network.shown_identifiers", delivered=True).to_pylist()
    assert a == b and len(a) > 0
    counts = store.con.execute("SELECT ident, sum(n_events) + 2 * sum(n_self) FROM comms_activity "
                               "WHERE ident LIKE '+5233555500%' GROUP BY ident ORDER BY ident").fetchall()
    assert counts == [("+523355550001", 4), ("+523355550002", 2), ("+523355550003", 2)]
