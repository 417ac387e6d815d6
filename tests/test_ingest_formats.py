"""Everything the case format allows is accepted: optional files and columns,
extra columns, Z times, BOM, quoted newlines, blank lines, mixed line ends,
read-only folders. Line numbers stay exact."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from fusioncell.ingest import ingest_case
from fusioncell.store import CaseStore
from tests.rows import put

BASE = Path(__file__).parent / "fixtures" / "cases" / "minimal"
HEADER = "event_id,source_id,start,duration_s,channel,caller,callee,caller_lat,caller_lon,callee_lat,callee_lon,content"


def case_with(tmp_path: Path, **files: str | bytes | None) -> Path:
    case = tmp_path / "case"
    shutil.copytree(BASE, case)
    for name, text in files.items():
        path = case / name.replace("_csv", ".csv").replace("_jsonl", ".jsonl").replace("_toml", ".toml")
        if text is None:
            path.unlink()
        elif isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return case


def test_only_case_toml_and_sources_are_needed(tmp_path: Path) -> None:
    toml = (BASE / "case.toml").read_text().split("[[targets]]")[0]
    case = case_with(tmp_path, case_toml=toml, comms_csv=None, locations_csv=None, sightings_csv=None,
                     reports_jsonl=None, entities_jsonl=None)
    store = CaseStore.memory()
    summary = ingest_case(case, store)
    assert store.count("sources") == 4 and store.count("comms") == 0
    assert {f.file for f in summary.files if f.status == "absent"} == {
        "comms.csv", "locations.csv", "sightings.csv", "reports.jsonl", "entities.jsonl"}


def test_optional_columns_may_be_absent_and_extra_columns_are_kept(tmp_path: Path) -> None:
    comms = ("event_id,source_id,start,duration_s,channel,caller,callee,cell_id,imsi_hint\n"
             "c1,s-sig,2026-01-10T20:00:00Z,60,CALL,33 1234 5678,+523398765432,MX-JAL-0042,\n")
    case = case_with(tmp_path, comms_csv=comms)
    store = CaseStore.memory()
    ingest_case(case, store)
    row = store.con.execute("SELECT channel, caller_lat, content, extra FROM comms").fetchone()
    assert row[0] == "call" and row[1] is None and row[2] is None
    assert json.loads(row[3]) == {"cell_id": "MX-JAL-0042", "imsi_hint": None}


def test_quoted_newlines_blank_lines_and_bom_keep_exact_lines(tmp_path: Path) -> None:
    comms = ("\ufeff" + HEADER + "\n"
             'c1,s-sig,2026-01-10T20:00:00-06:00,60,call,33 1234 5678,+523398765432,,,,,"línea uno\nlínea dos"\n'
             "\n"
             "c2,s-sig,2026-01-10T21:00:00Z,0,sms,+523398765432,3312345678,,,,,\n"
             'c3,s-sig,2026-01-11T08:00:00+00:00,30,message,33 1234 5678,p-target,,,,,"con ""comillas"""\n')
    case = case_with(tmp_path, comms_csv=comms)
    store = CaseStore.memory()
    ingest_case(case, store)
    got = dict(store.con.execute("SELECT event_id, line FROM comms").fetchall())
    assert got == {"c1": 2, "c2": 5, "c3": 6}
    contents = dict(store.con.execute("SELECT event_id, content FROM comms").fetchall())
    assert contents["c1"] == "línea uno\nlínea dos" and contents["c3"] == 'con "comillas"'


def test_a_problem_after_a_multiline_record_is_placed_on_its_line(tmp_path: Path) -> None:
    from fusioncell.errors import InvalidCase

    comms = (HEADER + "\n"
             'c1,s-sig,2026-01-10T20:00:00-06:00,60,call,33 1234 5678,+523398765432,,,,,"a\nb\nc"\n'
             "\n"
             "c2,s-sig,2026-01-10T21:00:00,0,sms,+523398765432,3312345678,,,,,\n")
    with pytest.raises(InvalidCase) as err:
        ingest_case(case_with(tmp_path, comms_csv=comms), CaseStore.memory())
    assert [(p.line, p.column) for p in err.value.problems] == [(6, "start")]


def test_mixed_line_ends_are_read(tmp_path: Path) -> None:
    text = (BASE / "comms.csv").read_text().splitlines()
    data = (text[0] + "\r\n" + text[1] + "\r\n" + text[2] + "\n" + text[3] + "\n").encode()
    store = CaseStore.memory()
    ingest_case(case_with(tmp_path, comms_csv=data), store)
    assert dict(store.con.execute("SELECT event_id, line FROM comms").fetchall()) == {"c1": 2, "c2": 3, "c3": 4}


def test_blank_padded_values_are_stripped(tmp_path: Path) -> None:
    comms = HEADER + "\n c1 , s-sig ,2026-01-10T20:00:00-06:00 , 60 , call ,33 1234 5678, +523398765432 ,,,,,\n"
    store = CaseStore.memory()
    ingest_case(case_with(tmp_path, comms_csv=comms), store)
    assert store.con.execute("SELECT event_id, source_id, duration_s, caller, callee FROM comms").fetchone() == (
        "c1", "s-sig", 60.0, "+523312345678", "+523398765432")


def test_times_with_z_and_offsets_are_the_same_instant(tmp_path: Path) -> None:
    comms = (HEADER + "\n"
             "a,s-sig,2026-01-10T20:00:00-06:00,1,call,+523312345678,+523398765432,,,,,\n"
             "b,s-sig,2026-01-11T02:00:00Z,1,call,+523312345678,+523398765432,,,,,\n"
             "c,s-sig,2026-01-11T07:30:00+05:30,1,call,+523312345678,+523398765432,,,,,\n")
    store = CaseStore.memory()
    ingest_case(case_with(tmp_path, comms_csv=comms), store)
    assert store.con.execute("SELECT count(DISTINCT start) FROM comms").fetchone() == (1,)


def test_read_only_case_folder(tmp_path: Path) -> None:
    case = case_with(tmp_path)
    before = sorted(p.name for p in case.rglob("*"))
    for p in [case, *case.iterdir()]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        store = CaseStore.open(tmp_path / "elsewhere.duckdb")
        ingest_case(case, store)
        assert store.count("comms") == 3
        # nothing is written into the case folder (root ignores the permissions, so check directly)
        assert sorted(p.name for p in case.rglob("*")) == before
    finally:
        case.chmod(0o755)


def test_a_removed_optional_file_empties_its_table(tmp_path: Path) -> None:
    case = case_with(tmp_path)
    store = CaseStore.memory()
    ingest_case(case, store)
    (case / "sightings.csv").unlink()
    summary = ingest_case(case, store)
    assert [f.file for f in summary.files if f.status == "removed"] == ["sightings.csv"]
    assert store.count("sightings") == 0
    assert store.con.execute("SELECT count(*) FROM identifiers WHERE n_sightings > 0").fetchone() == (0,)


def test_changing_sources_redoes_dependent_files(tmp_path: Path) -> None:
    case = case_with(tmp_path)
    store = CaseStore.memory()
    ingest_case(case, store)
    text = (case / "sources.csv").read_text().replace("s-sig,AG-A", "s-sig,AG-C")
    (case / "sources.csv").write_text(text)
    summary = ingest_case(case, store)
    redone = {f.file for f in summary.files if f.status == "ingested"}
    assert {"sources.csv", "comms.csv", "locations.csv", "sightings.csv", "reports.jsonl"} <= redone
    assert store.con.execute("SELECT DISTINCT agency FROM comms").fetchall() == [("AG-C",)]


def test_rows_not_from_case_files_survive_a_reingest(tmp_path: Path) -> None:
    # e.g. a partner's bundle added by `fusioncell import`: its rows have no file line
    case = case_with(tmp_path)
    store = CaseStore.memory()
    ingest_case(case, store)
    put(store.con, "sources", source_id="p-1", agency="PARTNER", discipline="HUMINT", reliability="B",
        releasable_to=[])
    put(store.con, "reports", report_id="pr-1", source_id="p-1", agency="PARTNER", credibility=2, text="x")
    store.con.execute("INSERT INTO claims (report_id, claim_no, source_id, agency, subject, predicate, object) "
                      "VALUES ('pr-1', 0, 'p-1', 'PARTNER', 'p-target', 'meets', 'p-partner')")
    (case / "reports.jsonl").write_text((case / "reports.jsonl").read_text().replace("Ana usa", "Ana usa ya"))
    (case / "sources.csv").write_text((case / "sources.csv").read_text().replace("cdr", "CDR"))
    ingest_case(case, store)
    assert store.con.execute("SELECT report_id FROM reports ORDER BY 1").fetchall() == [("pr-1",), ("r1",)]
    assert store.con.execute("SELECT report_id, count(*) FROM claims GROUP BY 1 ORDER BY 1").fetchall() == [
        ("pr-1", 1), ("r1", 1)]
    assert store.con.execute("SELECT count(*) FROM sources").fetchone() == (5,)


def test_a_file_without_quotes_is_not_searched_for_line_feeds_and_keeps_its_lines(tmp_path: Path) -> None:
    """No double quote in the file: no field can span lines, so line numbers are record + 2 without the search."""
    from fusioncell.ingest.pipeline import file_facts

    plain = tmp_path / "plain.csv"
    plain.write_text(HEADER + "\nc1,s,2026-01-10T20:00:00Z,60,call,1,2,,,,,\n", encoding="utf-8")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(HEADER + '\nc1,s,2026-01-10T20:00:00Z,60,call,1,2,,,,,"x"\n', encoding="utf-8")
    assert (file_facts(plain).quoted, file_facts(quoted).quoted) == (False, True)
