"""The ``identifiers`` table: where each identifier appears, counted by hand on a small store.

``identifiers_expr`` aggregates each source of identifiers on its own and
then merges the parts (round 5 of issue #14); these expected counts are
worked out from the rows below, not taken from its output.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fusioncell.ingest.activity import record_delivery
from fusioncell.ingest.derived import extend_identifiers, identifiers_expr, rebuild_identifiers
from fusioncell.store import CaseStore
from fusioncell.store.delivered import covered
from fusioncell.store.engine import DuckDBEngine
from tests.rows import case_store, put, put_many

A, B, C = "+523311110000", "+523322220000", "+523333330000"
PLATE = "plate:JAL1234"


def _t(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 2, day, hour, tzinfo=timezone.utc)


def _comms(event_id: str, caller: str, callee: str, day: int, delivery: str) -> dict[str, object]:
    return dict(event_id=event_id, source_id="s1", agency="AG", start=_t(day), duration_s=60.0, channel="call",
                caller=caller, callee=callee, line=1, delivery_id=delivery)


def _store() -> CaseStore:
    s = case_store(sources=[{"source_id": "s1", "discipline": "SIGINT"}])
    put_many(s.con, "comms", [
        _comms("c1", A, B, 1, "comms.csv"),
        _comms("c2", B, A, 3, "comms.csv"),
        _comms("c3", C, C, 5, "comms.csv"),   # a self-call: C counted once, not twice
        _comms("c4", A, C, 9, "comms-2.csv"),
    ])
    put(s.con, "locations", event_id="l1", source_id="s1", agency="AG", observed=_t(2), identifier=A,
        lat=20.0, lon=-103.0, line=1, delivery_id="locations.csv")
    put(s.con, "sightings", event_id="v1", source_id="s1", agency="AG", observed=_t(4), lat=20.0, lon=-103.0,
        subject=PLATE, line=1, delivery_id="sightings.csv")
    put(s.con, "reports", report_id="r1", source_id="s1", agency="AG", reported=_t(10), line=1,
        delivery_id="reports.jsonl")
    for no, (subj, obj) in enumerate([(A, B), (B, B), (PLATE, None)], start=1):  # (B, B): B counted once
        put(s.con, "claims", report_id="r1", claim_no=no, source_id="s1", agency="AG", reported=_t(10),
            subject=subj, predicate="contacts", object=obj, delivery_id="reports.jsonl")
    put(s.con, "entities", entity_id="person-x", schema="Person", caption="X", line=1)
    put(s.con, "entity_identifiers", entity_id="person-x", identifier="+523344440000", prop="phone")
    return s


# identifier -> (scheme, n_comms, n_locations, n_sightings, n_claims, first_seen day, last_seen day)
EXPECTED = {
    A: ("phone", 3, 1, 0, 1, 1, 10),        # c1, c2, c4; l1 (day 2); claim 1 (day 10)
    B: ("phone", 2, 0, 0, 2, 1, 10),        # c1, c2; claim 1's object, claim 2 (once)
    C: ("phone", 2, 0, 0, 0, 5, 9),         # c3 (a self-call, once), c4
    PLATE: ("plate", 0, 0, 1, 1, 4, 10),    # v1; claim 3
    "+523344440000": ("phone", 0, 0, 0, 0, None, None),  # declared by an entity only
}


def _table(s: CaseStore) -> dict[str, tuple[object, ...]]:
    rows = s.con.execute("SELECT identifier, scheme, n_comms, n_locations, n_sightings, n_claims, "
                         "day(first_seen), day(last_seen) FROM identifiers").fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_identifiers_count_every_appearance_once_per_row() -> None:
    s = _store()
    rebuild_identifiers(s, DuckDBEngine(s.con))
    assert _table(s) == EXPECTED


def test_identifiers_of_a_delivery_merge_into_the_rest() -> None:
    s = _store()
    eng = DuckDBEngine(s.con)
    s.con.execute("DELETE FROM comms WHERE delivery_id = 'comms-2.csv'")
    rebuild_identifiers(s, eng)
    put(s.con, "comms", **_comms("c4", A, C, 9, "comms-2.csv"))
    extend_identifiers(s, eng, ["comms-2.csv"])
    assert _table(s) == EXPECTED


def _delivered_store() -> CaseStore:
    """``_store`` with each call-record delivery's activity written as ingest writes it (issue #13)."""
    s = _store()
    for delivery, n in (("comms.csv", 3), ("comms-2.csv", 1)):
        record_delivery(s.con, delivery, n)
        put(s.con, "deliveries", delivery_id=delivery, kind="comms.csv", path=delivery, sha256="0" * 64, rows=n,
            quarantined=0, ingest_run="r", loaded_at=_t(11), first_load=True)
    return s


def test_identifiers_read_the_call_records_from_the_delivered_activity() -> None:
    # issue #14 round 10: the counts and spans of the call records come from comms_activity (one grouping
    # of the records, at ingest) when it covers every record; C's first day (5) is its self-call's, a
    # time the activity leaves out, brought back by the self-calls' filter
    s = _delivered_store()
    eng = DuckDBEngine(s.con)
    assert covered(s)
    from_activity = eng.to_arrow(lambda: identifiers_expr(eng, delivered=True))
    rows = {r["identifier"]: r for r in from_activity.to_pylist()}
    assert {k: (r["n_comms"], r["first_seen"].day if r["first_seen"] else None) for k, r in rows.items()} == {
        k: (v[1], v[5]) for k, v in EXPECTED.items()}
    rebuild_identifiers(s, eng)
    assert _table(s) == EXPECTED
    # an append merges the new delivery's activity alone
    s.con.execute("DELETE FROM comms_activity WHERE delivery_id = 'comms-2.csv'")
    s.con.execute("DELETE FROM identifiers")
    s.con.execute("DELETE FROM comms WHERE delivery_id = 'comms-2.csv'")
    rebuild_identifiers(s, eng)  # not covered now (the log counts comms-2.csv): the records are grouped
    put(s.con, "comms", **_comms("c4", A, C, 9, "comms-2.csv"))
    s.con.execute("DELETE FROM comms_activity_log WHERE delivery_id = 'comms-2.csv'")
    record_delivery(s.con, "comms-2.csv", 1)
    assert covered(s)
    extend_identifiers(s, eng, ["comms-2.csv"])
    assert _table(s) == EXPECTED


def test_an_append_merges_from_one_compiled_query_with_the_deliveries_filled_in(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # session 17: the append's query is compiled once for two placeholder deliveries (and kept by key, across
    # processes: fusioncell.store.sqlcache); the deliveries' ids replace them as literals, so DuckDB's zone maps
    # still skip the earlier deliveries' rows
    from fusioncell.ingest import derived

    monkeypatch.setattr(DuckDBEngine, "_sql_cache", {})
    s = _store()
    eng = DuckDBEngine(s.con)
    s.con.execute("DELETE FROM comms WHERE delivery_id = 'comms-2.csv'")
    rebuild_identifiers(s, eng)
    put(s.con, "comms", **_comms("c4", A, C, 9, "comms-2.csv"))
    sql = derived._new_identifiers_sql(eng, ["comms-2.csv", "it's.csv"], False)
    assert sql is not None and "placeholder" not in sql
    assert sql.count("IN ('comms-2.csv', 'it''s.csv')") == sql.count("IN (") > 0
    built: list[object] = []
    monkeypatch.setattr(derived, "identifiers_expr", lambda *a, **k: built.append(a) or identifiers_expr(*a, **k))
    extend_identifiers(s, eng, ["comms-2.csv"])
    assert built == [] and _table(s) == EXPECTED  # the compiled query, no new expression
