"""The bad-input corpus: each broken case names file, line and column, and commits nothing of that file.

Each folder under tests/fixtures/bad/ holds the file(s) that replace the same
file(s) of the valid case tests/fixtures/cases/minimal/. Expected places are
read off the fixture files by hand (line 1 is a CSV header).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fusioncell.errors import InvalidCase, PolicyViolation
from fusioncell.ingest import ingest_case
from fusioncell.store import CaseStore

FIXTURES = Path(__file__).parent / "fixtures"
BASE = FIXTURES / "cases" / "minimal"

# name -> [(file, line, column, words the message must contain)]
EXPECTED: dict[str, list[tuple[str, int | None, str | None, str]]] = {
    "naive_timestamp": [("comms.csv", 3, "start", "without an offset")],
    "unknown_source": [("locations.csv", 3, "source_id", "unknown source_id 's-nope'")],
    "lat_out_of_range": [("sightings.csv", 2, "lat", "latitude out of range"),
                         ("sightings.csv", 3, "lon", "longitude out of range")],
    "duplicate_event_id": [("comms.csv", 4, "event_id", "first on line 2")],
    "unknown_entity": [("sightings.csv", 2, "subject", "unknown entity reference 'p-ghost'")],
    "unknown_entity_reference": [("entities.jsonl", 3, "properties.owner", "unknown entity reference 'p-ghost'")],
    "broken_json": [("reports.jsonl", 2, None, "broken JSON")],
    "wrong_encoding": [("comms.csv", 3, "content", "UTF-8")],
    "empty_file": [("locations.csv", None, None, "empty")],
    "many_problems": [
        ("comms.csv", 2, "start", "without an offset"),
        ("comms.csv", 3, "duration_s", "not a finite decimal number"),
        ("comms.csv", 4, "caller", "unknown entity reference 'xyz-unknown'"),
        ("comms.csv", 4, "channel", "must be one of"),
        ("comms.csv", 5, "caller_lon", "together"),
        ("comms.csv", 5, "duration_s", "negative"),
    ],
    "missing_column": [("locations.csv", 1, "lat", "missing from the header")],
    "ragged_row": [("comms.csv", 3, "caller", "too few fields")],
    "ftm_would_drop": [
        ("entities.jsonl", 1, "properties.birthDate", "silently drop"),
        ("entities.jsonl", 2, "properties.email", "silently drop"),
        ("entities.jsonl", 2, "properties.phone", "'12'"),
    ],
    "bad_credibility": [
        ("reports.jsonl", 1, "claims[0].radius_m", "needs 'radius_m'"),
        ("reports.jsonl", 1, "claims[1].predicate", "unknown predicate 'teleports'"),
        ("reports.jsonl", 1, "credibility", "1..6"),
        ("reports.jsonl", 1, "reported", "without an offset"),
    ],
    "target_not_an_entity": [("case.toml", 12, "entity_id", "'p-nobody'")],
    "invalid_toml": [("case.toml", 3, None, "not valid TOML")],
    "no_phone_region": [("entities.jsonl", 2, "properties.phone", "no phone_region")],
    "bad_grades_in_sources": [("sources.csv", 3, "reliability", "'Z'"),
                              ("sources.csv", 4, "discipline", "'IMAGERY'")],
}
#: The store table each broken file fills (must stay empty).
TABLE_OF = {"comms.csv": "comms", "locations.csv": "locations", "sightings.csv": "sightings",
            "reports.jsonl": "reports", "entities.jsonl": "entities", "sources.csv": "sources",
            "case.toml": "case_info"}


def broken_case(tmp_path: Path, name: str) -> Path:
    case = tmp_path / name
    shutil.copytree(BASE, case)
    for f in (FIXTURES / "bad" / name).iterdir():
        shutil.copy(f, case / f.name)
    return case


def test_every_fixture_has_an_expectation() -> None:
    assert {p.name for p in (FIXTURES / "bad").iterdir() if p.is_dir()} == set(EXPECTED) | {"missing_legal_authority"}


def test_the_base_case_is_valid() -> None:
    summary = ingest_case(BASE, CaseStore.memory())
    assert summary.rows("comms.csv") == 3


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_names_file_line_and_column(tmp_path: Path, name: str) -> None:
    store = CaseStore.memory()
    with pytest.raises(InvalidCase) as err:
        ingest_case(broken_case(tmp_path, name), store)
    got = sorted((p.file, p.line, p.column) for p in err.value.problems)
    want = EXPECTED[name]
    assert got == sorted((f, ln, c) for f, ln, c, _ in want)
    for f, ln, c, words in want:
        msg = next(p.message for p in err.value.problems if (p.file, p.line, p.column) == (f, ln, c))
        assert words in msg
    # all or nothing, per delivery: one broken file leaves nothing of the whole delivery
    # behind (before, the files that did not depend on it were committed, and locate
    # then ran on part of a delivery without a word)
    for f in {f for f, *_ in want} | {"sources.csv"}:
        assert store.count(TABLE_OF[f]) == 0, f
    assert store.count("ingest_log") == 0


def test_a_case_without_legal_authority_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    store = CaseStore.memory()
    with pytest.raises(PolicyViolation, match="legal_authority"):
        ingest_case(broken_case(tmp_path, "missing_legal_authority"), store)
    assert all(store.count(t) == 0 for t in ("sources", "comms", "entities", "ingest_log"))


def test_missing_required_file(tmp_path: Path) -> None:
    case = tmp_path / "c"
    shutil.copytree(BASE, case)
    (case / "sources.csv").unlink()
    with pytest.raises(InvalidCase) as err:
        ingest_case(case, CaseStore.memory())
    assert [(p.file, p.line) for p in err.value.problems] == [("sources.csv", None)]


def test_fixing_the_file_then_ingests_it(tmp_path: Path) -> None:
    case = broken_case(tmp_path, "naive_timestamp")
    store = CaseStore.memory()
    with pytest.raises(InvalidCase):
        ingest_case(case, store)
    shutil.copy(BASE / "comms.csv", case / "comms.csv")
    summary = ingest_case(case, store)
    assert "comms.csv" in [f.file for f in summary.files if f.status == "ingested"]  # the whole delivery, now
    assert store.count("comms") == 3 and store.count("sources") == 4


def test_problems_are_capped_but_counted(tmp_path: Path) -> None:
    from fusioncell.ingest.csvfiles import MAX_PROBLEMS

    case = tmp_path / "c"
    shutil.copytree(BASE, case)
    n = MAX_PROBLEMS + 50
    rows = "".join(f"x{i},s-sig,2026-01-10T20:00:00,60,call,+523312345678,+523398765432,,,,,\n" for i in range(n))
    (case / "comms.csv").write_text((BASE / "comms.csv").read_text().splitlines()[0] + "\n" + rows)
    with pytest.raises(InvalidCase) as err:
        ingest_case(case, CaseStore.memory())
    probs = err.value.problems
    assert len(probs) == MAX_PROBLEMS + 1
    assert probs[0].line == 2 and probs[MAX_PROBLEMS - 1].line == MAX_PROBLEMS + 1
    assert "50 more" in probs[-1].message


def test_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    case = broken_case(tmp_path, "unknown_source")
    out = subprocess.run([sys.executable, "-m", "fusioncell.cli", "ingest", str(case), "--store", str(tmp_path / "s.duckdb")],
                         capture_output=True, text=True)
    assert out.returncode == 2
    errors = [ln for ln in out.stderr.splitlines() if ln.startswith("fusioncell: error")]
    assert len(errors) == 1 and "locations.csv:3" in errors[0] and "source_id" in errors[0]
    assert "Traceback" not in out.stderr
