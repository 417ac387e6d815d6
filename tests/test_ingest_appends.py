"""Deliveries: several files per kind, appends that load only what is new, refusals, atomicity."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fusioncell.errors import InvalidCase
from fusioncell.ingest import example_case, ingest_case
from fusioncell.ingest.pipeline import deliveries
from fusioncell.store import CaseStore

NEW_CALL = "c-9001,sigint-01,2026-02-21T10:00:00-06:00,60,call,33 1234 5678,+52 33 9999 0000,,,,,\n"


def _case(tmp_path: Path) -> Path:
    case = tmp_path / "case"
    shutil.copytree(example_case(), case)
    return case


def _delivery(case: Path, name: str, body: str) -> None:
    header = (case / "comms.csv").read_text(encoding="utf-8").splitlines()[0]
    (case / name).write_text(header + "\n" + body, encoding="utf-8")


def test_a_new_delivery_loads_alone_and_its_rows_are_one_query(tmp_path: Path) -> None:
    case = _case(tmp_path)
    store = CaseStore.memory()
    ingest_case(case, store)
    before = store.count("comms")
    _delivery(case, "comms-2026-02-21.csv", NEW_CALL)
    summary = ingest_case(case, store)
    assert [f.file for f in summary.files if f.status == "ingested"] == ["comms-2026-02-21.csv"]
    assert store.count("comms") == before + 1
    (got,) = deliveries(store, summary.run_id)
    assert (got.delivery_id, got.kind, got.rows, got.quarantined, got.first_load) == (
        "comms-2026-02-21.csv", "comms.csv", 1, 0, True)
    added = store.con.execute("SELECT event_id FROM comms WHERE delivery_id IN "
                              "(SELECT delivery_id FROM deliveries WHERE ingest_run = ?)", [summary.run_id]).fetchall()
    assert added == [("c-9001",)]
    # the same folder again changes nothing
    assert not ingest_case(case, store).changed
    assert store.count("comms") == before + 1


def test_a_changed_delivery_is_refused_naming_it(tmp_path: Path) -> None:
    case = _case(tmp_path)
    _delivery(case, "comms-2026-02-21.csv", NEW_CALL)
    store = CaseStore.memory()
    ingest_case(case, store)
    _delivery(case, "comms-2026-02-21.csv", NEW_CALL.replace(",60,", ",61,"))
    with pytest.raises(InvalidCase) as exc:
        ingest_case(case, store)
    assert "comms-2026-02-21.csv" in str(exc.value) and "never changed" in str(exc.value)


def test_a_bad_second_delivery_leaves_the_store_as_before(tmp_path: Path) -> None:
    case = _case(tmp_path)
    store = CaseStore.memory()
    ingest_case(case, store)
    snapshot = sorted(store.con.execute("SELECT event_id, delivery_id FROM comms").fetchall())
    _delivery(case, "comms-2026-02-21.csv", NEW_CALL)
    _delivery(case, "comms-2026-02-22.csv", NEW_CALL.replace("c-9001", "c-9002").replace(",60,", ",-5,"))
    with pytest.raises(InvalidCase) as exc:
        ingest_case(case, store)
    assert "comms-2026-02-22.csv" in str(exc.value)
    assert sorted(store.con.execute("SELECT event_id, delivery_id FROM comms").fetchall()) == snapshot
    assert store.con.execute("SELECT count(*) FROM deliveries WHERE delivery_id LIKE 'comms-%'").fetchone() == (0,)


def test_an_append_merges_identifiers_equal_to_a_full_rebuild(tmp_path: Path) -> None:
    """Appends extend ``identifiers`` from the day's rows only; the table must equal a rebuild from everything."""
    from fusioncell.ingest.derived import rebuild_identifiers
    from fusioncell.store.engine import DuckDBEngine

    case = _case(tmp_path)
    store = CaseStore.memory()
    ingest_case(case, store)
    # a known number again (counts add, last_seen widens), a new one, a self-call
    _delivery(case, "comms-2026-02-21.csv", NEW_CALL + NEW_CALL.replace("c-9001", "c-9002").replace(
        "+52 33 9999 0000", "33 1234 5678"))
    ingest_case(case, store)
    sql = "SELECT * FROM identifiers ORDER BY identifier"
    merged = store.con.execute(sql).fetchall()
    assert ("+523399990000",) in [(r[0],) for r in merged]
    rebuild_identifiers(store, DuckDBEngine(store.con))
    assert merged == store.con.execute(sql).fetchall()


def test_an_append_does_not_read_earlier_deliveries_again_but_sees_an_edit(tmp_path: Path) -> None:
    """Files unchanged since they were hashed (size, mtime, hashed well after the last edit) are not read again."""
    import os

    from fusioncell.ingest import filefacts as pipeline  # where the facts are read (and cached)

    case = _case(tmp_path)
    store = CaseStore.memory()
    old = 1_700_000_000_000_000_000  # the files were last written long before this ingest
    for f in case.iterdir():
        os.utime(f, ns=(old, old))
    ingest_case(case, store)
    _delivery(case, "comms-2026-02-21.csv", NEW_CALL)
    read: list[str] = []
    real = pipeline.file_facts

    def spy(path: Path) -> pipeline.FileFacts:
        read.append(path.name)
        return real(path)

    pipeline.file_facts = spy  # type: ignore[assignment]
    try:
        ingest_case(case, store)
        assert read == ["comms-2026-02-21.csv"]
        # an edit of an old file that keeps its size and even its mtime is still caught when it changes the mtime
        body = (case / "comms.csv").read_text(encoding="utf-8")
        (case / "comms.csv").write_text(body.replace(",60,", ",61,", 1), encoding="utf-8")
        read.clear()
        ingest_case(case, store)
        assert "comms.csv" in read
    finally:
        pipeline.file_facts = real  # type: ignore[assignment]
