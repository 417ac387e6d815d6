"""A tearline as a STIX 2.1 bundle (with the ``stix2`` library).

Mapping (``fusioncell.tearline/1`` → STIX 2.1):

=====================  ==========================================================
tearline               STIX
=====================  ==========================================================
``from`` agency        ``identity`` (organization); ``created_by_ref`` of all
subject                ``identity`` (individual); external references
                       ``fusioncell`` (entity id) and ``fusioncell-identifier``
                       (each releasable identifier)
hypothesis             ``location`` (latitude, longitude, ``precision`` = radius
                       in metres) + ``relationship`` subject ``located-at``
                       location (``confidence`` = probability × 100,
                       ``start_time``/``stop_time`` = the windows' span, or
                       the tearline's ``as_of`` when it has none) +
                       ``note`` with the ICD 203 judgment and generic source
                       descriptors
sighting               ``sighting`` of the subject's identity, where sighted =
                       a ``location``; ``confidence`` = detector confidence × 100
associate              ``identity`` + ``relationship`` (``partner-of``,
                       ``family-of``, ``associate-of``, ``works-for`` or
                       ``related-to``), ``confidence`` = relationship p × 100
the product            ``report`` (``report_types: ["identity"]``) referencing
                       everything, with a granular marking per ``object_refs``
                       entry carrying that object's own TLP level
=====================  ==========================================================

Markings are the TLP 2.0 marking definitions of the official extension
``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`` with the
OASIS ids (the ``stix2`` library ships only TLP 1.0 constants). Evidence
``confidence`` follows the STIX 2.1 appendix mapping of Admiralty
credibility (1→90, 2→70, 3→50, 4→30, 5→10, 6→none). Object ids are UUIDv5
of the case and the object's content, so the same tearline gives the same
ids and a partner can de-duplicate re-shares.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import stix2

from fusioncell.products.language import judgment as estimative_sentence
from fusioncell.products.language import with_sources
from fusioncell.model.markings import normalize_tlp

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#: The OASIS TLP 2.0 marking-definition ids (cti-stix-common-objects).
TLP2_IDS: dict[str, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
#: TLP 1.0 ids as shipped by stix2 (accepted on import; ``white`` reads as ``clear``).
TLP1_IDS: dict[str, str] = {
    stix2.TLP_WHITE.id: "clear",
    stix2.TLP_GREEN.id: "green",
    stix2.TLP_AMBER.id: "amber",
    stix2.TLP_RED.id: "red",
}
_TLP2_CREATED = "2022-10-01T00:00:00.000Z"
_OASIS_IDENTITY = "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01"
_NS = uuid.UUID("6b1c6d3e-0f43-4c4e-9a7e-8f6d2f1f5a10")

#: tearline relationship → STIX relationship_type.
RELATIONSHIP_TYPES = {
    "partner": "partner-of",
    "family": "family-of",
    "associate": "associate-of",
    "logistics": "associate-of",
    "works_for": "works-for",
}


def tlp2_marking(level: str) -> stix2.MarkingDefinition:
    """The official TLP 2.0 marking definition of ``level`` (``"amber+strict"``…)."""
    lvl = normalize_tlp(level) or "amber"
    return stix2.MarkingDefinition(
        id=TLP2_IDS[lvl],
        created=_TLP2_CREATED,
        created_by_ref=_OASIS_IDENTITY,
        name=f"TLP:{lvl.upper()}",
        extensions={TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": lvl}},
    )


def tlp_of_marking_id(marking_id: str) -> str | None:
    """TLP level of a marking-definition id (TLP 2.0 or 1.0), else ``None``."""
    for level, mid in TLP2_IDS.items():
        if mid == marking_id:
            return level
    return TLP1_IDS.get(marking_id)


def _id(kind: str, case: str, *parts: Any) -> str:
    return f"{kind}--{uuid.uuid5(_NS, '|'.join([case, kind, *map(str, parts)]))}"


def _pct(p: Any) -> int | None:
    if p is None:
        return None
    return max(0, min(100, int(round(float(p) * 100))))


def _assoc_confidence(a: dict[str, Any]) -> int | None:
    """Confidence that an association holds: tie strength × relationship probability.

    ``relationship_p`` is the probability of the relationship's *type* given a
    tie; ``strength`` (0–1) how firmly the tie itself is established. Their
    product never claims more than either number: a weak tie read off one
    ungraded report must not reach the partner as "probably true".
    """
    p, s = a.get("relationship_p"), a.get("strength")
    if p is None and s is None:
        return None
    return _pct((1.0 if p is None else float(p)) * (1.0 if s is None else float(s)))


def _ts(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        t = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else None


def _level(label: str | None) -> str:
    return normalize_tlp(label) or "amber"


class _Bundler:
    """Collects the STIX objects of one tearline, each with the TLP level it is marked with."""

    def __init__(self, product: dict[str, Any]) -> None:
        self.case = str(product["case"])
        self.created = _ts(product.get("created")) or datetime.now(timezone.utc)
        self.level = _level(product["marking"]["tlp"])
        self.levels: set[str] = {self.level}
        self.objects: list[Any] = []
        self.marks_of: dict[str, str] = {}
        self.producer = self.add(stix2.Identity(
            id=_id("identity", self.case, "org", product["from"]), name=product["from"],
            identity_class="organization", created=self.created, modified=self.created,
            object_marking_refs=[TLP2_IDS[self.level]],
        ), self.level)
        subj = product["subject"]
        refs = [{"source_name": "fusioncell", "external_id": str(subj["id"])}]
        refs += [{"source_name": "fusioncell-identifier", "external_id": str(i)} for i in subj.get("identifiers") or []]
        self.subject = self.add(stix2.Identity(
            id=_id("identity", self.case, "subject", subj["id"]), name=str(subj.get("name") or subj["id"]),
            identity_class="individual", external_references=refs, **self.common(self.level),
        ), self.level)
        self.identities: dict[str, str] = {str(subj["id"]): self.subject.id}

    def add(self, obj: Any, level: str) -> Any:
        self.levels.add(level)
        self.marks_of[obj.id] = level
        self.objects.append(obj)
        return obj

    def common(self, level: str) -> dict[str, Any]:
        return {"created_by_ref": self.producer.id, "created": self.created, "modified": self.created,
                "object_marking_refs": [TLP2_IDS[level]]}

    def identity_for(self, ident: str, person: str | None, level: str) -> str:
        key = person or ident
        if key in self.identities:
            return self.identities[key]
        scheme = ident.split(":", 1)[0] if ":" in ident and not ident.startswith("+") else "phone"
        cls = "individual" if scheme in ("phone", "alias", "person", "masked", "email", "handle") or person else "unknown"
        erefs = [{"source_name": "fusioncell-identifier", "external_id": ident}]
        if person and person != ident:
            erefs.insert(0, {"source_name": "fusioncell", "external_id": person})
        obj = self.add(stix2.Identity(
            id=_id("identity", self.case, "person", key), name=str(person or ident), identity_class=cls,
            external_references=erefs, **self.common(level),
        ), level)
        self.identities[key] = obj.id
        return str(obj.id)

    def hypothesis(self, h: dict[str, Any], subj: dict[str, Any], as_of: datetime | None) -> None:
        """A place hypothesis: its location, the located-at judgment and a note with its basis."""
        case, subject, level = self.case, self.subject, _level(h.get("marking"))
        p = float(h.get("probability") or 0.0)
        loc = self.add(stix2.Location(
            id=_id("location", case, "hyp", h["lat"], h["lon"], h.get("radius_m")),
            latitude=float(h["lat"]), longitude=float(h["lon"]),
            precision=float(h["radius_m"]) if h.get("radius_m") is not None else None,
            name=str(h.get("label") or f"hypothesis {h['rank']}"), **self.common(level),
        ), level)
        starts = [t for t in (_ts(w.get("from")) for w in h.get("windows") or []) if t]
        stops = [t for t in (_ts(w.get("to")) for w in h.get("windows") or []) if t]
        span: dict[str, Any] = {}
        if starts and stops and max(stops) > min(starts):
            span = {"start_time": min(starts), "stop_time": max(stops)}
        elif as_of is not None:
            # A "where is he now" judgment holds at the time of the latest evidence.
            span = {"start_time": as_of - timedelta(seconds=1), "stop_time": as_of}
        judgment = estimative_sentence(f"{subj.get('name') or subj['id']} is here", p)
        rel = self.add(stix2.Relationship(
            id=_id("relationship", case, "located-at", subject.id, loc.id),
            relationship_type="located-at", source_ref=subject.id, target_ref=loc.id,
            confidence=_pct(p), description=judgment, **span, **self.common(level),
        ), level)
        basis = "\n".join(
            f"- {with_sources(str(ev.get('summary') or ev.get('kind')), list(ev.get('sources') or []))}"
            for ev in h.get("evidence") or []
        )
        confs = [ev["confidence"] for ev in h.get("evidence") or [] if ev.get("confidence") is not None]
        self.add(stix2.Note(
            id=_id("note", case, "basis", rel.id), abstract=f"Key judgment {h['rank']}",
            content=f"{judgment}\nBasis:\n{basis}" if basis else judgment,
            object_refs=[rel.id, loc.id], confidence=max(confs) if confs else None, **self.common(level),
        ), level)

    def sighting(self, s: dict[str, Any]) -> None:
        case, level = self.case, _level(s.get("marking"))
        seen = _ts(s.get("observed"))
        if seen is None:
            return
        who = self.identities.get(str(s["subject"])) or self.identity_for(str(s["subject"]), None, level)
        where = self.add(stix2.Location(
            id=_id("location", case, "seen", s["lat"], s["lon"]),
            latitude=float(s["lat"]), longitude=float(s["lon"]), **self.common(level),
        ), level) if _id("location", case, "seen", s["lat"], s["lon"]) not in self.marks_of else None
        where_id = where.id if where is not None else _id("location", case, "seen", s["lat"], s["lon"])
        self.add(stix2.Sighting(
            id=_id("sighting", case, s["subject"], s["observed"], s["lat"], s["lon"]),
            sighting_of_ref=who, where_sighted_refs=[where_id], first_seen=seen, last_seen=seen, count=1,
            confidence=_pct(s.get("confidence")), description=str(s.get("source") or ""), **self.common(level),
        ), level)

    def associate(self, a: dict[str, Any]) -> None:
        level = _level(a.get("marking"))
        who = self.identity_for(str(a["identifier"]), a.get("person"), level)
        rtype = RELATIONSHIP_TYPES.get(str(a.get("relationship") or ""), "related-to")
        self.add(stix2.Relationship(
            id=_id("relationship", self.case, rtype, self.subject.id, who),
            relationship_type=rtype, source_ref=self.subject.id, target_ref=who,
            confidence=_assoc_confidence(a), description=str(a.get("why") or ""), **self.common(level),
        ), level)

    def report(self, product: dict[str, Any], subj: dict[str, Any]) -> Any:
        """The report over every object but the producer, each object_ref marked at its own level."""
        report_refs = [o.id for o in self.objects if o.id != self.producer.id]
        granular: dict[str, list[str]] = {}
        for i, ref in enumerate(report_refs):
            granular.setdefault(self.marks_of[ref], []).append(f"object_refs.[{i}]")
        return stix2.Report(
            id=_id("report", self.case, product["to"], product.get("created")),
            name=f"Tearline for {product['to']}: {subj.get('name') or subj['id']}",
            description="\n".join(product.get("key_judgments") or []) + "\n\n" + str(product.get("handling") or ""),
            published=self.created, report_types=["identity"], object_refs=report_refs or [self.subject.id],
            granular_markings=[{"marking_ref": TLP2_IDS[lv], "selectors": sel} for lv, sel in sorted(granular.items())],
            **self.common(self.level),
        )


def tearline_to_stix(product: dict[str, Any]) -> stix2.Bundle:
    """The tearline as a STIX 2.1 bundle that ``stix2.parse(..., allow_custom=False)`` accepts."""
    b = _Bundler(product)
    subj = product["subject"]
    as_of = _ts(product.get("as_of"))
    for h in product.get("hypotheses") or []:
        b.hypothesis(h, subj, as_of)
    for s in product.get("sightings") or []:
        b.sighting(s)
    for a in product.get("associates") or []:
        b.associate(a)
    report = b.report(product, subj)
    markings = [tlp2_marking(lv) for lv in sorted(b.levels)]
    return stix2.Bundle(objects=[*markings, *b.objects, report], allow_custom=False)
