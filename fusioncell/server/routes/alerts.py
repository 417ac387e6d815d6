"""The standing watches' alerts over HTTP: ``GET /api/v1/alerts``.

:mod:`fusioncell.watch` evaluates the case's watches on each new delivery and
writes one alert per watch and delivery that fired (table ``alerts``);
``fusioncell alerts`` lists them. This route answers the same list, oldest
first (and each alert's rows oldest first), each alert as ``fusioncell alerts --format json`` prints it plus
``why`` (what its watch fires on, and the note the analyst gave it; null
when the watch was removed since). It reads through the one read filter
(:mod:`fusioncell.server.scope`): audited, open to the owning agency's
analysts and supervisors only (an alert names the owner's evidence rows and
sources), and minimised as the CLI's listing is — the watched identifiers in
clear unless protected, bystanders as pseudonyms.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Query

from fusioncell.server.deps import API, Deps
from fusioncell.server.scope import Reader, Rule, ScopedRoute


def alert_rows(cs: Any, since: datetime | None = None) -> tuple[list[dict[str, Any]], set[str]]:
    """The case's alerts as dicts (with ``why``), and the watched identifiers a listing shows in clear."""
    from fusioncell.security.minimise import protected_identifiers
    from fusioncell.security.naming import Namer
    from fusioncell.watch import list_alerts, list_watches

    hidden = protected_identifiers(cs)
    namer = Namer.of(cs)

    def name(s: str) -> str:  # a protected person is named by handle in the sentence, not by number
        return namer(s) if s in hidden else s

    watches = {w.watch_id: w for w in list_watches(cs)}
    rows = []
    for a in list_alerts(cs, since=since):  # one row per alert (a handful per delivery), not per record
        w = watches.get(a.watch_id)
        why = None if w is None else w.describe(name) + (f" — {w.note}" if w.note else "")
        rows.append({**a.to_dict(), "why": why})
    watched = {s for w in watches.values() for s in (w.subject, w.subject2) if s}
    return rows, watched - hidden


def routes(deps: Deps) -> APIRouter:
    """The ``GET /alerts`` route."""
    router = APIRouter(route_class=ScopedRoute)
    gate = deps.gate

    @router.get(f"{API}/alerts")
    def alerts(since: datetime | None = Query(None, description="ISO 8601 time; without an offset it is UTC"),
               offset: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000),
               acc: Reader = Depends(gate.reader(Rule()))) -> dict[str, Any]:
        """Alerts raised by the standing watches, oldest first: what fired, why (its watch), when, the rows."""
        when = since if since is None or since.tzinfo is not None else since.replace(tzinfo=timezone.utc)
        with acc.read(f"alerts since={when.isoformat() if when else None}") as cs:
            rows, watched = alert_rows(cs, when)
        acc.keep |= watched
        return {"total": len(rows), "offset": offset, "limit": limit, "items": rows[offset:offset + limit]}

    return router
