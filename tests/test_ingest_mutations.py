"""Property: a valid case with one file mutated (bytes, lines, hostile field values, encodings) either
ingests cleanly or is refused with exit 2, one line, and the store exactly as it was — never a traceback,
never a half-written store, never a hang. ``bench/fuzz_ingest.py`` runs the same law for longer."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from mutations import Mutation, build_case, mutations, run_cli, run_mutation, violations

#: Small by default so `make test` stays fast; FUSIONCELL_FUZZ_EXAMPLES raises it.
EXAMPLES = int(os.environ.get("FUSIONCELL_FUZZ_EXAMPLES", "8"))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("fuzz")
    case = build_case(root / "case")
    store = root / "case.duckdb"
    code, _out, err = run_cli(["ingest", str(case), "--store", str(store)])
    assert code == 0, err
    return case, store


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(m=mutations)
def test_a_mutated_case_loads_or_is_refused_cleanly(base: tuple[Path, Path], m: Mutation) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_mutation(m, *base, Path(tmp))
    assert not violations(outcome), f"{m.describe()}: {violations(outcome)}"


# Mutations that once broke the law, replayed on every run.
KNOWN = [
    Mutation("locations.csv", "field", 3, 0, "\u200b"),  # an invisible event_id was loaded
    Mutation("reports.jsonl", "field", 0, 0, "\ud800"),  # lone surrogate in a report id
    Mutation("sources.csv", "cr_only", 0, 0, ""),
    Mutation("case.toml", "flip", 5, 0, ""),  # a NUL byte in case.toml
    Mutation("entities.jsonl", "deep_json", 100_000, 0, ""),
    Mutation("comms.csv", "utf16", 0, 0, ""),
    # a CRLF line end flipped to CR + '!': DuckDB's reader aborted the transaction, then a traceback
    Mutation("locations.csv", "flip", 3370, 1313, ""),
    # a NEL (U+0085) quoted in the error message split it in two lines for str.splitlines()
    Mutation("locations.csv", "field", 12, 774, "\x85"),
]


@pytest.mark.parametrize("m", KNOWN, ids=lambda m: m.describe()[:60])
def test_known_mutations_load_or_are_refused_cleanly(base: tuple[Path, Path], m: Mutation, tmp_path: Path) -> None:
    outcome = run_mutation(m, *base, tmp_path)
    assert not violations(outcome), f"{m.describe()}: {violations(outcome)}"
    assert outcome.code == 2  # each of these is invalid


def test_quarantine_is_only_suggested_for_rows_it_can_set_aside(base: tuple[Path, Path], tmp_path: Path) -> None:
    shape = run_mutation(Mutation("locations.csv", "flip", 3370, 1313, ""), *base, tmp_path / "a")  # a bare CR
    row = run_mutation(Mutation("locations.csv", "field", 2, 4, "999"), *base, tmp_path / "b")  # latitude 999
    assert shape.code == 2 and "--quarantine" not in shape.stderr, shape.stderr
    assert row.code == 2 and "latitude" in row.stderr and "--quarantine" in row.stderr, row.stderr
