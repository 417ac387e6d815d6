"""The number check without a regular expression (``plain_numbers``) and its fallback.

``file_facts`` proves a file's numbers plain when no byte is ``_`` or a vertical tab and no two signs are
adjacent (DuckDB reads ``1_000``, ``+-5`` and ``\\v1`` as numbers; the format does not). Then the check
tests for ``inf``/``nan`` spellings instead of matching ``_NUMBER``; otherwise the regular expression runs
as before. Either way a bad number is refused with the same message (worked out from the rules in
csvfiles._checks: the number check, then the range check, both on the record's line).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fusioncell.ingest.filefacts as ff
from fusioncell.errors import InvalidCase
from fusioncell.ingest import ingest_case
from fusioncell.ingest.csvfiles import COMMS, _checks
from fusioncell.ingest.filefacts import file_facts
from fusioncell.ingest.pipeline import rejects
from fusioncell.store import CaseStore
from fusioncell.store.engine import DuckDBEngine

BASE = Path(__file__).parent / "fixtures" / "cases" / "minimal"
LINE2 = "c1,s-sig,2026-01-10T20:00:00-06:00,60,call,33 1234 5678,+523398765432,20.67,-103.35,20.66,-103.34,"


@pytest.mark.parametrize("data, plain", [
    (b"h_1,h--2\na,1.5,-2e-3,+7\n", True),  # the header line's names may hold anything
    (b"h\na,1.5,-2e-3,+7\n", True),
    (b"h\na,1_000\n", False),
    (b"h\na,+-5\n", False),
    (b"h\na,-+5\n", False),
    (b"h\na,--5\n", False),
    (b"h\na,\x0b1\n", False),
    (b"h\n1_0\n", False),
    (b"h\na,-\n-1\n", True),  # a sign ending one line and one starting the next are not adjacent
])
def test_file_facts_proves_plain_numbers(tmp_path: Path, data: bytes, plain: bool) -> None:
    p = tmp_path / "x.csv"
    p.write_bytes(data)
    assert file_facts(p).plain_numbers is plain


def test_adjacent_signs_across_a_chunk_boundary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ff, "FACTS_CHUNK", 4)
    p = tmp_path / "x.csv"
    p.write_bytes(b"h_x\nabc+-5\n")  # chunks "h_x\n", "abc+" and "-5\n"
    assert file_facts(p).plain_numbers is False
    p.write_bytes(b"h_x\nabcd-5\n")
    assert file_facts(p).plain_numbers is True


def _case(tmp_path: Path, line2: str) -> Path:
    case = tmp_path / "case"
    shutil.copytree(BASE, case)
    comms = (case / "comms.csv").read_text(encoding="utf-8")
    assert LINE2 in comms
    (case / "comms.csv").write_text(comms.replace(LINE2, line2), encoding="utf-8")
    return case


LONG = "1" * 41
CASES = [  # (line 2 of comms.csv, plain file?, [(column, message)])
    (LINE2.replace(",60,", ",1_000,"), False, [("duration_s", "not a finite decimal number: '1_000'")]),
    (LINE2.replace(",60,", ",+-5,"), False, [("duration_s", "not a finite decimal number: '+-5'"),
                                             ("duration_s", "must not be negative: +-5")]),
    (LINE2.replace(",60,", ",inf,"), True, [("duration_s", "not a finite decimal number: 'inf'"),
                                            ("duration_s", "out of range 0..31,622,400: inf")]),
    (LINE2.replace(",60,", f",{LONG},"), True,
     [("duration_s", "number longer than 40 characters: '11111111111111111111…'")]),
    (LINE2.replace(",20.67,", ",nan,"), True, [("caller_lat", "not a finite decimal number: 'nan'"),
                                               ("caller_lat", "latitude out of range -90..90: nan")]),
    (LINE2.replace(",-103.35,", ",-Infinity,"), True,
     [("caller_lon", "not a finite decimal number: '-Infinity'"),
      ("caller_lon", "longitude out of range -180..180: -Infinity")]),
    (LINE2.replace(",60,", ",1e999,"), True, [("duration_s", "out of range 0..31,622,400: 1e999")]),
]


@pytest.mark.parametrize("line2, plain, expected", CASES)
def test_bad_numbers_are_refused_and_quarantined_alike_on_both_paths(
        tmp_path: Path, line2: str, plain: bool, expected: list[tuple[str, str]]) -> None:
    case = _case(tmp_path, line2)
    assert file_facts(case / "comms.csv").plain_numbers is plain
    with pytest.raises(InvalidCase) as exc:
        ingest_case(case, CaseStore.memory())
    got = [(p.file, p.line, p.column, p.message) for p in exc.value.problems]
    assert got == [("comms.csv", 2, col, msg) for col, msg in expected]
    with CaseStore.open(tmp_path / "s.duckdb", folder=case) as cs:
        summary = ingest_case(case, cs, quarantine=True)
        rej = rejects(cs)
    assert summary.quarantined == 1
    assert [(r["file"], r["line"], r["field"], r["rule"]) for r in rej] == [
        ("comms.csv", 2, expected[0][0], expected[0][1])]
    assert rej[0]["raw"] == line2


#: characters a number column may hold in a plain file: no '_', no vertical tab, signs never adjacent
PLAIN = st.lists(st.sampled_from(list("0123456789.eE+- \tabinfIN,x\x00\x0c\r\u00a0\u0660") + ["inf", "nan", "Infinity",
                                                                                   "e999", "9" * 25]),
                 max_size=8).map("".join).filter(lambda s: "+-" not in s and "-+" not in s and "++" not in s
                                                  and "--" not in s)


@settings(max_examples=60, deadline=None)
@given(st.lists(PLAIN, min_size=1, max_size=40))
def test_plain_number_check_fires_on_the_rows_the_regular_expression_does(values: list[str]) -> None:
    eng = DuckDBEngine(CaseStore.memory().con)
    names = [c.name for c in COMMS.cols]
    cols = {n: pa.array(values if n == "duration_s" else ["x"] * len(values), pa.string()) for n in names}
    t = eng.from_arrow(pa.table(cols))
    header = {"duration_s"}

    def number_check(plain: bool) -> object:
        checks = _checks(COMMS, t, header, None, {}, set(), False, plain)
        return [ck.bad for ck, _ in checks][1]  # 0: empty, 1: number, 2: range

    got = eng.to_arrow(t.select(fast=number_check(True), slow=number_check(False))).to_pylist()
    assert [r["fast"] for r in got] == [r["slow"] for r in got]
