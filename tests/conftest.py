"""Shared fixtures: the hand-written example case, ingested once per module."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "op-tapalpa"


@pytest.fixture(autouse=True, scope="session")
def _sql_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Compiled SQL (fusioncell.store.sqlcache) kept in the session's temporary folder, not the user's cache."""
    os.environ["FUSIONCELL_SQL_CACHE"] = str(tmp_path_factory.mktemp("sql-cache"))


def copy_example(dest: Path) -> Path:
    """A copy of examples/op-tapalpa without any cached store."""
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(".fusioncell", "*.duckdb*"))
    return dest


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example case ingested into a store file (no audit entry yet)."""
    from fusioncell.ingest import ingest_case
    from fusioncell.store import CaseStore

    root = tmp_path_factory.mktemp("case")
    folder = copy_example(root / "op-tapalpa")
    path = root / "case.duckdb"
    with CaseStore.open(path, folder=folder) as cs:
        ingest_case(folder, cs, quiet=True)
    return path


@pytest.fixture()
def store_file(ingested: Path, tmp_path: Path) -> Path:
    """A per-test copy of the ingested example store."""
    dest = tmp_path / "case.duckdb"
    shutil.copy(ingested, dest)
    return dest


@pytest.fixture(scope="session")
def protected_worlds(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """``build((seed, difficulty, roles))``: a simulated world with protected people, built once a session.

    See tests/protected_world.py. Users must not write to it (copy it first).
    """
    from tests.protected_world import _protect_world

    built: dict[tuple, tuple] = {}

    def build(spec: tuple) -> tuple:
        if spec not in built:
            seed, difficulty, roles = spec
            built[spec] = _protect_world(tmp_path_factory.mktemp(f"protected-{seed}"), seed, difficulty, roles)
        return built[spec]

    return build


@pytest.fixture(scope="session")
def protected_world(protected_worlds):  # type: ignore[no-untyped-def]
    """The first world of tests/protected_world.py (the seed lead and the partner protected)."""
    from tests.protected_world import WORLDS

    return protected_worlds(WORLDS[0])
