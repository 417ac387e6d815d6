"""A partner's product reads right (issue #15, newcomer review): evidence lines name people by role, never by a
raw identifier; no empty "who:" prefix, no model jargon ("(log)"), no empty "()" or dangling "—" in any format."""

from __future__ import annotations

import re
from typing import Any

from fusioncell.products.share import serialise, tearline
from fusioncell.store import CaseStore
from test_share_factory import PARTNER_PHONE, TARGET, TARGET_PHONE, add_fix, make_case, refresh_identifiers, \
    stub_network


def _case() -> CaseStore:
    s = make_case([("geo-01", "SEDENA-INT", "GEOINT", "carrier geolocation", ["PARTNER-US"])])
    add_fix(s, "loc-1", "geo-01", TARGET_PHONE, 19.94, -103.75)
    add_fix(s, "loc-2", "geo-01", PARTNER_PHONE, 19.9401, -103.7501)
    refresh_identifiers(s)
    return s


def _locate_like(store: CaseStore, target: str | None = None, top: int = 5) -> dict[str, Any]:
    """The shapes infer.locate gives: "<who>: <what>" lines, an empty who, a model term without sources."""
    ev = [
        {"kind": "days_fine", "summary": f"{PARTNER_PHONE}: day visit(s) located here", "weight": 0.4,
         "event_ids": ["loc-2"], "source_ids": ["geo-01"], "subjects": [PARTNER_PHONE]},
        {"kind": "sighting_him", "summary": ": sighted here", "weight": 0.3, "event_ids": ["loc-1"],
         "source_ids": ["geo-01"], "subjects": []},
        {"kind": "staleness", "summary": "days since the latest night-time evidence here, beyond a week (log)",
         "weight": -1.1, "event_ids": [], "source_ids": []},
    ]
    return {"case": "c", "target": TARGET, "hypotheses": [
        {"rank": 1, "lat": 19.94, "lon": -103.75, "radius_m": 200.0, "probability": 0.02, "label": "",
         "windows": [], "evidence": ev}]}


def _product() -> dict[str, Any]:
    product, _ = tearline(_case(), "PARTNER-US", locate_fn=_locate_like, network_fn=stub_network)
    return product


def test_evidence_lines_name_people_by_role_not_by_identifier() -> None:
    lines = [e["summary"] for e in _product()["hypotheses"][0]["evidence"]]
    assert lines == ["An associate: visited here by day", "Sighted here",
                     "No night-time evidence here for more than a week"]


def test_no_format_has_an_empty_bracket_a_dangling_dash_or_a_model_term() -> None:
    product = _product()
    for fmt in ("json", "stix", "ftm", "html", "geojson", "kml"):
        text = serialise(product, fmt)
        assert "()" not in text and "(log)" not in text, fmt
        assert PARTNER_PHONE not in text and PARTNER_PHONE[3:] not in text, fmt
        assert not re.search(r"—\s*(<|\\n|$)", text), fmt
        assert not re.search(r"(^|[\s>\"]): (?!null|true|false)[a-z]", text), fmt  # an empty "who:" prefix


def test_a_small_probability_reads_as_icd_203_there_is_almost_no_chance() -> None:
    product = _product()
    assert product["key_judgments"][0].startswith("There is almost no chance (2%) that ")
    assert "It is almost no chance" not in serialise(product, "stix")


def _network_with_reasons(store: CaseStore, focus: str | None = None, hops: int = 2, **_: Any) -> dict[str, Any]:
    """The shape network.report gives: a close circle whose reasons name calls, a graded report and entity ids."""
    return {"case": "c", "focus": focus, "key_players": [], "burner_successions": [], "communities": [],
            "close_circle": [
                {"rank": 1, "identifier": PARTNER_PHONE, "person": None, "strength": 0.323, "relationship": "friend",
                 "relationship_p": 0.551, "why": f"daily contact (40 events on 9 days); calls long (mean 5.1 min); "
                                                 f"report r-77 (D3): {TARGET} partner_of {PARTNER_PHONE}"},
                {"rank": 2, "identifier": TARGET_PHONE, "person": None, "strength": 0.58, "relationship": "unknown",
                 "relationship_p": 0.34, "why": "no communications seen; too little evidence to label"}]}


def test_an_associate_is_explained_by_the_assessment_not_by_calls_reports_or_ids() -> None:
    product, _ = tearline(_case(), "PARTNER-US", locate_fn=_locate_like, network_fn=_network_with_reasons)
    whys = [a["why"] for a in product["associates"]]
    assert whys == ["Assessed as a friend of the subject (likely, 55%); tie strength 0.32 on a scale of 0 to 1",
                    "Close to the subject, relationship not determined; tie strength 0.58 on a scale of 0 to 1"]
    for fmt in ("json", "stix", "ftm", "html"):
        text = serialise(product, fmt)
        for told in ("calls", "communications", "r-77", "(D3)", "partner_of", "events on"):
            assert told not in text, (fmt, told)


def test_the_key_judgments_say_how_likely_he_is_somewhere_else() -> None:
    # one released place at 2%: the product must say the other 98% is outside it, in ICD 203 words
    judgments = _product()["key_judgments"]
    assert judgments[-1] == "It is almost certain (98%) that EL OBJETIVO is somewhere other than the 1 place listed."


def test_a_wide_place_is_judged_in_kilometres() -> None:
    def wide(store: CaseStore, target: str | None = None, top: int = 5) -> dict[str, Any]:
        loc = _locate_like(store, target, top)
        loc["hypotheses"][0]["radius_m"] = 12000.0
        return loc

    product, _ = tearline(_case(), "PARTNER-US", locate_fn=wide, network_fn=stub_network)
    assert product["key_judgments"][0] == "There is almost no chance (2%) that EL OBJETIVO is within 12 km of 19.9400, -103.7500."


def test_an_evidence_items_kind_says_what_sort_it_is_not_the_models_feature() -> None:
    # "days_fine" and "nights_partner_coarse" told a partner whose phone was followed and how precisely
    assert [e["kind"] for e in _product()["hypotheses"][0]["evidence"]] == ["presence", "sighting", "absence"]
