"""Ingest of the example case: every table filled, values normalised, idempotent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fusioncell.ingest import example_case, ingest_case
from fusioncell.store import CaseStore


@pytest.fixture()
def store() -> CaseStore:
    s = CaseStore.memory()
    ingest_case(example_case(), s)
    return s


def _lines(path: Path) -> int:
    """Data lines of a file (without header / blank lines), counted independently."""
    text = path.read_text(encoding="utf-8").splitlines()
    data = [ln for ln in text if ln.strip()]
    return len(data) - (1 if path.suffix == ".csv" else 0)


def test_every_table_is_filled_with_one_row_per_record(store: CaseStore) -> None:
    case = example_case()
    for table, file in [("sources", "sources.csv"), ("comms", "comms.csv"), ("locations", "locations.csv"),
                        ("sightings", "sightings.csv"), ("reports", "reports.jsonl"), ("entities", "entities.jsonl")]:
        assert store.count(table) == _lines(case / file), table
    n_claims = sum(len(json.loads(ln).get("claims") or []) for ln in (case / "reports.jsonl").read_text().splitlines() if ln.strip())
    assert store.count("claims") == n_claims
    assert store.count("identifiers") > 0 and store.count("entity_identifiers") > 0
    assert store.case().targets == ("person-target",)
    assert store.case().phone_region == "MX"


def test_phone_numbers_in_national_formats_become_one_e164(store: CaseStore) -> None:
    from fusioncell.ingest.provenance import raw_rows

    ids = [r[0] for r in store.con.execute("SELECT event_id FROM comms").fetchall()]
    cols = dict(store.con.execute("SELECT event_id, [caller, callee] FROM comms").fetchall())
    raws = {row.raw[c] for row in raw_rows(store, "comms", ids) for c, ident in zip(("caller", "callee"), cols[row.event_id])
            if ident == "+523312345678"}
    # the example writes the partner's number in several formats; all read as one number
    assert {"33 1234 5678", "3312345678"} <= raws
    assert store.con.execute("SELECT count(*) FROM comms WHERE caller NOT LIKE '+52%' OR callee NOT LIKE '+52%'").fetchone()[0] == 0


def test_times_keep_their_instant_whatever_the_offset(store: CaseStore) -> None:
    # c-0001 is written 2026-02-09T08:50:00-06:00, i.e. 14:50 UTC
    (start,) = store.con.execute("SELECT strftime(start AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M') FROM comms WHERE event_id = 'c-0001'").fetchone()
    assert start == "2026-02-09 14:50"


def test_claims_carry_source_reliability_and_report_credibility(store: CaseStore) -> None:
    rows = store.con.execute(
        "SELECT reliability, credibility, subject, predicate, object FROM claims WHERE report_id = 'r-017' ORDER BY claim_no"
    ).fetchall()
    assert rows[0] == ("C", 2, "person-target", "partner_of", "alias:La Güera")
    assert rows[1] == ("C", 2, "alias:La Güera", "uses", "+523312345678")


def test_entity_identifiers_map_ftm_properties_to_identifiers(store: CaseStore) -> None:
    got = set(store.con.execute("SELECT entity_id, identifier, prop FROM entity_identifiers").fetchall())
    assert ("person-partner", "+523312345678", "phone") in got
    assert ("person-partner", "alias:La Güera", "alias") in got
    assert ("person-courier", "email:hector.luna77@example.mx", "email") in got
    assert ("vehicle-np300", "plate:JAL-4821-B", "registrationNumber") in got
    assert not any(e == "person-target" and p == "phone" for e, _, p in got)  # the target has no phone


def test_unknown_columns_are_kept_in_extra(store: CaseStore) -> None:
    (extra,) = store.con.execute("SELECT extra FROM sightings WHERE event_id = 's-0001'").fetchone()
    assert "platform" in json.loads(extra)


def test_line_numbers_point_at_the_file(store: CaseStore) -> None:
    lines = (example_case() / "comms.csv").read_text(encoding="utf-8").splitlines()
    for event_id, line in store.con.execute("SELECT event_id, line FROM comms").fetchall():
        assert lines[line - 1].startswith(event_id + ",")


def test_reingest_is_a_no_op_and_a_changed_file_is_redone(tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(example_case(), case)
    store = CaseStore.open(tmp_path / "s.duckdb")
    first = ingest_case(case, store)
    before = {t: store.count(t) for t in ("comms", "locations", "identifiers", "ingest_log")}
    again = ingest_case(case, store)
    assert not again.changed
    assert {t: store.count(t) for t in before} == before
    with (case / "locations.csv").open("a", encoding="utf-8") as fh:
        fh.write("l-9999,geo-01,2026-02-21T10:00:00-06:00,33 1234 5678,19.94,-103.75,200\n")
    third = ingest_case(case, store)
    assert [f.file for f in third.files if f.status == "ingested"] == ["locations.csv"]
    assert store.count("locations") == before["locations"] + 1
    assert first.rows("comms.csv") == before["comms"]
