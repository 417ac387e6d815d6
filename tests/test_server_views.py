"""The workbench's views API (graph, neighbours, scene) and its built assets, over the example case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from fusioncell.server.app import STATIC, create_app  # noqa: E402
from fusioncell.store import CaseStore  # noqa: E402

PW = "views-pass-123"


@pytest.fixture()
def client(store_file: Path):
    from fusioncell.server.auth import add_user

    with CaseStore.open(store_file) as cs:
        add_user(cs, "ana", "analyst", cs.case().owner_agency, PW)
        with TestClient(create_app(cs)) as c:
            assert c.post("/api/v1/login", json={"name": "ana", "password": PW}).status_code == 200
            yield c, cs


def test_graph_edges_join_shown_nodes_and_are_all_ties_among_them(client) -> None:
    c, cs = client
    g = c.get("/api/v1/views/graph").json()
    ids = {n["id"] for n in g["nodes"]}
    assert len(ids) == len(g["nodes"]) > 2
    assert all(e["source"] in ids and e["target"] in ids for e in g["edges"])
    # the example is small: every node of the tie graph is shown, so every tie is an edge
    assert g["total_nodes"] == len(ids)
    assert len(g["edges"]) == g["total_edges"] == cs.con.execute("SELECT count(*) FROM net_ties_person").fetchone()[0]
    assert all(set(e["layers"]) <= {"calls", "claims", "meetings"} and 0 <= e["strength"] <= 1 for e in g["edges"])
    assert set(g["key_players"]) <= ids and set(g["close_circle"]) <= ids
    assert all(("x" in n and "y" in n) for n in g["nodes"])


def _expected_tie(g: dict, top: int = 10) -> dict | None:
    """The draw at the key-player cut, worked from the view's own edges: degree within the graph shown."""
    deg = {n["id"]: 0 for n in g["nodes"]}
    for e in g["edges"]:
        deg[e["source"]] += 1
        deg[e["target"]] += 1
    ranked = sorted(deg.values(), reverse=True)
    if len(ranked) <= top or ranked[top - 1] != ranked[top]:
        return None
    d = ranked[top - 1]
    above = sum(v > d for v in ranked)
    return {"degree": d, "first_rank": above + 1, "shown": top - above, "among": sum(v == d for v in ranked)}


def test_graph_says_where_the_key_player_list_ends_in_a_tie_of_degree(client) -> None:
    c, cs = client
    g = c.get("/api/v1/views/graph").json()
    assert "key_players_tie" in g
    assert g["key_players_tie"] == _expected_tie(g)
    # the example's graph has 11 nodes, the last four with one tie each: ranks 8-10 are a draw
    assert g["key_players_tie"] is not None and g["key_players_tie"]["first_rank"] < 10
    deg = {n["id"]: 0 for n in g["nodes"]}
    for e in g["edges"]:
        deg[e["source"]] += 1
        deg[e["target"]] += 1
    # the listed ones are the highest degrees, so the tie's people are the last of the list
    assert [deg[k] for k in g["key_players"]] == sorted(deg.values(), reverse=True)[:len(g["key_players"])]


def test_graph_cut_to_max_nodes_keeps_the_seeds(client) -> None:
    c, _ = client
    full = c.get("/api/v1/views/graph").json()
    seeds = {n["id"] for n in full["nodes"] if n["seed"]}
    cut = c.get("/api/v1/views/graph", params={"max_nodes": 10}).json()
    assert len(cut["nodes"]) == max(10, len(seeds))
    assert seeds <= {n["id"] for n in cut["nodes"]}
    assert cut["total_nodes"] == full["total_nodes"]


def test_graph_shows_no_bystander_in_clear(client) -> None:
    from fusioncell.security.minimise import Minimiser

    c, cs = client
    m = Minimiser(cs)
    g = c.get("/api/v1/views/graph").json()
    shown = [i for n in g["nodes"] for i in (n["id"], n["label"], *n["identifiers"])]
    assert not [i for i in shown if m.is_masked(i)]
    masked = [n for n in g["nodes"] if n["label"].startswith("masked:")]
    clear_bystanders = {i for i in m.known if m.is_masked(i)}
    if clear_bystanders:  # the example has bystanders: they appear, but only as pseudonyms
        assert masked


def test_expand_a_masked_node_gives_its_ties_without_unmasking_it(client) -> None:
    c, _ = client
    g = c.get("/api/v1/views/graph").json()
    node = next((n["id"] for n in g["nodes"] if n["id"].startswith("masked:")), g["nodes"][0]["id"])
    r = c.get("/api/v1/views/graph/neighbours", params={"node": node})
    assert r.status_code == 200
    view = r.json()
    assert view["focus"] == node
    assert view["edges"] and all(node in (e["source"], e["target"]) for e in view["edges"])
    degree = sum(node in (e["source"], e["target"]) for e in g["edges"])
    assert len(view["edges"]) == min(degree, 60)


def test_expand_an_unknown_node_is_404_in_the_error_shape(client) -> None:
    c, _ = client
    r = c.get("/api/v1/views/graph/neighbours", params={"node": "+0000000"})
    assert r.status_code == 404 and set(r.json()) == {"status", "code", "message", "field"}


def test_scene_is_about_the_tracked_identifiers_and_carries_locates_hypotheses(client) -> None:
    c, cs = client
    s = c.get("/api/v1/views/scene").json()
    tracked = sorted(r[0] for r in cs.con.execute("SELECT DISTINCT identifier FROM locations").fetchall())
    assert s["subjects"] == tracked
    assert {t["identifier"] for t in s["tracks"]} == set(tracked)
    assert {v["identifier"] for v in s["stays"]} <= set(tracked)
    loc = c.get("/api/v1/locate").json()
    assert [(h["rank"], h["probability"], h["lat"]) for h in s["hypotheses"]] == \
        [(h["rank"], h["probability"], h["lat"]) for h in loc["hypotheses"]]
    n_sites = cs.con.execute("SELECT count(*) FROM (SELECT DISTINCT caller_lat, caller_lon FROM comms WHERE caller_lat "
                             "IS NOT NULL UNION SELECT DISTINCT callee_lat, callee_lon FROM comms WHERE callee_lat "
                             "IS NOT NULL)").fetchone()[0]
    assert len(s["coverage"]) == n_sites


def test_scene_evidence_names_its_sources_with_their_reliability(client) -> None:
    c, cs = client
    s = c.get("/api/v1/views/scene").json()
    rel = dict(cs.con.execute("SELECT source_id, reliability FROM sources").fetchall())
    items = [e for h in s["hypotheses"] for e in h["evidence"] if e["source_ids"]]
    assert items
    grade = {r: f"{rel[s]}{c}" for r, s, c in cs.con.execute("SELECT report_id, source_id, credibility FROM reports "
                                                           "WHERE credibility IS NOT NULL").fetchall()}
    for e in items:
        assert [x["source_id"] for x in e["sources"]] == [i for i in e["source_ids"] if i in rel]
        assert all(x["reliability"] == rel[x["source_id"]] for x in e["sources"])
        assert e["grades"] == [grade[i] for i in e["event_ids"] if i in grade][:10]


def test_scene_never_sends_a_bystanders_trace(client) -> None:
    from fusioncell.security.minimise import Minimiser

    c, cs = client
    m = Minimiser(cs)
    bystander = next((i for i in sorted(m.known) if m.is_masked(i) and i.startswith("+")), None)
    if bystander is None:
        pytest.skip("the example case has no phone bystander")
    s = c.get("/api/v1/views/scene", params={"ids": bystander}).json()
    assert bystander not in s["subjects"] and bystander not in str(s)


#: Hosts named in the built assets as references only (namespaces, licence and doc links in
#: library error messages); nothing is fetched from them — the browser test checks every request.
REFERENCE_HOSTS = {"www.w3.org", "momentjs.com", "visjs.github.io", "maplibre.org", "wiki.openstreetmap.org",
                   "maplibre.invalid", "github.com"}


def test_built_assets_exist_and_name_no_outside_host_but_references() -> None:
    assert {"index.html", "app.js", "app.css", "maplibre-gl-worker.mjs", "basemap-land.json",
            "basemap-borders.json"} <= {p.name for p in STATIC.iterdir()}
    hosts = set()
    for f in STATIC.iterdir():
        if f.suffix in (".js", ".mjs", ".css", ".html"):
            hosts |= set(re.findall(r"https?://([A-Za-z0-9.-]+)", f.read_text(encoding="utf-8")))
    assert hosts <= REFERENCE_HOSTS, hosts - REFERENCE_HOSTS
    css = (STATIC / "app.css").read_text(encoding="utf-8")
    assert "@font-face" not in css and "@import" not in css
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    # the libraries are split into chunks: no built file is too big to keep in git (2 MiB)
    big = {f.name: f.stat().st_size for f in STATIC.iterdir() if f.stat().st_size > 2 * 1024 * 1024}
    assert not big, big
    # every chunk app.js imports is there
    imports = set(re.findall(r'from"\./([^"]+)"', (STATIC / "app.js").read_text(encoding="utf-8")))
    assert imports and imports <= {p.name for p in STATIC.iterdir()}, imports


def test_the_page_is_served_at_root_without_login(client) -> None:
    c, _ = client
    r = c.get("/")
    assert r.status_code == 200 and "fusioncell workbench" in r.text
    assert c.get("/static/app.js").status_code == 200


def test_warm_up_answers_the_first_graph_from_memory_and_new_data_invalidates_it(client, monkeypatch) -> None:
    from fusioncell.server import views

    c, cs = client
    plain = c.get("/api/v1/views/graph").json()
    app = c.app
    app.state.warm()  # what `fusioncell serve` runs at start
    calls = []
    real = views.graph_view
    monkeypatch.setattr(views, "graph_view", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert c.get("/api/v1/views/graph").json() == plain and calls == []
    # a change of the data (here: one more comms row) changes the observation key: recomputed
    cs.con.execute("INSERT INTO comms SELECT * REPLACE ('zz-new' AS event_id) FROM comms LIMIT 1")
    c.get("/api/v1/views/graph")
    assert len(calls) == 1


def test_a_focused_graph_is_the_focus_neighbourhood_and_connected(client) -> None:
    from fusioncell.network.api import neighbourhood

    c, cs = client
    full = c.get("/api/v1/views/graph").json()
    focus = next(n["id"] for n in full["nodes"] if not n["id"].startswith("masked:") and not n["target"])
    g = c.get("/api/v1/views/graph", params={"focus": focus, "hops": 1}).json()
    assert {n["id"] for n in g["nodes"]} <= set(neighbourhood(cs, [focus], 1)) | {
        n["id"] for n in g["nodes"] if n["id"].startswith("masked:")}
    assert g["focus"] == focus
    cut = c.get("/api/v1/views/graph", params={"max_nodes": 12}).json()
    joined = {e["source"] for e in cut["edges"]} | {e["target"] for e in cut["edges"]}
    assert all(n["id"] in joined for n in cut["nodes"])  # no isolated node in a cut of the first graph


def test_scene_names_each_tracked_phone_by_whose_it_is(client) -> None:
    """The timeline's rows are phones; the scene says whose (examples/op-tapalpa/entities.jsonl: Mariana Solís
    Ramírez's phone is "33 1234 5678", Lucía Herrera Campos's "33 3456 7890"; both are tracked)."""
    c, cs = client
    s = c.get("/api/v1/views/scene").json()
    names = {n["identifier"]: n["name"] for n in s["names"]}
    assert names["+523312345678"] == "Mariana Solís Ramírez"
    assert names["+523334567890"] == "Lucía Herrera Campos"
    assert set(names) <= set(s["subjects"])


def test_a_protected_subjects_name_is_not_sent_with_the_scene(client) -> None:
    from fusioncell.security.minimise import protect

    c, cs = client
    protect(cs, "+523334567890", reason="a protected witness (test)")
    s = c.get("/api/v1/views/scene").json()
    assert "Lucía Herrera Campos" not in str(s) and "+523334567890" not in str(s)
    names = {n["identifier"]: n["name"] for n in s["names"]}
    assert names["+523312345678"] == "Mariana Solís Ramírez" and "Lucía Herrera Campos" not in names.values()
