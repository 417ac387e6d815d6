"""Contact ties, relationships, close circle and the `network` report."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from test_network_factory import C, F, L_NEW, L_OLD, M, O, P, Case, at, scenario

from fusioncell.errors import NotFound
from fusioncell.network import close_circle, contact_ties, key_players, neighbourhood
from fusioncell.network.report import network_report, render_text


def _tie(tbl, a: str, b: str) -> dict:
    a, b = min(a, b), max(a, b)
    for r in tbl.to_pylist():
        if r["a"] == a and r["b"] == b:
            return r
    raise KeyError((a, b))


def test_edge_features_by_hand() -> None:
    c = Case()
    x, y = "+523310000101", "+523310000102"
    # Mon 23:30 local (night), Tue 10:00 (business), Sat 14:00 (weekend), SMS Sat 23:00
    c.call(x, y, at(0, 23.5), 600)
    c.call(y, x, at(1, 10.0), 60)
    c.call(x, y, at(5, 14.0), 300)
    c.call(y, x, at(5, 23.0), 0, channel="sms")
    t = _tie(contact_ties(c.store(), "identifier"), x, y)
    assert t["n_events"] == 4 and t["n_calls"] == 3
    assert t["total_duration_s"] == 960
    assert t["mean_call_s"] == pytest.approx(320)
    assert t["reciprocity"] == pytest.approx(1.0)  # 2 each way
    assert t["night_share"] == pytest.approx(0.5)  # 23:30 and 23:00 local
    assert t["business_share"] == pytest.approx(0.25)
    assert t["weekend_share"] == pytest.approx(0.5)
    assert t["active_days"] == 3
    # gaps (h): 10.5, 100, 9 -> burstiness (sd - mean) / (sd + mean)
    import statistics

    gaps = [10.5, 100.0, 9.0]
    mu, sd = statistics.fmean(gaps), statistics.pstdev(gaps)
    assert t["burstiness"] == pytest.approx((sd - mu) / (sd + mu))


def test_identifier_level_identifiers_are_the_two_ends_derived_on_read() -> None:
    # the lean identifier-level table stores no identifiers list; contact_ties derives it: the two ends of
    # a tie with calls, none for a tie that rests on a claim alone
    c = Case()
    x, y, z, w = "+523310000102", "+523310000101", "+523310000103", "+523310000104"
    c.call(x, y, at(0, 10.0), 60)
    c.claim(z, "partner_of", w)
    s = c.store()
    tbl = contact_ties(s, "identifier")
    assert _tie(tbl, x, y)["identifiers"] == [y, x]  # a < b
    assert _tie(tbl, z, w)["identifiers"] == [] and _tie(tbl, z, w)["n_events"] == 0
    cols = {r[0] for r in s.con.execute("DESCRIBE net_ties_identifier").fetchall()}
    assert "identifiers" not in cols and "strength" in cols


def test_a_tie_known_only_from_reports_is_what_the_reports_say() -> None:
    """Two reports (B3, D3) call a woman his partner; nobody saw them call or meet. The label read "friend"
    (p 0.40): the phone ties' base rates (partners are rare among call-graph ties) outweighed both reports. With
    no call, message or meeting behind it, the tie is what the reports say; a lone improbable "meets" (B5) is
    not enough to name a relationship at all."""
    c = Case()
    him, her, other = "person-boss", "+523310000201", "+523310000202"
    c.claim(him, "partner_of", her, "B", 3)
    c.claim(him, "partner_of", her, "D", 3)
    c.claim(other, "meets", him, "B", 5)
    tbl = contact_ties(c.store(), "identifier")
    assert _tie(tbl, him, her)["relationship"] == "partner" and _tie(tbl, him, her)["relationship_p"] > 0.8
    assert _tie(tbl, him, other)["relationship"] == "unknown"


def test_night_share_uses_the_case_timezone() -> None:
    c = Case()
    x, y = "+523310000101", "+523310000102"
    c.call(x, y, at(0, 23.5), 60)  # 23:30 in Mexico City = 05:30 UTC
    mx = _tie(contact_ties(c.store("America/Mexico_City"), "identifier"), x, y)
    tokyo = _tie(contact_ties(c.store("Asia/Tokyo"), "identifier"), x, y)  # 14:30 in Tokyo
    assert mx["night_share"] == 1.0 and tokyo["night_share"] == 0.0


def test_person_with_two_phones_is_one_node() -> None:
    s = scenario().store()
    person = contact_ties(s, "person").to_pylist()
    nodes = {r["a"] for r in person} | {r["b"] for r in person}
    assert "person-lt" in nodes and L_OLD not in nodes and L_NEW not in nodes
    lt = _tie(contact_ties(s, "person"), "person-boss", "person-lt")
    ident = contact_ties(s, "identifier")
    n_old = _tie(ident, F, L_OLD)["n_events"]
    n_new = _tie(ident, F, L_NEW)["n_events"]
    assert lt["n_events"] == n_old + n_new
    assert set(lt["identifiers"]) >= {F, L_OLD, L_NEW}


def test_relationships_of_the_scenario() -> None:
    s = scenario().store()
    circle = {r["identifier"]: r for r in close_circle(s, F)}
    assert circle[P]["relationship"] == "partner" and circle[P]["relationship_p"] > 0.5
    assert circle[M]["relationship"] == "family"
    assert circle[C]["relationship"] in ("logistics", "work")
    assert circle[O]["relationship"] == "one-off"


def test_relationship_from_behaviour_alone_without_claims() -> None:
    case = scenario()
    case.claims = [c for c in case.claims if c["predicate"] == "uses"]
    s = case.store()
    circle = {r["identifier"]: r for r in close_circle(s, F)}
    assert circle[P]["relationship"] == "partner"
    assert circle[M]["relationship"] == "family"


def test_close_circle_ranks_partner_first_and_explains() -> None:
    s = scenario().store()
    circle = close_circle(s, "alias:El Jefe")  # focus by alias reaches the boss's phones
    assert circle[0]["identifier"] == P and circle[0]["person"] == "alias:La Güera"
    assert [r["rank"] for r in circle] == list(range(1, len(circle) + 1))
    assert all(circle[i]["strength"] >= circle[i + 1]["strength"] for i in range(len(circle) - 1))
    assert "late-night" in circle[0]["why"]
    assert circle[-1]["identifier"] == O  # a single 20 s call is the weakest tie


def test_claim_only_tie_appears_with_its_grade() -> None:
    c = Case()
    c.person("person-a", phones=("+523310000201",))
    c.claim("person-a", "associate_of", "person-b", "A", 1)
    circle = close_circle(c.store(), "person-a")
    assert circle[0]["person"] == "person-b" or circle[0]["identifier"] == "person-b"
    assert circle[0]["relationship"] in ("friend", "logistics")
    assert "A1" in circle[0]["why"]


def test_unknown_focus_is_not_found() -> None:
    with pytest.raises(NotFound):
        close_circle(scenario().store(), "+529999999999")


def test_neighbourhood_hops() -> None:
    s = scenario().store()
    one = set(neighbourhood(s, [P], 1))
    assert one == {"alias:La Güera", "person-boss"}
    two = set(neighbourhood(s, [P], 2))
    assert {"person-lt", "person-mother", C} <= two


def test_key_players_rank_the_boss_and_lieutenant() -> None:
    kp = key_players(scenario().store())
    top2 = {r["node"] for r in kp["ranked"][:2]}
    assert top2 == {"person-boss", "person-lt"}
    # removing the lieutenant isolates his six contacts, the boss only four: lieutenant first
    assert kp["kpp_neg"]["nodes"][0] == "person-lt"


def test_report_matches_the_cli_contract_shape(tmp_path: Path) -> None:
    s = scenario().store()
    d = network_report(s, focus=F, hops=2, graphml=tmp_path / "g.graphml", gexf=tmp_path / "g.gexf")
    json.dumps(d)  # serialisable
    assert d["case"] == "test-case" and d["focus"] == F
    cc = d["close_circle"][0]
    assert set(cc) == {"rank", "identifier", "person", "strength", "relationship", "relationship_p", "why"}
    kp = d["key_players"][0]
    assert set(kp) >= {"rank", "identifier", "person", "score", "measures"}
    assert {"degree", "betweenness"} <= set(kp["measures"])
    b = d["burner_successions"][0]
    # the contract's keys, extended (never broken) with the switch's group id and probability
    assert set(b) == {"old", "new", "score", "handover", "why", "group", "p"} and b["old"] == L_OLD
    assert b["group"] is None and b["p"] == b["score"]  # a one-for-one succession
    assert all(set(c) == {"id", "members"} for c in d["communities"])
    g1 = nx.read_graphml(tmp_path / "g.graphml")
    g2 = nx.read_gexf(tmp_path / "g.gexf")
    assert g1.number_of_edges() == g2.number_of_edges() > 0
    assert g1.number_of_nodes() == g2.number_of_nodes()
    text = render_text(d)
    assert "Close circle" in text and P in text


def test_report_without_focus_has_empty_circle() -> None:
    d = network_report(scenario().store())
    assert d["close_circle"] == [] and d["focus"] is None and d["key_players"]


def test_sql_neighbourhood_matches_networkx_ego_graph_on_the_tie_graph() -> None:
    s = scenario().store()
    ties = contact_ties(s, "person").to_pylist()
    g = nx.Graph([(r["a"], r["b"]) for r in ties])
    for hops in (1, 2, 3):
        ref = set(nx.ego_graph(g, "person-boss", radius=hops))
        assert set(neighbourhood(s, [F], hops)) == ref, hops


def test_report_echoes_the_focus_normalised() -> None:
    d = network_report(scenario().store(), focus="33 1000 0001")  # national format, case region MX
    assert d["focus"] == F and d["focus_person"] == "person-boss"


def test_gephi_exports_carry_key_player_ranks_roles_and_edge_types(tmp_path: Path) -> None:
    s = scenario().store()
    d = network_report(s, focus=F, hops=2, graphml=tmp_path / "g.graphml", gexf=tmp_path / "g.gexf")
    g = nx.read_graphml(tmp_path / "g.graphml")
    by_ident = {a["identifier"]: a for _, a in g.nodes(data=True)}
    top = d["key_players"][0]
    assert by_ident[top["identifier"]]["key_player_rank"] == 1
    assert by_ident[top["identifier"]]["key_player_score"] == pytest.approx(top["score"])
    ranks = sorted(a["key_player_rank"] for a in by_ident.values() if a["key_player_rank"] > 0)
    assert ranks == list(range(1, len(ranks) + 1))
    cc = d["close_circle"][0]
    assert by_ident[cc["identifier"]]["role"] == (cc["relationship"] or "")
    edges = list(g.edges(data=True))
    assert edges and all(e["relationship"] and e["score"] > 0 for _, _, e in edges)
    assert all(set(e["relationship"].split(",")) <= {"calls", "claims", "meetings"} for _, _, e in edges)
    gx = nx.read_gexf(tmp_path / "g.gexf")
    assert any(a.get("key_player_rank") == 1 for _, a in gx.nodes(data=True))


def test_text_listing_says_showing_n_of_m_when_cut() -> None:
    d = network_report(scenario().store(), focus=F, hops=2)
    d["communities"] = [{"id": i, "members": [f"+5233000000{i:02d}{k}" for k in range(12)]} for i in range(7)]
    text = render_text(d)
    assert "showing 8 of 12" in text and "showing 5 of 7 communities" in text


def test_report_says_when_the_last_key_players_are_a_draw(tmp_path: Path) -> None:
    """A phone that called 12 others once each: in its neighbourhood it has degree 12, each of them 1. The key
    players are it and 9 of the 12, which degree cannot tell apart: the JSON says ranks 2-10 are 9 of 12 with
    degree 1, and the text says so. Calls between two of them (degree 2 each) leave a draw of 7 of 10."""
    c = Case()
    hub = "+523310000200"
    others = [f"+5233100002{i:02d}" for i in range(1, 13)]
    for i, o in enumerate(others):
        c.call(hub, o, at(i % 5, 10.0 + i / 10))
    d = network_report(c.store(), focus=hub, hops=2)
    assert [r["measures"]["degree"] for r in d["key_players"]] == [12] + [1] * 9
    assert d["key_players_tie"] == {"degree": 1, "first_rank": 2, "shown": 9, "among": 12}
    assert "ranks 2-10: 9 of the 12 people with degree 1" in render_text(d)
    c.call(others[0], others[1], at(6, 11.0))
    d = network_report(c.store(), focus=hub, hops=2)
    assert [r["measures"]["degree"] for r in d["key_players"]] == [12, 2, 2] + [1] * 7
    assert d["key_players_tie"] == {"degree": 1, "first_rank": 4, "shown": 7, "among": 10}
    json.dumps(d)


def test_report_has_no_draw_when_the_list_holds_everyone() -> None:
    c = Case()
    c.call("+523310000301", "+523310000302", at(0, 10.0))
    c.call("+523310000302", "+523310000303", at(0, 11.0))
    d = network_report(c.store(), focus="+523310000301", hops=2)
    assert len(d["key_players"]) == 3 and d["key_players_tie"] is None
    assert "people with degree" not in render_text(d)


@pytest.mark.parametrize("first", ["+523300000002", "+523300000001"])
def test_the_identifier_shown_for_a_person_does_not_depend_on_the_order_of_her_attributions(first: str) -> None:
    """Two numbers of one person, equally active and equally sure: the one shown is the first by value (an
    arg_max on the score alone picked whichever the engine met first)."""
    from fusioncell.store import CaseStore, plans

    cs = CaseStore.memory()
    cs.con.execute("CREATE TABLE attributions (person VARCHAR, identifier VARCHAR, confidence DOUBLE)")
    other = "+523300000001" if first == "+523300000002" else "+523300000002"
    cs.con.execute("INSERT INTO attributions VALUES ('person-w', ?, 0.9), ('person-w', ?, 0.9)", [first, other])
    assert plans.run(cs, "network.shown_identifiers").to_pylist() == [{"person": "person-w",
                                                                        "identifier": "+523300000001"}]
