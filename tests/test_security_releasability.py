"""The releasability view: rows, methods, entities and aggregates an agency may see."""

from __future__ import annotations

import pytest

from fusioncell.errors import NotFound, PolicyViolation
from fusioncell.security.releasability import known_agencies, require_owner, view_for, withheld
from tests.rows import put
from test_share_factory import (
    PARTNER_PHONE,
    TARGET,
    TARGET_PHONE,
    add_call,
    add_claim,
    add_fix,
    add_sighting,
    make_case,
    refresh_identifiers,
)


def _case():  # type: ignore[no-untyped-def]
    s = make_case([
        ("geo-01", "SEDENA-INT", "GEOINT", "carrier geolocation", ["PARTNER-US"]),
        ("sig-07", "SEDENA-INT", "SIGINT", "intercept of line 7", []),
        ("us-01", "PARTNER-US", "HUMINT", "asset CARDINAL", ["SEDENA-INT"]),
        ("x-01", "THIRD", "OSINT", "third method", ["SEDENA-INT"]),
    ])
    put(s.con, "entities", entity_id="person-bystander", schema="Person", caption="B", properties="{}", raw="{}",
        line=2)
    add_fix(s, "l1", "geo-01", TARGET_PHONE, 19.0, -103.0)
    add_fix(s, "l2", "sig-07", TARGET_PHONE, 19.5, -103.5)
    add_call(s, "c1", "geo-01", TARGET_PHONE, PARTNER_PHONE)
    add_call(s, "c2", "sig-07", TARGET_PHONE, PARTNER_PHONE, 5)
    add_call(s, "c3", "sig-07", TARGET_PHONE, "+523399999999", 9)
    add_sighting(s, "s1", "x-01", TARGET, 19.2, -103.2)
    add_claim(s, "r1", "us-01", TARGET, "located_near", lat=19.3, lon=-103.3, radius_m=5000)
    refresh_identifiers(s)
    return s


def test_partner_view_holds_only_releasable_rows() -> None:
    v = view_for(_case(), "PARTNER-US")
    assert {r[0] for r in v.con.execute("SELECT source_id FROM sources").fetchall()} == {"geo-01", "us-01"}
    assert {r[0] for r in v.con.execute("SELECT event_id FROM locations").fetchall()} == {"l1"}
    assert {r[0] for r in v.con.execute("SELECT event_id FROM comms").fetchall()} == {"c1"}
    assert v.count("sightings") == 0  # THIRD's source is releasable to SEDENA-INT only
    assert v.count("claims") == 1 and v.count("reports") == 1


def test_methods_of_other_agencies_never_enter_a_view_but_own_methods_do() -> None:
    v = view_for(_case(), "PARTNER-US")
    methods = dict(v.con.execute("SELECT source_id, method FROM sources").fetchall())
    assert methods == {"geo-01": None, "us-01": "asset CARDINAL"}
    rel = dict(v.con.execute("SELECT source_id, releasable_to FROM sources").fetchall())
    assert rel["geo-01"] == ["PARTNER-US"]


def test_aggregates_are_recomputed_from_the_view_not_copied() -> None:
    s = _case()
    full = dict(s.con.execute("SELECT identifier, n_comms FROM identifiers").fetchall())
    assert full[TARGET_PHONE] == 3 and full["+523399999999"] == 1
    v = view_for(s, "PARTNER-US")
    counts = dict(v.con.execute("SELECT identifier, n_comms FROM identifiers").fetchall())
    assert counts[TARGET_PHONE] == 1  # only c1 is releasable
    assert "+523399999999" not in counts  # known only from a withheld intercept


def test_partner_sees_only_target_entities_and_no_legal_authority() -> None:
    v = view_for(_case(), "PARTNER-US")
    assert [r[0] for r in v.con.execute("SELECT entity_id FROM entities").fetchall()] == [TARGET]
    assert "court order" not in v.con.execute("SELECT legal_authority FROM case_info").fetchone()[0]
    owner = view_for(_case(), "SEDENA-INT")
    assert owner.count("entities") == 2
    assert owner.count("sightings") == 1  # THIRD shares with the owner
    assert "court order" in owner.con.execute("SELECT legal_authority FROM case_info").fetchone()[0]


def test_view_is_separate_and_knows_its_parent() -> None:
    s = _case()
    v = view_for(s, "PARTNER-US")
    v.con.execute("DELETE FROM locations")
    assert s.count("locations") == 2
    assert v.parent is s and v.principal == "PARTNER-US"  # type: ignore[attr-defined]


def test_a_recorded_read_lands_in_the_audit_log() -> None:
    from fusioncell.security import audit

    s = _case()
    view_for(s, "PARTNER-US")
    assert audit.entries(s) == []
    view_for(s, "PARTNER-US", record=True, why="api request")
    (e,) = audit.entries(s)
    assert (e.action, e.what, e.why) == ("read", '{"view_for":"PARTNER-US"}', "api request")


def test_unknown_agency_is_not_found() -> None:
    s = _case()
    assert known_agencies(s) == {"SEDENA-INT", "PARTNER-US", "THIRD"}
    with pytest.raises(NotFound):
        view_for(s, "KGB")


def test_withheld_lists_sources_and_rows_for_the_owner() -> None:
    held = withheld(_case(), "PARTNER-US")
    ids = [h["source_id"] for h in held["sources"]]
    assert ids == ["sig-07", "x-01"]
    assert held["sources"][0]["rows"] == {"comms": 2, "locations": 1}
    assert held["rows"] == {"comms": 2, "locations": 1, "sightings": 1}
    assert held["entities"] == 1


def test_require_owner() -> None:
    s = _case()
    require_owner(s, "SEDENA-INT")
    with pytest.raises(PolicyViolation):
        require_owner(s, "PARTNER-US")
