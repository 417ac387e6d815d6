"""The analyst's overrides over HTTP: merge, split and undo who uses which identifier.

Each call is one *decision* (:mod:`fusioncell.resolve.decisions`, the same
functions ``fusioncell override`` calls): the rows it writes to
``attribution_overrides`` are written in one transaction and so share their
``decided_at``. Every stage reads persons through
:func:`fusioncell.resolve.persons` (the derived-table cache keys on the
overrides), so after a merge the network, meetings, pattern, locate and plan
answers change; **undo** deletes the newest decision's rows and every answer
is again what it was before it.

* ``POST /persons/merge {"members": [...], "into": P, "reason"}`` — each member
  (an identifier, or a person: then all identifiers attributed to it and its id)
  is given to ``into``;
* ``POST /persons/split {"identifier", "reason"}`` — the identifier belongs to nobody;
* ``POST /persons/undo {"reason"}`` — remove the newest decision;
* ``GET /persons/overrides`` — every decision in force, newest first.

Writes need the session's ``X-CSRF-Token``, are open to the owning agency's
analysts and supervisors, and are written to the audit log with the reason.
A pseudonym (``masked:…``) as shown in a listing is accepted for an identifier.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from fusioncell.resolve import decisions as resolve_decisions
from fusioncell.server.deps import API, Deps
from fusioncell.server.scope import Reader, Rule, ScopedRoute
from fusioncell.store import CaseStore


class Merge(BaseModel):
    members: list[str] = Field(..., min_length=1, max_length=100)
    into: str = Field(..., min_length=1, max_length=200)
    reason: str = Field(..., min_length=1, max_length=2000)


class Split(BaseModel):
    identifier: str = Field(..., min_length=1, max_length=200)
    reason: str = Field(..., min_length=1, max_length=2000)


class Undo(BaseModel):
    reason: str = Field(..., min_length=1, max_length=2000)


class Decision(BaseModel):
    """One decision: what was given to whom (``person`` null: split), by whom, why, when."""

    decided_at: str
    analyst: str | None
    reason: str | None
    identifiers: list[str]
    person: str | None


def _decision(d: "resolve_decisions.Decision") -> Decision:
    return Decision(decided_at=d.decided_at, analyst=d.analyst, reason=d.reason, identifiers=list(d.identifiers),
                    person=d.person)


def decisions(store: CaseStore) -> list[Decision]:
    """Every decision in ``attribution_overrides``, newest first."""
    return [_decision(d) for d in resolve_decisions.decisions(store)]


def undo(store: CaseStore) -> Decision:
    """Delete the newest decision; :class:`NotFound` when there is none."""
    return _decision(resolve_decisions.undo(store))


def routes(deps: Deps) -> APIRouter:
    """The override routes (merge, split, undo, the decisions in force)."""
    router = APIRouter(route_class=ScopedRoute)
    gate = deps.gate
    write = gate.reader(Rule(), write=True)

    @router.post(f"{API}/persons/merge", response_model=Decision)
    def merge(body: Merge, acc: Reader = Depends(write)) -> Decision:
        """Give each member (identifier, or person with what is attributed to it) to ``into``."""
        with acc.owner_store({"api": "persons/merge", "members": body.members, "into": body.into},
                             action="override", why=body.reason) as cs:
            return _decision(resolve_decisions.merge(cs, body.members, body.into, analyst=acc.scope.actor,
                                                     reason=body.reason))

    @router.post(f"{API}/persons/split", response_model=Decision)
    def split(body: Split, acc: Reader = Depends(write)) -> Decision:
        """Detach one identifier from whatever person it was attributed to."""
        with acc.owner_store({"api": "persons/split", "identifier": body.identifier},
                             action="override", why=body.reason) as cs:
            return _decision(resolve_decisions.split_off(cs, body.identifier, analyst=acc.scope.actor,
                                                         reason=body.reason))

    @router.post(f"{API}/persons/undo", response_model=Decision)
    def undo_last(body: Undo, acc: Reader = Depends(write)) -> Decision:
        """Remove the newest decision (answers it); every answer is again what it was before it."""
        with acc.owner_store({"api": "persons/undo"}, action="override", why=body.reason) as cs:
            return undo(cs)

    @router.get(f"{API}/persons/overrides")
    def overrides(offset: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000),
                  acc: Reader = Depends(gate.reader(Rule()))) -> dict[str, Any]:
        """The analysts' decisions in force, newest first (``{total, offset, limit, items}``)."""
        with acc.read("persons/overrides") as cs:
            rows = [d.model_dump() for d in decisions(cs)]
        return {"total": len(rows), "offset": offset, "limit": limit, "items": rows[offset:offset + limit]}

    return router
