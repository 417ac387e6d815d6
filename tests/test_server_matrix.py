"""Every route × every role × (own agency, partner agency, anonymous), from the OpenAPI document; canaries.

The rule table :data:`RULES` is this test's own statement of who may call
what (written from issue #16, not read from the code): a route in the OpenAPI
document without a rule here fails the build, and so does a rule for a route
that no longer exists. Writes are called with the session's CSRF token and an
empty body: an account the route admits gets 422 (the body is checked after
the account), any other 403; ``logout`` is called last.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from tests.server_case import (  # noqa: E402
    PARTNER, PASSWORD, PROTECTED, USERS, WITHHELD, WITHHELD_PHONE, WITNESS_PHONE, canary_folder)

OWNERS = ("analyst", "supervisor")
WHO = ("anonymous", "ana", "sue", "lia", "pam", "pete", "lee")  # see tests/server_case.USERS


def _rule(owner: tuple[str, ...] = OWNERS, partner: bool = False, write: bool = False) -> dict[str, int]:
    ok = 422 if write else 200
    out = {"anonymous": 401}
    for who, (role, agency) in USERS.items():
        if agency == PARTNER:
            out[who] = ok if partner else 403
        else:
            out[who] = ok if role in owner else 403
    return out


#: (method, path) → (query parameters of a valid call, expected status per caller)
RULES: dict[tuple[str, str], tuple[dict[str, Any], dict[str, int]]] = {
    ("get", "/api/v1/case"): ({}, _rule(partner=True)),
    ("get", "/api/v1/entities"): ({"limit": 50}, _rule(partner=True)),
    ("get", "/api/v1/identifiers"): ({"limit": 50}, _rule()),
    ("get", "/api/v1/network/ties"): ({"limit": 50}, _rule()),
    ("get", "/api/v1/network"): ({}, _rule(partner=True)),
    ("get", "/api/v1/meetings"): ({}, _rule()),
    ("get", "/api/v1/pattern"): ({"id": "+523312345678"}, _rule()),
    ("get", "/api/v1/locate"): ({"top": 3}, _rule(partner=True)),
    ("get", "/api/v1/plan"): ({"budget": 2}, _rule()),
    ("get", "/api/v1/audit"): ({"limit": 5}, _rule(owner=("supervisor",))),
    ("get", "/api/v1/locate/{rank}/evidence"): ({"top": 3}, _rule(partner=True)),
    ("get", "/api/v1/share/preview"): ({"to": PARTNER}, _rule(partner=True)),
    ("get", "/api/v1/share/export"): ({"to": PARTNER, "format": "json"}, _rule()),
    ("post", "/api/v1/unmask"): ({}, _rule(owner=("supervisor",), write=True)),
    ("get", "/api/v1/persons/overrides"): ({}, _rule()),
    ("get", "/api/v1/alerts"): ({"limit": 10}, _rule()),  # the owner's evidence rows and sources
    # the browser's own views: the owning agency only (a partner's workbench would read share's tearline)
    ("get", "/api/v1/views/graph"): ({"max_nodes": 50}, _rule()),
    ("get", "/api/v1/views/graph/neighbours"): ({"node": "person-partner"}, _rule()),
    ("get", "/api/v1/views/scene"): ({}, _rule()),
    ("post", "/api/v1/persons/merge"): ({}, _rule(write=True)),
    ("post", "/api/v1/persons/split"): ({}, _rule(write=True)),
    ("post", "/api/v1/persons/undo"): ({}, _rule(write=True)),
    ("post", "/api/v1/login"): ({}, {w: 422 for w in WHO}),
    ("post", "/api/v1/logout"): ({}, {**{w: 200 for w in WHO}, "anonymous": 401}),  # called last
}
LAST = ("post", "/api/v1/logout")


@pytest.fixture(scope="module")
def canary_app(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from fusioncell.ingest import ingest_case
    from fusioncell.server.app import create_app
    from fusioncell.server.auth import add_user
    from fusioncell.store import CaseStore

    root = tmp_path_factory.mktemp("canary")
    folder = canary_folder(root / "case")
    path = root / "case.duckdb"
    with CaseStore.open(path, folder=folder) as cs:
        ingest_case(folder, cs, quiet=True)
        for name, (role, agency) in USERS.items():
            add_user(cs, name, role, agency, PASSWORD)
        yield create_app(cs), cs, path


def _client(app: Any, who: str) -> TestClient:
    c = TestClient(app)
    if who != "anonymous":
        r = c.post("/api/v1/login", json={"name": who, "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf"]
    return c


def _operations(app: Any) -> set[tuple[str, str]]:
    with TestClient(app) as c:
        doc = c.get("/openapi.json").json()
    return {(m, p) for p, ops in doc["paths"].items() for m in ops if p.startswith("/api/")}


def test_every_route_in_the_openapi_document_has_a_rule(canary_app) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = canary_app
    ops = _operations(app)
    assert ops - set(RULES) == set(), "a route without a rule in RULES"
    assert set(RULES) - ops == set(), "a rule for a route that does not exist"


def _call(c: TestClient, method: str, path: str, params: dict[str, Any]) -> Any:
    path = _fill(path)
    if method == "get":
        return c.get(path, params=params)
    return c.post(path, json={})


@pytest.mark.parametrize("who", WHO)
def test_route_by_role_and_agency_matrix(canary_app, who: str) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = canary_app
    with _client(app, who) as c:
        got = {op: _call(c, *op, RULES[op][0]).status_code for op in sorted(RULES, key=lambda op: op == LAST)}
    assert got == {op: expect[who] for op, (_, expect) in RULES.items()}


def _leaks(text: str, canaries: list[str]) -> list[str]:
    return [k for k in canaries if re.search(re.escape(k), text, re.I)]


def _fill(path: str) -> str:
    """A concrete URL for a templated path (``{rank}`` → 1)."""
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize("who", ["lee", "pam"])
def test_a_partner_sees_no_canary_on_any_route(canary_app, who: str) -> None:  # type: ignore[no-untyped-def]
    """Every route the OpenAPI document lists, with its valid call and with canaries as parameters."""
    app, _, _ = canary_app
    canaries = PROTECTED + WITHHELD
    with _client(app, who) as c:
        ops = _operations(app)
        seen_ok = 0
        for method, path in sorted(ops, key=lambda op: (op == LAST, op)):
            params = RULES.get((method, path), ({}, {}))[0]
            url = _fill(path)
            for p in (params, {k: WITHHELD_PHONE for k in params if isinstance(params[k], str)}):
                r = _call(c, method, url, p)
                seen_ok += r.status_code == 200
                # a parameter the caller sent may be echoed; nothing else of the canaries may appear
                sent = set(p.values())
                leaks = [k for k in _leaks(r.text, canaries) if not any(k in str(s) for s in sent)]
                assert not leaks, (method, url, p, r.status_code, leaks)
                assert "masked:" not in r.text or WITNESS_PHONE not in r.text
        assert seen_ok >= 4  # case, entities, network, locate answered


def test_no_generated_request_of_a_partner_finds_a_canary(canary_app) -> None:  # type: ignore[no-untyped-def]
    """schemathesis' requests (valid and invalid) to every operation, as the partner's liaison."""
    from tests.test_server_schemathesis import _check, fuzz

    app, _, _ = canary_app
    canaries = PROTECTED + WITHHELD
    c = _client(app, "lee")

    def check(case, session):  # type: ignore[no-untyped-def]
        r = _check(case, session)
        sent = json.dumps([case.query, case.path_parameters, case.body], default=str)
        leaks = [k for k in _leaks(r.text, canaries) if not re.search(re.escape(k), sent, re.I)]
        assert not leaks, (case.method, case.path, case.query, leaks)

    assert len(fuzz(app, {"fc_session": c.cookies["fc_session"]}, c.headers["X-CSRF-Token"], check,
                    examples=2, heavy=2)) >= 15


def test_a_partner_locate_is_the_tearline_share_would_write(canary_app) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.products.share import tearline

    app, cs, _ = canary_app
    with _client(app, "lee") as c:
        got = c.get("/api/v1/locate", params={"top": 3}).json()
    product, _ = tearline(cs, PARTNER, top=3)
    assert got["hypotheses"] == product["hypotheses"]
    assert got["target"] == product["subject"]["id"] == cs.case().targets[0]


def test_a_partner_case_holds_back_title_legal_authority_and_counts(canary_app) -> None:  # type: ignore[no-untyped-def]
    app, cs, _ = canary_app
    with _client(app, "lee") as c:
        body = c.get("/api/v1/case").json()
        ents = c.get("/api/v1/entities").json()
    assert body["legal_authority"] != cs.case().legal_authority and body["counts"] == {} and body["title"] is None
    assert (body["case_id"], body["targets"]) == (cs.case().case_id, list(cs.case().targets))
    assert [e["entity_id"] for e in ents["items"]] == list(cs.case().targets)  # a partner's view: targets only


def _cli_json(path: Path, *args: str) -> dict[str, Any]:
    from typer.testing import CliRunner

    from fusioncell.cli import app

    r = CliRunner().invoke(app, [*args, str(path), "--format", "json"])
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.stdout)


def test_the_owners_analyst_sees_the_witness_only_as_a_pseudonym_as_the_cli_does(canary_app) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.security.minimise import case_secret, pseudonym

    app, cs, path = canary_app
    with _client(app, "ana") as c:
        answers = {p: c.get(p, params={"limit": 1000} if p in ("/api/v1/entities", "/api/v1/identifiers") else {})
                   for p in ("/api/v1/network", "/api/v1/locate", "/api/v1/plan", "/api/v1/meetings",
                             "/api/v1/entities", "/api/v1/identifiers", "/api/v1/network/ties",
                             "/api/v1/views/graph", "/api/v1/views/scene", "/api/v1/alerts")}
    for p, r in answers.items():
        assert r.status_code == 200, p
        assert not _leaks(r.text, PROTECTED), p
    net = answers["/api/v1/network"].json()
    assert pseudonym(case_secret(cs), WITNESS_PHONE) in answers["/api/v1/identifiers"].text
    cs.con.execute("CHECKPOINT")
    cli = _cli_json(path, "network")
    assert net["key_players"] == cli["key_players"]  # masked where (and as) the CLI masks
    # the owner's analyst does read the owner's own withheld-from-partners sources
    assert WITHHELD_PHONE in answers["/api/v1/identifiers"].text


def test_every_route_is_documented_in_workbench_md(canary_app) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = canary_app
    doc = (Path(__file__).resolve().parents[1] / "docs" / "workbench.md").read_text(encoding="utf-8")
    missing = sorted(p for _, p in _operations(app) if p.removeprefix("/api/v1") not in doc)
    assert not missing, f"routes missing from docs/workbench.md: {missing}"


def test_every_api_route_passes_the_read_filter_and_a_stray_one_fails_closed(canary_app) -> None:  # type: ignore[no-untyped-def]
    from fastapi import APIRouter, Depends, FastAPI
    from fastapi.routing import APIRoute

    from fusioncell.server.scope import Gate, Rule, ScopedRoute, StoreAccess

    app, cs, _ = canary_app
    api = [r for r in _routes(app) if isinstance(r, APIRoute) and r.path.startswith("/api/")]
    assert {(m.lower(), r.path) for r in api for m in r.methods} == _operations(app)  # none hidden in a router
    assert all(isinstance(r, ScopedRoute) for r in api)
    # a route included from a plain APIRouter is not wrapped: its reader refuses to serve it
    import threading

    stray, router = FastAPI(), APIRouter()
    gate = Gate(StoreAccess(cs, threading.Lock()), lambda: _principal("ana"), lambda: _principal("ana"))

    @router.get("/api/v1/stray")
    def _stray(acc=Depends(gate.reader(Rule()))):  # type: ignore[no-untyped-def]
        return {"identifier": WITNESS_PHONE}

    stray.include_router(router)
    r = TestClient(stray, raise_server_exceptions=False).get("/api/v1/stray")
    assert r.status_code == 500 and WITNESS_PHONE not in r.text


def _routes(app: Any) -> list[Any]:
    """Every route of ``app``, those of included routers too (FastAPI 0.16x keeps an included router whole)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # an older FastAPI copies an included router's routes onto the app
        return list(app.routes)
    return [c.original_route for c in iter_route_contexts(app.routes)]


def _principal(name: str):  # type: ignore[no-untyped-def]
    from fusioncell.server.auth import Principal

    role, agency = USERS[name]
    return Principal(name, role, agency)
