"""The analyst's overrides over HTTP: merge, split and undo who uses which identifier.

Each call is one *decision*: the rows it writes to ``attribution_overrides``
(through :func:`fusioncell.resolve.override` / :func:`fusioncell.resolve.split`,
the same functions a script uses) are written in one transaction and so share
their ``decided_at``. Every stage reads the latest decision per identifier
(:func:`fusioncell.resolve.analyst_decisions`, the derived-table cache keys
on the overrides), so after a merge the network, meetings, pattern and locate
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

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, Field

from fusioncell.errors import NotFound, UsageError
from fusioncell.server.scope import Gate, Reader, Rule
from fusioncell.store import CaseStore

API = "/api/v1"


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


def _names(store: CaseStore) -> tuple[set[str], set[str]]:
    """Known identifiers of the case and resolved persons."""
    from fusioncell.resolve import attributions
    from fusioncell.security.minimise import known_identifiers

    persons = {str(a["person"]) for a in attributions(store)}
    return known_identifiers(store), persons


def resolve_name(store: CaseStore, value: str, known: set[str], persons: set[str]) -> str:
    """``value`` as an identifier or person of the case (a ``masked:`` pseudonym is looked up)."""
    from fusioncell.security.minimise import PSEUDONYM_RE, case_secret, pseudonym

    value = value.strip()
    if value in known or value in persons:
        return value
    if PSEUDONYM_RE.fullmatch(value):
        key = case_secret(store)
        found = [i for i in known | persons if pseudonym(key, i) == value]
        if found:
            return found[0]
    raise NotFound(f"{value!r} is not an identifier or person of this case")


def _members(store: CaseStore, members: list[str], into: str) -> tuple[str, list[str]]:
    """``into`` resolved, and the identifiers a merge gives it: each member, and what is attributed to a member person."""
    from fusioncell.resolve import person_of

    known, persons = _names(store)
    into = resolve_name(store, into, known, persons)
    owner = person_of(store)
    out: list[str] = []
    for raw in members:
        m = resolve_name(store, raw, known, persons)
        if m == into:
            raise UsageError("members: a person cannot be merged into itself")
        out += [m] + sorted(i for i, p in owner.items() if p == m and i != into)
    return into, sorted(set(out))


def decisions(store: CaseStore) -> list[Decision]:
    """Every decision in ``attribution_overrides``, newest first."""
    from fusioncell.resolve.cache import ensure_tables

    ensure_tables(store)
    rows = store.con.execute(
        "SELECT CAST(decided_at AS VARCHAR), any_value(analyst), any_value(reason), list(identifier ORDER BY identifier),"
        " any_value(person) FROM attribution_overrides GROUP BY decided_at ORDER BY decided_at DESC").fetchall()
    return [Decision(decided_at=r[0], analyst=r[1], reason=r[2], identifiers=list(r[3]), person=r[4]) for r in rows]


def _decide(store: CaseStore, identifiers: list[str], person: str | None, analyst: str, reason: str) -> Decision:
    from fusioncell.resolve import override

    store.con.execute("BEGIN TRANSACTION")
    try:
        for ident in identifiers:
            override(store, ident, person, analyst=analyst, reason=reason)
        store.con.execute("COMMIT")
    except BaseException:
        store.con.execute("ROLLBACK")
        raise
    return decisions(store)[0]


def undo(store: CaseStore) -> Decision:
    """Delete the newest decision; :class:`NotFound` when there is none."""
    found = decisions(store)
    if not found:
        raise NotFound("no analyst decision to undo")
    store.con.execute("DELETE FROM attribution_overrides WHERE decided_at = "
                      "(SELECT max(decided_at) FROM attribution_overrides)")
    return found[0]


def register(app: FastAPI, gate: Gate) -> None:
    """Add the override routes to ``app``."""
    write = gate.reader(Rule(), write=True)

    @app.post(f"{API}/persons/merge", response_model=Decision)
    def merge(body: Merge, acc: Reader = Depends(write)) -> Decision:
        """Give each member (identifier, or person with what is attributed to it) to ``into``."""
        with acc.owner_store({"api": "persons/merge", "members": body.members, "into": body.into},
                             action="override", why=body.reason) as cs:
            into, idents = _members(cs, body.members, body.into)
            return _decide(cs, idents, into, acc.scope.actor, body.reason)

    @app.post(f"{API}/persons/split", response_model=Decision)
    def split(body: Split, acc: Reader = Depends(write)) -> Decision:
        """Detach one identifier from whatever person it was attributed to."""
        with acc.owner_store({"api": "persons/split", "identifier": body.identifier},
                             action="override", why=body.reason) as cs:
            known, persons = _names(cs)
            ident = resolve_name(cs, body.identifier, known, persons)
            return _decide(cs, [ident], None, acc.scope.actor, body.reason)

    @app.post(f"{API}/persons/undo", response_model=Decision)
    def undo_last(body: Undo, acc: Reader = Depends(write)) -> Decision:
        """Remove the newest decision (answers it); every answer is again what it was before it."""
        with acc.owner_store({"api": "persons/undo"}, action="override", why=body.reason) as cs:
            return undo(cs)

    @app.get(f"{API}/persons/overrides")
    def overrides(offset: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000),
                  acc: Reader = Depends(gate.reader(Rule()))) -> dict[str, Any]:
        """The analysts' decisions in force, newest first (``{total, offset, limit, items}``)."""
        with acc.read("persons/overrides") as cs:
            rows = [d.model_dump() for d in decisions(cs)]
        return {"total": len(rows), "offset": offset, "limit": limit, "items": rows[offset:offset + limit]}
