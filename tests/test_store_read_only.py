"""A store opened read-only answers ``locate`` from its current derived tables, and refuses in one clear
sentence when they must first be built (before: a DuckDB "Cannot execute statement of type CREATE")."""

from __future__ import annotations

from pathlib import Path

import pytest

from fusioncell.errors import UsageError
from fusioncell.infer.locate import locate
from fusioncell.store import CaseStore, open_case
from test_locate_scenes import COMPOUND, NIGHTS, _base, _dist, _partner


def test_read_only_locate_needs_built_tables_then_gives_the_writable_answer(tmp_path: Path) -> None:
    c = _base(compound_covered=True)
    _partner(c, NIGHTS, silent=False)
    folder = c.write(tmp_path / "case")
    with open_case(folder):  # ingest only
        pass
    store = folder / ".fusioncell" / "case.duckdb"
    with CaseStore.open(store, read_only=True, folder=folder) as cs:
        with pytest.raises(UsageError, match="opened read-only") as err:
            locate(cs, top=3)
        assert "fusioncell locate" in str(err.value) and "\n" not in str(err.value)
    with open_case(folder) as cs:
        writable = locate(cs, top=3)
    with CaseStore.open(store, read_only=True, folder=folder) as cs:
        read_only = locate(cs, top=3)
    assert _dist(read_only["hypotheses"][0], COMPOUND) <= 300
    assert [(h["lat"], h["lon"], h["probability"]) for h in read_only["hypotheses"]] == \
        [(h["lat"], h["lon"], h["probability"]) for h in writable["hypotheses"]]
