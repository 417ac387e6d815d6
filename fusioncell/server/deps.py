"""What every group of routes shares: who is calling (the session), what they may read (the gate), paging.

:func:`shared` builds one :class:`Deps` per app (:func:`fusioncell.server.app.create_app`)
and hands it to each route module's ``routes(deps)``:

* ``deps.session`` — the signed session cookie (``get_principal``: 401 without
  a live session) and the CSRF check for writes (``csrf``: 403 without the
  session's ``X-CSRF-Token``), the sessions not logged out, the login throttle;
* ``deps.gate`` — :class:`fusioncell.server.scope.Gate`: ``gate.reader(Rule(...))``
  is a route's one handle on the case (role check, audit, releasability, the
  read filter); ``deps.partner_ok`` and ``deps.owner_only`` are its two common rules;
* the one page shape (:class:`Page`) and the helpers that fill it.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any, Callable

from fastapi import Depends, HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel

from fusioncell.server import auth
from fusioncell.server.scope import Gate, Reader, Rule, StoreAccess
from fusioncell.store import CaseStore

API = "/api/v1"
MAX_LIMIT = 1000
COOKIE = "fc_session"
SESSION_S = 8 * 3600

#: A route's reader (the one filter): see :mod:`fusioncell.server.scope`.
View = Reader


class Page(BaseModel):
    """A page of a list: ``items`` from ``offset``, of ``total``."""

    total: int
    offset: int
    limit: int
    items: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Session:
    """The app's logins: cookie signer, live session ids, throttle, and the two dependencies that read them."""

    signer: URLSafeTimedSerializer
    #: session ids not logged out (sessions end when the server restarts)
    live: set[str]
    throttle: auth.Throttle
    #: FastAPI dependency: the logged-in :class:`~fusioncell.server.auth.Principal`, else 401
    get_principal: Callable[..., auth.Principal]
    #: FastAPI dependency: the principal of a write, 403 without the session's X-CSRF-Token header
    csrf: Callable[..., auth.Principal]


def session(secret: str | None) -> Session:
    """A fresh set of logins, cookies signed with ``secret`` (a random one when None)."""
    signer = URLSafeTimedSerializer(secret or auth.new_csrf(), salt="fusioncell-session")
    live: set[str] = set()

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

    return Session(signer, live, auth.Throttle(), get_principal, csrf)


@dataclass(frozen=True, slots=True)
class Deps:
    """The app's shared pieces, handed to every route module."""

    store: CaseStore
    access: StoreAccess
    session: Session
    gate: Gate
    #: reader of the owning agency's analysts and supervisors, and of partners (who read their tearline)
    partner_ok: Callable[..., Reader]
    #: reader of the owning agency's analysts and supervisors only
    owner_only: Callable[..., Reader]


def shared(store: CaseStore, secret: str | None = None) -> Deps:
    """The shared pieces of one app over ``store`` (its accounts table made sure of)."""
    access = StoreAccess(store, threading.Lock())
    with access.lock:
        auth.ensure_table(store)
    s = session(secret)
    gate = Gate(access, s.get_principal, s.csrf)
    return Deps(store, access, s, gate, gate.reader(Rule(partner=True)), gate.reader(Rule()))


def table_page(acc: View, table: str, sql: str, offset: int, limit: int) -> Page:
    """One page of a whole store table (read through the access layer, so audited and filtered)."""
    with acc.read(table) as cs:
        total = cs.count(table)
        items = rows(cs, f"{sql} LIMIT ? OFFSET ?", [limit, offset])
    return page(total, offset, limit, items)


def page(total: int, offset: int, limit: int, items: list[dict[str, Any]]) -> Page:
    return Page(total=total, offset=offset, limit=limit, items=items)


def rows(store: CaseStore, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = store.con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [{n: (v if isinstance(v, (int, float, str, type(None), bool)) else str(v)) for n, v in zip(names, r)}
            for r in cur.fetchall()]


def jsonable(obj: Any) -> dict[str, Any]:
    """A result dict made JSON-safe (timestamps and numpy scalars as the CLI prints them)."""
    import json

    out: dict[str, Any] = json.loads(json.dumps(obj, default=str))
    return out
