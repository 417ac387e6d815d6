"""The typed first read: number columns staged as DOUBLE, and its fallback to the string stage.

With ``plain_numbers`` and ``short_numbers`` (``file_facts``: no field of more than 40 bytes that a number
could be made of), no padding and no blank lines, ``read_csv_file`` stages the number columns as DOUBLE (no
cast in the checks or the insert). It is the happy path only: when DuckDB's reader refuses a record, a check
fails, a key repeats or a record spans lines, the file is staged again with every column a string and checked
as before, so every refusal and quarantine message is the string path's (line, field, problem).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import fusioncell.ingest.filefacts as ff
from casefolder import CaseFolder, at
from fusioncell.errors import InvalidCase
from fusioncell.ingest import ingest_case
from fusioncell.ingest.filefacts import file_facts
from fusioncell.ingest.pipeline import rejects
from fusioncell.store import CaseStore
from fusioncell.store.engine import DuckDBEngine

NUMBERS = ("duration_s", "caller_lat", "caller_lon")


@pytest.mark.parametrize("data, short", [
    (b"h\na,1.5,-2e-3,+7\n", True),
    (b"h\na," + b"1" * 40 + b"\n", True),  # 40 number bytes: the most a number may have
    (b"h\na," + b"1" * 41 + b"\n", False),
    (b"h\n" + b"1" * 41 + b",a\n", False),  # the first field of a line
    (b"h\na," + b"1" * 41, False),  # the file's last field, no line end
    (b"h\na," + b"1" * 40 + b"\r\n", False),  # conservative: the carriage return counts
    (b"h\na," + b"1.5e-3 " * 6 + b"\n", False),  # digits and blanks: could be one padded number
    (b"h\na,\"" + b"1" * 39 + b"\"\n", True),  # quotes are not number bytes; a quoted record is counted instead
    (b"h\na," + b"the call lasted 1234 seconds, said the note" * 3 + b"\n", True),  # long, but text
])
def test_file_facts_proves_short_numbers(tmp_path: Path, data: bytes, short: bool) -> None:
    p = tmp_path / "x.csv"
    p.write_bytes(data)
    assert file_facts(p).short_numbers is short


@pytest.mark.parametrize("chunk", [3, 4, 7, 16])
def test_a_long_number_across_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(ff, "FACTS_CHUNK", chunk)
    p = tmp_path / "x.csv"
    p.write_bytes(b"h,x\nab," + b"9" * 41 + b",cd\nef," + b"9" * 40 + b"\n")
    assert file_facts(p).short_numbers is False
    p.write_bytes(b"h,x\nab," + b"9" * 40 + b",cd\nef," + b"9" * 40 + b"\n")
    assert file_facts(p).short_numbers is True
    assert file_facts(p).lines == 3


def test_lines_counts_an_unfinished_last_line(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_bytes(b"h\na\nb")
    assert file_facts(p).lines == 3
    p.write_bytes(b"h\na\nb\n")
    assert file_facts(p).lines == 3


@pytest.fixture
def staged_as(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...]]]:
    """Every CSV staging of the ingest: (file name, the columns read as DOUBLE)."""
    calls: list[tuple[str, tuple[str, ...]]] = []
    real = DuckDBEngine.stage_csv

    def spy(self: DuckDBEngine, path: Path, columns: Any, mixed_newlines: bool = False, name: str | None = None,
            doubles: Any = (), times: Any = None) -> Any:
        calls.append((Path(path).name, tuple(doubles)))
        return real(self, path, columns, mixed_newlines, name, doubles, times)

    monkeypatch.setattr(DuckDBEngine, "stage_csv", spy)
    return calls


def _case(tmp_path: Path, **odd: Any) -> Path:
    """Three calls; ``odd`` overrides columns of the second (file line 3)."""
    cf = CaseFolder()
    cf.source("cdr", "SIGINT")
    for i in range(3):
        cf.call("+523311110000", f"+52331111000{i + 1}", at(0, 9 + i), cell=((20.67, 20.68, 20.69)[i], -103.35),
                duration_s=60 + i)
    cf.rows["comms.csv"][1].update(odd)
    return cf.write(tmp_path / "case")


def test_a_clean_file_is_read_typed_once_and_stored_as_written(
        tmp_path: Path, staged_as: list[tuple[str, tuple[str, ...]]]) -> None:
    case = _case(tmp_path)
    store = CaseStore.memory()
    ingest_case(case, store)
    assert [c for c in staged_as if c[0] == "comms.csv"] == [
        ("comms.csv", ("duration_s", "caller_lat", "caller_lon"))]
    rows = store.con.execute("SELECT duration_s, caller_lat, caller_lon, line FROM comms ORDER BY line").fetchall()
    assert rows == [(60.0, 20.67, -103.35, 2), (61.0, 20.68, -103.35, 3), (62.0, 20.69, -103.35, 4)]


@pytest.mark.parametrize("odd, column, message", [
    # the reader refuses the record: staged again as strings
    ({"duration_s": "sixty"}, "duration_s", "not a finite decimal number: 'sixty'"),
    ({"caller_lat": "20,67"}, None, None),  # an extra field: the reader's own message, as on the string path
    # the reader takes it, a check fails: staged again as strings
    ({"duration_s": "inf"}, "duration_s", "not a finite decimal number: 'inf'"),
    ({"duration_s": "1e999"}, "duration_s", "out of range 0..31,622,400: 1e999"),
    ({"caller_lat": "91"}, "caller_lat", "latitude out of range -90..90: 91"),
    ({"caller_lat": ""}, "caller_lon", "give caller_lat and caller_lon together, or neither"),
    ({"source_id": "nope"}, "source_id", "unknown source_id 'nope' (not in sources.csv)"),
])
def test_a_refusal_falls_back_to_the_string_stage_with_its_message(
        tmp_path: Path, staged_as: list[tuple[str, tuple[str, ...]]], odd: dict[str, str], column: str | None,
        message: str | None) -> None:
    case = _case(tmp_path, **odd)
    with pytest.raises(InvalidCase) as exc:
        ingest_case(case, CaseStore.memory())
    assert [c for c in staged_as if c[0] == "comms.csv"] == [("comms.csv", NUMBERS), ("comms.csv", ())]
    first = exc.value.problems[0]
    assert (first.file, first.line) == ("comms.csv", 3)
    if message is not None:
        assert (first.column, first.message) == (column, message)
    staged_as.clear()
    with CaseStore.open(tmp_path / "s.duckdb", folder=case) as cs:
        summary = ingest_case(case, cs, quarantine=True)
        rej = rejects(cs)
        kept = cs.con.execute("SELECT duration_s, line FROM comms ORDER BY line").fetchall()
    assert summary.quarantined == 1
    assert [(r["file"], r["line"]) for r in rej] == [("comms.csv", 3)]
    assert rej[0]["raw"] == (case / "comms.csv").read_text(encoding="utf-8").splitlines()[2]
    assert kept == [(60.0, 2), (62.0, 4)]


def test_a_repeated_event_id_falls_back(tmp_path: Path, staged_as: list[tuple[str, tuple[str, ...]]]) -> None:
    case = _case(tmp_path, event_id="com-000001")  # the first call's id
    with pytest.raises(InvalidCase) as exc:
        ingest_case(case, CaseStore.memory())
    assert [c for c in staged_as if c[0] == "comms.csv"] == [("comms.csv", NUMBERS), ("comms.csv", ())]
    p = exc.value.problems[0]
    assert (p.line, p.column, p.message) == (3, "event_id", "duplicate event_id 'com-000001' (first on line 2)")


def test_a_record_over_two_lines_falls_back_and_keeps_exact_lines(
        tmp_path: Path, staged_as: list[tuple[str, tuple[str, ...]]]) -> None:
    case = _case(tmp_path, content="line one\nline two")  # a quoted field with a line feed: lines 3-4
    store = CaseStore.memory()
    ingest_case(case, store)
    assert [c for c in staged_as if c[0] == "comms.csv"] == [("comms.csv", NUMBERS), ("comms.csv", ())]
    rows = store.con.execute("SELECT duration_s, content, line FROM comms ORDER BY line").fetchall()
    assert rows == [(60.0, None, 2), (61.0, "line one\nline two", 3), (62.0, None, 5)]


def test_a_number_longer_than_40_is_never_read_typed(
        tmp_path: Path, staged_as: list[tuple[str, tuple[str, ...]]]) -> None:
    case = _case(tmp_path, duration_s="0." + "0" * 39 + "1")  # 42 characters, a fine DOUBLE
    with pytest.raises(InvalidCase) as exc:
        ingest_case(case, CaseStore.memory())
    assert [c for c in staged_as if c[0] == "comms.csv"] == [("comms.csv", ())]
    p = exc.value.problems[0]
    assert (p.line, p.column, p.message) == (3, "duration_s",
                                             "number longer than 40 characters: '0.000000000000000000…'")
