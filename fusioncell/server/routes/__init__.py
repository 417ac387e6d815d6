"""The workbench's routes, one module a responsibility, each ``routes(deps) -> APIRouter``.

Every router is an ``APIRouter(route_class=ScopedRoute)``, so every answer
passes the read filter (:mod:`fusioncell.server.scope`); :data:`MODULES` is
the order the app includes them in.
"""

from __future__ import annotations

from fusioncell.server.routes import alerts, audit, cases, locate, network, persons, session, share, spacetime

#: Route modules in the order :func:`fusioncell.server.app.create_app` includes them.
MODULES = (session, cases, network, audit, spacetime, locate, persons, share, alerts)
