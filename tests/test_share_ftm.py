"""FollowTheMoney export: relationships map to Family / Associate / Vehicle, call records to Call."""

from __future__ import annotations

from typing import Any

from followthemoney import model

from fusioncell.products.ftm_export import comms_to_ftm, tearline_to_ftm
from test_share_factory import PARTNER_PHONE, TARGET_PHONE, add_call, make_case


def _product() -> dict[str, Any]:
    return {
        "case": "op-x", "from": "SEDENA-INT", "to": "PARTNER-US", "marking": {"tlp": "TLP:AMBER"},
        "subject": {"id": "person-target", "name": "EL OBJETIVO", "identifiers": [TARGET_PHONE, "alias:El Tano"]},
        "hypotheses": [{"rank": 1, "lat": 19.9, "lon": -103.7, "radius_m": 300, "probability": 0.7,
                        "likelihood": "likely", "label": "ranch", "marking": "TLP:AMBER"}],
        "associates": [
            {"identifier": PARTNER_PHONE, "person": "person-partner", "relationship": "partner", "why": "nightly calls",
             "marking": "TLP:AMBER"},
            {"identifier": "+523344445555", "person": None, "relationship": "logistics", "marking": "TLP:AMBER"},
            {"identifier": "plate:JAL4821B", "person": None, "relationship": "associate", "marking": "TLP:AMBER"},
        ],
    }


def test_tearline_maps_to_followthemoney_schemata() -> None:
    ents = [model.get_proxy(e) for e in tearline_to_ftm(_product())]
    by_schema: dict[str, list[Any]] = {}
    for e in ents:
        by_schema.setdefault(e.schema.name, []).append(e)
    subject = next(e for e in by_schema["Person"] if e.first("name") == "EL OBJETIVO")
    assert subject.get("phone") == [TARGET_PHONE] and subject.get("alias") == ["El Tano"]
    (fam,) = by_schema["Family"]
    partner = next(e for e in by_schema["Person"] if e.first("name") == "person-partner")
    assert fam.get("person") == [subject.id] and fam.get("relative") == [partner.id]
    assert fam.get("relationship") == ["partner"] and fam.get("description") == ["nightly calls"]
    (assoc,) = by_schema["Associate"]
    assert assoc.get("relationship") == ["logistics"]
    (veh,) = by_schema["Vehicle"]
    assert veh.get("registrationNumber") == ["JAL4821B"]
    (addr,) = by_schema["Address"]
    assert addr.get("latitude") == ["19.9"] and "likely (70%)" in addr.first("description")
    links = by_schema["UnknownLink"]
    assert {link.first("object") for link in links} == {addr.id, veh.id}
    assert all(e.get("publisher") == ["SEDENA-INT"] for e in ents)


def test_ids_are_deterministic() -> None:
    assert [e["id"] for e in tearline_to_ftm(_product())] == [e["id"] for e in tearline_to_ftm(_product())]


def test_comms_export_as_call_entities() -> None:
    s = make_case([("geo-01", "SEDENA-INT", "SIGINT", "m", [])])
    add_call(s, "c1", "geo-01", TARGET_PHONE, PARTNER_PHONE, 0)
    add_call(s, "c2", "geo-01", PARTNER_PHONE, TARGET_PHONE, 5)
    ents = [model.get_proxy(e) for e in comms_to_ftm(s)]
    calls = [e for e in ents if e.schema.name == "Call"]
    people = {e.first("phone"): e.id for e in ents if e.schema.name == "Person"}
    assert len(calls) == 2 and set(people) == {TARGET_PHONE, PARTNER_PHONE}
    assert calls[0].get("caller") == [people[TARGET_PHONE]] and calls[0].get("receiver") == [people[PARTNER_PHONE]]
    assert calls[1].get("callerNumber") == [PARTNER_PHONE] and calls[1].get("duration") == ["60.0"]
    assert len(list(comms_to_ftm(s, limit=1))) == 3  # one call and its two people


def test_every_export_words_its_judgments_with_the_one_language_helper() -> None:
    """'It is almost no chance (2%)' was ungrammatical and '0%' was printed; ICD 203 wording everywhere."""
    from fusioncell.products.language import judgment

    assert judgment("the subject is here", 0.02) == "There is almost no chance (2%) that the subject is here."
    assert "0%" not in judgment("the subject is here", 0.001)
    import inspect

    from fusioncell.products import ftm_export, stix

    for mod in (stix, ftm_export):
        assert 'f"It is {' not in inspect.getsource(mod)
