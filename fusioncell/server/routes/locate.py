"""Where he is and whom to watch next: ``/locate`` (ranked hypotheses) and ``/plan`` (collection plan).

Both mask protected persons only (``Rule(minimise="protected")``), as ``fusioncell
locate`` and ``plan`` do. A partner's ``/locate`` is its tearline's hypotheses
(:func:`fusioncell.server.liaison.locate`); each hypothesis's evidence chain is
``/locate/{rank}/evidence`` (:mod:`fusioncell.server.routes.share`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from fusioncell.server.deps import API, Deps, View, jsonable
from fusioncell.server.scope import Rule, ScopedRoute


def routes(deps: Deps) -> APIRouter:
    """The locate and plan routes."""
    router = APIRouter(route_class=ScopedRoute)
    gate = deps.gate

    @router.get(f"{API}/locate")
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
            return jsonable(run(cs, target=target, top=top))

    @router.get(f"{API}/plan")
    def plan(target: str | None = Query(None, max_length=200), budget: int = Query(3, ge=1, le=50),
             acc: View = Depends(gate.reader(Rule(minimise="protected")))) -> dict[str, Any]:
        """Whom to monitor next, ranked by expected information gain — protected persons masked."""
        from fusioncell.infer.plan import plan as run

        with acc.read(f"plan target={target}") as cs:
            return jsonable(run(cs, target=target, budget=budget))

    return router
