"""Workbench accounts: every case route refuses the anonymous and agencies the case does not name; login, CSRF, throttle."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("argon2")
from fastapi.testclient import TestClient  # noqa: E402

from fusioncell.server.app import create_app  # noqa: E402
from fusioncell.server.auth import add_user, check_password  # noqa: E402
from fusioncell.store import CaseStore  # noqa: E402

PW = "s3cret-enough"
ROUTES = ["/api/v1/case", "/api/v1/entities", "/api/v1/identifiers", "/api/v1/network/ties", "/api/v1/audit"]
#: role → expected status per route (audit is supervisors' only; PARTNER-X is named nowhere in the case: refused)
EXPECTED = {
    None: {r: 401 for r in ROUTES},
    "analyst": {**{r: 200 for r in ROUTES}, "/api/v1/audit": 403},
    "supervisor": {r: 200 for r in ROUTES},
    "liaison": {r: 403 for r in ROUTES},
}


@pytest.fixture()
def app_store(store_file: Path):
    with CaseStore.open(store_file) as cs:
        owner = cs.case().owner_agency
        add_user(cs, "ana", "analyst", owner, PW)
        add_user(cs, "sue", "supervisor", owner, PW)
        add_user(cs, "lee", "liaison", "PARTNER-X", PW)
        yield create_app(cs), cs


@pytest.mark.parametrize("role", list(EXPECTED))
def test_route_by_role_matrix(app_store, role: str | None) -> None:
    app, _ = app_store
    name = {"analyst": "ana", "supervisor": "sue", "liaison": "lee"}.get(role or "")
    with TestClient(app) as c:
        if name:
            assert c.post("/api/v1/login", json={"name": name, "password": PW}).status_code == 200
        got = {r: c.get(r).status_code for r in ROUTES}
    assert got == EXPECTED[role]


def test_the_matrix_covers_every_get_route(app_store) -> None:
    app, _ = app_store
    with TestClient(app) as c:
        doc = c.get("/openapi.json").json()
    gets = {p for p, ops in doc["paths"].items() if "get" in ops}
    # routes with required parameters are covered in test_server_api; none may escape the login check
    with TestClient(app) as c:
        for p in gets:
            assert c.get(p).status_code == 401, p


def test_password_is_hashed_and_checked(app_store) -> None:
    _, cs = app_store
    stored = cs.con.execute("SELECT hash FROM workbench_users WHERE name = 'ana'").fetchone()[0]
    assert PW not in stored and stored.startswith("$argon2")
    assert check_password(cs, "ana", PW).role == "analyst"
    assert check_password(cs, "ana", PW + "x") is None
    assert check_password(cs, "nobody", PW) is None


def test_cookie_is_httponly_samesite_and_logout_needs_csrf(app_store) -> None:
    app, _ = app_store
    with TestClient(app) as c:
        r = c.post("/api/v1/login", json={"name": "ana", "password": PW})
        header = r.headers["set-cookie"].lower()
        assert "httponly" in header and "samesite=strict" in header
        token = r.json()["csrf"]
        assert c.post("/api/v1/logout").status_code == 403
        assert c.post("/api/v1/logout", headers={"X-CSRF-Token": "wrong"}).status_code == 403
        assert c.post("/api/v1/logout", headers={"X-CSRF-Token": token}).status_code == 200
        assert c.get("/api/v1/case").status_code == 401


def test_a_replayed_cookie_after_logout_is_refused(app_store) -> None:
    app, _ = app_store
    with TestClient(app) as c:
        r = c.post("/api/v1/login", json={"name": "ana", "password": PW})
        cookie = c.cookies.get("fc_session")
        c.post("/api/v1/logout", headers={"X-CSRF-Token": r.json()["csrf"]})
    with TestClient(app, cookies={"fc_session": cookie}) as c2:
        assert c2.get("/api/v1/case").status_code == 401


def test_login_is_rate_limited(app_store) -> None:
    app, _ = app_store
    with TestClient(app) as c:
        codes = [c.post("/api/v1/login", json={"name": "ana", "password": "wrong-one"}).status_code for _ in range(6)]
        assert codes == [401] * 5 + [429]
        # even the right password is refused while throttled
        assert c.post("/api/v1/login", json={"name": "ana", "password": PW}).status_code == 429


def test_reads_are_audited_under_the_user(app_store) -> None:
    from fusioncell.security import audit

    app, cs = app_store
    with TestClient(app) as c:
        c.post("/api/v1/login", json={"name": "ana", "password": PW})
        c.get("/api/v1/case")
    last = audit.entries(cs)[-1]
    assert (last.actor, last.action, last.what) == ("ana@" + cs.case().owner_agency, "read", '{"api":"case"}')


def test_users_add_reads_the_password_from_stdin_and_rejects_a_bad_role(store_file: Path) -> None:
    from typer.testing import CliRunner

    from fusioncell.cli import app, main  # noqa: F401

    r = CliRunner().invoke(app, ["users", "add", "kim", "--case", str(store_file), "--role", "analyst",
                                 "--agency", "A1"], input=PW + "\n")
    assert r.exit_code == 0, r.output
    assert PW not in r.output
    with CaseStore.open(store_file) as cs:
        assert check_password(cs, "kim", PW).agency == "A1"
    bad = CliRunner().invoke(app, ["users", "add", "kim", "--case", str(store_file), "--role", "admin",
                                   "--agency", "A1"], input=PW + "\n")
    assert bad.exit_code != 0


def test_a_store_without_legal_authority_serves_nothing(app_store) -> None:
    app, cs = app_store
    cs.con.execute("UPDATE case_info SET legal_authority = '  '")
    with TestClient(app) as c:
        assert c.post("/api/v1/login", json={"name": "sue", "password": PW}).status_code == 200
        got = {r: c.get(r).status_code for r in ROUTES}
    assert got == {r: 403 for r in ROUTES}
