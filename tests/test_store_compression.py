"""comms' many-valued strings are stored with ZSTD (round 8 of issue #14): same values, cheaper to write.

The compression is storage only: what is read back is what was written, and a store made before
(DuckDB's automatic compression for every column) is read and appended to as it was.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from casefolder import CaseFolder
from fusioncell.ingest import ingest_case
from fusioncell.ingest.provenance import raw_rows
from fusioncell.store import CaseStore
from fusioncell.store.schema import TABLES

ZSTD_COLUMNS = {"event_id", "caller", "callee", "caller_raw", "callee_raw"}


def _case(tmp_path: Path) -> Path:
    cf = CaseFolder()
    cf.source("cdr", "SIGINT")
    for i in range(40):
        cf.add("comms.csv", source_id="cdr", start=f"2026-02-0{1 + i % 9}T10:{i:02d}:00-06:00", duration_s=30 + i,
               channel="call", caller=f"(311) 555-{i:04d}", callee=f"+52311556{i:04d}")
    return cf.write(tmp_path / "case")


def _compression(path: Path) -> dict[str, set[str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("SELECT column_name, compression FROM pragma_storage_info('comms') "
                           "WHERE segment_type <> 'VALIDITY'").fetchall()
    finally:
        con.close()
    out: dict[str, set[str]] = {}
    for col, comp in rows:
        out.setdefault(col, set()).add(comp)
    return out


def test_the_many_valued_strings_of_comms_are_zstd_and_read_back_unchanged(tmp_path: Path) -> None:
    case = _case(tmp_path)
    with CaseStore.open(tmp_path / "s.duckdb") as store:
        ingest_case(case, store, quiet=True)
    comp = _compression(tmp_path / "s.duckdb")
    assert {c for c, m in comp.items() if m == {"ZSTD"}} == ZSTD_COLUMNS
    assert all("ZSTD" not in m for c, m in comp.items() if c not in ZSTD_COLUMNS)
    with CaseStore.open(tmp_path / "s.duckdb") as store:
        rows = store.con.execute("SELECT event_id, caller, callee, caller_raw, callee_raw FROM comms "
                                 "ORDER BY line").fetchall()
        raw = raw_rows(store, "comms", ["com-000001", "com-000040"])
    assert len(rows) == 40
    assert rows[0] == ("com-000001", "+523115550000", "+523115560000", "(311) 555-0000", None)
    assert rows[39] == ("com-000040", "+523115550039", "+523115560039", "(311) 555-0039", None)
    assert [(r.event_id, r.raw["caller"], r.raw["callee"]) for r in raw] == [
        ("com-000001", "(311) 555-0000", "+523115560000"), ("com-000040", "(311) 555-0039", "+523115560039")]


def test_a_store_made_with_automatic_compression_is_read_and_appended_to(tmp_path: Path) -> None:
    """A store created before round 8 (no USING COMPRESSION in its DDL) keeps working unchanged."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for name, cols in TABLES.items():
        con.execute(f"CREATE TABLE {name} ({cols.replace(' USING COMPRESSION zstd', '')})")
    con.execute("INSERT INTO store_meta (key, value) VALUES ('schema_version', '2')")
    con.close()
    case = _case(tmp_path)
    with CaseStore.open(path) as store:
        ingest_case(case, store, quiet=True)
        assert store.count("comms") == 40
        first = store.con.execute("SELECT caller, callee_raw FROM comms WHERE event_id = 'com-000002'").fetchone()
    assert first == ("+523115550001", None)
    assert "ZSTD" not in set().union(*_compression(path).values())
