"""``fusioncell locate``: where is the target now, and where does he stay?

Pipeline (each step a pure function over the case store's tables):

1. the target's circle (:mod:`fusioncell.infer.circle`): who around him, how
   relevant their movements are, and why;
2. evidence (:mod:`fusioncell.infer.evidence`): their fixes and serving-cell
   positions, graded claims about where he is, sightings of him and of the
   vehicles his circle uses;
3. candidate places and features (:mod:`fusioncell.infer.features`);
4. a conditional-logit model (:mod:`fusioncell.infer.choice`) fitted on
   simulated training cases turns features into calibrated probabilities
   over the candidates plus "elsewhere".

The output follows the public JSON shape of the CLI contract (docs/cli.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo

import numpy as np

from fusioncell.errors import NotFound
from fusioncell.infer.blind import blind_spots, inside
from fusioncell.infer.candidates import generate_candidates
from fusioncell.infer.choice import ChoiceModel
from fusioncell.infer.circle import Circle, Member, target_circle
from fusioncell.infer.evidence import (
    CLAIM_NAMES_PLACE_M,
    address_points,
    member_positions,
    plate_reads,
    relevant_sightings,
    target_claims,
    tower_accuracy,
)
from fusioncell.infer.features import (
    FEATURES,
    NONNEG,
    CandidateSet,
    EvidenceContext,
    _homes,
    at_tracked_home,
    compute_features,
    sighting_kernel,
)
from fusioncell.infer.judgment import (
    SUPPORT_MIN_WEIGHT,
    SURE_PHONE_P,
    UNSEEN_TRIPS_NOTE,
    CappedProbabilities,
    Support,
    SEEN_DATES,
    apply_caps,
    areas,
    cap_for,
    sure_sighting,
)
from fusioncell.security.naming import IDENT_RX, Namer
from fusioncell.spacetime.coverage import coverage
from fusioncell.spacetime.geo import bearing_deg, compass, haversine_m
from fusioncell.spacetime.home import HOME_MIN_RADIUS_M, HOUSE_MIN_RADIUS_M, Home
from fusioncell.store import CaseStore

log = logging.getLogger(__name__)

MODEL_FILE = "locate_model.json"
#: Places this close to an area's centre are summed as its vicinity (one imagery pass covers them).
VICINITY_M = 2000.0
RELEVANCE_FLOOR = 0.3  # a tracked lead with no reported link

#: Used until a model has been fitted (bench/fit_locate.py writes locate_model.json).
DEFAULT_BETA = {
    "nights_partner": 1.5, "nights_partner_coarse": 0.6, "nights_others": 0.3, "days_fine": 0.4,
    "days_coarse": 0.2, "convergence": 0.5, "dark": 0.5, "silent_nights": 0.5, "silent_reach": 0.1, "sighting_him": 1.5,
    "sighting_vehicle": 0.6, "claims": 0.5, "isolated_nights": 0.5, "lead_margin": 0.5, "home_of_member": -2.0,
    "remote": 0.0, "isolated_presence": 1.0, "staleness": -0.3, "superseded": -0.5, "latest": 0.5, "vague": -0.5,
    "overdue": -1.0, "moved_here": 1.0, "household": 1.0,
}

EVIDENCE_SUMMARY = {
    "nights_partner": "night(s) located here, away from home",
    "nights_partner_coarse": "night(s) on cell sites covering this place",
    "nights_others": "night(s) here (counted once per person: their own routine may explain them)",
    "days_fine": "day visit(s) located here",
    "days_coarse": "day(s) on cell sites covering this place",
    "dark": "phone went silent after being here",
    "silent_nights": "silent night(s) with this place, out of cell coverage, reachable in the gap",
    "silent_reach": "silent night(s) with this place reachable in the gap (phone switched off)",
    "sighting_him": "sighted here (each sighting weighed by its confidence and its age)",
    "sighting_vehicle": "sighted here",
    "claims": "informant claim places him here",
    "latest": "her most recent night away from home was spent here",
    "overdue": "his circle's visits here stopped (visits its own rhythm expected did not happen), or the vehicles "
               "parked here were read elsewhere since",
    "moved_here": "where he likely went: a place's visits stopped, and his partner's nights or the vehicles parked "
                  "there went here since",
    "household": "vehicles parked here on two days or more (a lived-in place)",
}


def load_model(path: Path | None = None) -> ChoiceModel:
    """The fitted location model shipped with the package (or the default)."""
    if path is not None:
        return ChoiceModel.load(path)
    try:
        text = resources.files("fusioncell.infer").joinpath(MODEL_FILE).read_text(encoding="utf-8")
        model = ChoiceModel.from_json(text)
        if model.names == tuple(FEATURES):
            return model
        log.warning("locate model feature names differ from the code; using defaults")
    except FileNotFoundError:
        pass
    return ChoiceModel(
        names=tuple(FEATURES), beta=np.array([DEFAULT_BETA[n] for n in FEATURES]), beta0=1.0,
        nonneg=tuple(NONNEG[n] for n in FEATURES), meta={"fitted": False},
    )


def resolve_target(store: CaseStore, target: str | None) -> str:
    info = store.case()
    if target is None:
        if not info.targets:
            raise NotFound(f"case {info.case_id} names no target in case.toml; pass --target")
        return info.targets[0]
    row = store.con.execute("SELECT count(*) FROM entities WHERE entity_id = ?", [target]).fetchone()
    if target not in info.targets and not (row and row[0]):
        raise NotFound(f"--target {target}: not a target or entity of case {info.case_id}")
    return target


def as_of(store: CaseStore) -> datetime:
    row = store.con.execute(
        """
        SELECT max(t) FROM (
          SELECT max(start) AS t FROM comms UNION ALL SELECT max(observed) FROM locations
          UNION ALL SELECT max(observed) FROM sightings UNION ALL SELECT max(reported) FROM reports)
        """
    ).fetchone()
    if row is None or row[0] is None:
        return datetime.now(timezone.utc)
    latest: datetime = row[0]  # TIMESTAMPTZ columns: aware
    return latest


@dataclass(frozen=True)
class Analysis:
    """The model-free part of locate: who, what evidence, which candidate places."""

    target: str
    circle: Circle
    candidates: CandidateSet
    as_of: datetime
    context: EvidenceContext
    disciplines: dict[str, str]  # source_id -> discipline
    protected: frozenset[str] = frozenset()  # identifiers and entity ids of protected persons


def partner_share(circle: Circle) -> dict[str, float]:
    """Per identifier: how far its nights count as his partner's, relative to her likeliest phone.

    Two factors. The share of the partner among the roles the identifier
    may stand in (a person who is his partner in one report and his
    associate in another); and how likely this phone is hers against her
    likeliest phone (the candidates for an alias-only partner's number are
    many, and only one is hers: her friend's, her sister's and the
    lieutenants' phones among them must not all count as hers in full).
    Her likeliest phone counts 1, as a phone attributed to her does --
    unless several *tracked* phones, none attributed to her by a report,
    compete for her: then each counts its share of their summed weight
    (four tracked phones that each look like hers -- frequent contacts of
    her sister, nights away at an isolated place -- are one of four, and
    the nights of each are hers only that much). Tracked phones are the
    ones whose nights are read fix by fix, so they are the ones whose
    nights compete; on our worlds (her phone and the seed lead's tracked)
    this changes nothing measurable (docs/benchmarks.md, session 20).
    """
    def roles(m: Member) -> dict[str, float]:
        return m.roles or {m.role: m.p_identity}

    def p_hers(m: Member) -> float:
        # his own phone counts as hers does: a handset that spends its nights where he sleeps
        return max(roles(m).get("partner", 0.0), roles(m).get("self", 0.0))

    best: dict[str | None, float] = {}
    tracked: dict[str | None, float] = {}
    for m in circle.members.values():
        best[m.person] = max(best.get(m.person, 0.0), p_hers(m))
        if m.tracked and not m.hers_by_report(("partner", "self")):
            tracked[m.person] = tracked.get(m.person, 0.0) + p_hers(m)
    out: dict[str, float] = {}
    for ident, m in circle.members.items():
        p, top = p_hers(m), max(roles(m).values(), default=0.0)
        z = max(best[m.person], tracked.get(m.person, 0.0))
        out[ident] = float(p / top) * float(p / z) if top > 0 and p > 0 else 0.0
    return out


def analyse(store: CaseStore, target: str | None = None) -> Analysis:
    """Circle, evidence, candidates and features for one target (the model-free part)."""
    info = store.case()
    tgt = resolve_target(store, target)
    circle = target_circle(store, tgt)
    pos = member_positions(store, circle, info.timezone)
    t_end = as_of(store)
    claims = target_claims(store, circle, t_end)
    sights = relevant_sightings(store, circle)
    alat, alon, _ = address_points(store)
    tl, tn, _ = tower_accuracy(store)
    # relative relevance: the most relevant member counts 1 (the model's
    # coefficients carry the absolute scale), but a circle made only of weak,
    # doubtfully graded links stays weak
    top_rel = max(max((m.relevance for m in circle.members.values()), default=0.0), RELEVANCE_FLOOR)
    relevance = {i: min(1.0, m.relevance / top_rel) for i, m in circle.members.items()}
    # his own phone has no "home" to discount: where it sleeps is the answer, not a place to explain away
    own = {i for i, m in circle.members.items() if m.role == "self"}
    # whether a place *is* someone's house: the spot itself (its fixes' accuracy); whether she is at home: the
    # 600 m round it (one reading of the homes, two radii)
    houses = {k: v for k, v in _homes(pos, HOUSE_MIN_RADIUS_M).items() if k not in own}
    homes = {k: Home(h.lat, h.lon, max(HOME_MIN_RADIUS_M, h.radius_m)) for k, h in houses.items()}
    as_of_np = np.datetime64(t_end.astimezone(timezone.utc).replace(tzinfo=None), "s")
    cands = generate_candidates(pos, relevance, claims, sights, alat, alon, homes)
    tracked_homes = [h for k, h in _homes(pos.take(pos.fine), HOUSE_MIN_RADIUS_M).items() if k not in own]
    ctx = EvidenceContext(pos=pos, relevance=relevance, partner_share=partner_share(circle), claims=claims,
                          sights=sights, homes=homes, as_of=as_of_np, tower_lat=tl, tower_lon=tn,
                          exclude_homes=tracked_homes, coverage=coverage(store), tz_offset_s=pos.tz_offset_s,
                          reads=plate_reads(store, circle), houses=houses)
    cs = compute_features(cands, ctx)
    disciplines = {str(r[0]): str(r[1]) for r in store.con.execute("SELECT source_id, discipline FROM sources").fetchall()}
    from fusioncell.security.minimise import protected_identifiers

    protected = frozenset(protected_identifiers(store)) - circle.target_keys
    return Analysis(tgt, circle, cs, t_end, ctx, disciplines, protected)


#: Features that come from circle members' movements (their phones).
PRESENCE_FEATURES = ("nights_partner", "nights_partner_coarse", "nights_others", "days_fine", "days_coarse",
                     "dark", "silent_nights", "silent_reach", "latest")
PARTNER_FEATURES = ("nights_partner", "nights_partner_coarse", "silent_nights", "silent_reach", "latest")
#: Features that describe the place, not him or his circle there: a lived-in place (vehicles parked on
#: several days) is no second source type for certainty and does not pin a place only her silences point at.
CONTEXT_FEATURES = ("household",)
#: Features that only say "somewhere within her reach": her silences (out of coverage, or switched off on the
#: road heading here). Every other item of evidence ties someone to the place itself (a fix, a serving cell, a
#: sighting, a claim naming it): with none, the place is held at CAP_SILENCE_ONLY. A claim names a place when its
#: area is no wider than ``CLAIM_NAMES_PLACE_M`` ("within 12 km of ..." is an area her silences already cover).
SILENCE_FEATURES = ("silent_nights", "silent_reach")


def him_seen(an: Analysis) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate: how likely the sightings of him there are him, together, and the days from the latest of
    them with ``c k >= SEEN_DATES`` to the end of the data (NaN when none); ``c`` the confidence, ``k`` how far
    the sighting is at the place.

    Together means *independent sources*: each source counts with its strongest sighting here, and the sources
    combine as ``1 - prod(1 - best_s)``. One observer's repeated "maybe him" at one house is one error repeated
    (a look-alike who lives there is there every day), not corroboration; two sources half-sure of him are.
    The model reads every sighting (``sighting_him``, weak ones adding up); this is only the licence that lifts
    the holds."""
    cs, sights = an.candidates, an.context.sights
    m = cs.lat.size
    mask = np.asarray(sights.of_target, bool)
    if not mask.any():
        return np.zeros(m), np.full(m, np.nan)
    K = np.clip(sighting_kernel(cs.lat, cs.lon, sights, mask), 0.0, 1.0)
    _, src = np.unique(sights.source_id[mask].astype(str), return_inverse=True)
    order = np.argsort(src, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(src[order])) + 1]
    best = np.maximum.reduceat(K[:, order], starts, axis=1)  # (candidate, source): its strongest sighting here
    p = 1.0 - np.prod(1.0 - best, axis=1)
    age = (an.context.as_of - sights.t[mask].astype("datetime64[s]")).astype("timedelta64[s]").astype(float) / 86400.0
    days = np.where(K >= SEEN_DATES, np.maximum(age, 0.0)[None, :], np.inf).min(axis=1)
    return p, np.where(np.isfinite(days), days, np.nan)


def support_of(an: Analysis, i: int, contrib: np.ndarray, seen: tuple[float, float] = (0.0, float("nan"))) -> Support:
    """Which independent source types stand behind candidate ``i`` (items of weight ≥ SUPPORT_MIN_WEIGHT);
    ``seen``: :func:`him_seen` at ``i`` (a sighting of him lifts the holds only when sure and recent)."""
    names = list(FEATURES)
    disc: set[str] = set()
    partner = person = observed = named = False  # observed: something ties someone to the spot; named: a claim
    namers: set[str] = set()  # sources whose reports name the spot (a claim no wider than 1 km)
    phone_p, phone, sure = 0.0, "", False
    claims = an.context.claims  # a claim pins a place only when it names one (an area no wider than 1 km)
    naming = set(claims.report_id[claims.radius_m <= CLAIM_NAMES_PLACE_M].astype(str))
    for fname, items in an.candidates.support[i].items():
        c = float(contrib[i, names.index(fname)]) if fname in names else 0.0
        total = sum(abs(x[0]) for x in items) or 1.0
        for share, _who, evs, srcs in items:
            w = c * abs(share) / total
            if w < SUPPORT_MIN_WEIGHT or fname in CONTEXT_FEATURES:
                continue
            disc.update(an.disciplines.get(s, "unknown") for s in srcs)
            if fname in PRESENCE_FEATURES:
                person = True
            if fname in PARTNER_FEATURES:
                partner = True
                for ident in _who.split(", "):
                    p_ident = hers_p(an.circle, ident)
                    sure = sure or is_sure(an.circle, ident)
                    if p_ident > phone_p:
                        phone_p, phone = p_ident, ident
            observed = observed or (fname not in SILENCE_FEATURES and fname != "claims")
            if fname == "claims" and naming & set(evs):
                named = True
                namers.update(srcs)
    moved = float(np.expm1(an.candidates.features[i, names.index("superseded")]))
    # her nights date the place; a place she never slept at is dated by whoever of his circle did
    hers = bool(an.candidates.windows[i])
    n, usual, since = night_rhythm(an.candidates.windows[i] if hers else an.candidates.circle_windows[i], an.as_of)
    home = bool(at_tracked_home(an.candidates.lat[i:i + 1], an.candidates.lon[i:i + 1], an.context)[0])
    f_here, f_since, f_before, back, left = (float(x[i]) if x.size > i else 0.0
                                             for x in (*an.candidates.since_first, an.candidates.left_behind))
    return Support(frozenset(disc), sure_sighting(*seen), partner, person, moved, n, usual, since,
                   partner_phone_p=phone_p if partner else 1.0, partner_phone=phone,
                   partner_phone_sure=sure or not partner, pinned=observed or named or not partner, tracked_home=home,
                   seen_p=float(seen[0]), days_since_seen=float(seen[1]),
                   named_only_by=len(namers) if partner and named and not observed else 0,
                   first_here=f_here, first_elsewhere=f_since, before_elsewhere=f_before, kept_going=back,
                   left_behind=left, nights_of=("partner" if hers else "circle") if n else None)


def sentence_namer(store: CaseStore, an: Analysis) -> tuple[frozenset[str], Namer]:
    """The identifiers a sentence may name and the namer that names them by role and handle, never by number.

    ``known``: the case's people whose observations an item may rest on -- his circle, and anyone protected
    (a witness's car read at a place he is not in the circle for), so products can withhold their trace."""
    circle = an.circle
    known = frozenset(circle.members) | circle.target_keys | an.protected
    roles = {k: "partner?" if m.role == "partner" and not is_sure(circle, k) else m.role
             for k, m in circle.members.items()}
    return known, Namer.of(store, {**roles, **{k: "self" for k in circle.target_keys}})


def hold_note(store: CaseStore, an: Analysis, sup: Support, reason: str) -> str:
    """A hold's sentence as ``locate``'s JSON gives it (``support.note``): identifiers by handle."""
    known, namer = sentence_namer(store, an)
    return _named(reason, sup, namer, known)


def _named(text: str, sup: Support, namer: Namer, known: frozenset[str]) -> str:
    """A cap's sentence with identifiers named by handle; the phone whose ownership is in doubt is
    "phone P-…", not "the partner's phone P-…" (that is the question)."""
    if sup.partner_phone:
        text = text.replace(sup.partner_phone, f"phone {namer.handle(sup.partner_phone)}")
    return namer.sentence(text, known)


def hers_p(circle: Circle, ident: str) -> float:
    """How likely ``ident`` is the phone of the partner (or his own): its attribution, not the role's grade."""
    m = circle.members.get(ident)
    if m is None:
        return 0.0
    return max(m.attribution.get("partner", 0.0), m.attribution.get("self", 0.0))


def is_sure(circle: Circle, ident: str) -> bool:
    """Whether ``ident`` is the partner's (or his own) phone by a report, a known entity or the resolve
    stage with p >= ``SURE_PHONE_P``. A number hers by behaviour alone is never sure, however likely: a
    frequent contact of her sister that sleeps away may be a lieutenant's."""
    m = circle.members.get(ident)
    return m is not None and m.hers_by_report(("partner", "self"), SURE_PHONE_P)


def _rhythm_json(sup: Support) -> dict[str, Any]:
    """The nights that date a place, as ``support`` gives them: how many, her usual interval, days since the
    latest, and whose they are (``nights_of``: "partner", or "circle" where she never slept)."""
    def num(x: float) -> float | None:
        return round(float(x), 1) if np.isfinite(x) else None
    return {"nights_here": sup.nights_here, "usual_interval_days": num(sup.usual_interval_days),
            "days_since_last": num(sup.days_since_last), "nights_of": sup.nights_of}


def _headed_json(cs: CandidateSet, i: int) -> dict[str, Any]:
    """Her silent trips that headed here since her latest night here (``features._maybe_visits``): they keep the
    place's rhythm although ``days_since_last`` counts from her night; ``trips_heading_here`` says so."""
    n = int(cs.headed_trips[i]) if cs.headed_trips.size else 0
    if n == 0:
        return {}
    return {"trips_heading_here": {"trips": n, "days_since_latest": round(float(cs.headed_days[i]), 1)}}


def night_rhythm(windows: list[tuple[np.datetime64, np.datetime64]], end: datetime) -> tuple[int, float, float]:
    """(distinct nights, median days between them, days from the latest to ``end``) of her nights at a place.

    >>> w = [(np.datetime64("2026-07-0%dT03:00" % d), np.datetime64("2026-07-0%dT05:00" % d)) for d in (1, 3, 5)]
    >>> night_rhythm(w, datetime(2026, 7, 9, 5, 0, tzinfo=timezone.utc))
    (3, 2.0, 4.0)
    """
    if not windows:
        return 0, float("nan"), float("nan")
    ends = np.array([w[1] for w in windows], dtype="datetime64[s]").astype(np.int64)
    # nights: windows ending more than 12 h apart are different nights
    ends = np.sort(ends)
    nights = ends[np.r_[True, np.diff(ends) > 12 * 3600]]
    t_end = (end if end.tzinfo else end.replace(tzinfo=timezone.utc)).timestamp()
    since = (t_end - float(nights[-1])) / 86400.0
    usual = float(np.median(np.diff(nights))) / 86400.0 if nights.size >= 2 else float("nan")
    return int(nights.size), usual, since


def _label(cs: CandidateSet, i: int, circle: Circle, homes: Mapping[str, tuple[float, float, float]],
           protected: frozenset[str] = frozenset(), towers_known: bool = True) -> str:
    """A place's description, built from roles, never from identifiers.

    Remote or built-up is read from the cell sites the case's call records name
    (``remote``: at most two within 3 km); a case whose records carry no cell
    positions cannot tell, and the label says so instead of "built-up".

    The only reference point is his partner's home (the member most likely
    to be her phone), and only when that number is not protected: a label
    such as "19 km N of home of +52…" would publish a person's number and,
    through it, where she lives.
    """
    remote = cs.features[i, list(FEATURES).index("remote")]
    kind = ("remote site" if remote > 0.5 else "site in a built-up area") if towers_known else \
        "site (remote or built-up not known: no cell positions in the call records)"
    best = None
    for ident, (hl, hn, _) in homes.items():
        m = circle.members.get(ident)
        share = (m.roles or {}).get("partner", 0.0) if m is not None else 0.0
        if m is None or share < 0.5 or ident in protected or (m.person or "") in protected:
            continue
        if best is None or share > best[0]:
            best = (share, hl, hn)
    if best is None:
        return kind
    _, hl, hn = best
    d = float(haversine_m(cs.lat[i], cs.lon[i], hl, hn))
    if d <= 500:
        return f"{kind}, at his partner's home"
    return f"{kind}, {d / 1000:.1f} km {compass(float(bearing_deg(hl, hn, cs.lat[i], cs.lon[i])))} of his partner's home"


def _merge_windows(windows: list[tuple[np.datetime64, np.datetime64]]) -> list[tuple[np.datetime64, np.datetime64]]:
    """Sorted, non-overlapping windows; a single observation becomes a 30-minute window.

    >>> t = np.datetime64("2026-01-01T00:00", "s")
    >>> [(str(a), str(b)) for a, b in _merge_windows([(t, t + np.timedelta64(3600, "s")), (t + np.timedelta64(1800, "s"), t + np.timedelta64(7200, "s"))])]
    [('2026-01-01T00:00:00', '2026-01-01T02:00:00')]
    """
    pad = np.timedelta64(900, "s")
    spans = sorted((a - pad, b + pad) if a == b else (a, b) for a, b in windows)
    out: list[tuple[np.datetime64, np.datetime64]] = []
    for a, b in spans:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _iso(t: np.datetime64 | datetime, tz: ZoneInfo) -> str:
    if isinstance(t, np.datetime64):
        t = datetime.fromtimestamp(int(t.astype("datetime64[s]").astype(np.int64)), timezone.utc)
    return t.astimezone(tz).isoformat(timespec="minutes")


def unseen_utility(model: ChoiceModel, unseen: float) -> float:
    """The utility *elsewhere* gains from her silent trips no candidate explains (``CandidateSet.unseen``):
    what ``silent_nights`` would give a candidate in the hole they point at, had the case named one.

    >>> import numpy as np
    >>> m = ChoiceModel(("silent_nights",), np.array([4.0]), 2.3)
    >>> unseen_utility(m, 0.0), round(unseen_utility(m, np.e - 1.0), 3)
    (0.0, 4.0)
    """
    if "silent_nights" not in model.names:
        return 0.0
    return float(model.beta[model.names.index("silent_nights")]) * float(np.log1p(max(unseen, 0.0)))


def posterior(an: Analysis, model: ChoiceModel) -> tuple[np.ndarray, CappedProbabilities, list[Support], np.ndarray]:
    """Model probabilities, then the support ceilings (:mod:`fusioncell.infer.judgment`).

    Returns (model p, capped result, support per candidate, per-feature contributions).
    """
    cs = an.candidates
    moved_here(cs, model)
    # her silent trips no candidate explains speak for a place we cannot see, weighed as silent_nights would
    # weigh them at a candidate in the hole
    p0, rest0 = model.probabilities(cs.features, elsewhere_u=unseen_utility(model, cs.unseen))
    contrib = model.contributions(cs.features)
    seen_p, seen_days = him_seen(an)
    supports = [support_of(an, i, contrib, (float(seen_p[i]), float(seen_days[i]))) for i in range(cs.lat.size)]
    return p0, apply_caps(p0, rest0, [cap_for(s) for s in supports]), supports, contrib


def moved_here(cs: CandidateSet, model: ChoiceModel) -> None:
    """Fill the ``moved_here`` feature: where he went from the places he likely left.

    ``overdue`` at a place is minus the log-probability that he still lives
    there given he did; the model's weight of "he lived at ``o``" is then
    ``u_o x exp(overdue_o)`` (``u``: the model's unnormalised weights), of
    which ``u_o x (exp(overdue_o) - 1)`` is "he lived there and left". Where
    to? Where his partner's nights went since her last one there
    (``cs.successors``, :func:`fusioncell.infer.nights.successors`): a place
    with ``s`` of the ``S`` nights since gets ``s / (1 + S)`` of it; the rest
    stays with *somewhere we cannot see* (he may have gone where her phone did
    not show). The feature is ``log(1 + moved in / u_c)`` with coefficient 1:
    the place's weight becomes its own plus what moved to it. Without the
    model's ``moved_here`` coefficient (an older model file) nothing moves.
    """
    k = list(FEATURES).index("moved_here")
    F, S = cs.features, cs.successors
    F[:, k] = 0.0
    if S.shape != (F.shape[0], F.shape[0]) or not S.any() or "moved_here" not in model.names:
        return
    u_log = model.utilities(F)
    u = np.exp(u_log - u_log.max())
    over = np.clip(F[:, list(FEATURES).index("overdue")], 0.0, 30.0)
    flow = (u * np.expm1(over))[:, None] * (S / (1.0 + S.sum(axis=1, keepdims=True)))  # (from o, to c)
    F[:, k] = np.log1p(flow.sum(axis=0) / np.maximum(u, 1e-300))
    # for the analyst: the place each one's moved weight mostly came from, and the chance he left it
    src = flow.argmax(axis=0)
    cs.moved_from = {int(c): (int(src[c]), float(-np.expm1(-over[src[c]]))) for c in np.flatnonzero(flow.sum(axis=0) > 0)}


def _moved_from(cs: CandidateSet, i: int, contrib: np.ndarray) -> dict[str, Any]:
    """``moved_from`` (beyond the contract) when ``moved_here`` carries weight at candidate ``i``: the place
    whose stopped visits most of that weight came from, and the chance he left it."""
    k = list(FEATURES).index("moved_here")
    if i not in cs.moved_from or contrib[i, k] < 0.05:
        return {}
    o, p_left = cs.moved_from[i]
    return {"moved_from": {"lat": round(float(cs.lat[o]), 5), "lon": round(float(cs.lon[o]), 5),
                           "p_left": round(p_left, 2), "weight": round(float(contrib[i, k]), 3)}}


def staleness_summary(last_seen_days: float) -> str:
    """The ``staleness`` line of a place's evidence, with its number of days: a place where nobody of his
    circle was ever placed at night says so, instead of "days since the latest night-time evidence".

    >>> staleness_summary(float("nan"))
    'no night-time evidence here in the whole period (counted as long ago)'
    >>> staleness_summary(9.4)
    '9 days since the latest night-time evidence here (beyond a week, he may have moved)'
    """
    if not np.isfinite(last_seen_days):
        return "no night-time evidence here in the whole period (counted as long ago)"
    return f"{last_seen_days:.0f} days since the latest night-time evidence here (beyond a week, he may have moved)"


def _evidence_chain(cs: CandidateSet, i: int, contrib: np.ndarray, known: frozenset[str] = frozenset(),
                    name: Namer | None = None) -> list[dict[str, Any]]:
    """The named contributions behind candidate ``i``, strongest first, with event and source ids.

    ``subjects`` (beyond the contract) lists the identifiers of the case whose
    observations an item rests on, so products can withhold a protected
    person's trace without parsing sentences. The summary names them with
    ``name`` (:class:`fusioncell.security.naming.Namer`: "the partner's phone
    P-7f3a9c"); the identifiers themselves are only in ``identifiers``.
    """
    name = name or Namer(b"")
    evidence: list[dict[str, Any]] = []
    for k, fname in enumerate(FEATURES):
        c = float(contrib[i, k])
        if abs(c) < 0.05:
            continue
        merged: dict[str, tuple[float, list[str], set[str], int]] = {}
        for share, who, evs, srcs in cs.support[i].get(fname, []):
            w0, e0, s0, n0 = merged.get(who, (0.0, [], set(), 0))
            merged[who] = (w0 + share, e0 + [e for e in evs if e not in e0], s0 | set(srcs), n0 + 1)
        items = [(w, who, n, evs[:8], sorted(srcs)) for who, (w, evs, srcs, n) in merged.items()]
        total = sum(abs(x[0]) for x in items) or 1.0
        if not items:
            summary = staleness_summary(cs.last_seen[i]) if fname == "staleness" else FEATURES[fname]
            evidence.append({"kind": fname, "summary": summary, "weight": round(c, 3),
                             "event_ids": [], "source_ids": []})
        for share, who, n, evs, srcs in sorted(items, key=lambda x: -abs(x[0]))[:4]:
            idents = [x for x in who.split(", ") if x in known or IDENT_RX.fullmatch(x)]
            named = name.sentence(who, known)
            named = f"the target {named}" if fname == "sighting_him" else named  # him, not a phone's handle
            label = f"{named} ({n}×)" if n > 1 else named
            evidence.append({"kind": fname, "summary": f"{label}: {EVIDENCE_SUMMARY.get(fname, FEATURES[fname])}",
                             "weight": round(c * abs(share) / total, 3), "event_ids": evs, "source_ids": srcs,
                             "subjects": sorted(x for x in idents if x in known), "identifiers": idents})
    evidence.sort(key=lambda e: -abs(e["weight"]))
    return evidence[:12]


def locate(store: CaseStore, target: str | None = None, top: int = 5, model: ChoiceModel | None = None) -> dict[str, Any]:
    """Ranked location hypotheses for the target, in the CLI contract's JSON shape.

    Beyond the contract: each hypothesis carries ``support`` (source types,
    whether he was sighted, the ceiling applied and why) and ``would_change``
    (what evidence would move it); the result carries ``areas`` (overlapping
    hypotheses read together, see :mod:`fusioncell.infer.judgment`).
    """
    info = store.case()
    tz = ZoneInfo(info.timezone)
    an = analyse(store, target)
    cs, circle = an.candidates, an.circle
    model = model or load_model()
    result: dict[str, Any] = {"case": info.case_id, "target": an.target, "as_of": _iso(an.as_of, tz),
                              "hypotheses": []}
    name = store.con.execute("SELECT caption FROM entities WHERE entity_id = ? AND caption IS NOT NULL "
                             "AND caption <> '' AND caption <> entity_id LIMIT 1", [an.target]).fetchall() if store.has_table("entities") else []
    if name:  # beyond the contract: how the text and the products name him
        result["target_name"] = str(name[0][0])
    if cs.lat.size == 0:
        result["elsewhere"] = 1.0
        result["areas"] = []
        return result
    p0, capped, supports, contrib = posterior(an, model)
    p = capped.p
    order = np.argsort(-p, kind="stable")[:top]
    known, namer = sentence_namer(store, an)
    for rank, i in enumerate(order, start=1):
        wins = _merge_windows(cs.windows[i])[-5:]
        sup, cap = supports[i], capped.caps[i]
        result["hypotheses"].append({
            "rank": rank,
            "lat": round(float(cs.lat[i]), 5),
            "lon": round(float(cs.lon[i]), 5),
            "radius_m": int(round(float(cs.radius_m[i]))),
            "probability": round(float(p[i]), 3),
            "label": _label(cs, int(i), circle, an.context.homes, an.protected,
                            towers_known=an.context.tower_lat.shape[0] > 0),
            "windows": [{"from": _iso(a, tz), "to": _iso(b, tz)} for a, b in wins],
            "evidence": _evidence_chain(cs, int(i), contrib, known, namer),
            "support": {"source_types": sorted(sup.disciplines), "sighted_him": sup.sighted_him,
                        "seen_p": round(sup.seen_p, 2),
                        "partner_located": sup.partner_evidence, "ceiling": cap.ceiling,
                        "may_have_moved": cap.may_have_moved,
                        "model_probability": round(float(p0[i]), 3),
                        "note": _named(cap.reason, sup, namer, known) if cap.reason else None,
                        **_rhythm_json(sup), **_headed_json(cs, int(i))},
            "would_change": [_named(w, sup, namer, known) for w in cap.would_change],
            **_moved_from(cs, int(i), contrib),
        })
    result["elsewhere"] = round(float(capped.elsewhere + p[np.argsort(-p)[top:]].sum()), 3)
    # her recent silent trips no listed place explains (recency-weighted): what lifts "elsewhere" beyond the holds
    result["unexplained_silent_trips"] = round(float(cs.unseen), 2)
    rank_of = {int(i): r for r, i in enumerate(order, start=1)}
    result["areas"] = [
        {"rank": k, "lat": round(a.lat, 5), "lon": round(a.lon, 5), "radius_m": int(round(a.radius_m)),
         "probability": round(a.probability, 3), "places": len(a.members),
         "hypotheses": sorted(rank_of[j] for j in a.members if j in rank_of),
         # every place within VICINITY_M of the area's centre: what an imagery pass over it would test
         "vicinity_probability": round(float(p[haversine_m(a.lat, a.lon, cs.lat, cs.lon) <= VICINITY_M].sum()), 3)}
        for k, a in enumerate(areas([(float(cs.lat[j]), float(cs.lon[j]), float(cs.radius_m[j]), float(p[j]))
                                     for j in range(cs.lat.size)])[:top], start=1)
    ]
    hlat = np.array([float(h["lat"]) for h in result["hypotheses"]])
    hlon = np.array([float(h["lon"]) for h in result["hypotheses"]])
    ranks = np.array([int(h["rank"]) for h in result["hypotheses"]], dtype=np.int64)
    result["blind_spots"] = [
        {"lat": round(b.lat, 4), "lon": round(b.lon, 4), "radius_m": int(round(b.radius_m, -2)),
         "area_km2": round(b.area_km2, 1), "silent_nights": b.nights, "of_silent_nights": b.of_nights,
         "last_night": _iso(b.last_night, tz),
         # the listed places in the hole and out of coverage themselves (clean-room a hard-1: the compound, a
         # known address in the hole, was listed second at 1% while the hole, said apart, held 96%)
         "places": [int(r) for r in ranks[inside(b, hlat, hlon, an.context)]]}
        for b in blind_spots(an.context)
    ]
    result["circle"] = [
        {"identifier": m.identifier, "person": m.person, "role": m.role, "relevance": round(m.relevance, 3)}
        for m in sorted(circle.members.values(), key=lambda m: -m.relevance)[:15]
    ]
    return result


def render_text(result: dict[str, Any]) -> str:
    """Key judgments by area first (overlapping places read together), then the places and their evidence."""
    from fusioncell.products.language import estimative, percent

    who = f"{result['target_name']} ({result['target']})" if result.get("target_name") else result["target"]
    lines = [f"Case {result['case']} — where is {who}? (as of {result['as_of']})"]
    if not result["hypotheses"]:
        lines.append("No usable hypothesis: the case holds no evidence placing the target or his circle.")
        return "\n".join(lines)
    areas_ = result.get("areas") or []
    if areas_:
        lines.append("Key judgments (areas):")
        for a in areas_[:3]:
            places = f"{a['places']} places" if a["places"] > 1 else "1 place"
            near = a.get("vicinity_probability", a["probability"])
            lines.append(f"  {a['rank']}. {a['lat']:.5f}, {a['lon']:.5f} within {a['radius_m']} m — "
                         f"{estimative(a['probability'])} ({percent(a['probability'])}), {places}"
                         + (f" ({'places' if len(a['hypotheses']) > 1 else 'place'} "
                            f"{', '.join(str(k) for k in a['hypotheses'])} below)" if a["hypotheses"] else "")
                         + (f"; {percent(near)} within {VICINITY_M / 1000:.0f} km of it"
                            if near >= a["probability"] + 0.1 else ""))
        if len(areas_) > 3:
            lines.append(f"  showing 3 of {len(areas_)} areas (--format json lists all)")
        rest = float(result.get("elsewhere", 0.0))
        if rest > float(areas_[0]["probability"]):  # the likeliest answer is none of them: say so before the places
            lines.append(f"  none of these — {estimative(rest)} ({percent(rest)}): he is elsewhere (see the end)")
        lines.append("Places:")
    for h in result["hypotheses"]:
        lines.append(
            f"{h['rank']}. {h['lat']:.5f}, {h['lon']:.5f} ±{h['radius_m']} m — {percent(h['probability'])} "
            f"({estimative(h['probability'])}) — {h['label']}"
        )
        for e in h["evidence"][:4]:
            srcs = f"  [{', '.join(e['source_ids'])}]" if e["source_ids"] else ""
            ids = f"  {{{', '.join(e['identifiers'])}}}" if e.get("identifiers") else ""
            lines.append(f"     {e['weight']:+.2f}  {e['summary']}{ids}{srcs}")
        if len(h["evidence"]) > 4:
            lines.append(f"     showing 4 of {len(h['evidence'])} items of evidence (--format json lists all)")
        if h["windows"]:
            w = h["windows"][-1]
            lines.append(f"     last window: {w['from']} → {w['to']}")
        mv = h.get("moved_from")
        if mv and h["rank"] <= 3:
            lines.append(f"     he may have moved here: the visits at {mv['lat']:.5f}, {mv['lon']:.5f} stopped (he left "
                         f"with p≈{mv['p_left']:.2f}), and his partner's nights or its vehicles went here since "
                         f"({mv['weight']:+.2f})")
        headed = (h.get("support") or {}).get("trips_heading_here")
        if headed and h["rank"] <= 3:
            lines.append(f"     since her latest night here her phone went dark heading this way on {headed['trips']} "
                         f"trip(s), the latest {headed['days_since_latest']:.0f} days before the end: her visits may "
                         "have gone on unseen")
        note = (h.get("support") or {}).get("note")
        if note and h["rank"] <= 3:
            lines.append(f"     {note}")
            if h.get("would_change"):
                lines.append(f"     would change it: {h['would_change'][0]}")
    lines.append(f"Elsewhere (somewhere the evidence does not reach): {percent(result.get('elsewhere', 0))}")
    if result.get("unexplained_silent_trips", 0.0) >= UNSEEN_TRIPS_NOTE:
        lines.append(f"  her silent trips that no candidate place explains ({result['unexplained_silent_trips']:.1f}, "
                     "recent ones counting most) speak for a place we cannot see")
    spots = result.get("blind_spots") or []
    if spots:
        lines.append("Where her silent nights point (coverage holes no phone can show; an aerial pass would test them):")
        for k, b in enumerate(spots, start=1):
            lines.append(f"  {k}. {b['lat']:.4f}, {b['lon']:.4f} within {b['radius_m'] / 1000:.1f} km (~{b['area_km2']:.0f} km²) — "
                         f"explains {b['silent_nights']} of her {b['of_silent_nights']} silent nights, "
                         f"the latest ending {b['last_night']}")
            held = {h["rank"]: h for h in result["hypotheses"]}
            listed = [f"place {r} ({percent(held[r]['probability'])})" for r in b.get("places") or [] if r in held]
            if listed:
                lines.append(f"     listed places inside it, out of coverage themselves: {', '.join(listed)}")
    return "\n".join(lines)
