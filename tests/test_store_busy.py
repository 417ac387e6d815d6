"""Two commands on one store: the second waits a little, then says the store is busy (exit 2), never a lock traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import copy_example


def test_a_second_command_on_a_held_store_says_busy_with_exit_2(tmp_path: Path) -> None:
    case = copy_example(tmp_path / "case")
    assert subprocess.run([sys.executable, "-m", "fusioncell.cli", "ingest", str(case)], capture_output=True,
                          timeout=120).returncode == 0
    store = case / ".fusioncell" / "case.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,time,sys; c=duckdb.connect({str(store)!r}); "
                               "print('held', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        env = {**os.environ, "FUSIONCELL_STORE_WAIT": "0.5"}
        r = subprocess.run([sys.executable, "-m", "fusioncell.cli", "locate", str(case)], capture_output=True,
                           text=True, timeout=120, env=env)
    finally:
        holder.kill()
        holder.wait()
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "busy" in lines[0] and "Traceback" not in r.stderr


def test_the_store_memory_limit_is_bounded_and_configurable(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from fusioncell.errors import UsageError
    from fusioncell.store import CaseStore

    with CaseStore.open(tmp_path / "a.duckdb") as cs:  # default: 4 GB, not 80 % of the machine
        assert cs.con.execute("SELECT current_setting('memory_limit')").fetchone()[0].startswith("3.7")
    monkeypatch.setenv("FUSIONCELL_MEMORY_LIMIT", "lots")
    with pytest.raises(UsageError, match="FUSIONCELL_MEMORY_LIMIT"):
        CaseStore.open(tmp_path / "b.duckdb")


def _limit(con: Any) -> str:
    return str(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])


def _spy_ingest_budget(monkeypatch: Any) -> list[str]:
    """DuckDB's memory limit as the ingest's own work sees it, once per ingest."""
    from fusioncell.ingest import pipeline

    seen: list[str] = []
    real = pipeline._ingest

    def spy(folder: Path, store: Any, *a: Any, **k: Any) -> Any:
        seen.append(_limit(store.con))
        return real(folder, store, *a, **k)

    monkeypatch.setattr(pipeline, "_ingest", spy)
    return seen


def test_ingest_memory_limit_from_the_environment(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # session 17: FUSIONCELL_INGEST_MEMORY_LIMIT raises (or lowers) DuckDB's budget during an ingest only
    import duckdb
    import pytest

    from fusioncell.errors import UsageError
    from fusioncell.ingest import ingest_case
    from fusioncell.store import CaseStore

    folder = copy_example(tmp_path / "case")
    want = _limit(duckdb.connect().execute("SET memory_limit = '700MB'"))
    seen = _spy_ingest_budget(monkeypatch)
    monkeypatch.setenv("FUSIONCELL_INGEST_MEMORY_LIMIT", "700MB")
    store = CaseStore.memory()
    before = _limit(store.con)
    ingest_case(folder, store)
    assert seen == [want] and before != want
    monkeypatch.setenv("FUSIONCELL_INGEST_MEMORY_LIMIT", "lots")
    with pytest.raises(UsageError, match="FUSIONCELL_INGEST_MEMORY_LIMIT"):
        ingest_case(folder, CaseStore.memory())


def test_ingest_keeps_the_stores_memory_budget_by_default(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # session 31: an ingest no longer narrows DuckDB to 1 GB (a 10M-row file spilled its staged table: 0.33x raw
    # DuckDB, 0.37x at the store's 4 GB); it runs under the store's budget, FUSIONCELL_MEMORY_LIMIT
    import duckdb

    from fusioncell.ingest import ingest_case
    from fusioncell.store import CaseStore

    folder = copy_example(tmp_path / "case")
    monkeypatch.delenv("FUSIONCELL_INGEST_MEMORY_LIMIT", raising=False)
    monkeypatch.setenv("FUSIONCELL_MEMORY_LIMIT", "3GB")
    want = _limit(duckdb.connect().execute("SET memory_limit = '3GB'"))
    seen = _spy_ingest_budget(monkeypatch)
    store = CaseStore.memory()
    store.con.execute("SET memory_limit = '500MB'")  # whatever the connection had, the budget is the store's
    ingest_case(folder, store)
    assert seen == [want]
    assert _limit(store.con) != want  # restored after
