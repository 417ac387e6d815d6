"""Test factory for the sharing tests: small two-agency cases and stand-in analyses.

The stand-ins compute their answers *from the store they are given* (like
the real ``locate`` and ``network``), so a leak through the releasability
view would show up in their output.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

from fusioncell.store import CaseStore
from tests.rows import put

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=timezone.utc)
TARGET = "person-target"
TARGET_PHONE = "+523300000001"
PARTNER_PHONE = "+523300000002"


def make_case(
    sources: Sequence[tuple[str, str, str, str, list[str]]] | None = None,
    owner: str = "SEDENA-INT",
) -> CaseStore:
    """An in-memory case: ``sources`` = (source_id, agency, discipline, method, releasable_to)."""
    s = CaseStore.memory()
    put(s.con, "case_info", case_id="op-test", title="Test", owner_agency=owner,
        legal_authority="court order 1/2026", timezone="America/Mexico_City", phone_region="MX")
    put(s.con, "targets", entity_id=TARGET)
    put(s.con, "entities", entity_id=TARGET, schema="Person", caption="EL OBJETIVO",
        properties='{"name": ["EL OBJETIVO"]}', raw='{"id": "person-target"}', line=1)
    put(s.con, "entity_identifiers", entity_id=TARGET, identifier=TARGET_PHONE, identifier_raw=TARGET_PHONE, prop="phone")
    for i, (sid, agency, disc, method, rel) in enumerate(sources or [], start=1):
        add_source(s, sid, agency, disc, method, rel, line=i)
    return s


def add_source(
    s: CaseStore, sid: str, agency: str, disc: str, method: str, rel: list[str],
    reliability: str = "B", tlp: str | None = None, line: int = 1,
) -> None:
    put(s.con, "sources", source_id=sid, agency=agency, discipline=disc, method=method, reliability=reliability,
        releasable_to=rel, tlp=tlp, line=line)


def add_fix(s: CaseStore, eid: str, sid: str, ident: str, lat: float, lon: float, minutes: int = 0) -> None:
    agency = s.con.execute("SELECT agency FROM sources WHERE source_id = ?", [sid]).fetchone()[0]
    put(s.con, "locations", event_id=eid, source_id=sid, agency=agency, observed=T0 + timedelta(minutes=minutes),
        identifier=ident, lat=lat, lon=lon, accuracy_m=50.0, identifier_raw=ident, line=1)


def add_call(s: CaseStore, eid: str, sid: str, a: str, b: str, minutes: int = 0, content: str | None = None) -> None:
    agency = s.con.execute("SELECT agency FROM sources WHERE source_id = ?", [sid]).fetchone()[0]
    put(s.con, "comms", event_id=eid, source_id=sid, agency=agency, start=T0 + timedelta(minutes=minutes),
        duration_s=60, channel="call", caller=a, callee=b, content=content, caller_raw=a, callee_raw=b, line=1)


def add_sighting(s: CaseStore, eid: str, sid: str, subject: str, lat: float, lon: float, note: str | None = None) -> None:
    agency = s.con.execute("SELECT agency FROM sources WHERE source_id = ?", [sid]).fetchone()[0]
    put(s.con, "sightings", event_id=eid, source_id=sid, agency=agency, observed=T0, lat=lat, lon=lon,
        subject=subject, confidence=0.8, note=note, subject_raw=subject, line=1)


def add_claim(
    s: CaseStore, rid: str, sid: str, subject: str, predicate: str, obj: str | None = None,
    lat: float | None = None, lon: float | None = None, radius_m: float | None = None, credibility: int = 2,
) -> None:
    agency, rel = s.con.execute("SELECT agency, reliability FROM sources WHERE source_id = ?", [sid]).fetchone()
    put(s.con, "reports", report_id=rid, source_id=sid, agency=agency, reported=T0, credibility=credibility,
        text=f"report {rid}", line=1)
    put(s.con, "claims", report_id=rid, claim_no=0, source_id=sid, agency=agency, reliability=rel,
        credibility=credibility, reported=T0, subject=subject, predicate=predicate, object=obj, lat=lat, lon=lon,
        radius_m=radius_m, subject_raw=subject, object_raw=obj)


def refresh_identifiers(s: CaseStore) -> None:
    """Fill the ``identifiers`` table the way ingest would (counts per identifier)."""
    s.con.execute("DELETE FROM identifiers")
    s.con.execute(
        """
        INSERT INTO identifiers
        WITH seen AS (
            SELECT caller AS i, 'c' AS t, start AS ts FROM comms UNION ALL SELECT callee, 'c', start FROM comms
            UNION ALL SELECT identifier, 'l', observed FROM locations
            UNION ALL SELECT subject, 's', observed FROM sightings
            UNION ALL SELECT subject, 'k', reported FROM claims
            UNION ALL SELECT object, 'k', reported FROM claims WHERE object IS NOT NULL
        )
        SELECT i, CASE WHEN i LIKE '+%' THEN 'phone' WHEN i LIKE '%:%' THEN split_part(i, ':', 1) ELSE 'entity' END,
               count(*) FILTER (WHERE t = 'c'), count(*) FILTER (WHERE t = 'l'),
               count(*) FILTER (WHERE t = 's'), count(*) FILTER (WHERE t = 'k'), min(ts), max(ts)
        FROM seen GROUP BY i
        """
    )


def stub_locate(store: CaseStore, target: str | None = None, top: int = 5) -> dict[str, Any]:
    """Stand-in for ``infer.locate``: one hypothesis per source, the mean of its fixes of the target's phones,
    plus one per ``located_near`` claim about the target. Computed from ``store`` only."""
    idents = [TARGET] + [r[0] for r in store.con.execute(
        "SELECT identifier FROM entity_identifiers WHERE entity_id = ?", [target or TARGET]).fetchall()]
    rows = store.con.execute(
        """
        SELECT source_id, avg(lat), avg(lon), list(event_id ORDER BY event_id), count(*)
        FROM (SELECT source_id, lat, lon, event_id FROM locations WHERE identifier IN (SELECT unnest($i))
              UNION ALL SELECT source_id, lat, lon, event_id FROM sightings WHERE subject IN (SELECT unnest($i)))
        GROUP BY source_id ORDER BY source_id
        """,
        {"i": idents},
    ).fetchall()
    claims = store.con.execute(
        "SELECT source_id, lat, lon, radius_m, report_id FROM claims WHERE predicate = 'located_near' "
        "AND subject IN (SELECT unnest(?)) ORDER BY report_id", [idents],
    ).fetchall()
    hyps = []
    n = len(rows) + len(claims)
    for sid, lat, lon, evs, k in rows:
        hyps.append({"lat": lat, "lon": lon, "radius_m": 200.0, "probability": round(0.8 / max(n, 1), 4),
                     "label": f"stay with {k} fixes", "windows": [{"from": T0.isoformat(), "to": (T0 + timedelta(hours=8)).isoformat()}],
                     "evidence": [{"kind": "stay", "summary": f"{k} fixes of the subject", "weight": float(k),
                                   "event_ids": list(evs), "source_ids": [sid]}]})
    for sid, lat, lon, radius, rid in claims:
        hyps.append({"lat": lat, "lon": lon, "radius_m": radius, "probability": round(0.8 / max(n, 1), 4),
                     "label": "reported area", "windows": [],
                     "evidence": [{"kind": "report", "summary": "a graded report places the subject here",
                                   "weight": 1.0, "event_ids": [rid], "source_ids": [sid]}]})
    for i, h in enumerate(hyps, start=1):
        h["rank"] = i
    return {"case": "op-test", "target": target, "hypotheses": hyps[:top]}


def stub_network(store: CaseStore, focus: str | None = None, hops: int = 2, **_: Any) -> dict[str, Any]:
    """Stand-in for ``network.report``: the focus's contacts by number of calls, from ``store`` only."""
    rows = store.con.execute(
        """
        SELECT other, count(*) AS n FROM (
            SELECT callee AS other FROM comms WHERE caller = $f UNION ALL SELECT caller FROM comms WHERE callee = $f)
        GROUP BY other ORDER BY n DESC, other
        """,
        {"f": focus},
    ).fetchall()
    total = sum(n for _, n in rows) or 1
    circle = [{"rank": i, "identifier": o, "person": None, "strength": round(n / total, 4),
               "relationship": "associate", "relationship_p": 0.6, "why": f"{n} calls with the focus"}
              for i, (o, n) in enumerate(rows, start=1)]
    return {"case": "op-test", "focus": focus, "close_circle": circle, "key_players": [],
            "burner_successions": [], "communities": []}
