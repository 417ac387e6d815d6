"""Hostile and invalid input: each is refused with a problem naming the file (and line, field) — never a
traceback, a hang, or a silent load. Each case once crashed (traceback), hung, or was accepted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from conftest import EXAMPLE, copy_example
from fusioncell.errors import FusioncellError
from fusioncell.ingest import ingest_case
from fusioncell.store import CaseStore


def _edit(file: str, old: str, new: str) -> Callable[[Path], None]:
    def go(d: Path) -> None:
        text = (EXAMPLE / file).read_text(encoding="utf-8")
        assert old in text
        (d / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return go


def _write(file: str, content: bytes | str) -> Callable[[Path], None]:
    def go(d: Path) -> None:
        (d / file).unlink()
        if isinstance(content, bytes):
            (d / file).write_bytes(content)
        else:
            (d / file).write_text(content, encoding="utf-8")
    return go


def _replace_with(file: str, make: Callable[[Path], None]) -> Callable[[Path], None]:
    def go(d: Path) -> None:
        (d / file).unlink()
        make(d / file)
    return go


REPORT = '{"report_id":"r1","source_id":"humint-07","reported":"2026-02-12T18:00:00-06:00","credibility":%s}\n'
CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # name: (mutation, file named, words in the message)
    "offset beyond 14h": (_edit("locations.csv", "2026-02-14T06:17:00-06:00", "2026-02-14T06:17:00+25:00"),
                          "locations.csv:3", "offset beyond"),
    "year 0000": (_edit("locations.csv", "2026-02-14T06:17:00-06:00", "0000-02-14T06:17:00-06:00"),
                  "locations.csv:3", "implausible time"),
    "inf accuracy": (_edit("locations.csv", ",900\n", ",inf\n"), "locations.csv:3", "finite"),
    "nan accuracy": (_edit("locations.csv", ",900\n", ",nan\n"), "locations.csv:3", "finite"),
    "underscored number": (_edit("locations.csv", ",900\n", ",1_000\n"), "locations.csv:3", "finite"),
    "CR-only line ends": (_write("locations.csv", (EXAMPLE / "locations.csv").read_bytes().replace(b"\n", b"\r")),
                          "locations.csv:1", "carriage return"),
    "wildcard releasability": (_edit("sources.csv", ",PARTNER-US\n", ",*\n"), "sources.csv:2", "no wildcard"),
    "unknown TLP": (_edit("sources.csv", "releasable_to\n", "releasable_to,tlp\n"), "sources.csv", "tlp"),
    "a directory": (_replace_with("sightings.csv", lambda p: p.mkdir()), "sightings.csv", "directory"),
    "a dangling link": (_replace_with("sightings.csv", lambda p: os.symlink("/nonexistent/x", p)), "sightings.csv",
                        "link to nothing"),
    "a FIFO": (_replace_with("sightings.csv", lambda p: os.mkfifo(p)), "sightings.csv", "FIFO"),
    "JSON 100,000 deep": (_write("reports.jsonl", "[" * 100_000 + "]" * 100_000 + "\n"), "reports.jsonl:1", "too deep"),
    "5,000-digit number": (_write("reports.jsonl", REPORT % ("9" * 5000)), "reports.jsonl:1", "number"),
    "lone surrogate": (_write("reports.jsonl", REPORT.replace('"r1"', '"r1\\ud800"') % 2), "reports.jsonl:1",
                       "surrogate"),
    "1M-column line": (_write("locations.csv", (EXAMPLE / "locations.csv").read_text() + ",".join("x" * 1_000_000)),
                       "locations.csv", "longer than"),
    "latitude 999 on an entity": (_write("entities.jsonl", (EXAMPLE / "entities.jsonl").read_text() + json.dumps(
        {"id": "addr-x", "schema": "Address", "properties": {"full": ["x"], "latitude": ["999"]}}) + "\n"),
        "entities.jsonl", "out of range"),
    # found by the second round (issue #15): each crashed, hung or was accepted before
    "TOML nested 100,000 deep": (_write("case.toml", (EXAMPLE / "case.toml").read_text() + "x = " + "[" * 100_000
                                       + "]" * 100_000 + "\n"), "case.toml", "nested too deep"),
    "TOML 5,000-digit integer": (_edit("case.toml", "[[targets]]", "x = " + "9" * 5000 + "\n[[targets]]"), "case.toml",
                                 "digits"),
    "wildcard owner agency": (_edit("case.toml", 'owner_agency = "SEDENA-INT"', 'owner_agency = "*"'), "case.toml:6",
                              "not an agency code"),
    "junk line of 500,000 one-letter fields": (_write("locations.csv", (EXAMPLE / "locations.csv").read_text()
                                                      + "x," * 500_000 + "\n"), "locations.csv:36", "fields"),
    "header of 1M empty columns": (_write("locations.csv", "," * 999_999 + "\n"), "locations.csv:1", "fields"),
    "header of 300 columns": (_edit("locations.csv", "accuracy_m\n", "accuracy_m," + ",".join(f"c{i}" for i in range(293))
                                    + "\n"), "locations.csv:1", "more than the 256"),
    "5,000-digit accuracy": (_edit("locations.csv", ",900\n", "," + "9" * 5000 + "\n"), "locations.csv:3",
                             "longer than 40"),
    "accuracy of 1e308 m": (_edit("locations.csv", ",900\n", ",1e308\n"), "locations.csv:3", "out of range"),
    "call of 1e20 s": (_edit("comms.csv", "-06:00,124,call", "-06:00,1e20,call"), "comms.csv:2", "out of range"),
    "a bare CR inside a CRLF file": (_write("locations.csv", (EXAMPLE / "locations.csv").read_bytes()  # CRLF
                                            .replace(b"900\r\n", b"900\r!", 1)), "locations.csv:3", "carriage return"),
    "zero-width event_id": (_edit("locations.csv", "l-0002,", "\u200b\u200d,"), "locations.csv:3", "invisible"),
    "zero-width report_id": (_edit("reports.jsonl", '"r-017"', '"\\u200b"'), "reports.jsonl:1", "report_id"),
    "a key twice in a JSON object": (_write("reports.jsonl", REPORT.replace('"r1",', '"r1","report_id":"r2",') % 2),
                                     "reports.jsonl:1", "appears twice"),
    "NaN in JSON": (_write("reports.jsonl", REPORT % "NaN"), "reports.jsonl:1", "NaN"),
    "claim valid in year 9999": (_write("reports.jsonl", REPORT.replace("}\n", ',"claims":[{"subject":"person-target",'
                                        '"predicate":"partner_of","object":"alias:x","valid_from":"9999-01-01T00:00:00Z"}]}\n') % 2),
                                 "reports.jsonl:1", "implausible"),
    "claim radius of 1e9 m": (_write("reports.jsonl", REPORT.replace("}\n", ',"claims":[{"subject":"person-target",'
                                     '"predicate":"located_near","lat":19.9,"lon":-103.7,"radius_m":1e9}]}\n') % 2),
                              "reports.jsonl:1", "radius_m"),
    "protected as a string": (_write("entities.jsonl", (EXAMPLE / "entities.jsonl").read_text() + json.dumps(
        {"id": "p-x", "schema": "Person", "protected": "yes", "properties": {"name": ["x"]}}) + "\n"),
        "entities.jsonl:13", "true or false"),
    "zero-width entity id": (_write("entities.jsonl", (EXAMPLE / "entities.jsonl").read_text() + json.dumps(
        {"id": "\u200b", "schema": "Person", "properties": {"name": ["x"]}}) + "\n"), "entities.jsonl:13", "'id'"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input_is_refused_naming_the_file_and_nothing_is_written(name: str, tmp_path: Path) -> None:
    mutate, where, words = CASES[name]
    case = copy_example(tmp_path / "case")
    if name == "unknown TLP":  # the column is optional: add it with a level that does not exist
        text = (case / "sources.csv").read_text(encoding="utf-8").splitlines()
        text = [text[0] + ",tlp"] + [ln + ",PURPLE" for ln in text[1:]]
        (case / "sources.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    else:
        mutate(case)
    with CaseStore.open(tmp_path / "s.duckdb", folder=case) as cs:
        with pytest.raises(FusioncellError) as err:
            ingest_case(case, cs, quiet=True)
        msg = str(err.value)
        assert where in msg and words.lower() in msg.lower(), msg
        assert cs.con.execute("SELECT count(*) FROM case_info").fetchone() == (0,)


def test_the_cli_answers_hostile_input_with_exit_2_and_one_line(tmp_path: Path) -> None:
    case = copy_example(tmp_path / "case")
    (case / "sightings.csv").unlink()
    os.mkfifo(case / "sightings.csv")  # once read as an empty file (or a hang)
    r = subprocess.run([sys.executable, "-m", "fusioncell.cli", "ingest", str(case)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "FIFO" in r.stderr


def test_a_script_gets_exactly_one_error_line(tmp_path: Path) -> None:
    case = copy_example(tmp_path / "case")
    _edit("locations.csv", ",900\n", ",inf\n")(case)
    r = subprocess.run([sys.executable, "-m", "fusioncell.cli", "ingest", str(case)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "locations.csv:3" in r.stderr


def _declare(case: Path, agencies: str) -> None:
    toml = case / "case.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[[targets]]", f"agencies = {agencies}\n\n[[targets]]"),
                    encoding="utf-8")


def test_a_case_that_declares_its_agencies_loads_when_sources_name_only_those(tmp_path: Path) -> None:
    case = copy_example(tmp_path / "case")
    _declare(case, '["PARTNER-US"]')  # the owner (SEDENA-INT) is declared by owner_agency
    with CaseStore.open(tmp_path / "s.duckdb", folder=case) as cs:
        assert ingest_case(case, cs, quiet=True).rows("sources.csv") == 9


def test_an_agency_the_case_does_not_declare_is_refused_naming_line_and_field(tmp_path: Path) -> None:
    case = copy_example(tmp_path / "case")
    _declare(case, '["SEDENA-INT", "PARTNER-US"]')
    _edit("sources.csv", "imint-01,SEDENA-INT,IMINT,UAV electro-optical low-altitude daytime passes,B,PARTNER-US",
          "imint-01,SEDENA-INT,IMINT,UAV electro-optical low-altitude daytime passes,B,PARTNR-US")(case)
    with CaseStore.open(tmp_path / "s.duckdb", folder=case) as cs:
        with pytest.raises(FusioncellError) as err:
            ingest_case(case, cs, quiet=True)
        assert str(err.value).startswith("sources.csv:5: column 'releasable_to': agency 'PARTNR-US' is not among")
        assert cs.con.execute("SELECT count(*) FROM sources").fetchone() == (0,)


def test_declaring_agencies_later_rechecks_the_sources_already_loaded(tmp_path: Path) -> None:
    case = copy_example(tmp_path / "case")
    with CaseStore.open(tmp_path / "s.duckdb", folder=case) as cs:
        ingest_case(case, cs, quiet=True)
        before = cs.con.execute("SELECT count(*), max(title) FROM case_info").fetchone()
        _declare(case, '["SEDENA-INT"]')  # PARTNER-US owns partner-01 (line 9) and receives others
        with pytest.raises(FusioncellError) as err:
            ingest_case(case, cs, quiet=True)
        problems = err.value.problems  # type: ignore[attr-defined]
        assert ("sources.csv", 9, "agency") in {(p.file, p.line, p.column) for p in problems}
        assert cs.con.execute("SELECT count(*), max(title) FROM case_info").fetchone() == before
        assert "agencies" not in cs.con.execute("SELECT raw_toml FROM case_info").fetchone()[0]


def test_a_declared_agency_list_with_a_wildcard_is_refused(tmp_path: Path) -> None:
    case = copy_example(tmp_path / "case")
    _declare(case, '["SEDENA-INT", "*"]')
    with CaseStore.open(tmp_path / "s.duckdb", folder=case) as cs:
        with pytest.raises(FusioncellError, match=r"case.toml:\d+: column 'agencies': not an agency code"):
            ingest_case(case, cs, quiet=True)
