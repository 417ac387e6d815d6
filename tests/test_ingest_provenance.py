"""Raw spellings survive ingest although the common ones are not written (store schema 2).

A number spelled as its E.164 form, and a time spelled exactly
``YYYY-MM-DDTHH:MM:SS`` + the delivery's offset, are stored as NULL and
rendered back. Whatever the storage, the provenance reader must give back the
spelling as delivered, character for character.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from casefolder import CaseFolder
from fusioncell.errors import UsageError
from fusioncell.ingest import ingest_case
from fusioncell.ingest.provenance import raw_rows
from fusioncell.store import CaseStore
from fusioncell.store.schema import SCHEMA_VERSION, TABLES

#: (caller, callee, start) as a carrier might write them; the first row's time sets the delivery's offset
CALLS = [
    ("+523115550101", "(311) 555-0102", "2026-02-02T10:00:00-06:00"),   # canonical time
    ("(311) 555-0101", "311 555 0102", "2026-02-01 10:00-06:00"),        # space, no seconds
    ("3115550101", "+52 311 555 0102", "2026-02-02T16:00:00Z"),          # UTC
    ("+523115550101", "3115550102", "2026-02-02T10:00:00.5-06:00"),      # a fraction
    ("+523115550101", "3115550102", "2026-02-02T24:00:00-06:00"),        # hour 24: read as the next day's 00
    ("(311) 555-0101", "3115550102", "2026-02-03T09:30:00-05:00"),       # another offset
    ("+523115550101", "(311) 555-0102", "2026-02-03T11:45:59-06:00"),   # canonical again
]


def _case(tmp_path: Path) -> tuple[CaseFolder, Path]:
    cf = CaseFolder()
    cf.source("cdr", "SIGINT")
    for caller, callee, start in CALLS:
        cf.add("comms.csv", source_id="cdr", start=start, duration_s=30, channel="call", caller=caller, callee=callee)
    cf.add("locations.csv", source_id="cdr", observed="2026-02-02T08:00:00+00:00", identifier="(311) 555-0101",
           lat=20.6, lon=-103.4, accuracy_m=100)
    cf.add("locations.csv", source_id="cdr", observed="2026-02-02 08:05+00:00", identifier="+523115550101",
           lat=20.6, lon=-103.4, accuracy_m=100)
    return cf, cf.write(tmp_path / "case")


def test_every_raw_spelling_comes_back_as_delivered(tmp_path: Path) -> None:
    _, case = _case(tmp_path)
    store = CaseStore.open(tmp_path / "s.duckdb")
    ingest_case(case, store)
    ids = [f"com-{i:06d}" for i in range(1, len(CALLS) + 1)]
    got = {r.event_id: (r.raw["caller"], r.raw["callee"], r.raw["start"]) for r in raw_rows(store, "comms", ids)}
    assert [got[i] for i in ids] == CALLS
    loc = {r.event_id: (r.raw["identifier"], r.raw["observed"]) for r in raw_rows(store, "locations", ["loc-000008", "loc-000009"])}
    assert loc == {"loc-000008": ("(311) 555-0101", "2026-02-02T08:00:00+00:00"),
                   "loc-000009": ("+523115550101", "2026-02-02 08:05+00:00")}
    # the provenance points at the file line
    lines = {r.event_id: (r.delivery_id, r.line) for r in raw_rows(store, "comms", ["com-000002"])}
    assert lines == {"com-000002": ("comms.csv", 3)}


def test_raw_spellings_are_not_written_one_string_per_row(tmp_path: Path) -> None:
    _, case = _case(tmp_path)
    store = CaseStore.open(tmp_path / "s.duckdb")
    ingest_case(case, store)
    con = store.con
    # numbers: NULL exactly when spelled as the E.164 identifier (+523115550101), else as delivered
    e164 = [i + 1 for i, (caller, _, _) in enumerate(CALLS) if caller == "+523115550101"]
    assert con.execute("SELECT list(CAST(substr(event_id, 5) AS INTEGER) ORDER BY event_id) FROM comms "
                       "WHERE caller_raw IS NULL").fetchone()[0] == e164 == [1, 4, 5, 7]
    assert con.execute("SELECT count(*) FROM comms WHERE callee_raw IS NULL").fetchone()[0] == 0
    # times: only the two rows spelled canonically in the first row's offset (-06:00) are NULL
    assert con.execute("SELECT list(event_id ORDER BY event_id) FROM comms WHERE start_raw IS NULL").fetchone()[0] == \
        ["com-000001", "com-000007"]
    assert con.execute("SELECT time_offset, minutes FROM raw_time_offsets WHERE delivery_id = 'comms.csv'").fetchone() \
        == ("-06:00", -360)


def test_an_append_has_its_own_offset(tmp_path: Path) -> None:
    cf, case = _case(tmp_path)
    store = CaseStore.open(tmp_path / "s.duckdb")
    ingest_case(case, store)
    # the day's delivery is written in UTC
    cf.add("comms.csv", source_id="cdr", start="2026-02-07T15:00:00+00:00", duration_s=5, channel="call",
           caller="(311) 555-0101", callee="5512345678")
    cf.add("comms.csv", source_id="cdr", start="2026-02-07T15:05:00+00:00", duration_s=0, channel="sms",
           caller="5512345678", callee="(311) 555-0101")
    cf.deliver(case, "2026-02-07")
    ingest_case(case, store)
    assert store.con.execute("SELECT time_offset FROM raw_time_offsets WHERE delivery_id = 'comms-2026-02-07.csv'"
                             ).fetchone() == ("+00:00",)
    got = {r.event_id: r.raw for r in raw_rows(store, "comms", ["com-000010", "com-000011"])}
    assert got["com-000010"] == {"caller": "(311) 555-0101", "callee": "5512345678", "start": "2026-02-07T15:00:00+00:00"}
    assert got["com-000011"] == {"caller": "5512345678", "callee": "(311) 555-0101", "start": "2026-02-07T15:05:00+00:00"}
    assert store.con.execute("SELECT count(*) FROM comms WHERE delivery_id = 'comms-2026-02-07.csv' "
                             "AND start_raw IS NULL").fetchone()[0] == 2


def _old_store(path: Path) -> None:
    """A store as fusioncell wrote it before schema 2: no store_meta, no raw_time_offsets, strings per row."""
    con = duckdb.connect(str(path))
    for name, cols in TABLES.items():
        if name in ("raw_time_offsets", "store_meta"):
            continue
        con.execute(f"CREATE TABLE {name} ({cols})")
    con.execute("INSERT INTO comms (event_id, source_id, agency, start, duration_s, channel, caller, callee, "
                "caller_raw, callee_raw, start_raw, line, delivery_id) VALUES ('c-1', 's', 'A', "
                "TIMESTAMPTZ '2026-02-01 16:00:00+00', 30, 'call', '+523115550101', '+523115550102', "
                "'(311) 555-0101', '311 555 0102', '2026-02-01 10:00-06:00', 2, 'comms.csv')")
    con.close()


def test_an_older_store_is_migrated_and_reads_back_unchanged(tmp_path: Path) -> None:
    _old_store(tmp_path / "old.duckdb")
    with CaseStore.open(tmp_path / "old.duckdb") as store:
        assert store.con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchone() == \
            (str(SCHEMA_VERSION),)
        (row,) = raw_rows(store, "comms", ["c-1"])
        assert row.raw == {"caller": "(311) 555-0101", "callee": "311 555 0102", "start": "2026-02-01 10:00-06:00"}


def test_a_store_from_a_newer_fusioncell_is_refused_with_one_line(tmp_path: Path) -> None:
    with CaseStore.open(tmp_path / "new.duckdb") as store:
        store.con.execute("UPDATE store_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    with pytest.raises(UsageError, match="newer fusioncell"):
        CaseStore.open(tmp_path / "new.duckdb", read_only=True)
    r = subprocess.run([sys.executable, "-m", "fusioncell.cli", "info", str(tmp_path / "new.duckdb")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "newer fusioncell" in r.stderr and "Traceback" not in r.stderr
