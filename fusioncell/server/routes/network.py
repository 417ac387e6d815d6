"""The contact network: ``/network/ties`` (the tie table, paged) and ``/network`` (the report).

A partner's ``/network`` is the tearline's associates (:func:`fusioncell.server.liaison.network`).
The workbench's graph views are :mod:`fusioncell.server.views`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from fusioncell.server.deps import API, MAX_LIMIT, Deps, Page, View, jsonable, page
from fusioncell.server.scope import ScopedRoute


def routes(deps: Deps) -> APIRouter:
    """The network routes."""
    router = APIRouter(route_class=ScopedRoute)
    partner_ok, owner_only = deps.partner_ok, deps.owner_only

    @router.get(f"{API}/network/ties", response_model=Page)
    def ties(min_strength: float = Query(0.0, ge=0.0, le=1.0), offset: int = Query(0, ge=0),
             limit: int = Query(100, ge=1, le=MAX_LIMIT), acc: View = Depends(owner_only)) -> Page:
        from fusioncell.network.api import contact_ties

        with acc.read("network/ties") as cs:
            table = contact_ties(cs).select(["a", "b", "strength", "relationship", "n_events"])
            rows = [r for r in table.to_pylist() if r["strength"] >= min_strength]
        return page(len(rows), offset, limit, rows[offset:offset + limit])

    @router.get(f"{API}/network")
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
        return jsonable(result)

    return router
