"""The case itself and its reference lists: ``/case``, ``/entities``, ``/identifiers``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from fusioncell.server.deps import API, MAX_LIMIT, Deps, Page, View, table_page
from fusioncell.server.scope import ScopedRoute


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


def routes(deps: Deps) -> APIRouter:
    """The case and reference-list routes."""
    router = APIRouter(route_class=ScopedRoute)
    partner_ok, owner_only = deps.partner_ok, deps.owner_only

    @router.get(f"{API}/case", response_model=CaseOut)
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

    @router.get(f"{API}/entities", response_model=Page)
    def entities(offset: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=MAX_LIMIT),
                 acc: View = Depends(partner_ok)) -> Page:
        """Reference entities (a partner's view holds only the case's targets)."""
        return table_page(acc, "entities", "SELECT entity_id, schema, caption FROM entities ORDER BY entity_id",
                          offset, limit)

    @router.get(f"{API}/identifiers", response_model=Page)
    def identifiers(offset: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=MAX_LIMIT),
                    acc: View = Depends(owner_only)) -> Page:
        return table_page(acc, "identifiers", "SELECT identifier, scheme, n_comms, n_locations FROM identifiers "
                          "ORDER BY identifier", offset, limit)

    return router
