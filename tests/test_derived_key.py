"""The derived-table cache is never served stale, whatever writes an observation (net12, issue #13).

Since session 12 the observation key (:func:`fusioncell.store.derived.observation_key`)
no longer scans ``comms``: it is read from the ingest log (file, SHA-256, rows and
ingest run of every delivery), the row counts of the observation tables and the
analyst overrides. Each test changes an observation through one writer — an
ingest of a changed file with the same number of rows, an appended delivery, a
``--quarantine`` ingest and its repair, an analyst's decision and its undo, rows
added to the store directly — and checks that the derived ties change with it.
"""

from __future__ import annotations

from datetime import timezone
from pathlib import Path
from typing import Any

from casefolder import CaseFolder, at
from rows import put
from test_network_factory import Case
from test_network_factory import at as at6

from fusioncell.ingest.pipeline import ingest_case
from fusioncell.network import contact_ties
from fusioncell.resolve.decisions import split_off, undo
from fusioncell.store import CaseStore
from fusioncell.store.derived import observation_key

A, B, C = "+523311110001", "+523311110002", "+523311110003"
HOUSE = (20.6700, -103.3500)


def _durations(store: CaseStore) -> dict[tuple[str, str], float]:
    """Total call seconds of every identifier-level tie (the derived table, cached in the store)."""
    return {(r["a"], r["b"]): r["total_duration_s"] for r in contact_ties(store, "identifier").to_pylist()}


def _folder() -> CaseFolder:
    f = CaseFolder()
    f.source("cdr", "SIGINT")
    for d in range(3):
        f.call(A, B, at(d, 10), duration_s=60)
    f.call(A, C, at(4, 11), duration_s=30)
    return f


def _ingest(folder: Path, store: Path, **kw: Any) -> None:
    with CaseStore.open(store) as cs:
        ingest_case(folder, cs, **kw)


def _ties(store: Path) -> tuple[dict[tuple[str, str], float], str]:
    with CaseStore.open(store) as cs:
        return _durations(cs), observation_key(cs)


def test_a_reingested_file_with_as_many_rows_and_an_appended_delivery_rebuild_the_ties(tmp_path: Path) -> None:
    f = _folder()
    case, store = f.write(tmp_path / "case"), tmp_path / "case.duckdb"
    _ingest(case, store)
    before, key = _ties(store)
    assert before == {(A, B): 180.0, (A, C): 30.0}
    assert _ties(store) == (before, key)  # nothing changed: same key, the cached table is reused
    f.rows["comms.csv"][0]["duration_s"] = 600  # the carrier corrects one record: as many rows as before
    f.write(case)
    _ingest(case, store)
    after, key2 = _ties(store)
    assert after == {(A, B): 720.0, (A, C): 30.0} and key2 != key
    f.rows["comms.csv"][3]["callee"] = B  # the same count again, another pair
    f.write(case)
    _ingest(case, store)
    assert _ties(store)[0] == {(A, B): 750.0}
    f.call(B, C, at(5, 9), duration_s=45)  # a later delivery (comms-2.csv)
    f.deliver(case, "2")
    _ingest(case, store)
    assert _ties(store)[0] == {(A, B): 750.0, (B, C): 45.0}


def test_a_quarantined_row_repaired_later_rebuilds_the_ties(tmp_path: Path) -> None:
    f = _folder()
    f.rows["comms.csv"][3]["duration_s"] = -30  # a bad row: set aside by --quarantine
    case, store = f.write(tmp_path / "case"), tmp_path / "case.duckdb"
    _ingest(case, store, quarantine=True)
    assert _ties(store)[0] == {(A, B): 180.0}
    f.rows["comms.csv"][3]["duration_s"] = 30
    f.write(case)
    _ingest(case, store, quarantine=True)
    assert _ties(store)[0] == {(A, B): 180.0, (A, C): 30.0}


def test_rows_added_to_the_store_and_analyst_decisions_rebuild_the_ties() -> None:
    c = Case()
    c.person("person-c")
    c.person("veh-1", schema="Vehicle", owner="person-c", registrationNumber="JAL-2")
    c.entity_ids.append(("veh-1", "plate:JAL-2", "registrationNumber"))
    c.person("person-a", phones=(A,))
    c.call(A, B, at6(1, 9.0), 120)
    c.sight("person-d", at6(1, 10.0), *HOUSE, 0.9)
    s = c.store()

    def ties() -> dict[tuple[str, str], list[str]]:
        return {(r["a"], r["b"]): r["layers"] for r in contact_ties(s, "person").to_pylist()}

    assert ties() == {(B, "person-a"): ["calls"]}
    # a sighting of his vehicle beside person-d, written straight into the store (no ingest log): a new tie
    put(s.con, "sightings", event_id="s9", source_id="src", agency="AG", lat=HOUSE[0], lon=HOUSE[1],
        observed=at6(1, 10.05).astimezone(timezone.utc), subject="plate:JAL-2", confidence=0.8)
    assert ties() == {(B, "person-a"): ["calls"], ("person-c", "person-d"): ["meetings", "vehicles"]}
    split_off(s, A, analyst="ana", reason="another voice")  # an analyst's decision: A is nobody's now
    assert ties() == {(A, B): ["calls"], ("person-c", "person-d"): ["meetings", "vehicles"]}
    undo(s)
    assert ties() == {(B, "person-a"): ["calls"], ("person-c", "person-d"): ["meetings", "vehicles"]}


def test_the_key_reads_no_record_of_the_observation_tables() -> None:
    """The key is answered from counts and bookkeeping: an UPDATE typed by hand into ``comms`` (which
    no fusioncell command does) does not change it — the limit that buys a key of ~1 ms at 10 M records."""
    s = Case().store()
    put(s.con, "comms", event_id="e1", source_id="src", agency="AG", start=at6(0, 9).astimezone(timezone.utc),
        duration_s=60.0, channel="call", caller=A, callee=B)
    key = observation_key(s)
    s.con.execute("UPDATE comms SET duration_s = 61")
    assert observation_key(s) == key
    s.con.execute("DELETE FROM comms")
    assert observation_key(s) != key


def test_a_derived_table_built_by_other_code_is_rebuilt(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A store outlives the code that filled it: after an upgrade, a derived table built by the earlier
    code must be rebuilt, not served (session 16: the group switches of an earlier version were served
    from a store after the matcher had changed). The key holds a hash of the building module's source."""
    import fusioncell.store.derived as derived

    store = CaseStore.memory()
    builds: list[str] = []

    def build(run_id: str) -> None:
        builds.append(run_id)
        store.con.execute("CREATE OR REPLACE TABLE t_code (run_id VARCHAR)")

    derived.cached(store, "t_code", {}, build)
    derived.cached(store, "t_code", {}, build)
    assert len(builds) == 1  # same code, same observations: served from the store
    monkeypatch.setitem(derived._CODE_KEYS, build.__module__, "another version of the module")
    derived.cached(store, "t_code", {}, build)
    assert len(builds) == 2
