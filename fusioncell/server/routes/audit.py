"""The case's hash-chained audit log: ``/audit`` (supervisors of the owning agency)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from fusioncell.server.deps import API, MAX_LIMIT, Deps, Page, View, page
from fusioncell.server.scope import Rule, ScopedRoute


def routes(deps: Deps) -> APIRouter:
    """The audit-log route."""
    router = APIRouter(route_class=ScopedRoute)
    gate = deps.gate

    @router.get(f"{API}/audit", response_model=Page)
    def audit_log(offset: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=MAX_LIMIT),
                  acc: View = Depends(gate.reader(Rule(owner=("supervisor",))))) -> Page:
        """The hash-chained audit log (supervisors)."""
        from fusioncell.security import audit

        with acc.read("audit") as cs:
            rows = [e.to_dict() for e in audit.entries(cs)]
        return page(len(rows), offset, limit, rows[offset:offset + limit])

    return router
