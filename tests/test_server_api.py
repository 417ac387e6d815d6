"""The workbench JSON API over the example case: shapes, pagination, errors, audit."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from fusioncell.server.app import create_app  # noqa: E402
from fusioncell.store import CaseStore  # noqa: E402


PASSWORD = "correct horse battery"


@pytest.fixture()
def client(store_file: Path):
    """A supervisor logged in to the example case (supervisors may read everything, audit included)."""
    from fusioncell.server.auth import add_user

    with CaseStore.open(store_file) as cs:
        add_user(cs, "sam", "supervisor", cs.case().owner_agency, PASSWORD)
        with TestClient(create_app(cs)) as c:
            assert c.post("/api/v1/login", json={"name": "sam", "password": PASSWORD}).status_code == 200
            yield c, cs


def test_case_info_names_the_example_case(client) -> None:
    c, cs = client
    r = c.get("/api/v1/case")
    assert r.status_code == 200
    body = r.json()
    assert body["case_id"] == cs.case().case_id
    assert body["counts"]["comms"] == cs.count("comms") > 0


def test_lists_are_paginated_and_say_their_total(client) -> None:
    c, cs = client
    total = cs.count("identifiers")
    assert total > 3
    first = c.get("/api/v1/identifiers", params={"limit": 2}).json()
    second = c.get("/api/v1/identifiers", params={"limit": 2, "offset": 2}).json()
    assert first["total"] == second["total"] == total
    assert len(first["items"]) == 2
    names = [i["identifier"] for i in first["items"] + second["items"]]
    assert len(set(names)) == 4
    # ordered by the identifier itself; a bystander's is shown as its pseudonym (minimisation)
    clear = [n for n in names if not n.startswith("masked:")]
    assert clear == sorted(clear)


def test_ties_filter_by_strength(client) -> None:
    c, _ = client
    all_ = c.get("/api/v1/network/ties", params={"limit": 1000}).json()
    assert all_["total"] > 0
    cut = sorted(t["strength"] for t in all_["items"])[len(all_["items"]) // 2]
    strong = c.get("/api/v1/network/ties", params={"min_strength": cut, "limit": 1000}).json()
    assert strong["total"] == sum(t["strength"] >= cut for t in all_["items"])


@pytest.mark.parametrize("url, status, field", [
    ("/api/v1/identifiers?limit=0", 422, "limit"),
    ("/api/v1/identifiers?offset=-1", 422, "offset"),
    ("/api/v1/network/ties?min_strength=2", 422, "min_strength"),
    ("/api/v1/nothing-here", 404, None),
])
def test_every_failure_has_the_one_error_shape(client, url: str, status: int, field: str | None) -> None:
    c, _ = client
    r = c.get(url)
    assert r.status_code == status
    body = r.json()
    assert set(body) == {"status", "code", "message", "field"}
    assert body["status"] == status and body["field"] == field and body["message"]


def test_every_read_is_audited_and_the_chain_verifies(client) -> None:
    from fusioncell.security import audit

    c, cs = client
    before = len(audit.entries(cs))
    c.get("/api/v1/case")
    c.get("/api/v1/entities")
    log = c.get("/api/v1/audit", params={"limit": 1000}).json()
    assert log["total"] == before + 3  # case, entities, and the audit read itself
    assert [e["what"] for e in log["items"][-3:]] == ['{"api":"case"}', '{"api":"entities"}', '{"api":"audit"}']
    assert audit.verify(cs).ok


def test_openapi_describes_every_route(client) -> None:
    c, _ = client
    paths = set(c.get("/openapi.json").json()["paths"])
    assert {"/api/v1/case", "/api/v1/entities", "/api/v1/identifiers", "/api/v1/network/ties",
            "/api/v1/audit"} <= paths


def _cli_json(store_file: Path, *args: str) -> dict:
    """The CLI's JSON answer for the same question (the independent reference)."""
    import json

    from typer.testing import CliRunner

    from fusioncell.cli import app

    r = CliRunner().invoke(app, [*args, str(store_file), "--format", "json"])
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.stdout)


@pytest.mark.parametrize("route, args", [("locate", ("locate",)), ("plan", ("plan",))])
def test_locate_and_plan_answer_as_the_cli_does(client, store_file: Path, route: str, args: tuple[str, ...]) -> None:
    c, cs = client
    api = c.get(f"/api/v1/{route}").json()
    cs.con.execute("CHECKPOINT")
    cli = _cli_json(store_file, *args)
    key = "hypotheses" if route == "locate" else "recommendations"
    assert api["target"] == cli["target"]
    assert api[key] == cli[key]


def test_pattern_of_an_unknown_identifier_is_404_or_400_in_the_error_shape(client) -> None:
    c, _ = client
    r = c.get("/api/v1/pattern", params={"id": "+000"})
    assert r.status_code in (400, 404)
    assert set(r.json()) == {"status", "code", "message", "field"}


def test_network_and_meetings_answer(client) -> None:
    c, _ = client
    net = c.get("/api/v1/network").json()
    assert "key_players" in net
    m = c.get("/api/v1/meetings").json()
    assert "meetings" in m


#: Each API route with query parameters that make a valid call; a new route must be added here.
VALID_CALLS = {
    "/api/v1/case": {}, "/api/v1/entities": {"limit": 5}, "/api/v1/identifiers": {"limit": 5},
    "/api/v1/network/ties": {"limit": 5}, "/api/v1/network": {}, "/api/v1/meetings": {},
    "/api/v1/pattern": None,  # needs a tracked identifier: see the pattern test
    "/api/v1/locate": {}, "/api/v1/plan": {}, "/api/v1/audit": {},
    "/api/v1/locate/{rank}/evidence": None,  # tests/test_server_share.py
    "/api/v1/share/preview": {"to": "PARTNER-US"}, "/api/v1/share/export": {"to": "PARTNER-US"},
    "/api/v1/persons/overrides": {}, "/api/v1/alerts": {},  # alerts: tests/test_server_alerts.py
    # the workbench's views (tests/test_server_views.py)
    "/api/v1/views/graph": {}, "/api/v1/views/scene": {},
    "/api/v1/views/graph/neighbours": None,  # needs a node of the graph: see test_server_views
}
#: Routes that write (tests/test_server_overrides.py, test_server_share.py; every role in test_server_matrix.py).
WRITES = {"/api/v1/persons/merge", "/api/v1/persons/split", "/api/v1/persons/undo", "/api/v1/unmask"}


def test_every_route_in_the_openapi_document_has_a_rule_and_answers(client) -> None:
    c, _ = client
    doc = c.get("/openapi.json").json()
    routes = {p for p in doc["paths"] if p.startswith("/api/v1/")} - {"/api/v1/login", "/api/v1/logout"}
    assert routes == set(VALID_CALLS) | WRITES, "a route without a rule in VALID_CALLS (or a rule without a route)"
    for path in WRITES:
        assert set(doc["paths"][path]) == {"post"}, path
    for path, params in VALID_CALLS.items():
        assert set(doc["paths"][path]) == {"get"}, path
        if params is not None:
            assert c.get(path, params=params).status_code == 200, path


def test_pattern_of_a_tracked_identifier_answers(client) -> None:
    c, cs = client
    ident = cs.con.execute("SELECT identifier FROM locations GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    r = c.get("/api/v1/pattern", params={"id": ident})
    assert r.status_code == 200
    assert r.json()["identifier"] == ident
