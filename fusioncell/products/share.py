"""Sanitised products for a partner agency (tearlines, write-to-release).

:func:`tearline` builds the substance a partner may receive — who, where,
when, how sure — by running ``locate`` and ``network`` on the partner's
releasability view (:func:`fusioncell.security.releasability.view_for`), so
every number in it is computed from evidence the partner may see. It then:

* replaces every source by a generic descriptor
  (:func:`fusioncell.model.grading.describe_source`: "a source with good
  access, usually reliable (B)") and drops source ids, event ids,
  disciplines and methods;
* masks non-pertinent identifiers (:mod:`fusioncell.security.minimise`);
* marks every element with the most restrictive marking of its evidence
  and drops any element the partner's audience does not cover;
* scrubs every remaining string for method texts, source ids and event ids
  of the case, and refuses (``PolicyViolation``) if one survives.

What was withheld goes to the owner separately (:func:`withheld_report`),
never into the product. :func:`write_share` writes the product as STIX 2.1,
FollowTheMoney JSON lines, HTML or JSON and records the share in the audit
log.

The tearline's shape (``schema: fusioncell.tearline/1``)::

    {"schema", "case", "from", "to", "created", "as_of" (time of the latest evidence, from locate),
     "marking": {"tlp", "releasable_to"},
     "subject": {"id", "name", "identifiers"},
     "key_judgments": [str],
     "hypotheses": [{"rank", "lat", "lon", "radius_m", "probability", "likelihood",
                     "label", "windows", "marking", "evidence": [{"kind" (presence, absence, sighting, report,
                     place or other: not the model's feature), "summary",
                     "weight", "sources": [descriptor], "n_events", "confidence"}]}],
     "sightings": [{"observed", "lat", "lon", "subject", "confidence", "source", "marking"}],
     "associates": [{"identifier", "person", "relationship", "relationship_p",
                     "strength", "why" (the assessment in words, not how the tie was seen), "marking"}],
     "handling": str}
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from fusioncell.errors import NotFound, PolicyViolation, UsageError
from fusioncell.model.grading import describe_source
from fusioncell.model.markings import Marking, combine, tlp_label, tlp_max
from fusioncell.products.language import associate_line, distance, evidence_category, evidence_line
from fusioncell.security import audit
from fusioncell.security.markings import derive_marking, source_markings
from fusioncell.security.minimise import Minimiser, case_secret, protected_identifiers
from fusioncell.security.releasability import check_agency, view_for, withheld
from fusioncell.store import CaseStore

log = logging.getLogger(__name__)

SCHEMA = "fusioncell.tearline/1"
FORMATS = ("stix", "ftm", "html", "json", "geojson", "kml")
REDACTED = "[withheld]"

LocateFn = Callable[..., dict[str, Any]]
NetworkFn = Callable[..., dict[str, Any]]

#: STIX 2.1 appendix: Admiralty information credibility → confidence 0..100 (6 = no value).
ADMIRALTY_CONFIDENCE: dict[int, int] = {1: 90, 2: 70, 3: 50, 4: 30, 5: 10}


def admiralty_to_confidence(credibility: int | None) -> int | None:
    """STIX 2.1 confidence for an Admiralty credibility (``6`` / unknown → ``None``)."""
    return ADMIRALTY_CONFIDENCE.get(credibility) if credibility is not None else None


def confidence_to_admiralty(confidence: int | None) -> int:
    """Inverse of the STIX appendix mapping: 80–100 → 1 … 0–19 → 5; none → 6."""
    if confidence is None:
        return 6
    for cred, lo in ((1, 80), (2, 60), (3, 40), (4, 20)):
        if confidence >= lo:
            return cred
    return 5


def _default_locate() -> LocateFn:
    from fusioncell.infer.locate import locate

    return locate


def _default_network() -> NetworkFn:
    from fusioncell.network.report import network_report

    return network_report


def _words(p: float) -> str:
    try:
        from fusioncell.products.language import estimative

        return str(estimative(p))
    except ImportError:  # pragma: no cover - language lands with the report engineer
        return f"{p:.0%} likely"


def _judgment(text: str, p: float) -> str:
    try:
        from fusioncell.products.language import judgment

        return str(judgment(text, p))
    except ImportError:  # pragma: no cover
        return f"It is {_words(p)} ({p:.0%}) that {text}."  # unreachable: language ships with the package


def _descriptors(source_ids: Iterable[str], reliability: dict[str, str]) -> list[str]:
    return sorted({describe_source(reliability.get(s)) for s in source_ids})


def _best_credibility(view: CaseStore, event_ids: list[str]) -> int | None:
    if not event_ids:
        return None
    row = view.con.execute(
        "SELECT min(credibility) FROM reports WHERE report_id IN (SELECT unnest(?)) AND credibility BETWEEN 1 AND 5",
        [event_ids],
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


class _Scrubber:
    """Removes method texts, source ids and event ids from product strings.

    The case may hold billions of event ids, so they are never loaded: the
    product's own tokens (a few thousand at most) are looked up in the store.
    """

    _split = re.compile(r"([\s,;()\[\]{}\"'<>]+)")

    def __init__(self, store: CaseStore, product: Any) -> None:
        methods = [
            r[0].strip()
            for r in store.con.execute("SELECT DISTINCT method FROM sources WHERE method IS NOT NULL").fetchall()
            if r[0] and r[0].strip()
        ]
        self.long = sorted((m for m in methods if len(m) >= 6), key=len, reverse=True)
        self._long_re = re.compile("|".join(re.escape(m) for m in self.long), re.I) if self.long else None
        # A short all-digit id ("17") would scrub ordinary numbers out of the text and
        # reveals nothing on its own: ids are scrubbed when they carry a letter or are long.
        candidates = sorted({
            p for text in _strings(product) for p in [text, *self._split.split(text)]
            if p and (not p.isdigit() or len(p) >= 6)
        })
        rows = store.con.execute(
            """
            SELECT t FROM unnest($c) u(t) WHERE
                t IN (SELECT source_id FROM sources) OR t IN (SELECT event_id FROM comms)
                OR t IN (SELECT event_id FROM locations) OR t IN (SELECT event_id FROM sightings)
                OR t IN (SELECT report_id FROM reports)
            """,
            {"c": candidates},
        ).fetchall() if candidates else []
        self.tokens = {r[0] for r in rows} | {m for m in methods if len(m) < 6}

    def text(self, s: str) -> str:
        if self._long_re is not None:
            s = self._long_re.sub(REDACTED, s)
        if s in self.tokens:
            return REDACTED
        parts = self._split.split(s)
        return "".join(REDACTED if p in self.tokens else p for p in parts)

    def leaks(self, s: str) -> list[str]:
        found = [m for m in self.long if m.lower() in s.lower()]
        found += [p for p in self._split.split(s) if p in self.tokens]
        return found

    def walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.walk(v) for v in value]
        return value


def scrub(store: CaseStore, value: Any) -> Any:
    """``value`` (a JSON-like answer) with the case's source ids, event ids and method texts removed.

    The same scrubber every tearline passes; raises ``PolicyViolation`` if one
    would survive. The workbench applies it to every answer for a partner.
    """
    scrubber = _Scrubber(store, value)
    out = scrubber.walk(value)
    if any(scrubber.leaks(s) for s in _strings(out)):
        raise PolicyViolation("the answer would reveal a source, event or method")
    return out


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


@dataclass
class _Release:
    """What may travel to ``agency``: the view, its markings, the protected people; ``dropped`` collects the rest."""

    view: Any
    agency: str
    subject: str
    marks: dict[str, Marking]
    reliability: dict[str, str]
    protected: set[str]
    view_mark: Marking
    dropped: list[dict[str, Any]]

    def hypotheses(self, loc: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Marking], set[str]]:
        """Locate's hypotheses with only releasable evidence: (hypotheses, their markings, the events cited)."""
        element_marks: list[Marking] = []
        hyps: list[dict[str, Any]] = []
        evidence_events: set[str] = set()
        for h in loc.get("hypotheses") or []:
            ev_out = []
            h_marks = []
            for ev in h.get("evidence") or []:
                ev_ids = [str(e) for e in ev.get("event_ids") or []]
                src_ids = [str(s) for s in ev.get("source_ids") or []]
                if self.protected & set(ev.get("subjects") or []):
                    # a protected person's movements are her trace: withheld, not masked
                    self.dropped.append({"element": "evidence", "kind": ev.get("kind"), "reason": "protected person"})
                    continue
                # Evidence citing no source (a feature of the place, a model term) was
                # computed on the view as a whole: it carries the whole view's marking.
                m = derive_marking(self.view, src_ids, ev_ids, markings=self.marks) if (src_ids or ev_ids) else self.view_mark
                if not m.allows(self.agency):
                    self.dropped.append({"element": "evidence", "kind": ev.get("kind"), "reason": "not releasable"})
                    continue
                h_marks.append(m)
                evidence_events.update(ev_ids)
                srcs = (set(src_ids) | set(m.source_ids)) if (src_ids or ev_ids) else set()
                ev_out.append({
                    "kind": evidence_category(ev.get("kind")),
                    "summary": evidence_line(ev.get("kind"), list(ev.get("subjects") or []), self.subject,
                                             ev.get("summary")),
                    "weight": ev.get("weight"),
                    "sources": _descriptors(srcs, self.reliability),
                    "n_events": len(ev_ids),
                    "confidence": admiralty_to_confidence(_best_credibility(self.view, ev_ids)),
                })
            hm = combine(h_marks)
            if not ev_out or not hm.allows(self.agency):
                self.dropped.append({"element": "hypothesis", "rank": h.get("rank"), "reason": "no releasable evidence"})
                continue
            element_marks.append(hm)
            p = float(h.get("probability") or 0.0)
            hyps.append({
                "rank": len(hyps) + 1,
                "lat": h.get("lat"), "lon": h.get("lon"), "radius_m": h.get("radius_m"),
                "probability": p, "likelihood": _words(p),
                "label": h.get("label"),
                "windows": h.get("windows") or [],
                "marking": hm.tlp_label,
                "evidence": ev_out,
            })
        return hyps, element_marks, evidence_events

    def associates(self, net: dict[str, Any]) -> list[dict[str, Any]]:
        """The close circle but protected people, each marked with the whole view's marking."""
        associates = []
        for c in net.get("close_circle") or []:
            if {c.get("identifier"), c.get("person")} & self.protected:
                self.dropped.append({"element": "associate", "reason": "protected person"})
                continue
            associates.append({
                "identifier": c.get("identifier"),
                "person": c.get("person"),
                "relationship": c.get("relationship"),
                "relationship_p": c.get("relationship_p"),
                "strength": c.get("strength"),
                # the network's own reason names calls, reports and ids: the partner gets the assessment
                "why": associate_line(c.get("relationship"), c.get("relationship_p"), c.get("strength")),
            })
        # A tie computed on the view rests only on releasable sources; mark it with them.
        for a in associates:
            a["marking"] = self.view_mark.tlp_label
        return associates


def _product(info: Any, agency: str, subject: str, name: str, idents: list[str], loc: dict[str, Any],
             hyps: list[dict[str, Any]], sightings: list[dict[str, Any]], associates: list[dict[str, Any]],
             element_marks: list[Marking]) -> dict[str, Any]:
    """The ``fusioncell.tearline/1`` document, marked with the highest marking of its elements."""
    product_tlp = tlp_max([m.tlp for m in element_marks]) if element_marks else "amber"
    judgments = [
        _judgment(f"{name} is within {distance(h['radius_m'])} of {h['lat']:.4f}, {h['lon']:.4f}"
                  + (f" ({h['label']})" if h.get("label") else ""), h["probability"])
        for h in hyps if h.get("lat") is not None and h.get("radius_m") is not None
    ]
    if judgments:
        # what the listed places leave: without it a partner reads four "almost no chance" lines and no answer
        rest = min(1.0, max(0.0, 1.0 - sum(float(h.get("probability") or 0.0) for h in hyps)))
        judgments.append(_judgment(f"{name} is somewhere other than the {len(hyps)} place"
                                   f"{'s' if len(hyps) != 1 else ''} listed", rest))
    return {
        "schema": SCHEMA,
        "case": info.case_id,
        "from": info.owner_agency,
        "to": agency,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "as_of": loc.get("as_of"),
        "marking": {"tlp": tlp_label(product_tlp), "releasable_to": [agency]},
        "subject": {"id": subject, "name": name, "identifiers": idents},
        "key_judgments": judgments,
        "hypotheses": hyps,
        "sightings": sightings,
        "associates": associates,
        "handling": (
            f"{tlp_label(product_tlp)}. Prepared for {agency} by {info.owner_agency}. "
            "Sources are described generically; collection methods are not included."
        ),
    }


def tearline(
    store: CaseStore,
    to: str,
    *,
    target: str | None = None,
    top: int = 5,
    hops: int = 2,
    locate_fn: LocateFn | None = None,
    network_fn: NetworkFn | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Build the sanitised product for agency ``to`` and the owner's withheld list.

    Parameters
    ----------
    store
        The full case store (the owner's).
    to
        The recipient agency code.
    target
        Entity id of the subject (default: the case's first target).
    top, hops
        Passed to ``locate`` (number of hypotheses) and ``network`` (neighbourhood).
    locate_fn, network_fn
        The analyses to run on the view (default :func:`fusioncell.infer.locate.locate`
        and :func:`fusioncell.network.report.network_report`); injectable for tests.

    Returns
    -------
    (product, withheld)
        ``product`` follows ``fusioncell.tearline/1``; ``withheld`` is for the
        owner only and must never travel with the product.
    """
    info = store.case()
    agency = check_agency(store, to)
    if agency == info.owner_agency:
        raise UsageError(f"{agency} owns this case: a tearline is for another agency")
    subject = target or (info.targets[0] if info.targets else None)
    if subject is None:
        raise UsageError("the case names no target; pass --target")
    case_secret(store)  # pseudonyms in the product must be reversible through `unmask` on this case
    view = view_for(store, agency)
    try:
        marks = source_markings(store)
        reliability = {r[0]: r[1] for r in store.con.execute("SELECT source_id, reliability FROM sources").fetchall()}
        dropped: list[dict[str, Any]] = []
        protected = protected_identifiers(store) - set(info.targets) - _target_identifiers(store)

        loc: dict[str, Any] = {"hypotheses": []}
        try:
            loc = (locate_fn or _default_locate())(view, target=subject, top=top)
        except NotFound as exc:
            log.info("locate found nothing releasable to %s: %s", agency, exc)
        net: dict[str, Any] = {}
        focus = _focus_identifier(view, subject)
        try:
            net = (network_fn or _default_network())(view, focus=focus, hops=hops)
        except NotFound as exc:
            log.info("network found nothing releasable to %s: %s", agency, exc)

        visible_ids = [r[0] for r in view.con.execute("SELECT source_id FROM sources").fetchall()]
        view_mark = combine([marks[s] for s in visible_ids])
        rel = _Release(view, agency, subject, marks, reliability, protected, view_mark, dropped)
        hyps, element_marks, evidence_events = rel.hypotheses(loc)

        sightings = [x for x in _sightings(view, sorted(evidence_events), marks, reliability, agency)
                     if x["subject"] not in protected]
        element_marks += [marks[s["_source"]] for s in sightings]
        for s in sightings:
            del s["_source"]

        associates = rel.associates(net)
        if associates:
            element_marks.append(view_mark)

        name, idents = _subject(view, subject)
        product = _product(info, agency, subject, name, idents, loc, hyps, sightings, associates, element_marks)
        product = Minimiser(view).mask_result(product)
        scrub = _Scrubber(store, product)
        product = scrub.walk(product)
        bad = [t for s in _strings(product) for t in scrub.leaks(s)]
        if bad:
            raise PolicyViolation(f"tearline for {agency} would reveal a source, event or method ({len(bad)} found)")
        held = withheld(store, agency)
        held["dropped"] = dropped
        return product, held
    finally:
        view.close()


def _target_identifiers(store: CaseStore) -> set[str]:
    """Targets are never protected from the product about them."""
    return {str(r[0]) for r in store.con.execute(
        "SELECT identifier FROM entity_identifiers WHERE entity_id IN (SELECT entity_id FROM targets)").fetchall()}


def _focus_identifier(view: CaseStore, subject: str) -> str | None:
    """The subject's identifier that releasable comms mention most (the subject itself if none)."""
    row = view.con.execute(
        """
        SELECT identifier FROM identifiers
        WHERE identifier = $s OR identifier IN (SELECT identifier FROM entity_identifiers WHERE entity_id = $s)
        ORDER BY coalesce(n_comms, 0) DESC, identifier = $s DESC, identifier LIMIT 1
        """,
        {"s": subject},
    ).fetchone()
    return row[0] if row else subject


def _subject(view: CaseStore, subject: str) -> tuple[str, list[str]]:
    row = view.con.execute("SELECT caption FROM entities WHERE entity_id = ?", [subject]).fetchone()
    # Only identifiers that releasable records mention: an identifier known to the
    # owner alone (e.g. from a withheld intercept) stays out of the product.
    idents = [
        r[0] for r in view.con.execute(
            """
            SELECT DISTINCT identifier FROM entity_identifiers WHERE entity_id = ? AND identifier IN (
                SELECT caller FROM comms UNION SELECT callee FROM comms UNION SELECT identifier FROM locations
                UNION SELECT subject FROM sightings UNION SELECT subject FROM claims
                UNION SELECT object FROM claims WHERE object IS NOT NULL)
            ORDER BY 1
            """,
            [subject],
        ).fetchall()
    ]
    return (row[0] if row and row[0] else subject), idents


def _sightings(
    view: CaseStore, event_ids: list[str], marks: dict[str, Marking], reliability: dict[str, str], agency: str
) -> list[dict[str, Any]]:
    """Sightings the hypotheses rest on (when, where, who; no imagery details)."""
    if not event_ids:
        return []
    rows = view.con.execute(
        "SELECT observed, lat, lon, subject, confidence, source_id FROM sightings "
        "WHERE event_id IN (SELECT unnest(?)) ORDER BY observed",
        [event_ids],
    ).fetchall()
    out = []
    for observed, lat, lon, subj, conf, sid in rows:
        if not marks[sid].allows(agency):
            continue
        out.append({
            "observed": observed.astimezone(timezone.utc).isoformat() if observed else None,
            "lat": lat, "lon": lon, "subject": subj,
            "confidence": conf,
            "source": describe_source(reliability.get(sid)),
            "marking": marks[sid].tlp_label,
            "_source": sid,
        })
    return out


# -- writing ---------------------------------------------------------------

def render_html(product: dict[str, Any]) -> str:
    """A self-contained HTML tearline from ``templates/share.html.j2`` (autoescaped, like the report).

    Every string in the product is escaped by Jinja2, so a label or summary
    carrying markup shows as text; probabilities go through
    :func:`fusioncell.products.language.percent` (never "0%").
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

    from fusioncell.products.language import percent

    hyps = []
    for h in product.get("hypotheses") or []:
        p = h.get("probability")
        hyps.append({**h, "percent": percent(float(p)) if isinstance(p, (int, float)) else ""})
    env = Environment(loader=PackageLoader("fusioncell.products", "templates"),
                      autoescape=select_autoescape(["j2", "html"]))
    return env.get_template("share.html.j2").render(p=product, tlp=product["marking"]["tlp"], hyps=hyps) + "\n"


def tearline_to_geojson(product: dict[str, Any]) -> dict[str, Any]:
    """The sanitised tearline as a GeoJSON FeatureCollection (for QGIS, ArcGIS, a browser map).

    Built from the product after releasability, protection and minimisation
    were applied, so it carries nothing the other formats would not: each
    hypothesis a Point with its probability, ICD 203 word, radius, label and
    marking; each releasable sighting a Point. Coordinates are [lon, lat].
    """
    feats: list[dict[str, Any]] = []
    for h in product.get("hypotheses") or []:
        if h.get("lat") is None or h.get("lon") is None:
            continue
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [h["lon"], h["lat"]]},
                      "properties": {"kind": "hypothesis", "rank": h.get("rank"), "probability": h.get("probability"),
                                     "likelihood": h.get("likelihood"), "radius_m": h.get("radius_m"),
                                     "label": h.get("label"), "marking": h.get("marking")}})
    for x in product.get("sightings") or []:
        if x.get("lat") is None or x.get("lon") is None:
            continue
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [x["lon"], x["lat"]]},
                      "properties": {"kind": "sighting", "subject": x.get("subject"), "observed": x.get("observed"),
                                     "confidence": x.get("confidence"), "marking": x.get("marking")}})
    return {"type": "FeatureCollection", "features": feats,
            "properties": {"case": product.get("case"), "to": product.get("to"), "marking": product.get("marking"),
                           "handling": product.get("handling")}}


def tearline_to_kml(product: dict[str, Any]) -> str:
    """The sanitised tearline as KML 2.2 (Google Earth, QGIS): the same points as :func:`tearline_to_geojson`.

    Built from the product after releasability, protection and minimisation,
    so it carries nothing the other formats would not. Text is XML-escaped by
    ElementTree; coordinates are ``lon,lat``.
    """
    import xml.etree.ElementTree as ET

    from fusioncell.products.language import percent

    ns = "http://www.opengis.net/kml/2.2"
    ET.register_namespace("", ns)
    root = ET.Element(f"{{{ns}}}kml")
    doc = ET.SubElement(root, f"{{{ns}}}Document")
    tlp = str((product.get("marking") or {}).get("tlp") or "")
    ET.SubElement(doc, f"{{{ns}}}name").text = f"{tlp} tearline for {product.get('to')}: {product.get('case')}"
    ET.SubElement(doc, f"{{{ns}}}description").text = str(product.get("handling") or "")

    def mark(name: str, desc: str, lon: Any, lat: Any, data: dict[str, Any]) -> None:
        pm = ET.SubElement(doc, f"{{{ns}}}Placemark")
        ET.SubElement(pm, f"{{{ns}}}name").text = name
        ET.SubElement(pm, f"{{{ns}}}description").text = desc
        ext = ET.SubElement(pm, f"{{{ns}}}ExtendedData")
        for k, v in data.items():
            d = ET.SubElement(ext, f"{{{ns}}}Data", name=k)
            ET.SubElement(d, f"{{{ns}}}value").text = "" if v is None else str(v)
        pt = ET.SubElement(pm, f"{{{ns}}}Point")
        ET.SubElement(pt, f"{{{ns}}}coordinates").text = f"{float(lon)!r},{float(lat)!r}"

    for h in product.get("hypotheses") or []:
        if h.get("lat") is None or h.get("lon") is None:
            continue
        p = h.get("probability")
        pct = f" ({percent(float(p))})" if isinstance(p, (int, float)) else ""
        mark(f"#{h.get('rank')} {h.get('label') or 'hypothesis'}", f"{h.get('likelihood') or ''}{pct}",
             h["lon"], h["lat"], {"kind": "hypothesis", "probability": p, "radius_m": h.get("radius_m"),
                                  "marking": h.get("marking")})
    for x in product.get("sightings") or []:
        if x.get("lat") is None or x.get("lon") is None:
            continue
        mark(f"sighting of {x.get('subject') or 'subject'}", str(x.get("observed") or ""), x["lon"], x["lat"],
             {"kind": "sighting", "observed": x.get("observed"), "confidence": x.get("confidence"),
              "marking": x.get("marking")})
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def serialise(product: dict[str, Any], fmt: str) -> str:
    """The product in one of :data:`FORMATS` as text."""
    if fmt == "json":
        return json.dumps(product, ensure_ascii=False, indent=2, default=str) + "\n"
    if fmt == "html":
        return render_html(product)
    if fmt == "stix":
        from fusioncell.products.stix import tearline_to_stix

        return str(tearline_to_stix(product).serialize(pretty=True)) + "\n"
    if fmt == "kml":
        return tearline_to_kml(product)
    if fmt == "geojson":
        return json.dumps(tearline_to_geojson(product), ensure_ascii=False, indent=1) + "\n"
    if fmt == "ftm":
        from fusioncell.products.ftm_export import tearline_to_ftm

        return "".join(json.dumps(ent, ensure_ascii=False, sort_keys=True) + "\n" for ent in tearline_to_ftm(product))
    raise UsageError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")


def withheld_path(out: Path) -> Path:
    """Where the owner's withheld list is written beside a product."""
    return out.with_name(out.name + ".OWNER-ONLY.withheld.json")


def write_share(
    store: CaseStore,
    to: str,
    out: Path,
    fmt: str = "stix",
    *,
    target: str | None = None,
    why: str | None = None,
    actor: str | None = None,
    locate_fn: LocateFn | None = None,
    network_fn: NetworkFn | None = None,
) -> dict[str, Any]:
    """Build, write and audit a product for ``to``; return a summary for the owner.

    The product goes to ``out``; the withheld list to :func:`withheld_path`
    (``<out>.OWNER-ONLY.withheld.json``). The audit entry records the
    recipient, format, the product's SHA-256 and how much was withheld.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    product, held = tearline(store, to, target=target, locate_fn=locate_fn, network_fn=network_fn)
    text = serialise(product, fmt)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    wpath = withheld_path(out)
    wpath.write_text(json.dumps(held, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    entry = audit.record(
        store, "share",
        {"to": product["to"], "format": fmt, "sha256": digest, "tlp": product["marking"]["tlp"],
         "hypotheses": len(product["hypotheses"]), "withheld_sources": len(held["sources"])},
        why=why, actor=actor,
    )
    return {
        "out": str(out), "withheld": str(wpath), "to": product["to"], "format": fmt,
        "tlp": product["marking"]["tlp"], "sha256": digest, "hypotheses": len(product["hypotheses"]),
        "associates": len(product["associates"]),
        "withheld_sources": [s["source_id"] for s in held["sources"]], "audit_seq": entry.seq,
    }
