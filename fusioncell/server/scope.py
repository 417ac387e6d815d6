"""The one read filter of the workbench: who reads, which store they read, what may leave.

Every route that touches case data takes a :class:`Reader` from
:meth:`Gate.reader` (a FastAPI dependency). The reader carries the caller's
:class:`ReadScope` (user, role, agency) and is the only way a route reaches
the case:

* **owner scope** (an analyst or supervisor of the owning agency):
  :meth:`Reader.read` yields the case store itself;
* **partner scope** (any account of another agency the case names): it yields
  the agency's releasability view
  (:func:`fusioncell.security.releasability.view_for`), so a withheld row
  cannot be read at all, and what a partner is shown of the analysis is the
  tearline that ``fusioncell share --to AGENCY`` would write
  (:meth:`Reader.tearline`, :func:`fusioncell.products.share.tearline`).

Whatever a route answers then passes :meth:`Reader.release` on its way out
(:class:`ScopedRoute` wraps every route of the app, so a route cannot forget
it): identifiers of people who are not pertinent are replaced by their
pseudonyms and protected persons are masked — identifiers and names —
(:class:`fusioncell.security.minimise.Minimiser`); for a partner the share
scrubber then removes source ids, event ids and collection methods and
refuses the answer (``PolicyViolation``) if one survives. A route may name
values the caller asked about (``keep``) that the owner sees in clear, as
the CLI does for ``--focus`` or ``--id``; a partner's ``keep`` is ignored.
Every read is written to the case's hash-chained audit log under the user.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Coroutine, Iterator, Literal

from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from fusioncell.security.minimise import Minimiser
from fusioncell.store import CaseStore

OWNER_ROLES: tuple[str, ...] = ("analyst", "supervisor")
Minimise = Literal["listing", "protected"]


@dataclass(frozen=True, slots=True)
class ReadScope:
    """Who reads: user, role, agency, and the case's owning agency."""

    user: str
    role: str
    agency: str
    owner_agency: str

    @property
    def partner(self) -> bool:
        """True when the caller is not of the owning agency (sees only what is releasable to it)."""
        return self.agency != self.owner_agency

    @property
    def actor(self) -> str:
        return f"{self.user}@{self.agency}"


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may call a route: roles of the owning agency, and whether partners may.

    ``minimise`` is the masking the answer gets for the owner: ``listing``
    (bystanders and protected persons, as ``fusioncell network/meetings/pattern``)
    or ``protected`` (protected persons only, as ``fusioncell locate/plan``).
    """

    owner: tuple[str, ...] = OWNER_ROLES
    partner: bool = False
    minimise: Minimise = "listing"


@dataclass
class StoreAccess:
    """The store behind the app, one caller at a time, and the partners' tearlines already built."""

    store: CaseStore
    lock: threading.Lock
    tearlines: "OrderedDict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any]]]" = field(
        default_factory=OrderedDict)

    partner_clears: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def partner_clear(self, agency: str) -> set[str]:
        """Identifiers shown in clear to ``agency``: what the tearline's minimiser (on its view) leaves clear."""
        from fusioncell.security.releasability import view_for

        key = (agency, self.state_key())
        if key not in self.partner_clears:
            view = view_for(self.store, agency)
            try:
                if len(self.partner_clears) > 8:
                    self.partner_clears.clear()
                self.partner_clears[key] = Minimiser(view).clear
            finally:
                view.close()
        return self.partner_clears[key]

    def state_key(self) -> str:
        """Changes whenever anything a sanitised answer depends on changes (call under the lock)."""
        from fusioncell.store.derived import observation_key
        from fusioncell.security.minimise import ensure_tables

        ensure_tables(self.store)
        rows = self.store.con.execute(
            "SELECT (SELECT string_agg(identifier || '|' || coalesce(reason, ''), ',' ORDER BY identifier) "
            "FROM minimisation_protected), "
            "(SELECT string_agg(identifier, ',' ORDER BY identifier) FROM minimisation_unmasked)").fetchall()
        return hashlib.sha256(json.dumps([observation_key(self.store), rows], default=str).encode()).hexdigest()[:24]


class Releaser:
    """The masking an answer gets on its way out (built once per response)."""

    def __init__(self, store: CaseStore, scope: ReadScope, minimise: Minimise, keep: set[str],
                 partner_clear: set[str] | None = None) -> None:
        m = Minimiser(store)
        if partner_clear is not None:  # a partner: pertinent as the tearline judges it, on the view
            m.clear = set(partner_clear)
        elif minimise == "protected":  # protected persons only; what the caller sent never unmasks them
            hidden = (m.protected & m.known) - m.clear
            m.clear = m.known - hidden
        else:
            m.keep(keep)
        # identifiers, other spellings of a protected number, protected names (security.spellings)
        self.minimiser = m

    def text(self, s: str) -> str:
        return self.minimiser.mask_text(s)

    def walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {(self.text(k) if isinstance(k, str) else k): self.walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.walk(v) for v in value]
        return value


class Reader:
    """The case as one scope may read it; the only handle a route has on the store."""

    def __init__(self, access: StoreAccess, scope: ReadScope, rule: Rule) -> None:
        self.access = access
        self.scope = scope
        self.rule = rule
        self.keep: set[str] = set()

    @property
    def principal(self) -> ReadScope:  # the name routes used before scopes
        return self.scope

    def audit(self, action: str, what: Any, why: str | None = None) -> None:
        """Write one entry to the case's audit log under this user (call under the lock)."""
        from fusioncell.security import audit

        audit.record(self.access.store, action, what, why=why, actor=self.scope.actor)

    @contextmanager
    def read(self, what: str, why: str | None = None) -> Iterator[CaseStore]:
        """The store this scope may read (the case, or the partner's releasable view), audited."""
        from fusioncell.security.releasability import view_for

        with self.access.lock:
            self.audit("read", {"api": what}, why)
            if not self.scope.partner:
                yield self.access.store
                return
            view = view_for(self.access.store, self.scope.agency)
            try:
                yield view
            finally:
                view.close()

    @contextmanager
    def owner_store(self, what: str | dict[str, Any], action: str = "read",
                    why: str | None = None) -> Iterator[CaseStore]:
        """The whole case for the owning agency's own work (writes, exports); never for a partner."""
        if self.scope.partner:
            raise HTTPException(403, "only the owning agency may do this")
        with self.access.lock:
            self.audit(action, {"api": what} if isinstance(what, str) else what, why)
            yield self.access.store

    def tearline(self, to: str, target: str | None = None, top: int = 5,
                 what: str = "tearline") -> tuple[dict[str, Any], dict[str, Any]]:
        """The product ``fusioncell share --to`` would write for ``to`` and the owner's withheld list (cached).

        A partner may only ask for its own agency's product, about a target of the case.
        """
        from fusioncell.products.share import tearline

        if self.scope.partner and to != self.scope.agency:
            raise HTTPException(403, "a partner sees only the product for its own agency")
        with self.access.lock:
            store = self.access.store
            self.audit("read", {"api": what, "to": to, "target": target})
            targets = list(store.case().targets)
            if self.scope.partner and target is not None and target not in targets:
                raise HTTPException(404, "no such target in this case")
            key = (to, target, top, self.access.state_key())
            cache = self.access.tearlines
            if key not in cache:
                cache[key] = tearline(store, to, target=target, top=top)
                while len(cache) > 16:
                    cache.popitem(last=False)
            cache.move_to_end(key)
            return cache[key]

    def release(self, body: Any) -> Any:
        """``body`` as it may leave: minimised for everyone, scrubbed of sources and methods for a partner."""
        with self.access.lock:
            store = self.access.store
            clear = self.access.partner_clear(self.scope.agency) if self.scope.partner else None
            out = Releaser(store, self.scope, self.rule.minimise, self.keep, clear).walk(body)
            if self.scope.partner:
                from fusioncell.products.share import scrub

                out = scrub(store, out)
        return out


def scope_of(store: CaseStore, name: str, role: str, agency: str) -> ReadScope:
    """The caller's scope, or 403 when the account has none on this case (or the case has no legal authority)."""
    from fusioncell.security.releasability import known_agencies

    info = store.case()
    if not (info.legal_authority or "").strip():  # ingest refuses such a case; a store made otherwise serves nothing
        raise HTTPException(403, "the case records no legal authority: nothing is served")
    scope = ReadScope(name, role, agency, info.owner_agency)
    if role == "liaison" and not scope.partner:
        raise HTTPException(403, "a liaison account belongs to a partner agency, not to the case owner")
    if scope.partner and agency not in known_agencies(store):
        raise HTTPException(403, "this case shares nothing with your agency")
    return scope


def check_rule(scope: ReadScope, rule: Rule) -> None:
    """403 unless ``rule`` admits ``scope``."""
    if scope.partner:
        if not rule.partner:
            raise HTTPException(403, "not released to partner agencies")
    elif scope.role not in rule.owner:
        raise HTTPException(403, f"not open to the {scope.role} role")


class ScopedRoute(APIRoute):
    """Every answer of a route whose request carries a :class:`Reader` passes :meth:`Reader.release`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def scoped(request: Request) -> Response:
            response = await handler(request)
            reader = getattr(request.state, "reader", None)
            if reader is None:
                return response
            return await release_response(reader, response)

        return scoped


async def release_response(reader: Reader, response: Response) -> Response:
    """``response`` with its body released (JSON walked; text masked; anything else refused)."""
    from starlette.concurrency import run_in_threadpool

    body = getattr(response, "body", None)
    if body is None:
        raise HTTPException(500, "a case route answered with a body the read filter cannot inspect")
    media = (response.media_type or response.headers.get("content-type", "")).split(";")[0]
    if isinstance(response, JSONResponse):  # a route's JSON answer: every string walked
        released = await run_in_threadpool(reader.release, json.loads(body))
        data = json.dumps(released, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    elif media.startswith("text/") or media.endswith(("/json", "+json", "/xml", "+xml")):
        text = body.decode("utf-8")  # a file (an export): masked as text, left byte for byte when nothing is
        released_text = await run_in_threadpool(reader.release, text)
        if released_text == text:
            return response
        data = released_text.encode("utf-8")
    else:
        raise HTTPException(500, "a case route answered with a body the read filter cannot inspect")
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length",)}
    return Response(data, status_code=response.status_code, headers=headers, media_type=response.media_type)


@dataclass
class Gate:
    """Builds the reader dependency of each route from its :class:`Rule`.

    ``principal`` and ``csrf`` are the app's dependencies that answer the
    logged-in :class:`fusioncell.server.auth.Principal` (``csrf`` also checks the
    ``X-CSRF-Token`` header, for writes).
    """

    access: StoreAccess
    principal: Callable[..., Any]
    csrf: Callable[..., Any]

    def reader(self, rule: Rule = Rule(), *, write: bool = False) -> Callable[..., Reader]:
        from fastapi import Depends

        who = self.csrf if write else self.principal

        def dependency(request: Request, p: Any = Depends(who)) -> Reader:
            if not isinstance(request.scope.get("route"), ScopedRoute):  # fail closed, never answer unfiltered
                raise HTTPException(500, "this route bypasses the read filter (register it on the app itself)")
            with self.access.lock:
                scope = scope_of(self.access.store, p.name, p.role, p.agency)
            check_rule(scope, rule)
            reader = Reader(self.access, scope, rule)
            request.state.reader = reader
            return reader

        dependency.rule = rule  # type: ignore[attr-defined]  # read by the rule-table test
        return dependency
