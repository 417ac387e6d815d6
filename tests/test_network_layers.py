"""The layers beyond calls: graded claims, shared vehicles and shared non-public places, each edge with the
layer it comes from, its weight and its provenance (the source rows)."""

from __future__ import annotations

from typing import Any

import pytest
from test_network_factory import Case, at

from fusioncell.model.grading import P_TRUE
from fusioncell.network import contact_ties, key_players
from fusioncell.network.layers import OWNER_P, PLACE_DAYS, VEHICLE_MAX_USERS
from fusioncell.network.ties import CLAIM_STRENGTH, PLACE_STRENGTH, VEHICLE_STRENGTH

HOUSE = (20.6700, -103.3500)
MARKET = (20.7000, -103.3000)


def _ties(case: Case) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["a"], r["b"]): r for r in contact_ties(case.store(), "person").to_pylist()}


def test_a_works_for_claim_is_a_claims_edge_weighted_by_its_grade_with_its_report_row() -> None:
    c = Case()
    c.person("person-a")
    c.person("person-b")
    c.claim("person-a", "works_for", "person-b", "B", 2)
    t = _ties(c)[("person-a", "person-b")]
    p = P_TRUE["B"][2]
    assert t["layers"] == ["claims"]
    assert t["strength"] == pytest.approx(CLAIM_STRENGTH * p)
    assert t["provenance"] == [{"layer": "claims", "source": "claims", "ref": "r-0#0", "agency": "AG",
                                "grade": "B2", "p": pytest.approx(p)}]


def test_two_people_using_one_vehicle_are_tied_by_the_vehicles_layer() -> None:
    c = Case()
    for p in ("person-a", "person-b", "person-c"):
        c.person(p)
    c.claim("person-a", "uses", "plate:JAL-1", "A", 1)
    c.claim("person-b", "uses", "plate:JAL-1", "C", 3)
    # the owner of a declared vehicle, and a man sighted getting out of it
    c.person("veh-1", schema="Vehicle", owner="person-c", registrationNumber="JAL-2")
    c.entity_ids.append(("veh-1", "plate:JAL-2", "registrationNumber"))
    c.sight("person-d", at(1, 10.0), *HOUSE, 0.9)
    c.sight("plate:JAL-2", at(1, 10.05), *HOUSE, 0.8)
    ties = _ties(c)
    ab = ties[("person-a", "person-b")]
    p_ab = P_TRUE["A"][1] * P_TRUE["C"][3]
    assert ab["layers"] == ["vehicles"] and ab["veh_p"] == pytest.approx(p_ab)
    assert ab["strength"] == pytest.approx(VEHICLE_STRENGTH * p_ab)
    assert sorted(x["ref"] for x in ab["provenance"]) == ["r-0#0", "r-1#0"]
    assert {x["source"] for x in ab["provenance"]} == {"claims"}
    cd = ties[("person-c", "person-d")]
    assert "vehicles" in cd["layers"]
    assert cd["veh_p"] == pytest.approx(OWNER_P * 0.9 * 0.8)
    assert {(x["source"], x["ref"]) for x in cd["provenance"] if x["layer"] == "vehicles"} == {
        ("entities", "veh-1"), ("sightings", "s0+s1")}


def test_a_vehicle_of_many_users_makes_no_tie() -> None:
    c = Case()
    users = [f"person-{i}" for i in range(VEHICLE_MAX_USERS + 1)]
    for u in users:
        c.person(u)
        c.claim(u, "uses", "plate:TAXI-1", "B", 2)
    assert not [r for r in _ties(c).values() if "vehicles" in r["layers"]]


def _stay(c: Case, ident: str, day: int, place: tuple[float, float], hour: float = 20.0) -> None:
    """An hour at ``place`` (a fix every 10 min), then a fix far away."""
    for k in range(7):
        c.fix(ident, at(day, hour + k / 6), place[0] + 0.00001 * k, place[1])
    c.fix(ident, at(day, hour + 2.0), place[0] + 0.2, place[1] + 0.2)


def test_two_people_staying_at_one_private_place_are_tied_and_a_market_ties_nobody() -> None:
    c = Case()
    c.person("person-a", phones=("+523310000901",))
    c.person("person-b", phones=("+523310000902",))
    for d in range(3):  # both spend evenings at the house, on different hours
        _stay(c, "+523310000901", d, HOUSE, 19.0)
        _stay(c, "+523310000902", d, HOUSE, 21.5)
    shoppers = [f"+5233100009{10 + i}" for i in range(5)]
    for i, s in enumerate(shoppers):  # five strangers stay at the market on day 5: public place
        _stay(c, s, 5, MARKET, 9.0 + 0.3 * i)
    ties = _ties(c)
    ab = ties[("person-a", "person-b")]
    assert ab["layers"] == ["places"]
    import math

    place_p = 1 - math.exp(-3 / PLACE_DAYS)  # three days each at the house
    assert ab["place_p"] == pytest.approx(place_p)
    assert ab["strength"] == pytest.approx(PLACE_STRENGTH * place_p)
    (prov,) = ab["provenance"]
    assert prov["source"] == "locations" and prov["agency"] == "AG"
    assert not [r for r in ties.values() if r["a"] in shoppers or r["b"] in shoppers]


def test_key_players_say_the_vehicle_and_place_layers_fed_them_and_layers_select_them() -> None:
    c = Case()
    for p in ("person-a", "person-b"):
        c.person(p)
    c.claim("person-a", "uses", "plate:JAL-1", "A", 1)
    c.claim("person-b", "uses", "plate:JAL-1", "A", 1)
    c.call("+523310000801", "+523310000802", at(0, 10.0))
    s = c.store()
    kp = {r["node"]: r for r in key_players(s)["ranked"]}
    assert kp["person-a"]["layers"] == ["vehicles"]
    only_vehicles = {r["node"] for r in key_players(s, layers=["vehicles"])["ranked"]}
    assert only_vehicles == {"person-a", "person-b"}
    only_calls = {r["node"] for r in key_players(s, layers=["calls"])["ranked"]}
    assert only_calls == {"+523310000801", "+523310000802"}
