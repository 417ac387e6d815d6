"""Import a partner's STIX 2.1 bundle into a case, with its provenance.

The partner's complementary information enters the fusion as the partner's
own sources and observations, so every later stage weighs it, marks it and
cites it like anything else:

* one **source** per (producing agency, TLP level) of the bundle:
  ``agency`` = the producer identity's name (or ``--agency``),
  ``discipline = HUMINT`` (liaison reporting: the partner does not say how
  it collected), ``method`` empty (not disclosed), ``reliability`` = the
  receiving analyst's grade of the partner (``--reliability``, default ``F``
  "cannot be judged"), ``releasable_to`` = the receiving agency only (a
  partner's product is not ours to pass on), ``tlp`` = the marking;
* a ``located-at`` relationship (identity → location) → a **report** with a
  ``located_near`` **claim** (lat, lon, ``radius_m`` = the location's
  ``precision``, ``valid_from``/``valid_to`` = start/stop time). A place the
  sender gives under 20 % gets credibility 6 ("cannot be judged"), not 5
  ("improbable"): a location posterior spreads its mass over many places, so
  even the sender's best lead may sit at 14 %; reading that as evidence
  *against* the place would invert it. It still enters as a candidate place;
* a relationship between identities → a claim ``partner_of`` /
  ``family_of`` / ``associate_of`` / ``works_for`` (``related-to`` reads as
  ``associate_of``);
* an identity naming both a person and identifiers (external references
  ``fusioncell`` / ``fusioncell-identifier``) → ``uses`` claims;
* a **sighting** → a row of ``sightings`` (first seen, where sighted,
  confidence ÷ 100);
* notes and the report object → reports without claims (searchable text).

STIX ``confidence`` becomes Admiralty credibility by the STIX 2.1 appendix
(80–100 → 1, 60–79 → 2, 40–59 → 3, 20–39 → 4, 0–19 → 5, none → 6). Every row
keeps its STIX object in ``raw`` / ``extra`` (id, confidence, marking refs),
so nothing marked is lost. A bundle already imported (same SHA-256) is a
no-op; an object id already in the case is kept as first imported.

Ingest replaces a whole table when a case file changes, which drops
imported rows too; importing the bundle again restores them (the
"already imported" check looks for the bundle's source, not only the log).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import stix2
import stix2.exceptions

from fusioncell.errors import InvalidCase, Problem, UsageError
from fusioncell.model.grading import RELIABILITY
from fusioncell.model.identifiers import IdentifierError, normalize_identifier
from fusioncell.model.markings import tlp_max
from fusioncell.products.share import confidence_to_admiralty
from fusioncell.products.stix import tlp_of_marking_id
from fusioncell.security import audit
from fusioncell.store import CaseStore

PREDICATES = {
    "partner-of": "partner_of",
    "family-of": "family_of",
    "associate-of": "associate_of",
    "works-for": "works_for",
    "related-to": "associate_of",
    "uses": "uses",
}


#: the columns each imported claim and sighting tuple fills, in its order (named: a column added to the
#: store's tables must not shift them)
_CLAIM_COLS = ("report_id", "claim_no", "source_id", "agency", "reliability", "credibility", "reported", "subject",
               "predicate", "object", "lat", "lon", "radius_m", "valid_from", "valid_to", "subject_raw", "object_raw",
               "raw")
_SIGHTING_COLS = ("event_id", "source_id", "agency", "observed", "lat", "lon", "subject", "confidence", "note",
                  "subject_raw", "observed_raw", "extra", "line")

def _ts(value: Any) -> datetime | None:
    if value is None:
        return None
    t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _load(bundle: str | bytes | dict[str, Any], name: str) -> dict[str, Any]:
    if isinstance(bundle, dict):
        data = bundle
    else:
        try:
            data = json.loads(bundle)
        except json.JSONDecodeError as exc:
            raise InvalidCase([Problem(name, exc.lineno, None, f"not JSON: {exc.msg}")]) from None
    if not isinstance(data, dict) or data.get("type") != "bundle":
        raise InvalidCase([Problem(name, None, None, "not a STIX bundle (no top-level \"type\": \"bundle\")")])
    try:
        stix2.parse(data, allow_custom=True)
    except (stix2.exceptions.STIXError, ValueError) as exc:
        raise InvalidCase([Problem(name, None, None, f"invalid STIX 2.1: {exc}")]) from None
    return data


def _level(obj: dict[str, Any], default: str) -> str:
    levels = [lv for lv in (tlp_of_marking_id(m) for m in obj.get("object_marking_refs") or []) if lv]
    return tlp_max(levels) if levels else default


class _Idents:
    """STIX identity → the identifier the case uses for it."""

    def __init__(self, objects: dict[str, dict[str, Any]], region: str | None) -> None:
        self.objects = objects
        self.region = region

    def refs(self, identity_id: str, source_name: str) -> list[str]:
        obj = self.objects.get(identity_id) or {}
        return [
            str(r["external_id"]) for r in obj.get("external_references") or []
            if r.get("source_name") == source_name and r.get("external_id")
        ]

    def of(self, identity_id: str) -> str | None:
        obj = self.objects.get(identity_id)
        if obj is None:
            return None
        own = self.refs(identity_id, "fusioncell") or self.refs(identity_id, "fusioncell-identifier")
        if own:
            return own[0]
        name = str(obj.get("name") or "").strip()
        if not name:
            return None
        try:
            return normalize_identifier(name, self.region).value if re.search(r"\d{5}|:", name) else f"alias:{name}"
        except IdentifierError:
            return f"alias:{name}"


def import_bundle(
    store: CaseStore,
    bundle: str | bytes | dict[str, Any],
    *,
    name: str = "bundle.json",
    reliability: str = "F",
    agency: str | None = None,
    why: str | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Add a partner's STIX 2.1 bundle to the case as that partner's sources and observations.

    Parameters
    ----------
    store
        The receiving case store (ingested).
    bundle
        The bundle (JSON text or parsed dict).
    name
        Where it came from (file name), for messages and the ingest log.
    reliability
        The receiving analyst's Admiralty grade of the partner as a source (A–F).
    agency
        The producing agency code, when the bundle's ``created_by_ref`` identity
        does not name it.

    Returns
    -------
    dict
        ``{"status": "imported" | "unchanged", "agency", "sources", "reports",
        "claims", "sightings", "skipped"}``.
    """
    rel = (reliability or "F").strip().upper()
    if rel not in RELIABILITY:
        raise UsageError(f"--reliability must be one of {', '.join(RELIABILITY)}, not {reliability!r}")
    data = _load(bundle, name)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    sha = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    info = store.case()
    if _still_imported(store, data, sha):
        return {"status": "unchanged", "bundle": data.get("id"), "agency": agency}
    objects = {str(o["id"]): o for o in data.get("objects") or [] if isinstance(o, dict) and "id" in o}
    producer, producer_id = _producer(objects, agency, name)
    mapper = _Mapper(store, objects, producer, rel, str(data.get("id", "bundle--0")).split("--")[-1][:8],
                     info.phone_region)
    rows = mapper.map_objects()
    _write(store, rows, data, sha, name, producer, producer_id, rel, info.owner_agency)
    summary = {
        "status": "imported", "bundle": data.get("id"), "agency": producer, "sources": sorted(rows.sources),
        "reports": len(rows.reports), "claims": len(rows.claims), "sightings": len(rows.sightings),
        "skipped": len(rows.skipped),
    }
    audit.record(store, "import", {k: v for k, v in summary.items() if k != "status"} | {"sha256": sha}, why=why, actor=actor)
    return summary


def _still_imported(store: CaseStore, data: dict[str, Any], sha: str) -> bool:
    """True when this bundle (same SHA-256) was imported and its rows are still in the case.

    When its rows were dropped (a re-ingest of a changed case file replaces the
    tables), its ingest-log line is removed so that it is imported again.
    """
    if not store.con.execute("SELECT count(*) FROM ingest_log WHERE sha256 = ?", [sha]).fetchall()[0][0]:
        return False
    still_there = store.con.execute(
        "SELECT count(*) FROM sources WHERE json_extract_string(extra, '$.stix_bundle') = ?", [data.get("id")]
    ).fetchall()[0][0]
    if still_there:
        return True
    store.con.execute("DELETE FROM ingest_log WHERE sha256 = ?", [sha])
    return False


def _producer(objects: dict[str, dict[str, Any]], agency: str | None, name: str) -> tuple[str, str | None]:
    """The producing agency (``agency``, else the name of the identity most objects are created by) and that
    identity's id."""
    producers = [o.get("created_by_ref") for o in objects.values() if o.get("created_by_ref")]
    producer_id = max(set(producers), key=producers.count) if producers else None
    producer = agency or (objects.get(producer_id or "", {}).get("name") if producer_id else None)
    if not producer:
        raise UsageError(f"{name}: the bundle names no producing organisation; pass --agency")
    return str(producer).strip(), producer_id


@dataclass
class _Rows:
    """What a bundle adds to the case, in the column order of ``reports``, :data:`_CLAIM_COLS` and
    :data:`_SIGHTING_COLS`; ``sources`` maps each source id to its TLP level."""

    sources: dict[str, str] = field(default_factory=dict)
    reports: list[list[Any]] = field(default_factory=list)
    claims: list[list[Any]] = field(default_factory=list)
    sightings: list[list[Any]] = field(default_factory=list)
    #: ids of objects not imported (already in the case, or nothing the case can hold)
    skipped: list[str] = field(default_factory=list)


def _obj_time(o: dict[str, Any]) -> datetime | None:
    for key in ("stop_time", "last_seen", "first_seen", "start_time"):
        if o.get(key):
            return _ts(o[key])
    return None


class _Mapper:
    """The bundle's STIX objects → rows of the case (see the module docs for what becomes what)."""

    def __init__(self, store: CaseStore, objects: dict[str, dict[str, Any]], producer: str, rel: str,
                 bundle_key: str, region: str | None) -> None:
        self.objects, self.producer, self.rel, self.bundle_key = objects, producer, rel, bundle_key
        reports_of = [o for o in objects.values() if o.get("type") == "report"]
        self.default_level = _level(reports_of[0], "amber") if reports_of else "amber"
        self.idents = _Idents(objects, region)
        # When the information refers to (not when the bundle was written): a relationship's
        # stop time, a sighting's last seen; objects without one take the latest such time of
        # the bundle. Stages date the case by its latest record, so a report stamped with the
        # share's wall-clock time would move the case's "now".
        times = [t for t in (_obj_time(o) for o in objects.values()) if t is not None]
        self.bundle_time = max(times) if times else None
        self.existing_reports = {r[0] for r in store.con.execute("SELECT report_id FROM reports").fetchall()}
        self.existing_events = {r[0] for r in store.con.execute("SELECT event_id FROM sightings").fetchall()}
        self.rows = _Rows()

    def map_objects(self) -> _Rows:
        for oid, obj in self.objects.items():
            kind = obj.get("type")
            cred = confidence_to_admiralty(obj.get("confidence"))
            if kind == "relationship":
                self.relationship(oid, obj, cred)
            elif kind == "identity" and obj.get("identity_class") != "organization":
                self.identity(oid, obj, cred)
            elif kind == "sighting":
                self.sighting(oid, obj)
            elif kind in ("note", "report"):
                text = "\n".join(str(x) for x in (obj.get("name"), obj.get("abstract"), obj.get("content"), obj.get("description")) if x)
                self.add_report(obj, text, cred)
        return self.rows

    def reported(self, o: dict[str, Any]) -> datetime | None:
        return _obj_time(o) or self.bundle_time or _ts(o.get("created"))

    def source_for(self, obj: dict[str, Any]) -> str:
        level = _level(obj, self.default_level)
        sid = f"stix-{re.sub(r'[^a-z0-9]+', '-', self.producer.lower())}-{self.bundle_key}-{level.replace('+', '-')}"
        self.rows.sources[sid] = level
        return sid

    def add_report(self, obj: dict[str, Any], text: str, cred: int) -> str | None:
        rid = f"stix:{obj['id']}"
        if rid in self.existing_reports:
            self.rows.skipped.append(str(obj["id"]))
            return None
        self.existing_reports.add(rid)
        sid = self.source_for(obj)
        self.rows.reports.append([rid, sid, self.producer, self.reported(obj), cred, text,
                                  json.dumps(obj, sort_keys=True), None])
        return rid

    def add_claim(self, rid: str, obj: dict[str, Any], cred: int, subject: str, predicate: str,
                  obj_ident: str | None = None, lat: Any = None, lon: Any = None, radius: Any = None,
                  vfrom: Any = None, vto: Any = None) -> None:
        sid = self.source_for(obj)
        claims = self.rows.claims
        n = sum(1 for c in claims if c[0] == rid)
        claims.append([rid, n, sid, self.producer, self.rel, cred, self.reported(obj), subject, predicate, obj_ident,
                       lat, lon, radius, _ts(vfrom), _ts(vto), subject, obj_ident, json.dumps(obj, sort_keys=True)])

    def relationship(self, oid: str, obj: dict[str, Any], cred: int) -> None:
        """``located-at`` → a report with a ``located_near`` claim; identity → identity → a relation claim."""
        objects, skipped = self.objects, self.rows.skipped
        src, tgt = objects.get(str(obj.get("source_ref"))), objects.get(str(obj.get("target_ref")))
        if src is None or tgt is None or src.get("type") != "identity":
            skipped.append(oid)
            return
        subject = self.idents.of(str(src["id"]))
        if subject is None:
            skipped.append(oid)
            return
        rtype = str(obj.get("relationship_type"))
        if tgt.get("type") == "location" and rtype == "located-at":
            rid = self.add_report(obj, str(obj.get("description") or f"{subject} located at {tgt.get('name') or ''}"), cred)
            # A place's share of the sender's posterior is low even for a strong lead (the
            # mass is spread over many places), so below 20 it is a candidate place whose
            # credibility cannot be judged (6), not an "improbable" (5) claim against it.
            if rid:
                if cred == 5:
                    cred = 6
                    self.rows.reports[-1][4] = 6
                self.add_claim(rid, obj, cred, subject, "located_near", None, tgt.get("latitude"), tgt.get("longitude"),
                               tgt.get("precision"), obj.get("start_time"), obj.get("stop_time"))
        elif tgt.get("type") == "identity" and rtype in PREDICATES:
            other = self.idents.of(str(tgt["id"]))
            rid = self.add_report(obj, str(obj.get("description") or f"{subject} {rtype} {other}"), cred) if other else None
            if rid and other:
                self.add_claim(rid, obj, cred, subject, PREDICATES[rtype], other)
        else:
            skipped.append(oid)

    def identity(self, oid: str, obj: dict[str, Any], cred: int) -> None:
        """A person naming identifiers besides its own → a report with ``uses`` claims."""
        person = self.idents.refs(oid, "fusioncell")
        phones = self.idents.refs(oid, "fusioncell-identifier")
        uses = [p for p in phones if person and p != person[0]]
        if person and uses:
            rid = self.add_report(obj, f"{obj.get('name')} uses {', '.join(uses)}", cred)
            if rid:
                for p in uses:
                    self.add_claim(rid, obj, cred, person[0], "uses", p)

    def sighting(self, oid: str, obj: dict[str, Any]) -> None:
        """A sighting with a located place → a row of ``sightings``."""
        eid = f"stix:{oid}"
        where = [self.objects.get(str(r)) for r in obj.get("where_sighted_refs") or []]
        loc = next((w for w in where if w and w.get("type") == "location" and "latitude" in w), None)
        subject = self.idents.of(str(obj.get("sighting_of_ref")))
        seen = _ts(obj.get("first_seen") or obj.get("created"))
        if loc is None or subject is None or seen is None or eid in self.existing_events:
            self.rows.skipped.append(oid)
            return
        sid = self.source_for(obj)
        conf = obj.get("confidence")
        extra = {"stix_id": oid, "confidence": conf, "object_marking_refs": obj.get("object_marking_refs") or [],
                 "last_seen": obj.get("last_seen"), "count": obj.get("count")}
        self.rows.sightings.append([eid, sid, self.producer, seen, loc["latitude"], loc["longitude"], subject,
                                    conf / 100.0 if conf is not None else None, obj.get("description"), subject,
                                    obj.get("first_seen"), json.dumps(extra, sort_keys=True), None])


def _write(store: CaseStore, rows: _Rows, data: dict[str, Any], sha: str, name: str, producer: str,
           producer_id: str | None, rel: str, receiving: str) -> None:
    """Write the rows, the touched identifiers and the ingest-log line in one transaction (``receiving``:
    the case's owning agency, to which alone the partner's sources are releasable)."""
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        known_sources = {r[0] for r in con.execute("SELECT source_id FROM sources").fetchall()}
        for sid, level in sorted(rows.sources.items()):
            if sid in known_sources:
                continue
            con.execute(
                "INSERT INTO sources (source_id, agency, discipline, method, reliability, releasable_to, tlp, extra) "
                "VALUES (?, ?, 'HUMINT', NULL, ?, ?, ?, ?)",
                [sid, producer, rel, [receiving] if receiving != producer else [], level,
                 json.dumps({"stix_bundle": data.get("id"), "producer_identity": producer_id, "imported_from": name,
                             "method": "not disclosed by the partner"})],
            )
        if rows.reports:
            con.executemany("INSERT INTO reports (report_id, source_id, agency, reported, credibility, text, raw, line) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows.reports)
        if rows.claims:
            con.executemany("INSERT INTO claims (" + ", ".join(_CLAIM_COLS) + ") VALUES (" + ", ".join(["?"] * len(_CLAIM_COLS)) + ")", rows.claims)
        if rows.sightings:
            con.executemany("INSERT INTO sightings (" + ", ".join(_SIGHTING_COLS) + ") VALUES ("
                            + ", ".join(["?"] * len(_SIGHTING_COLS)) + ")", rows.sightings)
        claims, sightings = rows.claims, rows.sightings
        _update_identifiers(store, [c[7] for c in claims] + [c[9] for c in claims if c[9]] + [s[6] for s in sightings])
        run_id = store.new_run("import", {"bundle": data.get("id"), "agency": producer, "file": name})
        con.execute(
            "INSERT INTO ingest_log (file, sha256, rows, ingested_at, run_id) VALUES (?, ?, ?, ?, ?)",
            [f"stix:{name}", sha, len(rows.reports) + len(rows.sightings), datetime.now(timezone.utc), run_id],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _update_identifiers(store: CaseStore, idents: list[str]) -> None:
    """Bring the ``identifiers`` table up to date for the identifiers an import touched."""
    touched = sorted(set(i for i in idents if i))
    if not touched:
        return
    store.con.execute(
        """
        INSERT OR REPLACE INTO identifiers (identifier, scheme, n_comms, n_locations, n_sightings, n_claims,
                                            first_seen, last_seen)
        WITH t AS (SELECT unnest($ids) AS identifier),
        seen AS (
            SELECT caller AS identifier, 'c' AS k, start AS ts FROM comms WHERE caller IN (SELECT identifier FROM t)
            UNION ALL SELECT callee, 'c', start FROM comms WHERE callee IN (SELECT identifier FROM t)
            UNION ALL SELECT identifier, 'l', observed FROM locations WHERE identifier IN (SELECT identifier FROM t)
            UNION ALL SELECT subject, 's', observed FROM sightings WHERE subject IN (SELECT identifier FROM t)
            UNION ALL SELECT subject, 'k', reported FROM claims WHERE subject IN (SELECT identifier FROM t)
            UNION ALL SELECT object, 'k', reported FROM claims WHERE object IN (SELECT identifier FROM t)
        )
        SELECT identifier,
               CASE WHEN identifier LIKE '+%' THEN 'phone'
                    WHEN regexp_matches(identifier, '^[a-z]+:') THEN split_part(identifier, ':', 1)
                    ELSE 'entity' END,
               count(*) FILTER (WHERE k = 'c'), count(*) FILTER (WHERE k = 'l'),
               count(*) FILTER (WHERE k = 's'), count(*) FILTER (WHERE k = 'k'), min(ts), max(ts)
        FROM seen GROUP BY identifier
        """,
        {"ids": touched},
    )
