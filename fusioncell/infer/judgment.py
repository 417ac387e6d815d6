"""From candidate probabilities to key judgments an analyst may act on.

Two rules sit between the fitted model and the answer:

* **Refuse certainty without support.** A place may be given p ≥ 0.9 only
  when the evidence for it comes from at least two independent source types
  (disciplines such as SIGINT, IMINT, HUMINT, GEOINT) or includes a direct
  sighting of him; and a place that only non-partner members' movements
  support (lieutenants, couriers, relatives — people with reasons of their
  own to be there) is held below 0.75; and a place his partner's phone
  supports is held below ``p + (1 - p) x 0.75``, p how surely the phone is
  hers (if it is not, its nights are an associate's); and a place his partner has not
  slept at since she spent two or more away nights elsewhere is held below
  0.6 (he may have moved); and a place only her silences point at
  (nothing places anyone at the spot) is held below 0.6 too, below 0.75 when one source's reports name
  the spot; and a place whose latest night of hers is
  more than two days old is held below 0.75 (p ≥ 0.8 is about now); and a place resting on one or two nights
  of hers while her nights elsewhere make a pattern (as many since her first night here, or three before it)
  is held below 0.75 (a night out, as much as a move); and a place where her phone slept on a night she was
  seen elsewhere is held at even odds (the phone stays behind); and every place dated by her nights is
  discounted by the chance he has moved since her latest night there
  (``exp(-days / TAU_MOVE_DAYS)``, one move a month assumed). The probability taken away goes to
  "elsewhere" (we cannot say where), never to another place. The evidence
  chain says what would lift the cap. A sighting of him lifts these holds only when it is *sure* (the
  sightings here together at least ``SEEN_SURE`` likely to be him, each source counted once, at its strongest
  sighting: one observer's repeated "maybe him" is one error repeated) and *recent* (within ``FRESH_DAYS``
  of the end of the data): a look-alike half-seen at a decoy, or a true sighting at a house he left
  three weeks ago, is evidence for the model, not a licence for certainty. A sighting at least
  ``SEEN_DATES`` likely dates the place as her nights do (staleness, the chance he moved since).
* **Read areas, not points.** Hypotheses whose centres lie within
  ``AREA_LINK_M`` of each other (single linkage) are one area: four places
  within 500 m holding 46% together are one judgment of 46%, not four of
  ~12%.

>>> a = areas([(19.0, -103.0, 100.0, 0.2), (19.001, -103.0, 100.0, 0.3), (19.5, -103.0, 100.0, 0.1)])
>>> [(x.members, round(x.probability, 2)) for x in a]
[((0, 1), 0.5), ((2,), 0.1)]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from fusioncell.spacetime.geo import haversine_m

FloatArray = npt.NDArray[np.float64]

#: Hypotheses closer than this (centre to centre) form one area.
AREA_LINK_M = 500.0
#: The most a place may get without two independent source types or a sighting of him.
CAP_SINGLE_TYPE = 0.85
#: The most a place may get when only non-partner members' movements support it.
CAP_OTHERS_ONLY = 0.75
#: The most a place may get when the only phones placing his partner here are hers by inference alone,
#: each less likely hers than ``SURE_PHONE_P`` (a frequent contact of her sister that sleeps away may be
#: a lieutenant's): an analyst confirms the number before a raid rests on it. No more than associates'
#: movements alone: a phone not known to be hers is, as far as we know, an associate's.
CAP_UNSURE_PHONE, SURE_PHONE_P = CAP_OTHERS_ONLY, 0.5
#: The most a place may get when his partner has since spent this many away nights elsewhere.
CAP_SUPERSEDED, SUPERSEDED_NIGHTS = 0.6, 1.5
#: The most a place may get when only her silences point at it (nights out of coverage within her reach, or
#: her phone off on the road heading here) and nothing places her, him or his men at the spot: silence
#: says "somewhere in the hole", and the spot is singled out only because the case names no other place
#: there. As much as a place she has since left (the same 0.6: a reading of the area, not of the house).
CAP_SILENCE_ONLY = 0.6
#: The most a place may get when her silences point at its area and only one source's reports name the spot (a
#: claim no wider than 1 km): the silences corroborate the area, not the spot, so the spot rests on one source,
#: however many of its reports repeat it. Observed (a fix, a sighting, a serving cell) or named by a second,
#: independent source, it is lifted. As much as associates' movements alone: "likely", never "very likely".
CAP_ONE_NAMER = CAP_OTHERS_ONLY
#: The most a place may get when it rests on fewer than ``PATTERN_NIGHTS`` nights of hers while her away nights
#: elsewhere (located, or silent trips: her phone off or out of coverage on the way) make a pattern: as many since
#: her first night here, or ``PATTERN_NIGHTS`` before it. One or two nights are a night out (a friend at a safe
#: house, a party) as much as a move to a new house, and a man in hiding moves about once a month: her last two
#: nights at a lieutenants' safe house after six at the compound read "he moved" at 0.95 before session 26.
#: Our own worlds, where he moves often, make that reading look safe; a world with nights out and few moves
#: does not. Three nights make a pattern (as :data:`CAP_OVERDUE` counts). "Likely", never "very likely".
CAP_NIGHT_OUT, PATTERN_NIGHTS = CAP_OTHERS_ONLY, 3
#: The most a place may get when it rests on one night of hers and nobody surely saw him there, however much else
#: points at it: a planted report and a look-alike's sightings at a safe house where she spent her latest night
#: read 0.91-0.93 before session 27 (her earlier nights with him hidden by her phone left at home and a coverage hole,
#: so no pattern elsewhere made it a night out). No pattern in view is weak evidence of none (her phone stays home,
#: her trips go silent), so one night is held as a night out is: "likely", never "very likely". A second night of
#: hers, or a sure sighting of him, lifts it.
CAP_ONE_NIGHT = CAP_NIGHT_OUT
#: The most a place may get when her phone spent a night here while she was seen elsewhere (``phones``): the
#: phone stays behind when she goes out, so where it sleeps is where she leaves it, not where she goes. Even odds.
CAP_LEFT_BEHIND = 0.5
#: The home of a person the investigation tracks: he rarely hides with someone under surveillance (his
#: partner sleeping over at her tracked sister's is likelier), but a guard's or housekeeper's phone lives at
#: his house. Without a sure, recent sighting of him such a place is held at even odds, never dropped.
CAP_TRACKED_HOME = 0.5
#: "Very likely" (≥ 0.8) is a judgment about *now*: a place dated by nights of hers may reach it only when her
#: latest night there is within ``FRESH_DAYS`` of the end of the data (or he was seen). A man in hiding who moves
#: the day after her visit leaves no trace until she goes to the new house: four days later the old house is
#: where he *was* ("likely"), whatever the strength of the evidence that he was there.
CAP_STALE, FRESH_DAYS = 0.75, 2.0
#: The most a place may get when his partner is overdue there: no night here for ``OVERDUE_FACTOR`` times
#: her usual interval between nights here (and at least ``OVERDUE_MIN_DAYS``), counted over ≥ 3 nights.
CAP_OVERDUE, OVERDUE_FACTOR, OVERDUE_MIN_DAYS = 0.7, 2.0, 3.0
#: A man in hiding changes house about once a month (tradecraft, not fitted): the evidence says where he was at
#: her latest night here; the chance he is still there ``d`` days later is ``exp(-d / TAU_MOVE_DAYS)``.
TAU_MOVE_DAYS = 30.0
#: A discount smaller than this is not worth a sentence.
MOVE_NOTE_MIN = 0.03
#: Her silent trips no candidate explains (locate's recency-weighted ``unexplained_silent_trips``) worth a sentence in
#: the text and the report (about one recent trip).
UNSEEN_TRIPS_NOTE = 0.5
#: Sightings of him at a place (combined over independent sources: 1 - prod over sources of (1 - the source's
#: strongest confidence x nearness); see ``locate.him_seen``) this likely to be him are a direct
#: sighting, which lifts the holds when recent too; this likely, they date the place as her nights do. Priors of
#: an analyst's reading ("probably him", "maybe him"), not fitted: our simulator writes no sightings of him.
SEEN_SURE, SEEN_DATES = 0.7, 0.5
#: Evidence items weaker than this (nats) do not count as support.
SUPPORT_MIN_WEIGHT = 0.3


@dataclass(frozen=True, slots=True)
class Support:
    """What stands behind one candidate place."""

    disciplines: frozenset[str]
    sighted_him: bool
    partner_evidence: bool
    person_evidence: bool  # any circle member's movements at all
    superseded_nights: float = 0.0  # her away nights elsewhere since her latest night here (partner-weighted)
    nights_here: int = 0  # distinct nights of hers seen (or silent) here
    usual_interval_days: float = float("nan")  # median days between those nights
    days_since_last: float = float("nan")  # from her latest night here to the end of the data
    #: whose nights those are: "partner" (hers), "circle" (his people's, where she never slept), None (no night)
    nights_of: str | None = None
    #: how likely the likeliest phone that places his partner here is hers (1 when attributed to her)
    partner_phone_p: float = 1.0
    partner_phone: str = ""  # that phone, as the evidence names it
    #: whether one of the phones placing his partner here is hers by a report, a known entity or resolve
    #: with p >= SURE_PHONE_P (behaviour alone never makes a phone sure: a lieutenant's may look like hers)
    partner_phone_sure: bool = True
    #: whether something places someone at the spot itself (a fix, a sighting, a claim), not only her
    #: silences reachable in a gap (see :data:`CAP_SILENCE_ONLY`)
    pinned: bool = True
    #: the place is the home of a person the investigation tracks (see :data:`CAP_TRACKED_HOME`)
    tracked_home: bool = False
    #: when nothing observed places anyone at the spot and her silences point at the area, how many independent
    #: sources' reports name the spot (0: observed, or not a silence-only place; see :data:`CAP_ONE_NAMER`)
    named_only_by: int = 0
    seen_p: float = 0.0  # how likely the sightings of him here are him, together
    days_since_seen: float = float("nan")  # from the latest sighting of him here (≥ SEEN_DATES) to the end of data
    #: her away nights here, elsewhere since her first night here, elsewhere before it (nights.since_first)
    first_here: float = 0.0
    first_elsewhere: float = 0.0
    before_elsewhere: float = 0.0
    #: her nights since her first night here at another place of hers, three nights or more (nights.since_first)
    kept_going: float = 0.0
    #: her phone's nights here while she was seen elsewhere, confidence-weighted (phones.contradicted)
    left_behind: float = 0.0


def sure_sighting(seen_p: float, days_since_seen: float) -> bool:
    """Whether sightings of him at a place are a direct sighting *now*: sure enough and recent enough.

    >>> sure_sighting(0.8, 1.0), sure_sighting(0.4, 1.0), sure_sighting(0.9, 20.0)
    (True, False, False)
    """
    return seen_p >= SEEN_SURE and bool(np.isfinite(days_since_seen)) and days_since_seen <= FRESH_DAYS


def dated_days(s: Support) -> float:
    """Days from the latest evidence that dates the place (a night of hers, a likely sighting of him) to the end.

    >>> dated_days(Support(frozenset(), False, True, True, nights_here=2, days_since_last=9.0, seen_p=0.6,
    ...                    days_since_seen=4.0))
    4.0
    """
    nights = s.days_since_last if s.nights_here >= 1 and np.isfinite(s.days_since_last) else np.inf
    seen = s.days_since_seen if s.seen_p >= SEEN_DATES and np.isfinite(s.days_since_seen) else np.inf
    d = min(nights, seen)
    return float(d) if np.isfinite(d) else float("nan")


@dataclass(frozen=True, slots=True)
class Cap:
    """The ceiling a place's probability is held to, and why."""

    ceiling: float
    reason: str | None
    would_change: tuple[str, ...] = ()
    still_there: float = 1.0  # chance he has not moved since the latest night here (multiplies p)
    #: her visits here stopped (overdue) or went elsewhere since (superseded), and nobody saw him here lately: the
    #: evidence says where he *was*; products then state analytic confidence no higher than moderate
    may_have_moved: bool = False


@dataclass(frozen=True, slots=True)
class Area:
    """Overlapping hypotheses read together."""

    lat: float
    lon: float
    radius_m: float
    probability: float
    members: tuple[int, ...]  # indices into the hypothesis list given to :func:`areas`


@dataclass
class CappedProbabilities:
    p: FloatArray
    elsewhere: float
    caps: list[Cap] = field(default_factory=list)


#: What each source type (the case format's disciplines) would add, for the "would change it" hint: only the
#: types not already supporting the place are named
_TYPE_EXAMPLES = {"IMINT": "imagery of the site", "HUMINT": "a graded report", "GEOINT": "handset fixes",
                  "SIGINT": "calls on the masts that serve it", "OSINT": "open sources"}


def _seen_clause(s: Support) -> str:
    """What the sightings of him at a place amount to, for a hold's reason.

    >>> _seen_clause(Support(frozenset(), False, True, True))
    'nobody saw him there'
    >>> _seen_clause(Support(frozenset(), False, True, True, seen_p=0.5, days_since_seen=20.0))
    'the sightings of him here are no sure, recent sighting (together 50% likely him, the latest 20.0 days old)'
    """
    if s.seen_p < 0.05:
        return "nobody saw him there"
    latest = f", the latest {s.days_since_seen:.1f} days old" if np.isfinite(s.days_since_seen) else ""
    return f"the sightings of him here are no sure, recent sighting (together {100 * s.seen_p:.0f}% likely him{latest})"


def cap_for(s: Support) -> Cap:
    """The ceiling for one place given its support (see the module docstring)."""
    hints: list[str] = []
    ceiling = 1.0
    reason = None
    if len(s.disciplines) < 2 and not s.sighted_him:
        ceiling = CAP_SINGLE_TYPE
        if s.disciplines:
            reason = (f"held below {CAP_SINGLE_TYPE:.2f}: only one source type ({next(iter(s.disciplines))}) "
                      f"supports it and {_seen_clause(s)}")
        else:
            reason = f"held below {CAP_SINGLE_TYPE:.2f}: no item of evidence here is strong on its own, and {_seen_clause(s)}"
        others = [v for k, v in _TYPE_EXAMPLES.items() if k not in s.disciplines]
        hints.append(f"an independent source type ({', '.join(others[:-1])}, or {others[-1]}) placing him or his partner here")
        hints.append("a sighting of him at this place")
    if s.person_evidence and not s.partner_evidence and not s.sighted_him:
        ceiling = min(ceiling, CAP_OTHERS_ONLY)
        reason = (f"held below {CAP_OTHERS_ONLY:.2f}: only associates' movements support it (they may have reasons of "
                  "their own to be here, e.g. a decoy or meeting house); his partner was not located here")
        hints.insert(0, "his partner located here at night")
    if s.partner_evidence and not s.sighted_him and not s.partner_phone_sure and ceiling > CAP_UNSURE_PHONE:
        ceiling = CAP_UNSURE_PHONE
        reason = (f"held below {CAP_UNSURE_PHONE:.2f}: only phones that are hers by inference alone place his partner "
                  f"here (likeliest {s.partner_phone}, p {s.partner_phone_p:.2f}); they may be someone else's, "
                  "e.g. a lieutenant's")
        hints.insert(0, f"confirmation that {s.partner_phone} is his partner's phone (a graded report, or her "
                        "handset seen with her)")
    shared = attribution_ceiling(s.partner_phone_p)
    if s.partner_evidence and not s.sighted_him and s.partner_phone_sure and ceiling > shared:
        ceiling = shared
        reason = (f"held below {shared:.2f}: the phone that places his partner here ({s.partner_phone}) is hers with "
                  f"p {s.partner_phone_p:.2f}; if it is someone else's, her nights here are an associate's movements, "
                  f"which alone hold a place below {CAP_OTHERS_ONLY:.2f}")
        hints.insert(0, f"a second, independent source that {s.partner_phone} is his partner's phone (a graded "
                        "report, the carrier's subscriber record, or her handset seen with her)")
    if s.partner_evidence and not s.pinned and not s.sighted_him and ceiling > CAP_SILENCE_ONLY:
        ceiling = CAP_SILENCE_ONLY
        reason = (f"held below {CAP_SILENCE_ONLY:.2f}: only her silences point here (nights with her phone out of "
                  "coverage or switched off, this place within her reach); other places in the same area explain "
                  "them as well, and nothing places her or him at this spot")
        hints.insert(0, "imagery of the site (his circle's vehicles, or him), or her handset located here")
    if s.named_only_by == 1 and not s.sighted_him and ceiling > CAP_ONE_NAMER:
        ceiling = CAP_ONE_NAMER
        reason = (f"held below {CAP_ONE_NAMER:.2f}: her silences point at the area around it (out of coverage, or her "
                  "phone off on the way), and only one source's reports name this spot; nothing observed places her "
                  "or him here")
        hints.insert(0, "imagery of the site (his circle's vehicles, or him), or a second, independent source naming it")
    held = _few_nights(s)
    if held is not None and ceiling > held[0]:
        ceiling, reason = held
        hints.insert(0, "a further night of his partner here, or a sighting of him")
    if s.left_behind > 0.0 and not s.sighted_him and ceiling > CAP_LEFT_BEHIND:  # each night counts ≥ phones.SEEN_HER
        ceiling = CAP_LEFT_BEHIND
        reason = (f"held below {CAP_LEFT_BEHIND:.2f}: his partner was seen elsewhere at night while her phone slept "
                  f"here ({s.left_behind:.1f} night(s), weighed by how sure the sightings are); the phone stays "
                  "behind when she goes out, so this may be where she leaves it")
        hints.insert(0, "his partner herself (not her phone) seen here at night")
    if s.tracked_home and not s.sighted_him and ceiling > CAP_TRACKED_HOME:
        ceiling = CAP_TRACKED_HOME
        reason = (f"held below {CAP_TRACKED_HOME:.2f}: the home of a phone the investigation tracks; he may live "
                  "there with its owner (a guard, a housekeeper), or those who visit may visit its owner")
        hints.insert(0, "imagery of the site, or a sighting of him, telling his house from its owner's")
    dated = dated_days(s)
    if np.isfinite(dated) and dated > FRESH_DAYS and not s.sighted_him and ceiling > CAP_STALE:
        ceiling = CAP_STALE
        latest = ("his partner's latest night here" if dated == s.days_since_last
                  else "the latest likely sighting of him here")
        reason = (f"held below {CAP_STALE:.2f}: {latest} was {dated:.1f} days before the end of the data; he was "
                  "here then, but 'very likely' about now needs a night of hers (or a sure sighting of him) within "
                  f"{FRESH_DAYS:.0f} days")
        hints.insert(0, "a recent night of his partner here, or a sighting of him")
    overdue = (s.nights_here >= 3 and s.days_since_last >= OVERDUE_MIN_DAYS
               and s.days_since_last >= OVERDUE_FACTOR * s.usual_interval_days)
    if overdue and not s.sighted_him and ceiling > CAP_OVERDUE:
        ceiling = CAP_OVERDUE
        reason = (f"held below {CAP_OVERDUE:.2f}: his partner has not spent a night here for {s.days_since_last:.1f} days, "
                  f"though she came about every {s.usual_interval_days:.1f} days; he may have moved")
        hints.insert(0, "a recent night of his partner here, or a sighting of him")
    if s.superseded_nights >= SUPERSEDED_NIGHTS and not s.sighted_him and ceiling > CAP_SUPERSEDED:
        ceiling = CAP_SUPERSEDED
        reason = (f"held below {CAP_SUPERSEDED:.2f}: since her latest night here his partner has spent "
                  f"{s.superseded_nights:.0f} nights away elsewhere; he may have moved")
        hints.insert(0, "his partner (or he) seen here again at night")
    still = still_there(s)
    if reason is None and 1.0 - still >= MOVE_NOTE_MIN:
        reason = (f"discounted by {100 * (1 - still):.0f}%: the latest night of his partner or likely sighting of him "
                  f"here was {dated:.1f} days before the end of the data, and he may have moved since")
        hints.insert(0, "a recent night of his partner here, or a sighting of him")
    moved = (overdue or s.superseded_nights >= SUPERSEDED_NIGHTS) and not s.sighted_him
    return Cap(ceiling, reason, tuple(hints), still, moved)


def _few_nights(s: Support) -> tuple[float, str] | None:
    """The hold (ceiling, reason) for a place whose nights of hers do not tell a move from a night out: one or two
    against a pattern elsewhere, nights alternating with another place's (:data:`CAP_NIGHT_OUT`), or one night
    alone (:data:`CAP_ONE_NIGHT`); None when none applies or he was surely seen there."""
    if s.sighted_him:
        return None
    if night_out(s):
        pattern = (f"{s.first_elsewhere:.0f} away elsewhere since her first" if s.first_elsewhere >= s.first_here
                   else f"{s.before_elsewhere:.0f} away elsewhere before (located, or her phone silent on a trip)")
        return CAP_NIGHT_OUT, (
            f"held below {CAP_NIGHT_OUT:.2f}: only {s.first_here:.0f} night(s) of his partner here, and "
            f"{pattern}; a night out explains them as well as a move here" if s.first_here < PATTERN_NIGHTS else
            f"held below {CAP_NIGHT_OUT:.2f}: his partner's {s.first_here:.0f} nights here alternate with "
            f"{s.first_elsewhere:.0f} away elsewhere since her first here"
            + (f", {s.kept_going:.0f} of them at another place she keeps going to" if s.kept_going >= 0.5 else "")
            + "; her nights alone cannot tell which place is him and which a habit of hers")
    if s.partner_evidence and 0.5 <= s.first_here <= 1.0 and s.nights_here <= 1:  # one night, by both counts
        return CAP_ONE_NIGHT, (f"held below {CAP_ONE_NIGHT:.2f}: one night of his partner here; one night is a night "
                               "out as much as a move, whatever else points here")
    return None


def night_out(s: Support) -> bool:
    """Whether the place rests on one or two nights of hers while her away nights elsewhere make a pattern: as
    many since her first night here, or :data:`PATTERN_NIGHTS` before it (:data:`CAP_NIGHT_OUT`).

    >>> night_out(Support(frozenset(), False, True, True, first_here=2.0, first_elsewhere=2.0))
    True
    >>> night_out(Support(frozenset(), False, True, True, first_here=1.0, before_elsewhere=7.0))  # move or night out
    True
    >>> night_out(Support(frozenset(), False, True, True, first_here=2.0, first_elsewhere=1.0))  # no pattern yet
    False
    >>> night_out(Support(frozenset(), False, True, True, first_here=7.0, first_elsewhere=2.0))  # a pattern here
    False
    """
    return s.partner_evidence and (0.5 <= s.first_here < PATTERN_NIGHTS and (
        s.first_elsewhere >= s.first_here or s.before_elsewhere >= PATTERN_NIGHTS) or alternating(s))


def alternating(s: Support) -> bool:
    """Whether her nights here alternate with nights elsewhere, however many: since her first night here she spent
    at least as many away nights elsewhere as here, or nights at another place of hers (:data:`PATTERN_NIGHTS`
    nights there, or at no listed place: a blind spot she keeps going to), which a move here would have ended.
    Two places she keeps going to, which her nights alone cannot tell apart: one is him, the other a habit of
    hers. Held as a night out is (:data:`CAP_NIGHT_OUT`).

    >>> alternating(Support(frozenset(), False, True, True, first_here=3.0, first_elsewhere=3.0))
    True
    >>> alternating(Support(frozenset(), False, True, True, first_here=3.0, first_elsewhere=1.0, kept_going=1.0))
    True
    >>> alternating(Support(frozenset(), False, True, True, first_here=6.0, first_elsewhere=2.0))
    False
    """
    return s.partner_evidence and s.first_here >= 0.5 and (s.first_elsewhere >= s.first_here or s.kept_going >= 0.5)


def attribution_ceiling(phone_p: float) -> float:
    """The most a place may get when his partner's presence there rests on a phone hers with probability
    ``phone_p``: if it is hers, her nights may make it certain; if not (``1 - phone_p``), they are an associate's
    movements, held at :data:`CAP_OTHERS_ONLY`. So ``phone_p + (1 - phone_p) * CAP_OTHERS_ONLY``: an analyst's
    own attribution (1) leaves it at 1, a number one report gives her against her people's calling habits (0.58)
    holds her place at 0.89.

    >>> attribution_ceiling(1.0), round(attribution_ceiling(0.58), 3), attribution_ceiling(0.0) == CAP_OTHERS_ONLY
    (1.0, 0.89, True)
    """
    p = min(max(float(phone_p), 0.0), 1.0)
    return float(np.floor(100.0 * (p + (1.0 - p) * CAP_OTHERS_ONLY) + 1e-9) / 100.0)  # as the hold reads it


def still_there(s: Support) -> float:
    """Chance he has not moved since the latest evidence that dates the place (:func:`dated_days`); 1 when a
    sure recent sighting, or nothing, dates it.

    >>> round(still_there(Support(frozenset(), False, True, True, nights_here=4, days_since_last=3.0)), 3)
    0.905
    >>> round(still_there(Support(frozenset({"IMINT"}), False, False, False, seen_p=0.8, days_since_seen=21.0)), 3)
    0.497
    """
    dated = dated_days(s)
    if s.sighted_him or not np.isfinite(dated):
        return 1.0
    return float(np.exp(-max(dated, 0.0) / TAU_MOVE_DAYS))


def apply_caps(p: FloatArray, elsewhere: float, caps: list[Cap]) -> CappedProbabilities:
    """Discount each place by the chance he has moved since, clip it at its ceiling; what is taken goes to *elsewhere*."""
    ceil = np.array([c.ceiling for c in caps], dtype=float) if caps else np.ones_like(p)
    still = np.array([c.still_there for c in caps], dtype=float) if caps else np.ones_like(p)
    q = np.minimum(p * still, ceil)
    return CappedProbabilities(q, float(elsewhere + (p - q).sum()), caps)


def areas(hyps: list[tuple[float, float, float, float]], link_m: float = AREA_LINK_M) -> list[Area]:
    """Single-linkage areas of ``(lat, lon, radius_m, probability)`` hypotheses, most probable first."""
    n = len(hyps)
    if n == 0:
        return []
    lat = np.array([h[0] for h in hyps], dtype=float)
    lon = np.array([h[1] for h in hyps], dtype=float)
    rad = np.array([h[2] for h in hyps], dtype=float)
    p = np.array([h[3] for h in hyps], dtype=float)
    d = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    label = np.arange(n)
    changed = True
    while changed:  # min-label propagation over the link graph (n is a few dozen)
        nxt = np.where(d <= link_m, label[None, :], n).min(axis=1)
        nxt = np.minimum(nxt, label)
        changed = bool((nxt != label).any())
        label = nxt
    out: list[Area] = []
    for g in np.unique(label):
        idx = np.flatnonzero(label == g)
        w = p[idx] if p[idx].sum() > 0 else np.ones(idx.size)
        clat = float((lat[idx] * w).sum() / w.sum())
        clon = float((lon[idx] * w).sum() / w.sum())
        reach = float(np.max(haversine_m(clat, clon, lat[idx], lon[idx]) + rad[idx]))
        out.append(Area(clat, clon, reach, float(p[idx].sum()), tuple(int(i) for i in idx)))
    out.sort(key=lambda a: (-a.probability, a.members[0]))
    return out
