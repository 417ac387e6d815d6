"""The hash-chained audit log: append, list, and detect edits, deletions, reordering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fusioncell.cli import app
from fusioncell.security import audit
from fusioncell.security.releasability import view_for
from fusioncell.store import CaseStore
from tests.rows import put
from test_share_factory import make_case


def _logged(n: int = 5) -> CaseStore:
    s = make_case([("geo-01", "SEDENA-INT", "GEOINT", "m", ["PARTNER-US"])])
    for i in range(1, n + 1):
        audit.record(s, "locate", {"run": i}, why=f"reason {i}", actor=f"analyst{i}")
    return s


def test_entries_chain_from_genesis_and_verify() -> None:
    s = _logged(3)
    es = audit.entries(s)
    assert [e.seq for e in es] == [1, 2, 3]
    assert es[0].prev_hash == audit.GENESIS
    assert es[1].prev_hash == es[0].hash and es[2].prev_hash == es[1].hash
    assert es[1].what == '{"run":2}' and es[1].why == "reason 2" and es[1].actor == "analyst2"
    v = audit.verify(s)
    assert v.ok and v.entries == 3 and v.head == es[2].hash


def test_edited_entry_fails_at_that_entry() -> None:
    s = _logged()
    s.con.execute("UPDATE audit_log SET why = 'nothing to see' WHERE seq = 3")
    v = audit.verify(s)
    assert not v.ok and v.bad_seq == 3 and "edited" in (v.problem or "")


def test_edited_actor_or_time_fails_too() -> None:
    s = _logged()
    s.con.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2")
    assert audit.verify(s).bad_seq == 2
    s = _logged()
    s.con.execute("UPDATE audit_log SET recorded_at = recorded_at + INTERVAL 1 SECOND WHERE seq = 4")
    assert audit.verify(s).bad_seq == 4


def test_deleted_entry_fails_where_the_gap_is() -> None:
    s = _logged()
    s.con.execute("DELETE FROM audit_log WHERE seq = 2")
    v = audit.verify(s)
    assert not v.ok and v.bad_seq == 2


def test_deleted_entry_with_renumbering_still_fails() -> None:
    # A careful forger renumbers the rest so the sequence has no gap: the link breaks.
    s = _logged()
    s.con.execute("DELETE FROM audit_log WHERE seq = 2")
    s.con.execute("UPDATE audit_log SET seq = seq - 1 WHERE seq > 2")
    assert audit.verify(s).bad_seq == 2


def test_reordered_entries_fail_at_the_first_moved_one() -> None:
    s = _logged()
    cur = s.con.execute("SELECT * FROM audit_log ORDER BY seq")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    s.con.execute("DELETE FROM audit_log")
    order = [0, 1, 3, 2, 4]  # swap entries 3 and 4
    for i in order:
        put(s.con, "audit_log", **rows[i])
    v = audit.verify(s)
    assert not v.ok and v.bad_seq == 3


def test_swapped_sequence_numbers_fail() -> None:
    s = _logged()
    s.con.execute("UPDATE audit_log SET seq = CASE seq WHEN 4 THEN 5 WHEN 5 THEN 4 ELSE seq END")
    assert audit.verify(s).bad_seq == 4


def test_truncation_is_detected_by_the_anchor_and_against_a_noted_head() -> None:
    s = _logged()
    head = audit.verify(s).head
    s.con.execute("DELETE FROM audit_log WHERE seq = 5")
    v0 = audit.verify(s)  # the chain alone cannot know; the head anchored outside the table does
    assert not v0.ok and v0.bad_seq == 5 and v0.head == head
    v = audit.verify(s, head=head)
    assert not v.ok and v.bad_seq == 5


def test_actor_defaults_to_fusioncell_user(monkeypatch: pytest.MonkeyPatch) -> None:
    s = make_case()
    monkeypatch.setenv("FUSIONCELL_USER", "oversight-7")
    assert audit.record(s, "read", "case").actor == "oversight-7"
    monkeypatch.delenv("FUSIONCELL_USER")
    assert audit.record(s, "read", "case").actor == audit.current_actor() != ""


def test_records_made_on_a_view_land_in_the_case() -> None:
    s = make_case([("geo-01", "SEDENA-INT", "GEOINT", "m", ["PARTNER-US"])])
    v = view_for(s, "PARTNER-US")
    audit.record(v, "read", {"table": "locations"}, actor="partner-analyst")
    assert [e.action for e in audit.entries(s)] == ["read"]
    assert not v.has_table("audit_log")


def _store_file(tmp_path: Path) -> Path:
    path = tmp_path / "case.duckdb"
    s = CaseStore.open(path)
    put(s.con, "case_info", case_id="op-x", owner_agency="SEDENA-INT", legal_authority="order", timezone="UTC")
    for i in range(1, 4):
        audit.record(s, "report", {"n": i}, actor="ana")
    s.close()
    return path


def test_cli_audit_lists_and_verifies(tmp_path: Path) -> None:
    path = _store_file(tmp_path)
    res = CliRunner().invoke(app, ["audit", str(path), "--verify", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [e["seq"] for e in out["entries"]] == [1, 2, 3]
    assert out["verification"]["ok"] is True


def test_cli_audit_verify_exits_1_naming_the_first_bad_entry(tmp_path: Path) -> None:
    path = _store_file(tmp_path)
    s = CaseStore.open(path)
    s.con.execute("UPDATE audit_log SET what = '{\"n\":99}' WHERE seq = 2")
    s.close()
    res = CliRunner().invoke(app, ["audit", str(path), "--verify"])
    assert res.exit_code == 1
    assert "FAILED: entry 2" in res.stdout


def _filed_store(tmp_path):  # type: ignore[no-untyped-def]
    from fusioncell.security import audit
    from fusioncell.store import CaseStore

    path = tmp_path / "case.duckdb"
    with CaseStore.open(path) as s:
        for k in range(3):
            audit.record(s, "locate", {"k": k}, actor="ana")
    return path


def test_dropping_the_whole_audit_table_is_caught(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.security import audit
    from fusioncell.store import CaseStore

    path = _filed_store(tmp_path)
    with CaseStore.open(path) as s:
        s.con.execute("DROP TABLE audit_log")
        v = audit.verify(s)
    assert not v.ok and "records 3" in (v.problem or "")


def test_dropping_table_and_anchor_table_is_still_caught_by_the_sidecar(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.security import audit
    from fusioncell.store import CaseStore

    path = _filed_store(tmp_path)
    with CaseStore.open(path) as s:
        s.con.execute("DELETE FROM audit_log WHERE seq = 3")
        s.con.execute("DROP TABLE audit_anchor")
        v = audit.verify(s)
    assert not v.ok and "case.duckdb.audit-head" in (v.problem or "")


def test_an_edited_last_entry_is_caught_and_the_true_head_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.security import audit
    from fusioncell.store import CaseStore

    path = _filed_store(tmp_path)
    with CaseStore.open(path) as s:
        true_head = audit.entries(s)[-1].hash
        # rewrite the last entry consistently (content and its own hash): the chain alone would verify
        e = audit.entries(s)[-1]
        h = audit.entry_hash(e.prev_hash, e.seq, e.at, e.actor, "read", e.what, "nothing to see", )
        s.con.execute("UPDATE audit_log SET action = 'read', why = 'nothing to see', hash = ? WHERE seq = 3", [h])
        v = audit.verify(s)
    assert not v.ok and v.head == true_head
