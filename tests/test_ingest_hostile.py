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
