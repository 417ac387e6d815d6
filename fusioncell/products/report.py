"""The intelligence product: ``fusioncell report CASE --out DIR``.

Two halves, so the renderer is tested without a store:

1. :func:`gather` (:mod:`fusioncell.products.gather`) reads the case store and calls the analysis stages
   (``infer.locate``, ``infer.plan``, ``network.report``, ``spacetime``),
   each imported lazily and guarded: a stage that is missing or fails turns
   its section into "not available: <reason>" instead of sinking the report.
   Tracks, cell sites, informant areas and sightings come straight from the
   store's tables (:mod:`fusioncell.store.schema`), aggregated in SQL.
2. :func:`render_report` turns that plain context (dicts, lists, numpy
   arrays) into one self-contained HTML page: inline CSS, figures as
   base64 PNG, no script, no font, no link to anything outside the file, so
   it opens on an air-gapped network. :func:`write_pdf` draws the same
   content into a PDF with matplotlib (no external PDF engine needed).

Key judgments come first and use ICD 203 words
(:mod:`fusioncell.products.language`); analytic confidence is a sentence of
its own. Identifiers are passed through the security stage's minimisation
(``fusioncell.security.minimise``) when it is present, and the product is
recorded in the audit log when that is present.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from matplotlib.figure import Figure

from fusioncell.errors import UsageError
from fusioncell.infer.judgment import UNSEEN_TRIPS_NOTE
from fusioncell.model.grading import CREDIBILITY, RELIABILITY
from fusioncell.products import figures as F
from fusioncell.products.gather import MAX_FIXES_PER_TRACK, MEETING_MIN_P, _tracks, gather  # noqa: F401 (re-exported)
from fusioncell.products.language import (
    RELATIONSHIP_PHRASES,
    confidence_level,
    confidence_sentence,
    estimative,
    evidence_kind,
    judgment,
    mixes_likelihood_and_confidence,
    percent,
)

log = logging.getLogger(__name__)

#: Sections of the report and what each needs from the context.
SECTIONS = ("locate", "plan", "network", "ties", "places", "visits", "meetings", "dark", "tracks")
#: Most evidence rows listed per hypothesis (the JSON of ``locate`` has all).
EVIDENCE_PER_HYPOTHESIS = 12
#: Hypotheses whose evidence is listed.
EVIDENCE_HYPOTHESES = 3
_URL_RE = re.compile(r"\b(h)(ttps?)(://)", re.IGNORECASE)


# -- small helpers -------------------------------------------------------------

def defang(text: str) -> str:
    """Neutralise URLs in text that came from a case (``https://`` -> ``hxxps://``).

    Threat-intelligence practice: a product never carries a live link, and the
    offline report never references anything outside itself.

    >>> defang("see https://example.org and http://x")
    'see hxxps://example.org and hxxp://x'
    """
    return _URL_RE.sub(lambda m: f"{m.group(1)}xx{m.group(2)[2:]}{m.group(3)}", text)


def _fmt_time(value: Any, tz: ZoneInfo) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        when = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return str(when.astimezone(tz).strftime("%Y-%m-%d %H:%M"))
    return str(value)


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def sort_hypotheses(hypotheses: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Hypotheses best first: by probability, ties by the given rank; ranks renumbered 1..n.

    >>> [h["label"] for h in sort_hypotheses([{"label": "b", "probability": 0.2}, {"label": "a", "probability": 0.7}])]
    ['a', 'b']
    """
    indexed = list(enumerate(hypotheses))
    indexed.sort(key=lambda t: (-float(t[1].get("probability") or 0.0), float(t[1].get("rank") or t[0] + 1), t[0]))
    out = []
    for new_rank, (_, h) in enumerate(indexed, start=1):
        d = dict(h)
        d["rank"] = new_rank
        out.append(d)
    return out


# -- key judgments ----------------------------------------------------------------

def _windows_text(windows: Sequence[Mapping[str, Any]], tz: ZoneInfo, n: int = 3) -> str:
    """The ``n`` longest time windows, in time order, as local times."""
    if not windows:
        return ""

    def length_s(w: Mapping[str, Any]) -> float:
        try:
            a, b = (datetime.fromisoformat(str(w[k])) if not isinstance(w[k], datetime) else w[k] for k in ("from", "to"))
            return float((b - a).total_seconds())
        except (KeyError, TypeError, ValueError):
            return 0.0

    chosen = sorted(sorted(windows, key=length_s, reverse=True)[:n], key=lambda w: str(w.get("from")))
    parts = []
    for w in chosen:
        a, b = _fmt_time(w.get("from"), tz), _fmt_time(w.get("to"), tz)
        parts.append(a if a == b else f"{a} – {b[11:] if a[:10] == b[:10] else b}")
    more = f" (and {len(windows) - n} shorter)" if len(windows) > n else ""
    return "; ".join(parts) + more


def evidence_basis(
    hypothesis: Mapping[str, Any], sources: Mapping[str, Mapping[str, Any]]
) -> tuple[int, int, int, int]:
    """(items, distinct sources, disciplines, agencies) behind one hypothesis."""
    items = list(hypothesis.get("evidence") or [])
    sids = {str(s) for e in items for s in (e.get("source_ids") or [])}
    disciplines = {str(sources[s].get("discipline")) for s in sids if s in sources}
    agencies = {str(sources[s].get("agency")) for s in sids if s in sources}
    return len(items), len(sids), len(disciplines), len(agencies)


def _leading_area(loc: Mapping[str, Any], p1: float) -> Mapping[str, Any] | None:
    """The most probable area of overlapping places, when it says more than the top place alone."""
    areas = list(loc.get("areas") or [])
    if not areas:
        return None
    a: Mapping[str, Any] = areas[0]
    if int(a.get("places") or 1) < 2 or float(a.get("probability") or 0.0) < p1 + 0.05:
        return None
    return a


#: The parts of a plan reason a key judgment keeps (the rest is in the collection plan section): who the person
#: is to him, that her phone must first be confirmed, that it continues a tracking, the decoy risk.
_GIST = ("the likeliest phone of", "confirm it first", "takes over from", "decoy risk")


def plan_gist(why: str) -> str:
    """A plan recommendation's reason cut to what a key judgment says: its first part (the role) and the parts
    that change what the analyst does (confirm her number first, re-task a tracking, decoy risk); its
    measures (lead probability, nights away, the report that named the person) stay in the collection plan.

    >>> plan_gist("partner of the target (alias:La Negra); leads to his place with p≈0.40 if tracked; away from "
    ...           "its usual cell site on 25% of nights; takes over from +523415263486, which the investigation "
    ...           "tracks: tracking it continues that tracking (a new number: 15 of 16 contacts shared); not yet tracked")
    'partner of the target (alias:La Negra); takes over from +523415263486, which the investigation tracks: tracking it continues that tracking'
    """
    parts = [x.strip() for x in why.split("; ") if x.strip()]
    keep = parts[:1] + [x for x in parts[1:] if x.startswith(_GIST)]
    # the succession's evidence, in brackets, is the collection plan's detail too
    return "; ".join(re.sub(r" \((?:a new number|a group phone switch).*\)$", "", x) for x in keep)


#: Below this expected gain (bits) the best tracking left is judged to change little (a tenth of the
#: uncertainty of an even choice between two places is 0.1 bit; 0.05 is half that)
LITTLE_GAIN_BITS = 0.05
#: An alternative place is a key judgment when it holds at least this (ICD 203: "very unlikely" starts at 5%;
#: below, "almost no chance" places read as noise beside the ones that matter, and the table lists them)
MIN_ALTERNATIVE_P = 0.05


def _unseen_clause(loc: Mapping[str, Any]) -> str:
    """What the "elsewhere" judgment adds when her silent trips that no listed place explains raised it: where
    they point (locate's first blind spot). An evidence statement, no likelihood word.

    >>> print(_unseen_clause({"unexplained_silent_trips": 2.1, "blind_spots": [{"lat": 20.3883, "lon": -103.5723,
    ...       "radius_m": 12200, "silent_nights": 7, "of_silent_nights": 7}]}).strip())
    His partner's silent trips, which none of the listed places explains, point at a coverage hole around 20.3883, -103.5723 (within 12 km; 7 of her 7 silent nights).
    >>> print(_unseen_clause({"unexplained_silent_trips": 2.1, "blind_spots": [{"lat": 20.3883, "lon": -103.5723,
    ...       "radius_m": 12200, "places": [2]}]}).strip())
    His partner's silent trips, which none of the listed places explains, point at a coverage hole around 20.3883, -103.5723 (within 12 km); listed place 2 lies inside it, out of coverage.
    >>> _unseen_clause({"unexplained_silent_trips": 0.2, "blind_spots": [{"lat": 20.0, "lon": -103.0}]})
    ''
    """
    spots = loc.get("blind_spots") or []
    if float(loc.get("unexplained_silent_trips") or 0.0) < UNSEEN_TRIPS_NOTE or not spots:
        return ""
    b = spots[0]
    nights = (f"; {b['silent_nights']} of her {b['of_silent_nights']} silent nights"
              if b.get("silent_nights") is not None and b.get("of_silent_nights") is not None else "")
    places = [int(r) for r in b.get("places") or []]
    held = ("; listed place" + ("s " if len(places) > 1 else " ") + ", ".join(str(r) for r in places)
            + (" lie" if len(places) > 1 else " lies") + " inside it, out of coverage") if places else ""
    return (f" His partner's silent trips, which none of the listed places explains, point at a coverage hole around "
            f"{float(b['lat']):.4f}, {float(b['lon']):.4f} (within {float(b.get('radius_m') or 0) / 1000:.0f} km{nights})"
            f"{held}.")


def _elsewhere_leads(loc: Mapping[str, Any], hyps: Sequence[Mapping[str, Any]]) -> bool:
    """Whether "somewhere else" holds more than the first listed place (and her silent trips say why).

    >>> _elsewhere_leads({"unexplained_silent_trips": 2.0}, [{"probability": 0.34}])
    True
    >>> _elsewhere_leads({"unexplained_silent_trips": 2.0}, [{"probability": 0.6}])
    False
    """
    rest = 1.0 - sum(float(h.get("probability") or 0.0) for h in hyps)
    return (float(loc.get("unexplained_silent_trips") or 0.0) >= UNSEEN_TRIPS_NOTE
            and rest > float(hyps[0].get("probability") or 0.0))


def key_judgments(ctx: Mapping[str, Any]) -> list[dict[str, str]]:
    """The key judgments, most important first, as ``{"kind", "text"}`` items.

    Likelihood sentences use :func:`~fusioncell.products.language.judgment`;
    the analytic-confidence statement is its own item and contains no
    likelihood word (checked here: a violation raises, it is a bug).
    """
    tz = ZoneInfo(str(ctx.get("case", {}).get("timezone") or "UTC"))
    name = _namer(ctx)
    target = _target_name(ctx)
    out: list[dict[str, str]] = []
    loc = ctx.get("locate") or {}
    hyps = sort_hypotheses(loc.get("hypotheses") or [])
    if hyps:
        h1 = hyps[0]
        p1 = float(h1.get("probability") or 0.0)
        as_of = _fmt_time(loc.get("as_of"), tz)
        where = f"{h1.get('label') or 'an unnamed place'} ({float(h1['lat']):.4f}, {float(h1['lon']):.4f}; within {int(float(h1.get('radius_m') or 0))} m)"
        when = f" as of {as_of} local time" if as_of else ""
        out.append({"kind": "location", "text": judgment(f"{target} is at or near {where}{when}", p1)})
        area = _leading_area(loc, p1)
        if area is not None:
            out.append({"kind": "location", "text": judgment(
                f"he is within {int(area['radius_m'])} m of {float(area['lat']):.4f}, {float(area['lon']):.4f}, "
                f"an area holding {area['places']} of the places considered", float(area["probability"]))})
        win = _windows_text(h1.get("windows") or [], tz)
        if win:
            out.append({"kind": "location", "text": f"The evidence places him there mostly in these windows: {win}."})
        for h in hyps[1:3]:
            p = float(h.get("probability") or 0.0)
            if p < MIN_ALTERNATIVE_P:  # "almost no chance" places are in the hypotheses table, not judgments
                continue
            out.append({"kind": "alternative", "text": judgment(
                f"he is instead at {h.get('label') or 'another place'} ({float(h['lat']):.4f}, {float(h['lon']):.4f})", p)})
        rest = max(0.0, min(1.0, 1.0 - sum(float(h.get("probability") or 0.0) for h in hyps)))
        out.append({"kind": "alternative", "text": judgment(
            # the judgments above name three places at most: the count refers to the table that lists them all
            f"he is somewhere other than the {len(hyps)} place{'s' if len(hyps) != 1 else ''} in the hypotheses table",
            rest) + _unseen_clause(loc)})
        n_items, n_src, n_disc, n_ag = evidence_basis(h1, ctx.get("sources") or {})
        p2 = float(hyps[1].get("probability") or 0.0) if len(hyps) > 1 else 0.0
        moved = bool((h1.get("support") or {}).get("may_have_moved"))
        level = confidence_level(n_src, n_disc, n_ag, p1 - p2, dated=moved)
        basis = (f"{n_items} evidence item{'s' if n_items != 1 else ''} from {n_src} source{'s' if n_src != 1 else ''} "
                 f"in {n_disc} discipline{'s' if n_disc != 1 else ''} held by {n_ag} agenc{'ies' if n_ag != 1 else 'y'}, "
                 f"with a margin of {round((p1 - p2) * 100):d} points over the next place"
                 + ("; his partner's visits there have stopped or gone elsewhere, so the evidence may describe where "
                    "he was" if moved else ""))
        out.append({"kind": "confidence", "text": confidence_sentence(level, basis).replace(
            "this assessment", "the location assessment")})
    else:
        why = (ctx.get("missing") or {}).get("locate", "the locate stage returned no hypothesis")
        out.append({"kind": "location", "text": f"No location judgment can be made from this case: {why}."})
    net = ctx.get("network") or {}
    circle = list(net.get("close_circle") or [])
    partners = [c for c in circle if c.get("relationship") == "partner"]
    partners.sort(key=lambda c: -float(c.get("relationship_p") or 0.0))
    # The romantic partner first (partners lead to hideouts), then the closest tie.
    for c in ([partners[0]] if partners else []) + ([circle[0]] if circle and circle[0] not in partners[:1] else []):
        focus = name(str(net.get("focus") or ctx.get("target") or "the focus"))
        rel = str(c.get("relationship") or "contact")
        who = name(str(c.get("identifier")))
        person = c.get("person")
        # the person is the partner or the friend, the identifier only how the case sees her: her plate is no partner
        who_text = f"{name(str(person))} ({who})" if person and str(person) != str(c.get("identifier")) else who
        p_rel = c.get("relationship_p")
        if p_rel is not None and rel not in ("", "unknown", "contact"):
            out.append({"kind": "network", "text": judgment(
                f"{who_text} is {RELATIONSHIP_PHRASES.get(rel, 'a ' + rel + ' contact')} of {focus}", float(p_rel))})
        else:
            out.append({"kind": "network", "text": f"{who_text} is the closest tie of {focus} (strength {_num(c.get('strength'))})."})
    hole = [x for x in imagery_rows(ctx) if x["kind"] == "coverage hole"]
    if hole and hyps and _elsewhere_leads(loc, hyps):  # the likeliest answer is the hole: look there first
        out.append({"kind": "plan", "text": "The likeliest answer is none of the listed places, so the aerial pass "
                    f"over the coverage hole at {hole[0]['where']} comes first: {hole[0]['why'].rstrip('.')}."})
    confirm = [x for x in imagery_rows(ctx) if x["kind"] == "confirm"]
    if confirm:  # before the next tracking: the check a raid needs
        out.append({"kind": "plan", "text": "Before anyone acts on the first place, confirm it from the air: "
                    f"{confirm[0]['why'].split('; a sighting of him')[0]}."})
    recs = (ctx.get("plan") or {}).get("recommendations") or []
    if recs:
        r = recs[0]
        who = name(str(r.get("identifier")))
        person = r.get("person")
        who_text = f"{who} ({name(str(person))})" if person else who
        why = _named_text(ctx, plan_gist(str(r.get("why") or ""))).strip().rstrip(".")
        gain = float(r.get("expected_gain") or 0.0)
        if gain < LITTLE_GAIN_BITS:  # a judgment that the next tracking matters would mislead
            out.append({"kind": "plan", "text": "No phone left to track is expected to change the picture much: the "
                        f"best, {who_text}, would gain {_num(gain, 3)} bits of the uncertainty about where he is."})
        else:
            out.append({"kind": "plan", "text": f"Monitoring {who_text} is the collection step expected to reduce the "
                        f"uncertainty most (expected gain {_num(gain, 3)} bits){': ' + why if why else ''}."})
    for item in out:
        item["text"] = defang(item["text"])
    # Our own sentences never mix the two (confidence_sentence refuses it);
    # text quoted from a stage (a label, a "why") could, so say so in the log.
    for sentence in mixes_likelihood_and_confidence(" ".join(i["text"] for i in out)):
        log.warning("report: a key judgment mixes likelihood and confidence words: %r", sentence)
    return out


# -- figures ------------------------------------------------------------------------

#: What each of plan's aerial tasks is for, in the product's words
IMAGERY_KIND = {"confirm": "confirm the leading place", "toss-up": "settle a toss-up",
                "coverage hole": "look inside a coverage hole"}


def imagery_rows(ctx: Mapping[str, Any]) -> list[dict[str, str]]:
    """Plan's aerial tasks for the product: ``kind``, what it is for, where, and why."""
    rows = []
    for x in (ctx.get("plan") or {}).get("imagery") or []:
        kind = str(x.get("kind") or "")
        why = str(x.get("why") or "")
        rows.append({"kind": kind, "what": IMAGERY_KIND.get(kind, kind),
                     "where": f"{float(x['lat']):.4f}, {float(x['lon']):.4f} within {float(x['radius_m']) / 1000:.1f} km",
                     "why": defang(why)})
    return rows


def _target_name(ctx: Mapping[str, Any]) -> str:
    """The target as "Name (entity id)" when the case gives a name."""
    tgt = str(ctx.get("target") or "the target")
    caption = (ctx.get("names") or {}).get(tgt)
    return f"{caption} ({tgt})" if caption else tgt


def _namer(ctx: Mapping[str, Any]) -> Callable[[str], str]:
    names = ctx.get("names") or {}
    return lambda ident: str(names.get(ident, ident))


def _network_graph(ctx: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """Nodes and edges for the network chart: focus + close circle + key players."""
    net = ctx.get("network") or {}
    name = _namer(ctx)
    focus = net.get("focus") or ctx.get("target")
    circle = list(net.get("close_circle") or [])
    players = list(net.get("key_players") or [])
    score = {str(k.get("identifier")): float(k.get("score") or 0.0) for k in players}
    ids: list[str] = []
    for ident in ([str(focus)] if focus else []) + [str(c.get("identifier")) for c in circle] + \
            [str(k.get("identifier")) for k in players[:10]]:
        if ident not in ids:
            ids.append(ident)
    ties = ctx.get("ties")
    edges: list[dict[str, Any]] = []
    if ties:
        idset = set(ids)
        edges = [dict(t) for t in ties if str(t.get("a")) in idset and str(t.get("b")) in idset]
    if not edges and focus:
        edges = [{"a": str(focus), "b": str(c.get("identifier")), "strength": c.get("strength"),
                  "relationship": c.get("relationship")} for c in circle]
    connected = {str(e["a"]) for e in edges} | {str(e["b"]) for e in edges} | ({str(focus)} if focus else set())
    person = {str(c.get("identifier")): c.get("person") for c in circle + players if c.get("person")}
    label = {i: name(str(person[i])) if i in person else name(i) for i in ids}
    nodes = [{"id": i, "label": _short(label[i]), "score": score.get(i, 0.0)} for i in ids if i in connected]
    return nodes, edges, str(focus) if focus else None


#: Where free text from a stage splits into words: an id ends before white space, a bracket or a separator.
_TEXT_SPLIT_RE = re.compile(r"(\s+|[,;()\[\]{}\"'<>]|:(?=\s)|\.(?=\s|$))")


def _named_text(ctx: Mapping[str, Any], text: str) -> str:
    """Free text of a stage with each id the case names replaced by its name ("ent-7" -> "Adriana C.").

    >>> _named_text({"names": {"ent-7": "Adriana C."}}, "report r-1 (B2): ent-7 partner_of ent-9")
    'report r-1 (B2): Adriana C. partner_of ent-9'
    """
    names = ctx.get("names") or {}
    return "".join(str(names.get(part, part)) for part in _TEXT_SPLIT_RE.split(text)) if names else text


def _row_label(ctx: Mapping[str, Any], ident: str) -> str:
    """An identifier with the name of the person it belongs to, when the stages know it."""
    name = _namer(ctx)
    net = ctx.get("network") or {}
    for item in list(net.get("close_circle") or []) + list(net.get("key_players") or []) + \
            list((ctx.get("plan") or {}).get("recommendations") or []):
        if str(item.get("identifier")) == ident and item.get("person") and str(item["person"]) != ident:
            return f"{name(ident)} · {_short(name(str(item['person'])), 22)}"
    return name(ident)


def _short(text: str, n: int = 28) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def build_figures(ctx: Mapping[str, Any]) -> dict[str, Figure | None]:
    """Every figure of the report (``None`` where its data is missing)."""
    tz = str((ctx.get("case") or {}).get("timezone") or "UTC")
    hyps = sort_hypotheses((ctx.get("locate") or {}).get("hypotheses") or [])
    figs: dict[str, Figure | None] = {"map": None, "hypotheses": None, "network": None, "timeline": None}
    tracks = ctx.get("tracks") or {}
    places = ctx.get("places") or []
    if hyps or tracks or places:
        figs["map"] = F.map_figure(hyps, places, tracks, track_labels={k: _row_label(ctx, k) for k in tracks},
                                   towers=ctx.get("towers"), areas=ctx.get("areas") or [],
                                   sightings=ctx.get("sightings") or [],
                                   blind_spots=(ctx.get("locate") or {}).get("blind_spots") or [])
    if hyps:
        figs["hypotheses"] = F.hypothesis_chart(hyps)
    if ctx.get("network"):
        nodes, edges, focus = _network_graph(ctx)
        if nodes:
            figs["network"] = F.network_figure(nodes, edges, focus=focus)
    stays = ctx.get("visits") or []
    dark = ctx.get("dark") or []
    meets = ctx.get("meetings") or []
    if stays or dark or meets:
        with_data = {str(i.get("identifier")) for i in list(stays) + list(dark)} | \
            {str(p) for m in meets for p in m.get("participants") or []}
        rows: list[str] = [r for r in (ctx.get("timeline_ids") or tracks) if r in with_data]
        for ident in sorted(with_data - set(rows)):
            if len(rows) >= 16:
                break
            rows.append(ident)
        figs["timeline"] = F.timeline_figure(rows, row_labels={r: _row_label(ctx, r) for r in rows}, stays=stays,
                                             dark=dark, meetings=meets, timezone=tz)
    return figs


# -- tables -------------------------------------------------------------------------

def evidence_rows(ctx: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Evidence of the leading hypotheses with grades and agencies; and how many were left out.

    Reliability comes from the source (sources table), credibility from the
    graded report or claim the evidence cites (``credibility`` map keyed by
    report id); an observation has no credibility grade ("–").
    """
    sources: Mapping[str, Mapping[str, Any]] = ctx.get("sources") or {}
    cred: Mapping[str, Any] = ctx.get("credibility") or {}
    hyps = sort_hypotheses((ctx.get("locate") or {}).get("hypotheses") or [])
    rows: list[dict[str, Any]] = []
    left = 0
    for h in hyps[:EVIDENCE_HYPOTHESES]:
        items = sorted(h.get("evidence") or [], key=lambda e: -abs(float(e.get("weight") or 0.0)))
        left += max(0, len(items) - EVIDENCE_PER_HYPOTHESIS)
        for e in items[:EVIDENCE_PER_HYPOTHESIS]:
            sids = [str(s) for s in (e.get("source_ids") or [])]
            evs = [str(x) for x in (e.get("event_ids") or [])]
            rels = sorted({str(sources[s].get("reliability")) for s in sids if s in sources and sources[s].get("reliability")})
            creds = sorted({int(cred[x]) for x in evs if cred.get(x) is not None})
            rel = rels[0] if rels else "–"  # best reliability first (A < B < ...)
            cr = str(creds[0]) if creds else "–"
            grade = f"{rel}{cr}" if rels or creds else "–"
            grade_text = "; ".join(filter(None, [RELIABILITY.get(rel, ""), CREDIBILITY.get(int(cr), "") if cr.isdigit() else ""]))
            rows.append({
                "rank": h["rank"],
                "kind": str(e.get("kind") or ""),
                "kind_words": evidence_kind(e.get("kind")),
                "summary": defang(str(e.get("summary") or "")),
                # the summary names a phone by its handle ("P-16ff5b"); the map and timeline by its number. A cell
                # that carries a number carries identifiers alone, no names beside them: the one shape the exit
                # minimiser masks whole (tests/test_protected_root.py)
                "who": defang(", ".join(str(i) for i in (e.get("identifiers") or []))),
                "weight": float(e.get("weight") or 0.0),
                "grade": grade,
                "grade_text": grade_text,
                "sources": ", ".join(sids) or "–",
                "disciplines": ", ".join(sorted({str(sources[s].get("discipline")) for s in sids if s in sources})) or "–",
                "agencies": ", ".join(sorted({str(sources[s].get("agency")) for s in sids if s in sources})) or "–",
                "events": ", ".join(evs[:4]) + (f" +{len(evs) - 4}" if len(evs) > 4 else ""),
            })
    left += sum(len(h.get("evidence") or []) for h in hyps[EVIDENCE_HYPOTHESES:])
    return rows, left


#: Borgatti's key-player sets, as the report names them (docs/network.md).
_KPP_SETS = {"kpp_pos": "in the reach set", "kpp_neg": "in the disruption set"}


def _measures_text(measures: Mapping[str, Any]) -> str:
    """A key player's measures in words: "degree 29 · weighted degree 16.572 · in the reach set".

    A set the person is not in is left out rather than printed as ``kpp_pos=False``.

    >>> _measures_text({"degree": 29, "betweenness": 0.6781, "kpp_pos": True, "kpp_neg": False})
    'degree 29 · betweenness 0.678 · in the reach set'
    """
    parts = []
    for key, value in measures.items():
        if key in _KPP_SETS:
            if value:
                parts.append(_KPP_SETS[key])
            continue
        parts.append(f"{key.replace('_', ' ')} {_num(value, 3) if isinstance(value, float) else value}")
    return " · ".join(parts)


def _png_b64(fig: Figure | None) -> str | None:
    return base64.b64encode(F.to_png(fig)).decode("ascii") if fig is not None else None


def _marking(ctx: Mapping[str, Any]) -> str:
    m = ctx.get("marking")
    if m:
        return str(m)
    owner = (ctx.get("case") or {}).get("owner_agency") or "owner"
    return f"TLP:AMBER+STRICT · {owner} ONLY · not releasable without a tearline product"


def render_report(ctx: Mapping[str, Any], figures: Mapping[str, Figure | None] | None = None) -> str:
    """The self-contained HTML report for a gathered context.

    Parameters
    ----------
    ctx : mapping
        ``case`` (case_id, title, owner_agency, legal_authority, timezone),
        ``target``, and optionally ``locate``, ``plan``, ``network`` (the
        CLI contract's JSON shapes), ``ties``, ``places``, ``visits``,
        ``meetings``, ``dark`` (lists of dicts), ``tracks`` (identifier ->
        (lat, lon) arrays), ``towers``, ``areas``, ``sightings``, ``sources``
        (source_id -> agency, discipline, reliability), ``credibility``
        (report id -> 1..6), ``names`` (identifier -> display, masked),
        ``missing`` (section -> reason it is not available), ``marking``.
    figures : mapping, optional
        Figures from :func:`build_figures` (built here when omitted).

    Returns
    -------
    str
        HTML with inline CSS and base64 PNG figures; no external reference.
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

    figures = build_figures(ctx) if figures is None else figures
    case = dict(ctx.get("case") or {})
    tz = ZoneInfo(str(case.get("timezone") or "UTC"))
    name = _namer(ctx)
    missing = {k: defang(str(v)) for k, v in (ctx.get("missing") or {}).items()}
    for key, section in (("map", "tracks"), ("timeline", "visits")):
        missing.setdefault(key, missing.get(section) or "no data for it in this case")
    missing.setdefault("network", "no network data in this case")
    for key in ("locate", "plan"):
        missing.setdefault(key, f"the {key} stage returned nothing")
    loc = ctx.get("locate") or {}
    hyps = sort_hypotheses(loc.get("hypotheses") or [])
    for h in hyps:
        p = min(1.0, max(0.0, float(h.get("probability") or 0.0)))
        h.update(percent=percent(p), word=estimative(p), windows_text=_windows_text(h.get("windows") or [], tz),
                 n_evidence=len(h.get("evidence") or []), label=defang(str(h.get("label") or "")))
    rest = max(0.0, min(1.0, 1.0 - sum(float(h.get("probability") or 0.0) for h in hyps)))
    net = ctx.get("network") or {}
    close = [dict(c, identifier=name(str(c.get("identifier"))), person=name(str(c["person"])) if c.get("person") else "–",
                  strength=_num(c.get("strength")), relationship_p=_num(c.get("relationship_p")),
                  why=defang(_named_text(ctx, str(c.get("why") or "")))) for c in (net.get("close_circle") or [])[:15]]
    players = [dict(k, identifier=name(str(k.get("identifier"))), person=name(str(k["person"])) if k.get("person") else "–",
                    score=_num(k.get("score")),
                    measures=_measures_text(k.get("measures") or {}))
               for k in (net.get("key_players") or [])[:10]]
    burners = [dict(b, old=name(str(b.get("old"))), new=name(str(b.get("new"))), score=_num(b.get("score")),
                    handover=_fmt_time(b.get("handover"), tz), why=defang(str(b.get("why") or "")))
               for b in (net.get("burner_successions") or [])[:10]]
    recs = [dict(r, identifier=name(str(r.get("identifier"))), person=name(str(r["person"])) if r.get("person") else "–",
                 expected_gain=_num(r.get("expected_gain"), 3), why=defang(_named_text(ctx, str(r.get("why") or ""))))
            for r in ((ctx.get("plan") or {}).get("recommendations") or [])]
    meets_all = sorted(ctx.get("meetings") or [], key=lambda m: str(m.get("start")), reverse=True)
    meetings_table = [{
        "start": _fmt_time(m.get("start"), tz), "end": _fmt_time(m.get("end"), tz),
        "who": ", ".join(name(str(p)) for p in (m.get("participants") or [])),  # never "+52… · name": see evidence_rows
        "where": defang(str(m.get("place") or (f"{float(m['lat']):.4f}, {float(m['lon']):.4f}" if m.get("lat") is not None else ""))),
        "p": _num(m.get("probability")),
    } for m in meets_all[:20]]
    evidence, evidence_more = evidence_rows(ctx)
    target = str(ctx.get("target") or "")
    title = defang(str(case.get("title") or f"Location of {target}"))
    env = Environment(loader=PackageLoader("fusioncell.products", "templates"), autoescape=select_autoescape(["j2", "html"]))
    try:
        from fusioncell import __version__ as version
    except ImportError:  # pragma: no cover
        version = ""
    html = env.get_template("report.html.j2").render(
        version=version,
        title=title,
        marking=_marking(ctx),
        case={k: defang(str(v)) if v is not None else "" for k, v in case.items()},
        target_name=_target_name(ctx),
        focus_name=name(str(net.get("focus") or target)),
        as_of=_fmt_time(loc.get("as_of"), tz) or "end of the case period",
        generated=(ctx.get("generated") or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        key_judgments=key_judgments(ctx),
        figures={k: _png_b64(v) for k, v in figures.items()},
        hypotheses=hyps,
        elsewhere_percent=percent(rest),
        elsewhere_word=estimative(rest),
        close_circle=close,
        key_players=players,
        burners=burners,
        meetings_table=meetings_table,
        meetings_more=max(0, len(meets_all) - 20),
        weak_meetings=int(ctx.get("weak_meetings") or 0),
        meeting_min_p=MEETING_MIN_P,
        evidence=evidence,
        evidence_more=evidence_more,
        plan=recs,
        imagery=imagery_rows(ctx),
        missing=missing,
        missing_list=sorted((k, v) for k, v in (ctx.get("missing") or {}).items()),
        masked=bool(ctx.get("masked")),
    )
    return defang(html)


# -- PDF ---------------------------------------------------------------------------

def pdf_blocks(ctx: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The text of the PDF: key judgments, hypotheses, evidence and plan."""
    case = ctx.get("case") or {}
    tz = ZoneInfo(str(case.get("timezone") or "UTC"))
    name = _namer(ctx)
    blocks: list[tuple[str, str]] = [
        ("h1", defang(str(case.get("title") or f"Location of {ctx.get('target')}"))),
        ("p", f"Case {case.get('case_id')} · target {name(str(ctx.get('target')))} · owner {case.get('owner_agency')} · "
              f"legal authority: {case.get('legal_authority')}"),
        ("h2", "Key judgments"),
    ]
    blocks += [("p", f"{i}. {kj['text']}") for i, kj in enumerate(key_judgments(ctx), start=1)]
    hyps = sort_hypotheses((ctx.get("locate") or {}).get("hypotheses") or [])
    if hyps:
        blocks.append(("h2", "Location hypotheses"))
        lines = [f"{'#':>2} {'p':>5}  {'lat':>9} {'lon':>10} {'radius':>7}  place"]
        for h in hyps:
            p = min(1.0, max(0.0, float(h.get("probability") or 0.0)))
            lines.append(f"{h['rank']:>2} {percent(p):>5}  {float(h['lat']):9.5f} {float(h['lon']):10.5f} "
                         f"{int(float(h.get('radius_m') or 0)):>5} m  {defang(str(h.get('label') or ''))}")
            win = _windows_text(h.get("windows") or [], tz)
            if win:
                lines.append(f"{'':>28}windows: {win}")
        blocks.append(("mono", "\n".join(lines)))
    rows, more = evidence_rows(ctx)
    if rows:
        blocks.append(("h2", "Evidence (grade = source reliability + information credibility)"))
        # two lines an item: what kind, how strong, whose; then what it says, whole (cut at 70 it read "(isolatio")
        lines = [x for r in rows for x in (
            f"#{r['rank']} {r['grade']:<3} {r['weight']:+6.2f}  {r.get('kind_words') or r['kind']} · {r['agencies']}",
            f"              {r['summary']}")]
        if more:
            lines.append(f"showing {len(rows)} of {len(rows) + more} items, strongest first "
                         "(fusioncell locate --format json has all).")
        blocks.append(("mono", "\n".join(lines)))
    recs = (ctx.get("plan") or {}).get("recommendations") or []
    if recs:
        blocks.append(("h2", "Collection plan"))
        blocks.append(("mono", "\n".join(
            f"{r.get('rank')}. {name(str(r.get('identifier')))}  gain {_num(r.get('expected_gain'), 3)} bits  {defang(str(r.get('why') or ''))}"
            for r in recs)))
    for x in imagery_rows(ctx):
        blocks.append(("mono", f"Aerial task ({x['what']}): {x['where']} — {x['why']}"))
    missing = ctx.get("missing") or {}
    if missing:
        blocks.append(("p", "Not available in this run: " + "; ".join(f"{k} ({v})" for k, v in sorted(missing.items()))))
    return blocks


def write_pdf(ctx: Mapping[str, Any], figures: Mapping[str, Figure | None], path: Path) -> Path:
    """The report as a PDF drawn with matplotlib: text pages, then one page per figure."""
    from matplotlib.backends.backend_pdf import PdfPages

    header = _marking(ctx)
    pages = F.text_pages(pdf_blocks(ctx), header)
    titles = {"map": "Map of the region", "hypotheses": "Location hypotheses", "network": "Close circle and network",
              "timeline": "Timeline: stays, meetings, going dark"}
    with PdfPages(path, metadata={"Title": str((ctx.get("case") or {}).get("title") or "fusioncell report"),
                                  "Creator": "fusioncell"}) as pdf:
        for page in pages:
            pdf.savefig(page)
        for key in ("map", "hypotheses", "network", "timeline"):
            fig = figures.get(key)
            if fig is None:
                continue
            fig.suptitle(f"{titles[key]}    [{header}]", fontsize=10, y=1.0)
            pdf.savefig(fig, bbox_inches="tight")
    return path


# -- gathering from the store --------------------------------------------------------

def write_report(store: Any, out_dir: Path, target: str | None = None,
                 progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write ``report.html`` (self-contained, offline) and ``report.pdf`` into ``out_dir``.

    Parameters
    ----------
    store : fusioncell.store.CaseStore
        An ingested case store.
    out_dir : Path
        Folder to write into (created if absent).
    target : str, optional
        Entity id of the target (default: the case's first target).
    progress : callable, optional
        Called with the name of each stage as it starts (the CLI shows it on
        stderr at a terminal; stdout carries only the paths written).

    Returns
    -------
    list of Path
        The files written, HTML first. The PDF is skipped (with a log
        warning) if matplotlib cannot write it.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: --out must be a folder")
    step = progress or (lambda _stage: None)
    step("running the analyses")
    ctx = gather(store, target)
    step("drawing the figures")
    figs = build_figures(ctx)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / "report.html"
    step("writing report.html")
    html_path.write_text(render_report(ctx, figs), encoding="utf-8")
    paths = [html_path]
    try:
        step("writing report.pdf")
        paths.append(write_pdf(ctx, figs, out_dir / "report.pdf"))
    except (OSError, ValueError, RuntimeError) as exc:
        log.warning("report: PDF not written (%s)", exc)
    try:
        from fusioncell.security.audit import record

        record(store, "report", {"target": ctx["target"], "files": [p.name for p in paths],
                                 "missing": sorted(ctx["missing"])})
    except ImportError:
        pass
    return paths
