"""The workbench's JSON API (FastAPI): case data under ``/api/v1``, one error shape.

Every failure answers ``{"status", "code", "message", "field"}``; every list is
paginated (``offset``, ``limit``) and says its ``total``. Every read of case data
is written to the case's hash-chained audit log (:mod:`fusioncell.security.audit`).
One DuckDB connection serves the app, guarded by a lock (DuckDB connections are
not shared across threads safely).

:func:`create_app` only wires the parts: the shared session, gate and store
access (:mod:`fusioncell.server.deps`), the error shape
(:mod:`fusioncell.server.errors`), one router per responsibility
(:mod:`fusioncell.server.routes`), the workbench's views
(:mod:`fusioncell.server.views`) and the built front end.
"""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import FastAPI

from fusioncell.server import errors, views
from fusioncell.server.deps import API, shared
from fusioncell.server.routes import MODULES
from fusioncell.server.scope import Rule, ScopedRoute
from fusioncell.store import CaseStore


def create_app(store: CaseStore, secret: str | None = None) -> FastAPI:
    """The workbench app over an open, ingested case store."""
    deps = shared(store, secret)
    app = FastAPI(title="fusioncell workbench", version="1", openapi_url="/openapi.json", responses=errors.RESPONSES)
    app.router.route_class = ScopedRoute  # every answer of a case route passes the read filter
    errors.install(app)
    for module in MODULES:
        app.include_router(module.routes(deps))
    # the workbench's views: the owning agency's analysts and supervisors (a liaison reads share's tearline)
    views.register(app, deps.gate.reader(Rule()), API)
    _serve_workbench(app)

    def warm() -> None:  # the first analyst's graph, computed while the server starts (serve() runs it)
        import logging

        try:
            with deps.access.lock:
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
