"""Places and times: ``/meetings`` (co-locations and meetings) and ``/pattern`` (one identifier's pattern of life)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from fusioncell.server.deps import API, Deps, View, jsonable
from fusioncell.server.scope import ScopedRoute


def routes(deps: Deps) -> APIRouter:
    """The meetings and pattern routes."""
    router = APIRouter(route_class=ScopedRoute)
    owner_only = deps.owner_only

    @router.get(f"{API}/meetings")
    def meetings(ids: str | None = Query(None, max_length=2000), acc: View = Depends(owner_only)) -> dict[str, Any]:
        """Co-locations and meetings (comma-separated ``ids``, default all tracked)."""
        from fusioncell.spacetime.report import meetings_report

        idlist = [i.strip() for i in ids.split(",") if i.strip()] if ids else None
        with acc.read("meetings") as cs:
            result = meetings_report(cs, idlist)
        if idlist:
            acc.keep |= {k for k in (*idlist, *(result.get("ids") or [])) if k}
        return jsonable(result)

    @router.get(f"{API}/pattern")
    def pattern(id: str = Query(..., min_length=1, max_length=200), acc: View = Depends(owner_only)) -> dict[str, Any]:
        """Pattern of life of one identifier."""
        from fusioncell.spacetime.report import pattern_report

        with acc.read(f"pattern id={id}") as cs:
            result = pattern_report(cs, id)
        acc.keep |= {k for k in (id, result.get("identifier")) if k}
        return jsonable(result)

    return router
