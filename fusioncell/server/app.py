"""The workbench's JSON API (FastAPI): case data under ``/api/v1``, one error shape.

Every failure answers ``{"status", "code", "message", "field"}``; every list is
paginated (``offset``, ``limit``) and says its ``total``. Every read of case data
is written to the case's hash-chained audit log (:mod:`fusioncell.security.audit`).
One DuckDB connection serves the app, guarded by a lock (DuckDB connections are
not shared across threads safely).
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from fusioncell.errors import FusioncellError, NotFound, PolicyViolation
from fusioncell.server import auth, views
from fusioncell.server.scope import Gate, Reader, Rule, ScopedRoute, StoreAccess
from fusioncell.store import CaseStore

API = "/api/v1"
MAX_LIMIT = 1000


class ErrorBody(BaseModel):
    """The one error shape."""

    status: int
    code: str
    message: str
    field: str | None = None


class Page(BaseModel):
    """A page of a list: ``items`` from ``offset``, of ``total``."""

    total: int
    offset: int
    limit: int
    items: list[dict[str, Any]]


class CaseOut(BaseModel):
    case_id: str
    title: str | None
    owner_agency: str
    legal_authority: str
    timezone: str
    targets: list[str]
    counts: dict[str, int]
    #: the agencies a share may go to (owner scope only; a partner sees an empty list)
    partners: list[str] = []


#: A route's reader (the one filter): see :mod:`fusioncell.server.scope`.
View = Reader


class Login(BaseModel):
    name: str
    password: str


COOKIE = "fc_session"
SESSION_S = 8 * 3600


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(status=status, code=code, message=message, field=field).model_dump(),
                        status_code=status)


def _table_page(acc: "View", table: str, sql: str, offset: int, limit: int) -> "Page":
    """One page of a whole store table (read through the access layer, so audited and filtered)."""
    with acc.read(table) as cs:
        total = cs.count(table)
        items = _rows(cs, f"{sql} LIMIT ? OFFSET ?", [limit, offset])
    return _page(total, offset, limit, items)


def _page(total: int, offset: int, limit: int, items: list[dict[str, Any]]) -> Page:
    return Page(total=total, offset=offset, limit=limit, items=items)


def _rows(store: CaseStore, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = store.con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [{n: (v if isinstance(v, (int, float, str, type(None), bool)) else str(v)) for n, v in zip(names, r)}
            for r in cur.fetchall()]


def _jsonable(obj: Any) -> dict[str, Any]:
    """A result dict made JSON-safe (timestamps and numpy scalars as the CLI prints them)."""
    import json

    out: dict[str, Any] = json.loads(json.dumps(obj, default=str))
    return out


def create_app(store: CaseStore, secret: str | None = None) -> FastAPI:
    """The workbench app over an open, ingested case store."""
    access = StoreAccess(store, threading.Lock())
    with access.lock:
        auth.ensure_table(store)
    signer = URLSafeTimedSerializer(secret or auth.new_csrf(), salt="fusioncell-session")
    live: set[str] = set()  # session ids not logged out (sessions end when the server restarts)
    throttle = auth.Throttle()
    app = FastAPI(title="fusioncell workbench", version="1", openapi_url="/openapi.json",
                  responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 404: {"model": ErrorBody},
                             422: {"model": ErrorBody}})
    app.router.route_class = ScopedRoute  # every answer of a case route passes the read filter

    def get_principal(request: Request) -> auth.Principal:
        token = request.cookies.get(COOKIE)
        try:
            data = signer.loads(token, max_age=SESSION_S) if token else None
        except BadSignature:
            data = None
        if not data or data.get("sid") not in live:
            raise HTTPException(401, "log in first")
        return auth.Principal(data["name"], data["role"], data["agency"], data["csrf"])

    def csrf(request: Request, principal: auth.Principal = Depends(get_principal)) -> auth.Principal:
        if not secrets.compare_digest(request.headers.get("x-csrf-token", ""), principal.csrf):
            raise HTTPException(403, "missing or wrong X-CSRF-Token header")
        return principal

    gate = Gate(access, get_principal, csrf)
    partner_ok = gate.reader(Rule(partner=True))
    owner_only = gate.reader(Rule())

    @app.post(f"{API}/login")
    def login(body: Login, request: Request, response: Response) -> dict[str, str]:
        """Log in: sets a signed HttpOnly SameSite=Strict session cookie; answers the CSRF token for writes."""
        key = f"{body.name}|{request.client.host if request.client else ''}"
        if throttle.blocked(key):
            raise HTTPException(429, "too many failed logins; wait a minute")
        with access.lock:
            who = auth.check_password(store, body.name, body.password)
        if who is None:
            throttle.fail(key)
            raise HTTPException(401, "wrong name or password")
        sid, token = auth.new_csrf(), auth.new_csrf()
        live.add(sid)
        cookie = signer.dumps({"sid": sid, "name": who.name, "role": who.role, "agency": who.agency, "csrf": token})
        response.set_cookie(COOKIE, cookie, max_age=SESSION_S, httponly=True, samesite="strict", path="/")
        return {"name": who.name, "role": who.role, "agency": who.agency, "csrf": token}

    @app.post(f"{API}/logout")
    def logout(request: Request, response: Response, principal: auth.Principal = Depends(csrf)) -> dict[str, str]:
        """End the session (needs the X-CSRF-Token header)."""
        data = signer.loads(request.cookies[COOKIE], max_age=SESSION_S)
        live.discard(data["sid"])
        response.delete_cookie(COOKIE, path="/")
        return {"name": principal.name}

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                429: "too_many_requests"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path")]
        return _error(422, "invalid", str(first.get("msg", "invalid request")), ".".join(loc) or None)

    def _released(request: Request, message: str) -> str:
        reader = getattr(request.state, "reader", None)  # an error message passes the read filter too
        if reader is None:
            return message
        try:
            return str(reader.release(message))
        except PolicyViolation:
            return "the answer was withheld by the read filter"

    @app.exception_handler(NotFound)
    async def _notfound(request: Request, exc: NotFound) -> JSONResponse:
        return _error(404, "not_found", await run_in_threadpool(_released, request, str(exc)))

    @app.exception_handler(PolicyViolation)
    async def _policy(request: Request, exc: PolicyViolation) -> JSONResponse:
        return _error(403, "policy", await run_in_threadpool(_released, request, str(exc)))

    @app.exception_handler(FusioncellError)
    async def _bad(request: Request, exc: FusioncellError) -> JSONResponse:
        return _error(400, "bad_request", await run_in_threadpool(_released, request, str(exc)))

    @app.get(f"{API}/case", response_model=CaseOut)
    def case(acc: View = Depends(partner_ok)) -> CaseOut:
        """The case; a partner sees what a tearline names (case id, owner, targets): no title, authority or counts."""
        from fusioncell.security.releasability import known_agencies

        with acc.read("case") as cs:
            info = cs.case()
            counts = {} if acc.scope.partner else {
                t: cs.count(t) for t in ("comms", "locations", "sightings", "reports", "entities", "identifiers")}
            partners = [] if acc.scope.partner else sorted(known_agencies(cs) - {info.owner_agency})
        return CaseOut(case_id=info.case_id, title=None if acc.scope.partner else info.title,
                       owner_agency=info.owner_agency,
                       legal_authority=info.legal_authority, timezone=info.timezone,
                       targets=list(info.targets), counts=counts, partners=partners)

    @app.get(f"{API}/entities", response_model=Page)
    def entities(offset: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=MAX_LIMIT),
                 acc: View = Depends(partner_ok)) -> Page:
        """Reference entities (a partner's view holds only the case's targets)."""
        return _table_page(acc, "entities", "SELECT entity_id, schema, caption FROM entities ORDER BY entity_id",
                           offset, limit)

    @app.get(f"{API}/identifiers", response_model=Page)
    def identifiers(offset: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=MAX_LIMIT),
                    acc: View = Depends(owner_only)) -> Page:
        return _table_page(acc, "identifiers", "SELECT identifier, scheme, n_comms, n_locations FROM identifiers "
                           "ORDER BY identifier", offset, limit)

    @app.get(f"{API}/network/ties", response_model=Page)
    def ties(min_strength: float = Query(0.0, ge=0.0, le=1.0), offset: int = Query(0, ge=0),
             limit: int = Query(100, ge=1, le=MAX_LIMIT), acc: View = Depends(owner_only)) -> Page:
        from fusioncell.network.api import contact_ties

        with acc.read("network/ties") as cs:
            table = contact_ties(cs).select(["a", "b", "strength", "relationship", "n_events"])
            rows = [r for r in table.to_pylist() if r["strength"] >= min_strength]
        return _page(len(rows), offset, limit, rows[offset:offset + limit])

    @app.get(f"{API}/audit", response_model=Page)
    def audit_log(offset: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=MAX_LIMIT),
                  acc: View = Depends(gate.reader(Rule(owner=("supervisor",))))) -> Page:
        """The hash-chained audit log (supervisors)."""
        from fusioncell.security import audit

        with acc.read("audit") as cs:
            rows = [e.to_dict() for e in audit.entries(cs)]
        return _page(len(rows), offset, limit, rows[offset:offset + limit])

    @app.get(f"{API}/network")
    def network(focus: str | None = Query(None, max_length=200), hops: int = Query(2, ge=1, le=6),
                acc: View = Depends(partner_ok)) -> dict[str, Any]:
        """Network report (close circle, key players, burners); bystanders pseudonymised as the CLI does.

        A partner gets the associates of the tearline about the case's first target instead.
        """
        from fusioncell.network.report import network_report
        from fusioncell.server import liaison

        if acc.scope.partner:
            return liaison.network(acc, hops=hops)
        with acc.read(f"network focus={focus}") as cs:
            result = network_report(cs, focus=focus, hops=hops)
        circle = {c.get("identifier") for c in result.get("close_circle") or []}
        acc.keep |= {k for k in (*circle, focus, result.get("focus"), result.get("focus_person")) if k}
        return _jsonable(result)

    @app.get(f"{API}/meetings")
    def meetings(ids: str | None = Query(None, max_length=2000), acc: View = Depends(owner_only)) -> dict[str, Any]:
        """Co-locations and meetings (comma-separated ``ids``, default all tracked)."""
        from fusioncell.spacetime.report import meetings_report

        idlist = [i.strip() for i in ids.split(",") if i.strip()] if ids else None
        with acc.read("meetings") as cs:
            result = meetings_report(cs, idlist)
        if idlist:
            acc.keep |= {k for k in (*idlist, *(result.get("ids") or [])) if k}
        return _jsonable(result)

    @app.get(f"{API}/pattern")
    def pattern(id: str = Query(..., min_length=1, max_length=200), acc: View = Depends(owner_only)) -> dict[str, Any]:
        """Pattern of life of one identifier."""
        from fusioncell.spacetime.report import pattern_report

        with acc.read(f"pattern id={id}") as cs:
            result = pattern_report(cs, id)
        acc.keep |= {k for k in (id, result.get("identifier")) if k}
        return _jsonable(result)

    @app.get(f"{API}/locate")
    def locate(target: str | None = Query(None, max_length=200), top: int = Query(5, ge=1, le=50),
               acc: View = Depends(gate.reader(Rule(partner=True, minimise="protected")))) -> dict[str, Any]:
        """Ranked location hypotheses; each carries its evidence (support) — protected persons masked.

        A partner gets the hypotheses of its tearline (what ``share --to`` would release).
        """
        from fusioncell.infer.locate import locate as run
        from fusioncell.server import liaison

        if acc.scope.partner:
            return liaison.locate(acc, target=target, top=top)
        with acc.read(f"locate target={target}") as cs:
            return _jsonable(run(cs, target=target, top=top))

    @app.get(f"{API}/plan")
    def plan(target: str | None = Query(None, max_length=200), budget: int = Query(3, ge=1, le=50),
             acc: View = Depends(gate.reader(Rule(minimise="protected")))) -> dict[str, Any]:
        """Whom to monitor next, ranked by expected information gain — protected persons masked."""
        from fusioncell.infer.plan import plan as run

        with acc.read(f"plan target={target}") as cs:
            return _jsonable(run(cs, target=target, budget=budget))

    # -- the analyst's overrides, evidence and share previews (their own modules) --
    from fusioncell.server import alerts_api, overrides, share_api

    overrides.register(app, gate)
    share_api.register(app, gate)
    alerts_api.register(app, gate)

    # the workbench's views: the owning agency's analysts and supervisors (a liaison reads share's tearline)
    views.register(app, gate.reader(Rule()), API)
    _serve_workbench(app)

    def warm() -> None:  # the first analyst's graph, computed while the server starts (serve() runs it)
        import logging

        try:
            with access.lock:
                app.state.warm_views(store, store.case().owner_agency)
        except Exception:  # noqa: BLE001 — a failed warm-up only means the first request computes it
            logging.getLogger(__name__).warning("workbench warm-up failed", exc_info=True)

    app.state.warm = warm
    return app


#: The built browser workbench (frontend/, `make frontend`), shipped inside the package.
STATIC = Path(__file__).resolve().parent / "static"


def _serve_workbench(app: FastAPI) -> None:
    """Serve the built front end: ``/`` is its page, ``/static/...`` its assets (nothing from outside)."""
    from fastapi.responses import FileResponse
    from fastapi.staticfiles import StaticFiles

    if not (STATIC / "index.html").is_file():
        return
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


def serve(store_path: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the app on uvicorn until interrupted (localhost by default)."""
    import uvicorn

    from fusioncell.store import open_case

    with open_case(store_path) as cs:
        app = create_app(cs)
        threading.Thread(target=app.state.warm, name="warm-views", daemon=True).start()
        uvicorn.run(app, host=host, port=port, log_level="warning")
