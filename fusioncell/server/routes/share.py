"""Evidence chains, share previews and exports, and unmasking over HTTP.

* ``GET /locate/{rank}/evidence`` — one hypothesis of ``locate`` with its
  evidence chain: each piece of evidence with the events it cites (time,
  place, who, source) and each source's grade (Admiralty reliability,
  report credibility). A partner gets the same hypothesis of its tearline
  (sources described generically, no event ids).
* ``GET /share/preview?to=AGENCY`` — the JSON ``fusioncell share --to AGENCY
  --format json`` would write (``product``) and, for the owning agency only,
  what it leaves out (``withheld``). A partner may preview only its own.
* ``GET /share/export?to=AGENCY&format=FMT`` — the file itself, written by
  :func:`fusioncell.products.share.write_share` and recorded in the audit log
  as a ``share`` (recipient, format, SHA-256) like the CLI's.
* ``POST /unmask {"pseudonym", "reason"}`` — a supervisor of the owning agency
  reveals the identifier behind a pseudonym
  (:func:`fusioncell.security.minimise.unmask`), recorded with the reason.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path as PathParam, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from fusioncell.server.deps import API, Deps
from fusioncell.server.scope import Reader, Rule, ScopedRoute
from fusioncell.store import CaseStore

#: Events listed per piece of evidence (the rest are counted).
MAX_EVENTS = 100
MEDIA = {"stix": "application/json", "ftm": "text/plain", "html": "text/html", "json": "application/json",
         "geojson": "application/geo+json", "kml": "application/vnd.google-earth.kml+xml"}
SUFFIX = {"stix": "stix.json", "ftm": "ftm.jsonl", "html": "html", "json": "json", "geojson": "geojson", "kml": "kml"}
ShareFormat = Literal["stix", "ftm", "html", "json", "geojson", "kml"]


class Unmask(BaseModel):
    pseudonym: str = Field(..., min_length=1, max_length=200)
    reason: str = Field(..., min_length=1, max_length=2000)


def events(store: CaseStore, event_ids: list[str]) -> list[dict[str, Any]]:
    """The cited events (any observation table) with their source and grade, oldest first."""
    if not event_ids:
        return []
    sql = """
        WITH ev AS (
            SELECT event_id, 'comms' AS kind, start AS at, source_id, caller AS who, callee AS other,
                   caller_lat AS lat, caller_lon AS lon, NULL::INTEGER AS credibility, NULL::DOUBLE AS confidence
            FROM comms WHERE event_id IN (SELECT unnest($ids))
            UNION ALL SELECT event_id, 'locations', observed, source_id, identifier, NULL, lat, lon, NULL, NULL
            FROM locations WHERE event_id IN (SELECT unnest($ids))
            UNION ALL SELECT event_id, 'sightings', observed, source_id, subject, NULL, lat, lon, NULL, confidence
            FROM sightings WHERE event_id IN (SELECT unnest($ids))
            UNION ALL SELECT report_id, 'reports', reported, source_id, NULL, NULL, NULL, NULL, credibility, NULL
            FROM reports WHERE report_id IN (SELECT unnest($ids))
        )
        SELECT ev.event_id, ev.kind, CAST(ev.at AS VARCHAR) AS at, ev.source_id, s.agency, s.discipline,
               s.reliability, ev.credibility, ev.confidence, ev.who, ev.other, ev.lat, ev.lon
        FROM ev LEFT JOIN sources s USING (source_id)
        ORDER BY ev.at NULLS LAST, ev.event_id LIMIT $n
    """
    cur = store.con.execute(sql, {"ids": event_ids, "n": MAX_EVENTS})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def sources(store: CaseStore, source_ids: list[str]) -> list[dict[str, Any]]:
    """Each cited source: agency, discipline and grade (reliability letter and its generic description)."""
    from fusioncell.model.grading import describe_source

    rows = store.con.execute(
        "SELECT source_id, agency, discipline, reliability, tlp FROM sources WHERE source_id IN (SELECT unnest(?)) "
        "ORDER BY source_id", [source_ids]).fetchall()
    return [{"source_id": r[0], "agency": r[1], "discipline": r[2], "reliability": r[3], "tlp": r[4],
             "grade": describe_source(r[3])} for r in rows]


def evidence_chain(store: CaseStore, hypothesis: dict[str, Any]) -> list[dict[str, Any]]:
    """``hypothesis["evidence"]`` with each item's events and sources expanded."""
    out = []
    for ev in hypothesis.get("evidence") or []:
        ev_ids = [str(e) for e in ev.get("event_ids") or []]
        rows = events(store, ev_ids)
        src = sorted({str(s) for s in ev.get("source_ids") or []} | {r["source_id"] for r in rows if r["source_id"]})
        out.append({**ev, "n_events": len(ev_ids), "events": rows, "sources": sources(store, src)})
    return out


def routes(deps: Deps) -> APIRouter:
    """The evidence, share and unmask routes."""
    from fusioncell.server import liaison

    router = APIRouter(route_class=ScopedRoute)
    gate = deps.gate

    @router.get(f"{API}/locate/{{rank}}/evidence")
    def evidence(rank: int = PathParam(..., ge=1, le=50), target: str | None = Query(None, max_length=200),
                 top: int = Query(5, ge=1, le=50),
                 acc: Reader = Depends(gate.reader(Rule(partner=True)))) -> dict[str, Any]:
        """The evidence chain of hypothesis ``rank``: its events, sources and grades."""
        import json

        from fusioncell.infer.locate import locate

        if acc.scope.partner:
            return liaison.evidence(acc, rank, target=target, top=top)
        with acc.read(f"locate/{rank}/evidence target={target}") as cs:
            result = locate(cs, target=target, top=max(top, rank))
            found = [h for h in result.get("hypotheses") or [] if h.get("rank") == rank]
            if not found:
                raise HTTPException(404, f"locate has no hypothesis of rank {rank}")
            h = found[0]
            chain = evidence_chain(cs, h)
        acc.keep |= {str(s) for ev in chain for s in ev.get("subjects") or []} | {str(result.get("target"))}
        out = {"case": result.get("case"), "target": result.get("target"), "rank": rank,
               **{k: h.get(k) for k in ("lat", "lon", "radius_m", "probability", "label", "windows", "support")},
               "evidence": chain}
        return dict(json.loads(json.dumps(out, default=str)))

    @router.get(f"{API}/share/preview")
    def preview(to: str = Query(..., min_length=1, max_length=100), target: str | None = Query(None, max_length=200),
                acc: Reader = Depends(gate.reader(Rule(partner=True, minimise="protected")))) -> dict[str, Any]:
        """What ``fusioncell share --to`` would send (``product``); the owner also sees what it leaves out."""
        product, held = acc.tearline(to.strip(), target=target, what="share/preview")
        return {"product": product, "withheld": None if acc.scope.partner else held}

    @router.get(f"{API}/share/export", response_class=Response,
             responses={200: {"content": {m: {} for m in sorted(set(MEDIA.values()))}}})
    def export(to: str = Query(..., min_length=1, max_length=100), format: ShareFormat = Query("stix"),
               target: str | None = Query(None, max_length=200), why: str | None = Query(None, max_length=2000),
               acc: Reader = Depends(gate.reader(Rule(minimise="protected")))) -> Response:
        """The product file, as ``fusioncell share`` writes it; recorded in the audit log as a share."""
        from fusioncell.products.share import write_share

        with acc.owner_store({"api": "share/export", "to": to, "format": format}, why=why) as cs:
            with tempfile.TemporaryDirectory(prefix="fc-share-") as tmp:
                out = Path(tmp) / "product"
                summary = write_share(cs, to.strip(), out, format, target=target, why=why, actor=acc.scope.actor)
                body = out.read_bytes()
        name = f"{summary['to']}-{summary['tlp'].replace(':', '_')}.{SUFFIX[format]}"
        return Response(body, media_type=MEDIA[format],
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "X-Content-SHA256": summary["sha256"]})

    @router.post(f"{API}/unmask")
    def unmask(body: Unmask, acc: Reader = Depends(gate.reader(Rule(owner=("supervisor",)), write=True))
               ) -> dict[str, str]:
        """Reveal the identifier behind a pseudonym, with a recorded reason (supervisors)."""
        from fusioncell.security.minimise import case_secret, pseudonym
        from fusioncell.security.minimise import unmask as run

        with acc.owner_store({"api": "unmask"}, action="read", why=body.reason) as cs:
            identifier = run(cs, body.pseudonym, body.reason, actor=acc.scope.actor)
            return {"identifier": identifier, "pseudonym": pseudonym(case_secret(cs), identifier)}

    return router
