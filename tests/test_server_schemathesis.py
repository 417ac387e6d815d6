"""Property-based API testing from the OpenAPI document (schemathesis), in process, bounded.

Every operation of the document gets a few generated requests as a logged-in
supervisor of the owning agency (the widest access; writes carry the CSRF
token): no answer is a server error, and every error answers the one shape
``{status, code, message, field}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from fusioncell.store import CaseStore  # noqa: E402

PW = "s3cret-enough"
#: Generated requests per operation: enough to try bad types, bounds and unknown names; seconds in all.
EXAMPLES = 3


@pytest.fixture(scope="module")
def served(ingested: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import shutil

    from fastapi.testclient import TestClient

    from fusioncell.server.app import create_app
    from fusioncell.server.auth import add_user

    path = tmp_path_factory.mktemp("fuzz") / "case.duckdb"
    shutil.copy(ingested, path)
    with CaseStore.open(path) as cs:
        add_user(cs, "sue", "supervisor", cs.case().owner_agency, PW)
        app = create_app(cs)
        with TestClient(app) as c:
            r = c.post("/api/v1/login", json={"name": "sue", "password": PW})
            assert r.status_code == 200
            yield app, {"fc_session": c.cookies["fc_session"]}, r.json()["csrf"]


#: Routes that run an analysis (a second or so each on this machine) get fewer examples.
HEAVY = ("/api/v1/locate", "/api/v1/network", "/api/v1/meetings", "/api/v1/plan", "/api/v1/share")


def _check(case: Any, session: Any) -> Any:
    r = case.call(session=session)
    assert r.status_code < 500, (case.method, case.path, r.status_code, r.text[:300])
    if r.status_code >= 400:
        body = r.json()
        assert set(body) == {"status", "code", "message", "field"}, (case.method, case.path, body)
        assert body["status"] == r.status_code and body["message"]
    return r


def fuzz(app: Any, cookies: dict[str, str], csrf: str, check: Callable[[Any, Any], Any],
         examples: int = EXAMPLES, heavy: int = 2) -> list[str]:
    """Run ``check(case, session)`` on valid and invalid requests (schemathesis' positive and negative
    modes) for every operation of the app's OpenAPI document but logout, as the logged-in session."""
    from hypothesis import given

    from schemathesis import GenerationMode
    from schemathesis.python.asgi import get_client

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    seen = []
    with get_client(app) as session:  # one in-process client for every call, logged in
        session.cookies.update(cookies)
        session.headers["X-CSRF-Token"] = csrf
        for result in schema.get_all_operations():
            op = result.ok()
            if op.path == "/api/v1/logout":
                continue  # would end the session the other operations use (tested in test_server_auth)
            seen.append(op.path)
            strategy = op.as_strategy(GenerationMode.POSITIVE) | op.as_strategy(GenerationMode.NEGATIVE)

            @given(case=strategy)
            @settings(max_examples=heavy if op.path.startswith(HEAVY) else examples, deadline=None,
                      derandomize=True, database=None, suppress_health_check=list(HealthCheck))
            def run(case: Any) -> None:
                check(case, session)

            run()
    return seen


def test_no_server_error_and_every_error_in_the_one_shape(served: Any) -> None:
    app, cookies, csrf = served
    assert len(fuzz(app, cookies, csrf, _check)) >= 15
