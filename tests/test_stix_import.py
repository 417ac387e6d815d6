"""Importing a partner's STIX bundle: provenance, markings, confidence, and the share → import → locate trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fusioncell.cli import app
from fusioncell.errors import InvalidCase, UsageError
from fusioncell.products.share import serialise, tearline
from fusioncell.products.stix import TLP2_IDS
from fusioncell.products.stix_import import import_bundle
from fusioncell.security import audit
from fusioncell.security.releasability import view_for
from fusioncell.store import CaseStore
from tests.rows import put, put_many
from test_share import two_agency_case
from test_share_factory import TARGET, TARGET_PHONE, make_case, refresh_identifiers, stub_locate, stub_network


def _bundle(locate_fn: Any = stub_locate) -> tuple[dict[str, Any], str]:
    product, _ = tearline(two_agency_case(), "PARTNER-US", locate_fn=locate_fn, network_fn=stub_network)
    return product, serialise(product, "stix")


def _receiver() -> CaseStore:
    r = make_case([("us-01", "PARTNER-US", "HUMINT", "liaison asset", ["SEDENA-INT"])], owner="PARTNER-US")
    refresh_identifiers(r)
    return r


def test_import_creates_a_partner_source_with_marking_and_no_method() -> None:
    r = _receiver()
    _, text = _bundle()
    res = import_bundle(r, text, name="from-sedena.json", reliability="B")
    assert res["status"] == "imported" and res["agency"] == "SEDENA-INT"
    (sid,) = res["sources"]
    row = r.con.execute("SELECT agency, discipline, method, reliability, releasable_to, tlp FROM sources WHERE source_id = ?",
                        [sid]).fetchone()
    assert row == ("SEDENA-INT", "HUMINT", None, "B", ["PARTNER-US"], "amber")
    # Imported rows are the partner's: agency and source on every one.
    assert r.con.execute("SELECT DISTINCT agency, source_id FROM claims").fetchall() == [("SEDENA-INT", sid)]
    assert r.con.execute("SELECT DISTINCT agency, source_id FROM sightings").fetchall() == [("SEDENA-INT", sid)]


def test_import_round_trips_marked_content() -> None:
    r = _receiver()
    product, text = _bundle()
    bundle = json.loads(text)
    import_bundle(r, text, name="b.json")
    objs = {o["id"]: o for o in bundle["objects"]}
    located = [o for o in bundle["objects"] if o["type"] == "relationship" and o["relationship_type"] == "located-at"]
    assert len(located) == len(product["hypotheses"]) == 2
    for rel in located:
        loc = objs[rel["target_ref"]]
        row = r.con.execute(
            "SELECT subject, lat, lon, radius_m, credibility, raw FROM claims WHERE report_id = ?", [f"stix:{rel['id']}"]
        ).fetchone()
        assert row[0] == TARGET
        assert (row[1], row[2], row[3]) == (loc["latitude"], loc["longitude"], loc["precision"])
        assert row[4] == 3  # confidence 40 -> Admiralty 3 (40-59)
        raw = json.loads(row[5])
        assert raw["object_marking_refs"] == [TLP2_IDS["amber"]] and raw["confidence"] == rel["confidence"]
    (sight,) = [o for o in bundle["objects"] if o["type"] == "sighting"]
    row = r.con.execute("SELECT subject, lat, lon, confidence, extra FROM sightings WHERE event_id = ?",
                        [f"stix:{sight['id']}"]).fetchone()
    where = objs[sight["where_sighted_refs"][0]]
    assert row[:4] == (TARGET, where["latitude"], where["longitude"], sight["confidence"] / 100)
    assert json.loads(row[4])["object_marking_refs"] == [TLP2_IDS["amber"]]
    uses = r.con.execute("SELECT subject, object FROM claims WHERE predicate = 'uses'").fetchall()
    assert uses == [(TARGET, TARGET_PHONE)]
    assoc = {o for (o,) in r.con.execute("SELECT object FROM claims WHERE predicate = 'associate_of'").fetchall()}
    assert assoc == {a["identifier"] for a in product["associates"]}
    notes = r.con.execute("SELECT count(*) FROM reports WHERE report_id LIKE 'stix:note--%'").fetchone()[0]
    assert notes == 2


def test_reimport_is_a_noop_and_is_audited_once() -> None:
    r = _receiver()
    _, text = _bundle()
    import_bundle(r, text, name="b.json", why="liaison 12", actor="ana")
    n = r.count("claims")
    assert import_bundle(r, text, name="b.json")["status"] == "unchanged"
    assert r.count("claims") == n
    assert [(e.action, e.why) for e in audit.entries(r)] == [("import", "liaison 12")]
    assert r.con.execute("SELECT count(*) FROM ingest_log WHERE file = 'stix:b.json'").fetchone()[0] == 1


def test_imported_reports_are_dated_by_their_evidence_not_by_the_share() -> None:
    from datetime import timedelta

    from test_share_factory import T0

    r = _receiver()
    _, text = _bundle()
    import_bundle(r, text)
    # The stub's windows end at T0 + 8 h; the bundle was written "now" (years later).
    assert r.con.execute("SELECT max(reported) FROM reports").fetchone()[0] == T0 + timedelta(hours=8)
    assert r.con.execute("SELECT min(reported) FROM claims WHERE predicate = 'located_near'").fetchone()[0] <= T0 + timedelta(hours=8)


def test_as_of_dates_a_judgment_without_windows() -> None:
    product, _ = tearline(two_agency_case(), "PARTNER-US", locate_fn=stub_locate, network_fn=stub_network)
    product["as_of"] = "2026-02-03T00:00:00+00:00"
    bundle = json.loads(serialise(product, "stix"))
    rels = [o for o in bundle["objects"] if o["type"] == "relationship" and o["relationship_type"] == "located-at"]
    assert sorted(o["stop_time"] for o in rels) == ["2026-02-01T20:00:00Z", "2026-02-03T00:00:00Z"]


def test_low_probability_places_are_candidates_not_claims_against() -> None:
    r = _receiver()
    _, text = _bundle()
    data = json.loads(text)
    rels = [o for o in data["objects"] if o["type"] == "relationship" and o["relationship_type"] == "located-at"]
    rels[0]["confidence"] = 10  # the sender's posterior mass here: "very unlikely", yet maybe its best lead
    import_bundle(r, json.dumps(data))
    got = r.con.execute("SELECT credibility FROM claims WHERE report_id = ?", [f"stix:{rels[0]['id']}"]).fetchall()
    assert got == [(6,)]  # cannot be judged, not 5 (improbable) which would count against the place
    got = r.con.execute("SELECT credibility FROM claims WHERE report_id = ?", [f"stix:{rels[1]['id']}"]).fetchall()
    assert got == [(3,)]


def test_reimport_restores_rows_dropped_by_a_reingest() -> None:
    r = _receiver()
    _, text = _bundle()
    import_bundle(r, text, name="b.json")
    n = r.count("claims")
    for t in ("sources", "claims", "reports", "sightings"):  # what ingest does when a case file changes
        r.con.execute(f"DELETE FROM {t}")
    assert import_bundle(r, text, name="b.json")["status"] == "imported"
    assert r.count("claims") == n


def test_identifiers_table_learns_imported_identifiers() -> None:
    r = _receiver()
    _, text = _bundle()
    import_bundle(r, text)
    n_claims = dict(r.con.execute("SELECT identifier, n_claims FROM identifiers").fetchall())
    # the target is the subject of 2 located_near + 1 uses + associate claims
    assert n_claims[TARGET] == r.con.execute("SELECT count(*) FROM claims WHERE subject = ?", [TARGET]).fetchone()[0]
    assert n_claims[TARGET_PHONE] == 1


def test_bad_bundles_are_invalid_case_errors_naming_the_file() -> None:
    r = _receiver()
    with pytest.raises(InvalidCase, match="x.json:1"):
        import_bundle(r, "{not json", name="x.json")
    with pytest.raises(InvalidCase, match="not a STIX bundle"):
        import_bundle(r, '{"type": "report"}', name="x.json")
    bad = {"type": "bundle", "id": "bundle--6b1c6d3e-0f43-4c4e-9a7e-8f6d2f1f5a11", "objects": [
        {"type": "location", "spec_version": "2.1", "id": "location--6b1c6d3e-0f43-4c4e-9a7e-8f6d2f1f5a12",
         "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "latitude": 200, "longitude": 0}]}
    with pytest.raises(InvalidCase, match="invalid STIX"):
        import_bundle(r, json.dumps(bad), name="x.json")
    assert r.count("sources") == 1  # nothing was half-imported


def test_producer_must_be_known_and_reliability_valid() -> None:
    r = _receiver()
    _, text = _bundle()
    data = json.loads(text)
    for o in data["objects"]:
        o.pop("created_by_ref", None)
    data["objects"] = [o for o in data["objects"] if o.get("identity_class") != "organization"]
    with pytest.raises(UsageError, match="--agency"):
        import_bundle(r, json.dumps(data))
    assert import_bundle(r, json.dumps(data), agency="SEDENA-INT")["agency"] == "SEDENA-INT"
    with pytest.raises(UsageError):
        import_bundle(_receiver(), text, reliability="Z")


def test_share_import_locate_round_trip_uses_the_partners_evidence() -> None:
    """Two agencies: SEDENA shares a tearline, PARTNER imports it, and PARTNER's locate cites it."""
    from fusioncell.infer.locate import locate

    product, text = _bundle(locate_fn=locate)
    assert product["hypotheses"], "the owner's releasable evidence should give a hypothesis"
    r = _receiver()
    assert locate(view_for(r, "PARTNER-US"))["hypotheses"] == []  # nothing to go on before
    (sid,) = import_bundle(r, text, name="b.json", reliability="B")["sources"]
    res = locate(view_for(r, "PARTNER-US"))
    cited = {s for h in res["hypotheses"] for e in h["evidence"] for s in e["source_ids"]}
    assert sid in cited
    top = res["hypotheses"][0]
    # The receiver's best place is one the sender shared (within ~100 m).
    assert min(abs(top["lat"] - h["lat"]) + abs(top["lon"] - h["lon"]) for h in product["hypotheses"]) < 1e-3


def test_cli_share_then_import(tmp_path: Path) -> None:
    src = tmp_path / "sedena.duckdb"
    s = CaseStore.open(src)
    mem = two_agency_case()
    for t in ("case_info", "targets", "sources", "comms", "locations", "sightings", "reports", "claims",
              "entities", "entity_identifiers", "identifiers"):
        cur = mem.con.execute(f"SELECT * FROM {t}")
        names = [d[0] for d in cur.description]
        put_many(s.con, t, [dict(zip(names, r)) for r in cur.fetchall()])
    put(s.con, "sources", source_id="x-01", agency="THIRD", discipline="OSINT", method="m", reliability="C",
        releasable_to=[], line=9)
    s.close()
    out = tmp_path / "tl.stix.json"
    runner = CliRunner()
    res = runner.invoke(app, ["share", str(src), "--to", "THIRD", "--out", str(tmp_path / "third.json")])
    assert res.exit_code == 1  # nothing releasable to THIRD supports a judgment
    res = runner.invoke(app, ["share", str(src), "--to", "PARTNER-US", "--out", str(out), "--reason", "req 12"])
    assert res.exit_code == 0, res.output
    assert "TLP:AMBER" in res.stdout and out.is_file()
    # The real locate and network ran on the partner's view: nothing of the withheld intercept.
    text = out.read_text()
    for leak in ("sig-07", "loc-3", "+523399999999", "meet at the ranch", "lawful intercept", "20.5"):
        assert leak not in text, leak
    dst = tmp_path / "partner.duckdb"
    d = CaseStore.open(dst)
    put(d.con, "case_info", case_id="op-p", owner_agency="PARTNER-US", legal_authority="warrant", timezone="UTC")
    put(d.con, "targets", entity_id=TARGET)
    d.close()
    res = runner.invoke(app, ["import", str(dst), str(out), "--reliability", "B"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["agency"] == "SEDENA-INT"
    res = runner.invoke(app, ["audit", str(src), "--verify"])
    assert res.exit_code == 0 and "share" in res.stdout and "req 12" in res.stdout


def test_import_fills_named_columns_so_a_column_added_to_the_store_shifts_nothing() -> None:
    # a later schema may add columns (raw-spelling ids, flags) anywhere; the import names what it fills
    r = _receiver()
    for table in ("sources", "reports", "claims", "sightings"):
        r.con.execute(f"ALTER TABLE {table} ADD COLUMN later_col VARCHAR")
    _, text = _bundle()
    import_bundle(r, text, name="b.json")
    row = r.con.execute("SELECT subject, agency, later_col FROM sightings").fetchone()
    assert row == (TARGET, "SEDENA-INT", None)
    assert r.con.execute("SELECT count(*) FROM claims WHERE subject = ? AND later_col IS NULL",
                         [TARGET]).fetchone()[0] >= 2
