"""Compiled SQL kept across processes (fusioncell.store.sqlcache).

A "new process" is simulated by clearing the engine's in-memory cache; a compile is detected by the expression
being built (the builder is only called on a miss).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import ibis
import pytest

from fusioncell.store import sqlcache
from fusioncell.store.engine import DuckDBEngine
from fusioncell.store.schema import TABLES


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "sql"
    monkeypatch.setenv(sqlcache.ENV, str(folder))
    monkeypatch.setattr(DuckDBEngine, "_sql_cache", {})
    return folder


def _store(extra: str = "") -> DuckDBEngine:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE sources ({TABLES['sources']}{extra})")
    return DuckDBEngine(con)


class Builder:
    """An expression over ``sources``, counting how often it is built."""

    def __init__(self, eng: DuckDBEngine) -> None:
        self.eng, self.built = eng, 0

    def __call__(self) -> ibis.Expr:
        self.built += 1
        t = self.eng.table("sources")
        return t.filter(t.agency == "X").select("source_id")


def _new_process() -> None:
    DuckDBEngine._sql_cache.clear()


def test_a_later_process_reads_the_compiled_sql_instead_of_compiling(cache: Path) -> None:
    eng = _store()
    b = Builder(eng)
    first = eng.sql(b, key=("t", 1))
    assert b.built == 1 and len(list(cache.glob("*.sql"))) == 1
    _new_process()
    again = _store()
    b2 = Builder(again)
    assert again.sql(b2, key=("t", 1)) == first and b2.built == 0
    assert again.con.sql(first).fetchall() == []  # it runs


def test_another_key_code_or_store_shape_compiles_its_own(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = _store()
    eng.sql(Builder(eng), key=("t", 1))
    _new_process()
    b = Builder(eng)
    eng.sql(b, key=("t", 2))
    assert b.built == 1
    _new_process()
    other = _store(", note VARCHAR")  # a store table of another shape
    b = Builder(other)
    other.sql(b, key=("t", 1))
    assert b.built == 1
    _new_process()
    monkeypatch.setattr(sqlcache, "code_version", lambda: "other code")
    b = Builder(eng)
    eng.sql(b, key=("t", 1))
    assert b.built == 1


def test_a_file_for_another_key_or_cut_short_is_not_used(cache: Path) -> None:
    eng = _store()
    eng.sql(Builder(eng), key=("t", 1))
    (path,) = cache.glob("*.sql")
    for text in ("('t', 2)\nSELECT 1", "('t', 1)\n", "('t', 1)"):
        path.write_text(text, encoding="utf-8")
        _new_process()
        b = Builder(eng)
        eng.sql(b, key=("t", 1))
        assert b.built == 1


def test_off_unstable_keys_and_an_unwritable_folder_only_cost_the_compile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DuckDBEngine, "_sql_cache", {})
    eng = _store()
    monkeypatch.setenv(sqlcache.ENV, "off")
    assert sqlcache.cache_dir() is None
    eng.sql(Builder(eng), key=("t", 1))
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(sqlcache.ENV, str(blocker / "sql"))
    _new_process()
    b = Builder(eng)
    assert "source_id" in eng.sql(b, key=("t", 1)) and b.built == 1
    monkeypatch.setenv(sqlcache.ENV, str(tmp_path / "ok"))
    eng.sql(Builder(eng), key=("t", object()))  # repr holds an address: another process never has this key
    assert not (tmp_path / "ok").exists()


def test_an_ingest_in_a_later_process_compiles_nothing_and_stores_the_same(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import copy_example
    from fusioncell.ingest import ingest_case
    from fusioncell.store import CaseStore

    folder = copy_example(tmp_path / "case")
    built = []
    real = DuckDBEngine.sql

    def spy(self: DuckDBEngine, expr: object, key: object = None) -> str:
        if key is not None and key not in self._sql_cache and sqlcache.load(self.con, key) is None:
            built.append(key)
        return real(self, expr, key)  # type: ignore[arg-type]

    monkeypatch.setattr(DuckDBEngine, "sql", spy)
    first, second = CaseStore.memory(), CaseStore.memory()
    ingest_case(folder, first)
    assert built
    _new_process()
    built.clear()
    ingest_case(folder, second)
    assert built == []
    for table in ("comms", "locations", "sightings", "identifiers"):
        q = f"SELECT * EXCLUDE (delivery_id) FROM {table}" if table != "identifiers" else f"SELECT * FROM {table}"
        a, b = first.con.sql(q).fetchall(), second.con.sql(q).fetchall()
        assert sorted(map(repr, a)) == sorted(map(repr, b)) and a


def test_the_folder_keeps_at_most_max_files(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlcache, "MAX_FILES", 4)
    eng = _store()
    for i in range(5):
        eng.sql(Builder(eng), key=("t", i))
    assert len(list(cache.glob("*.sql"))) == 3  # five written, the older two dropped after the fifth


def test_it_is_off_unless_asked_for_and_default_means_the_users_cache(monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path) -> None:
    monkeypatch.delenv(sqlcache.ENV, raising=False)
    assert sqlcache.cache_dir() is None
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv(sqlcache.ENV, "default")
    assert sqlcache.cache_dir() == tmp_path / "fusioncell" / "sql"


def test_sql_others_could_have_written_is_never_run(cache: Path) -> None:
    """Kept SQL is run against the store: a file (or folder) anyone else may write is ignored and compiled
    afresh, and the folder is created private."""
    eng = _store()
    eng.sql(Builder(eng), key=("t", 9))
    (path,) = cache.glob("*.sql")
    assert cache.stat().st_mode & 0o077 == 0
    path.write_text(path.read_text().split("\n")[0] + "\nDROP TABLE sources")
    path.chmod(0o666)
    _new_process()
    again = _store()
    b = Builder(again)
    sql = again.sql(b, key=("t", 9))
    assert b.built == 1 and "DROP" not in sql
