"""Sanitised products for a partner: substance without sources, methods or withheld evidence."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable

import pytest
import stix2
from followthemoney import model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusioncell.errors import NotFound, UsageError
from fusioncell.products.share import (
    admiralty_to_confidence,
    confidence_to_admiralty,
    serialise,
    tearline,
    withheld_path,
    write_share,
)
from fusioncell.products.stix import TLP2_EXTENSION_ID, TLP2_IDS
from fusioncell.security import audit
from fusioncell.security.minimise import mask, unmask
from fusioncell.store import CaseStore
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
    stub_locate,
    stub_network,
)

METHODS = {
    "geo-01": "carrier handset geolocation under order 5",
    "sig-07": "lawful intercept of line 7",
    "us-01": "liaison asset CARDINAL",
}
BYSTANDER = "+523388880000"


def two_agency_case() -> CaseStore:
    s = make_case([
        ("geo-01", "SEDENA-INT", "GEOINT", METHODS["geo-01"], ["PARTNER-US"]),
        ("sig-07", "SEDENA-INT", "SIGINT", METHODS["sig-07"], []),
        ("us-01", "PARTNER-US", "HUMINT", METHODS["us-01"], ["SEDENA-INT"]),
    ])
    add_fix(s, "loc-1", "geo-01", TARGET_PHONE, 19.94, -103.75)
    add_fix(s, "loc-2", "geo-01", TARGET_PHONE, 19.9402, -103.7502, 10)
    add_fix(s, "loc-3", "sig-07", TARGET_PHONE, 20.5, -103.1)
    for i in range(3):
        add_call(s, f"c{i}", "geo-01", TARGET_PHONE, PARTNER_PHONE, i)
    add_call(s, "c8", "geo-01", TARGET_PHONE, BYSTANDER, 8)
    add_call(s, "call-intercept-9", "sig-07", TARGET_PHONE, "+523399999999", 9, content="meet at the ranch")
    add_claim(s, "report-us-1", "us-01", TARGET, "located_near", lat=19.95, lon=-103.73, radius_m=15000)
    add_sighting(s, "sight-geo-1", "geo-01", TARGET, 19.9405, -103.7505)
    refresh_identifiers(s)
    return s


def _share(s: CaseStore, to: str = "PARTNER-US") -> tuple[dict[str, Any], dict[str, Any]]:
    return tearline(s, to, locate_fn=stub_locate, network_fn=stub_network)


def _strings(v: Any) -> Iterable[str]:
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield str(k)
            yield from _strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from _strings(x)


def _numbers(v: Any) -> Iterable[float]:
    if isinstance(v, bool):
        return
    if isinstance(v, (int, float)):
        yield float(v)
    elif isinstance(v, dict):
        for x in v.values():
            yield from _numbers(x)
    elif isinstance(v, list):
        for x in v:
            yield from _numbers(x)


def _all_formats(product: dict[str, Any]) -> dict[str, str]:
    return {f: serialise(product, f) for f in ("json", "stix", "ftm", "html", "geojson", "kml")}


def test_partner_product_rests_only_on_releasable_evidence() -> None:
    product, held = _share(two_agency_case())
    assert [h["label"] for h in product["hypotheses"]] == ["stay with 3 fixes", "reported area"]
    h1 = product["hypotheses"][0]
    # Mean of the releasable fixes and sighting only; the intercept fix (20.5, -103.1) is not in it.
    assert h1["lat"] == pytest.approx((19.94 + 19.9402 + 19.9405) / 3)
    assert h1["lon"] == pytest.approx((-103.75 - 103.7502 - 103.7505) / 3)
    assert 20.5 not in set(_numbers(product))
    assert [s["source_id"] for s in held["sources"]] == ["sig-07"]


def test_no_format_carries_methods_source_ids_event_ids_or_content() -> None:
    s = two_agency_case()
    product, _ = _share(s)
    forbidden = list(METHODS.values()) + list(METHODS) + ["loc-1", "loc-3", "call-intercept-9", "sight-geo-1", "report-us-1", "meet at the ranch",
                                                          "court order", "GEOINT", "SIGINT", "HUMINT"]
    for fmt, text in _all_formats(product).items():
        for word in forbidden:
            assert word not in text, (fmt, word)


def test_sources_become_generic_descriptors_with_admiralty_confidence() -> None:
    product, _ = _share(two_agency_case())
    ev = product["hypotheses"][1]["evidence"][0]
    assert ev["sources"] == ["a source with good access, usually reliable (B)"]
    assert ev["confidence"] == 70  # the claim is graded credibility 2 -> STIX appendix 70
    assert product["hypotheses"][0]["likelihood"] == "unlikely"


def test_withheld_list_never_travels_inside_the_product() -> None:
    product, held = _share(two_agency_case())
    text = json.dumps(product)
    assert "withheld" not in json.dumps(list(product))  # no key for it
    assert "sig-07" not in text and held["rows"] == {"comms": 1, "locations": 1}


def test_bystander_is_masked_and_unmask_reveals_him() -> None:
    s = two_agency_case()
    product, _ = _share(s)
    idents = [a["identifier"] for a in product["associates"]]
    p = mask(s, BYSTANDER)
    assert PARTNER_PHONE in idents  # three calls with the target: pertinent
    assert p in idents and BYSTANDER not in json.dumps(product)
    assert unmask(s, p, "needed to follow the courier") == BYSTANDER
    again, _ = _share(s)
    assert BYSTANDER in [a["identifier"] for a in again["associates"]]


def test_free_text_naming_a_source_or_method_is_scrubbed() -> None:
    def leaky_locate(store: CaseStore, target: str | None = None, top: int = 5) -> dict[str, Any]:
        r = stub_locate(store, target, top)
        r["hypotheses"][0]["evidence"][0]["summary"] = (
            "per geo-01 (Carrier handset geolocation under order 5), 3 fixes incl. loc-1")
        return r

    product, _ = tearline(two_agency_case(), "PARTNER-US", locate_fn=leaky_locate, network_fn=stub_network)
    assert product["hypotheses"][0]["evidence"][0]["summary"] == "per [withheld] ([withheld]), 3 fixes incl. [withheld]"


def test_sharing_with_yourself_or_a_stranger_is_refused() -> None:
    s = two_agency_case()
    with pytest.raises(UsageError):
        _share(s, "SEDENA-INT")
    with pytest.raises(NotFound):
        _share(s, "NOBODY")


def test_stix_bundle_is_strict_stix_with_tlp2_markings() -> None:
    product, _ = _share(two_agency_case())
    text = serialise(product, "stix")
    bundle = stix2.parse(text, allow_custom=False)
    objs = {o.id: o for o in bundle.objects}
    md = [o for o in bundle.objects if o.type == "marking-definition"]
    assert {m.id for m in md} == {TLP2_IDS["amber"]}
    assert md[0].extensions[TLP2_EXTENSION_ID]["tlp_2_0"] == "amber" and md[0].name == "TLP:AMBER"
    for o in bundle.objects:
        if o.type != "marking-definition":
            assert o.object_marking_refs == [TLP2_IDS["amber"]]
    locs = [o for o in bundle.objects if o.type == "location" and "precision" in o]
    assert sorted(lo.precision for lo in locs) == [200.0, 15000.0]
    rels = [o for o in bundle.objects if o.type == "relationship" and o.relationship_type == "located-at"]
    assert sorted(r.confidence for r in rels) == [40, 40]
    sightings = [o for o in bundle.objects if o.type == "sighting"]
    assert len(sightings) == 1 and sightings[0].confidence == 80
    assert objs[sightings[0].sighting_of_ref].name == "EL OBJETIVO"
    report = next(o for o in bundle.objects if o.type == "report")
    selectors = [sel for g in report.granular_markings for sel in g.selectors]
    assert sorted(selectors) == sorted(f"object_refs.[{i}]" for i in range(len(report.object_refs)))
    assert set(report.object_refs) <= set(objs)


def test_stix_uses_tlp_amber_strict_when_evidence_is_strict() -> None:
    s = two_agency_case()
    s.con.execute("UPDATE sources SET tlp = 'amber+strict' WHERE source_id = 'us-01'")
    product, _ = _share(s)
    assert product["marking"]["tlp"] == "TLP:AMBER+STRICT"
    assert [h["marking"] for h in product["hypotheses"]] == ["TLP:AMBER", "TLP:AMBER+STRICT"]
    bundle = stix2.parse(serialise(product, "stix"), allow_custom=False)
    assert {o.id for o in bundle.objects if o.type == "marking-definition"} == {TLP2_IDS["amber"], TLP2_IDS["amber+strict"]}


def test_admiralty_confidence_follows_the_stix_appendix() -> None:
    assert [admiralty_to_confidence(c) for c in (1, 2, 3, 4, 5, 6, None)] == [90, 70, 50, 30, 10, None, None]
    assert [confidence_to_admiralty(c) for c in (100, 80, 79, 60, 59, 40, 39, 20, 19, 0, None)] == [
        1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6]


def test_ftm_export_is_valid_followthemoney() -> None:
    product, _ = _share(two_agency_case())
    ents = [json.loads(line) for line in serialise(product, "ftm").splitlines()]
    proxies = [model.get_proxy(e) for e in ents]
    schemas = sorted({p.schema.name for p in proxies})
    assert schemas == ["Address", "Associate", "Person", "UnknownLink"]
    subject = next(p for p in proxies if p.schema.name == "Person" and "EL OBJETIVO" in p.get("name"))
    assert subject.get("phone") == [TARGET_PHONE]
    addr = sorted(float(p.first("latitude") or 0) for p in proxies if p.schema.name == "Address")
    assert addr[1] == 19.95


def test_html_tearline_shows_tlp_and_substance() -> None:
    product, _ = _share(two_agency_case())
    html = serialise(product, "html")
    assert html.count("TLP:AMBER") >= 2 and "EL OBJETIVO" in html and "unlikely" in html


def test_write_share_writes_product_and_owner_list_and_audits(tmp_path: Path) -> None:
    s = two_agency_case()
    out = tmp_path / "tearline.json"
    res = write_share(s, "PARTNER-US", out, "stix", why="liaison request 12", actor="ana",
                      locate_fn=stub_locate, network_fn=stub_network)
    assert out.is_file() and withheld_path(out).is_file()
    assert "sig-07" not in out.read_text() and "sig-07" in withheld_path(out).read_text()
    last = audit.entries(s)[-1]
    assert last.action == "share" and last.why == "liaison request 12" and last.actor == "ana"
    what = json.loads(last.what or "{}")
    import hashlib

    assert what["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() == res["sha256"]
    assert what["to"] == "PARTNER-US" and what["withheld_sources"] == 1
    with pytest.raises(UsageError):
        write_share(s, "PARTNER-US", out, "pdf", locate_fn=stub_locate, network_fn=stub_network)


# -- property: nothing derived only from withheld evidence reaches the partner ------------

AGENCIES = ["OWNER", "PARTNER", "THIRD"]


@st.composite
def random_cases(draw: st.DrawFn) -> tuple[CaseStore, dict[str, Any]]:
    n_src = draw(st.integers(1, 5))
    s = make_case(owner="OWNER")
    put(s.con, "sources", source_id="anchor", agency="OWNER", discipline="OSINT", reliability="C",
        releasable_to=["PARTNER"], line=0)
    facts: dict[str, dict[str, Any]] = {}
    serial = 0
    for i in range(n_src):
        sid = f"src{i}x{draw(st.integers(1000, 9999))}"
        agency = draw(st.sampled_from(AGENCIES))
        rel = draw(st.lists(st.sampled_from(AGENCIES), unique=True, max_size=3))
        method = f"method-{draw(st.integers(10**6, 10**7))}-secret"
        put(s.con, "sources", source_id=sid, agency=agency, discipline="SIGINT", method=method,
            reliability=draw(st.sampled_from("ABCDEF")), releasable_to=rel, line=i + 1)
        f: dict[str, Any] = {"method": method, "events": [], "numbers": [], "strings": [sid, method]}
        for _ in range(draw(st.integers(0, 3))):
            serial += 1
            lat = 19.0 + draw(st.integers(100000, 999999)) / 1e6
            lon = -103.0 - draw(st.integers(100000, 999999)) / 1e6
            eid = f"ev{serial:04d}{sid}"
            kind = draw(st.sampled_from(["fix", "sight", "claim"]))
            if kind == "fix":
                add_fix(s, eid, sid, TARGET_PHONE, lat, lon, serial)
            elif kind == "sight":
                add_sighting(s, eid, sid, TARGET, lat, lon, note=f"note-{eid}")
            else:
                add_claim(s, eid, sid, TARGET, "located_near", lat=lat, lon=lon, radius_m=1000.0 + serial)
            f["numbers"] += [lat, lon]
            f["strings"] += [eid]
        for _ in range(draw(st.integers(0, 3))):
            serial += 1
            other = f"+5233{draw(st.integers(10**7, 10**8 - 1))}"
            add_call(s, f"cv{serial:04d}{sid}", sid, TARGET_PHONE, other, serial, content=f"talk-{serial}-{sid}")
            f["strings"] += [f"cv{serial:04d}{sid}", f"talk-{serial}-{sid}", other]
        facts[sid] = f
    refresh_identifiers(s)
    return s, facts


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_cases())
def test_no_product_contains_a_value_derived_only_from_withheld_evidence(case: tuple[CaseStore, dict[str, Any]]) -> None:
    s, facts = case
    product, held = tearline(s, "PARTNER", locate_fn=stub_locate, network_fn=stub_network)
    withheld_ids = {h["source_id"] for h in held["sources"]}
    visible = [f for sid, f in facts.items() if sid not in withheld_ids]
    seen_strings = {x for f in visible for x in f["strings"]}
    seen_numbers = {x for f in visible for x in f["numbers"]}
    bad_strings = {x for sid in withheld_ids & set(facts) for x in facts[sid]["strings"]} - seen_strings
    bad_numbers = {x for sid in withheld_ids & set(facts) for x in facts[sid]["numbers"]} - seen_numbers
    for fmt, text in _all_formats(product).items():
        if fmt == "stix":
            stix2.parse(text, allow_custom=False)  # every random product is strict STIX 2.1
        data: Any = [json.loads(x) for x in text.splitlines()] if fmt == "ftm" else (
            json.loads(text) if fmt in ("json", "stix") else text)
        strings = list(_strings(data))
        for bad in bad_strings:
            assert not any(bad in x for x in strings), (fmt, bad)
        for num in _numbers(data):
            assert not any(math.isclose(num, b, rel_tol=0, abs_tol=1e-9) for b in bad_numbers), (fmt, num)
        # FtM stores coordinates as strings: check them as numbers too.
        for x in strings:
            try:
                v = float(x)
            except ValueError:
                continue
            assert v not in bad_numbers, (fmt, x)
        # Sanitised products never carry a method text, withheld or not.
        for f in facts.values():
            assert not any(f["method"] in x for x in strings), (fmt, f["method"])


def test_geojson_is_the_sanitised_product_on_a_map() -> None:
    """Hypotheses and sightings as GeoJSON points ([lon, lat]) with probability and marking, nothing more."""
    import json

    from fusioncell.products.share import serialise

    product = {"case": "c", "to": "PARTNER-US", "marking": {"tlp": "TLP:AMBER"}, "handling": "h",
               "hypotheses": [{"rank": 1, "lat": 19.9, "lon": -103.7, "probability": 0.6, "likelihood": "likely",
                               "radius_m": 150, "label": "remote site", "marking": "TLP:AMBER", "evidence": []}],
               "sightings": [{"lat": 19.91, "lon": -103.71, "subject": "plate:X", "observed": "t", "confidence": 0.8,
                              "marking": "TLP:GREEN", "source": "a source"}]}
    g = json.loads(serialise(product, "geojson"))
    assert g["type"] == "FeatureCollection" and len(g["features"]) == 2
    h = g["features"][0]
    assert h["geometry"]["coordinates"] == [-103.7, 19.9] and h["properties"]["probability"] == 0.6
    assert "source" not in g["features"][1]["properties"]


def test_html_tearline_escapes_markup_and_never_prints_zero_percent() -> None:
    product, _ = _share(two_agency_case())
    product["hypotheses"][0]["label"] = '<script>alert("x")</script>'
    product["hypotheses"][0]["probability"] = 0.001
    product["hypotheses"][0]["likelihood"] = "almost no chance"
    html = serialise(product, "html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "(0%)" not in html and "almost no chance (&lt;1%)" in html
    assert "()" not in html  # no empty brackets for an unnamed place


def test_kml_tearline_is_xml_with_the_hypotheses_as_lon_lat_points() -> None:
    import xml.etree.ElementTree as ET

    product, _ = _share(two_agency_case())
    product["hypotheses"][0]["label"] = "a <b> & c"
    root = ET.fromstring(serialise(product, "kml").split("\n", 1)[1])
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    marks = root.findall(".//k:Placemark", ns)
    hyps = [m for m in marks if m.find("k:ExtendedData/k:Data[@name='kind']/k:value", ns).text == "hypothesis"]
    assert len(hyps) == len(product["hypotheses"])
    h1 = product["hypotheses"][0]
    lon, lat = (float(v) for v in hyps[0].find(".//k:coordinates", ns).text.split(","))
    assert (lon, lat) == (pytest.approx(h1["lon"]), pytest.approx(h1["lat"]))  # KML is lon,lat
    assert hyps[0].find("k:name", ns).text == "#1 a <b> & c"
