"""A factory for small in-memory case stores used by the resolve/network tests.

``Case`` collects rows and writes them into ``CaseStore.memory()`` following
fusioncell/store/schema.py. ``scenario()`` builds a small network whose truth
is known by construction (partner, courier, mother, a one-off caller, a
lieutenant's burner succession, a civilian's unrelated SIM change and a
second SIM used in parallel).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from fusioncell.store import CaseStore
from tests.rows import put, put_many

TZ = ZoneInfo("America/Mexico_City")
T0 = datetime(2026, 1, 5, 0, 0, tzinfo=TZ)  # a Monday


def at(day: int, hour: float) -> datetime:
    """Local time ``hour`` on ``day`` days after T0."""
    return T0 + timedelta(days=day, hours=hour)


@dataclass
class Case:
    comms: list[tuple[Any, ...]] = field(default_factory=list)
    entities: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    entity_ids: list[tuple[str, str, str]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    locations: list[tuple[str, datetime, float, float]] = field(default_factory=list)
    sightings: list[tuple[str, datetime, float, float, float]] = field(default_factory=list)

    def call(self, a: str, b: str, t: datetime, dur_s: float = 60.0, channel: str = "call",
             lat: float | None = None, lon: float | None = None,
             callee_cell: tuple[float, float] | None = None) -> None:
        """A call; ``lat``/``lon`` is the caller's serving cell, and the callee's unless ``callee_cell`` says."""
        self.comms.append((a, b, t, dur_s, channel, lat, lon, *(callee_cell or (lat, lon))))

    def person(self, eid: str, phones: tuple[str, ...] = (), aliases: tuple[str, ...] = (),
               name: str | None = None, schema: str = "Person", **props: Any) -> None:
        p: dict[str, Any] = {"name": [name or eid]}
        p.update({k: v if isinstance(v, list) else [v] for k, v in props.items()})
        if phones:
            p["phone"] = list(phones)
        self.entities.append((eid, schema, p))
        for ph in phones:
            self.entity_ids.append((eid, ph, "phone"))
        for al in aliases:
            self.entity_ids.append((eid, al, "alias"))

    def sight(self, subject: str, t: datetime, lat: float, lon: float, confidence: float = 1.0) -> None:
        self.sightings.append((subject, t, lat, lon, confidence))

    def fix(self, ident: str, t: datetime, lat: float, lon: float) -> None:
        self.locations.append((ident, t, lat, lon))

    def claim(self, subject: str, predicate: str, obj: str, rel: str = "B", cred: int = 2) -> None:
        self.claims.append({"subject": subject, "predicate": predicate, "object": obj, "rel": rel, "cred": cred})

    def store(self, tz: str = "America/Mexico_City") -> CaseStore:
        s = CaseStore.memory()
        con = s.con
        put(con, "case_info", case_id="test-case", title="t", owner_agency="AG", legal_authority="order 1",
            timezone=tz, phone_region="MX")
        put(con, "sources", source_id="src", agency="AG", discipline="SIGINT", method="m", reliability="B",
            releasable_to=["AG"], line=1)
        put_many(con, "comms", [
            {"event_id": f"e{i}", "source_id": "src", "agency": "AG", "start": t.astimezone(timezone.utc),
             "duration_s": float(d), "channel": ch, "caller": a, "callee": b, "caller_lat": lat, "caller_lon": lon,
             "callee_lat": lat2, "callee_lon": lon2, "caller_raw": a, "callee_raw": b, "start_raw": t.isoformat(),
             "line": i + 2}
            for i, (a, b, t, d, ch, lat, lon, lat2, lon2) in enumerate(self.comms)
        ])
        for eid, schema, props in self.entities:
            put(con, "entities", entity_id=eid, schema=schema, caption=eid, properties=json.dumps(props), line=1)
        put_many(con, "entity_identifiers",
                 [{"entity_id": e, "identifier": i, "identifier_raw": i, "prop": p} for e, i, p in self.entity_ids])
        for n, c in enumerate(self.claims):
            put(con, "claims", report_id=f"r-{n}", claim_no=0, source_id="src", agency="AG", reliability=c["rel"],
                credibility=c["cred"], subject=c["subject"], predicate=c["predicate"], object=c["object"])
        for n, (ident, t, lat, lon) in enumerate(self.locations):
            put(con, "locations", event_id=f"l{n}", source_id="src", agency="AG", observed=t.astimezone(timezone.utc),
                identifier=ident, lat=lat, lon=lon)
        for n, (subj, t, lat, lon, conf) in enumerate(self.sightings):
            put(con, "sightings", event_id=f"s{n}", source_id="src", agency="AG", observed=t.astimezone(timezone.utc),
                lat=lat, lon=lon, subject=subj, confidence=conf)
        return s


F = "+523310000001"      # focus (the lieutenant's boss)
P = "+523310000002"      # partner
C = "+523310000003"      # courier
M = "+523310000004"      # mother
O = "+523310000005"      # one-off caller
L_OLD = "+523310000010"  # lieutenant, first phone
L_NEW = "+523310000011"  # lieutenant, burner successor
X = [f"+5233100001{i:02d}" for i in range(6)]   # lieutenant's contacts
Z_OLD = "+523310000020"  # civilian, old SIM
Z_NEW = "+523310000021"  # civilian, new SIM: different friends
Y = [f"+5233100002{i:02d}" for i in range(8)]
S1 = "+523310000030"     # civilian with a second SIM used in parallel
S2 = "+523310000031"
W = [f"+5233100003{i:02d}" for i in range(4)]


def scenario() -> Case:
    """The known-truth scenario documented in the module docstring (30 days)."""
    c = Case()
    for d in range(30):
        # partner: every night ~23:00 local, ~20 min, alternating direction
        c.call(F if d % 2 else P, P if d % 2 else F, at(d, 23.0 + (d % 3) * 0.2), 1200 + 30 * (d % 5))
        if d % 4 == 0:
            c.call(P, F, at(d, 1.0), 900)
        weekday = (T0 + timedelta(days=d)).weekday()
        # courier: short business-hours calls in bursts on two days a week
        if weekday in (1, 3):
            for j in range(4):
                c.call(F, C, at(d, 10.0 + 0.1 * j), 35 + j)
        # mother: weekend daytime, long, reciprocal
        if weekday in (5, 6):
            c.call(M if weekday == 5 else F, F if weekday == 5 else M, at(d, 13.0), 700)
    c.call(O, F, at(7, 15.0), 20)
    # lieutenant: old phone days 0-13, new phone from day 15, same contacts, same cell site
    for d in range(30):
        ph = L_OLD if d < 14 else (L_NEW if d >= 15 else None)
        if ph is None:
            continue
        for j, x in enumerate(X):
            if (d + j) % 2 == 0:
                c.call(ph, x, at(d, 11.0 + j * 0.5), 90, lat=20.671, lon=-103.34)
        if d % 3 == 0:
            c.call(ph, F, at(d, 12.5), 120, lat=20.671, lon=-103.34)
    # civilian: changes SIM on day 14 but calls different people (no shared contacts)
    for d in range(30):
        ph = Z_OLD if d < 14 else Z_NEW
        group = Y[:4] if d < 14 else Y[4:]
        for j, y in enumerate(group):
            if (d + j) % 2 == 0:
                c.call(ph, y, at(d, 18.0 + j * 0.3), 200, lat=20.70, lon=-103.40)
    # civilian with two SIMs in parallel calling the same people: not a succession
    for d in range(30):
        for j, w in enumerate(W):
            if (d + j) % 3 == 0:
                c.call(S1 if d % 2 else S2, w, at(d, 17.0 + j * 0.4), 150)
    c.person("person-boss", phones=(F,), aliases=("alias:El Jefe",))
    c.person("person-lt", phones=(L_OLD,))
    c.claim("alias:El Jefe", "partner_of", "alias:La Güera", "B", 2)
    c.claim("alias:La Güera", "uses", P, "B", 2)
    c.claim("person-boss", "family_of", "person-mother", "C", 3)
    c.claim("person-mother", "uses", M, "C", 3)
    return c


def test_factory_writes_the_rows_it_was_given() -> None:
    case = scenario()
    s = case.store()
    assert s.count("comms") == len(case.comms)
    assert s.count("claims") == 4
    assert s.count("entity_identifiers") == 3
