"""ICD 203 estimative language: probabilities as the words a decision maker reads.

Intelligence Community Directive 203 fixes seven likelihood terms and the
probability band each covers::

    almost no chance      1–5 %
    very unlikely         5–20 %
    unlikely             20–45 %
    roughly even chance  45–55 %
    likely               55–80 %
    very likely          80–95 %
    almost certainly     95–99 %

The bands share their end points. fusioncell resolves a value that sits
exactly on a boundary towards the *less extreme* word (towards "roughly even
chance"): 0.05 is "very unlikely", 0.20 "unlikely", 0.45 and 0.55 "roughly
even chance", 0.80 "likely", 0.95 "very likely". A product should never
sound surer than its number. Values below 1 % still read "almost no chance"
and above 99 % "almost certainly": the directive has no word for certainty,
and neither do we.

Analytic confidence (how good the evidence base is) is a separate axis. ICD
203 asks that a likelihood term and a confidence term never share a
sentence; :func:`mixes_likelihood_and_confidence` checks a text for that and
the report runs it over its own key judgments.

>>> estimative(0.81)
'very likely'
>>> estimative(0.5)
'roughly even chance'
>>> judgment("the target is at the rural compound", 0.62)
'It is likely (62%) that the target is at the rural compound.'
"""

from __future__ import annotations

import math
import re
from typing import Final

from fusioncell.errors import UsageError

#: (upper bound of the band, word). Read with :func:`estimative`.
BANDS: Final[tuple[tuple[float, float, str], ...]] = (
    (0.01, 0.05, "almost no chance"),
    (0.05, 0.20, "very unlikely"),
    (0.20, 0.45, "unlikely"),
    (0.45, 0.55, "roughly even chance"),
    (0.55, 0.80, "likely"),
    (0.80, 0.95, "very likely"),
    (0.95, 0.99, "almost certainly"),
)

#: Every likelihood word of ICD 203, with the synonyms it allows.
LIKELIHOOD_TERMS: Final[tuple[str, ...]] = (
    "almost no chance",
    "remote",
    "very unlikely",
    "highly improbable",
    "unlikely",
    "improbable",
    "improbably",
    "roughly even chance",
    "roughly even odds",
    "likely",
    "probable",
    "probably",
    "very likely",
    "highly probable",
    "almost certain",
    "almost certainly",
    "nearly certain",
)

#: Words that speak of analytic confidence rather than likelihood.
CONFIDENCE_TERMS: Final[tuple[str, ...]] = ("confidence", "confident")

#: Analytic confidence levels, lowest first.
CONFIDENCE_LEVELS: Final[tuple[str, ...]] = ("low", "moderate", "high")

_LIKELIHOOD_RE = re.compile(
    r"\b(" + "|".join(re.escape(t) for t in sorted(LIKELIHOOD_TERMS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_CONFIDENCE_RE = re.compile(r"\b(" + "|".join(CONFIDENCE_TERMS) + r")\b", re.IGNORECASE)
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")


def _check_probability(p: float) -> float:
    try:
        value = float(p)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"probability must be a number, got {p!r}") from exc
    if math.isnan(value) or value < 0.0 or value > 1.0:
        raise UsageError(f"probability must lie in [0, 1], got {p!r}")
    return value


def estimative(p: float) -> str:
    """The ICD 203 likelihood word for probability ``p``.

    Parameters
    ----------
    p : float
        A probability in ``[0, 1]``.

    Returns
    -------
    str
        One of the seven terms of :data:`BANDS`. A value on a band boundary
        gets the word nearer to "roughly even chance".

    Raises
    ------
    fusioncell.errors.UsageError
        If ``p`` is not a number in ``[0, 1]``.

    Examples
    --------
    >>> [estimative(x) for x in (0.03, 0.05, 0.2, 0.45, 0.55, 0.8, 0.95, 0.97)]  # doctest: +NORMALIZE_WHITESPACE
    ['almost no chance', 'very unlikely', 'unlikely', 'roughly even chance',
     'roughly even chance', 'likely', 'very likely', 'almost certainly']
    """
    value = _check_probability(p)
    if value < 0.05:
        return "almost no chance"
    if value < 0.20:
        return "very unlikely"
    if value < 0.45:
        return "unlikely"
    if value <= 0.55:
        return "roughly even chance"
    if value <= 0.80:
        return "likely"
    if value <= 0.95:
        return "very likely"
    return "almost certainly"


def band(p: float) -> tuple[float, float]:
    """The nominal probability band ``(low, high)`` of the word for ``p``.

    >>> band(0.62)
    (0.55, 0.8)
    """
    word = estimative(p)
    for low, high, w in BANDS:
        if w == word:
            return (low, high)
    raise AssertionError(word)  # pragma: no cover - BANDS covers every word


def percent(p: float) -> str:
    """``p`` as a whole percentage for display, never "0%" or "100%".

    >>> percent(0.814), percent(0.0001), percent(0.99999), percent(0.005), percent(0.995)
    ('81%', '<1%', '>99%', '<1%', '>99%')
    """
    value = _check_probability(p)
    whole = round(value * 100)  # banker's rounding: 0.5 -> 0, 99.5 -> 100, hence the checks on the result
    if whole < 1:
        return "<1%"
    if whole > 99:
        return ">99%"
    return f"{whole:d}%"


def distance(metres: float) -> str:
    """A radius or distance as a reader says it: metres below a kilometre, else kilometres.

    >>> distance(150), distance(1500), distance(12000)
    ('150 m', '1.5 km', '12 km')
    """
    m = float(metres)
    return f"{m:.0f} m" if m < 1000 else f"{m / 1000:.1f}".removesuffix(".0") + " km"


def judgment(proposition: str, p: float, *, show_number: bool = True) -> str:
    """One estimative sentence: "It is <word> (<n>%) that <proposition>."

    ``proposition`` is a clause without a final full stop, e.g.
    ``"the target is at the rural compound"``. "roughly even chance" reads
    "There is a roughly even chance that ..." to stay grammatical; "almost
    no chance" likewise, and "almost certainly" takes its adjective form
    ("It is almost certain that ...", ICD 203's "almost certain(ly)").

    >>> judgment("he is in town", 0.5, show_number=False)
    'There is a roughly even chance that he is in town.'
    >>> judgment("he is in town", 0.97)
    'It is almost certain (97%) that he is in town.'
    """
    word = estimative(p)
    num = f" ({percent(p)})" if show_number else ""
    clause = proposition.strip().rstrip(".")
    if word in ("roughly even chance", "almost no chance"):
        return f"There is {'a ' if word.startswith('roughly') else ''}{word}{num} that {clause}."
    if word == "almost certainly":
        word = "almost certain"
    return f"It is {word}{num} that {clause}."


def confidence_level(
    n_sources: int,
    n_disciplines: int,
    n_agencies: int,
    margin: float,
    dated: bool = False,
) -> str:
    """Analytic confidence in a judgment, from the breadth of its evidence.

    A heuristic an analyst can check, independent of the probability itself:

    * ``high`` — at least three independent sources in at least two
      disciplines, and the leading hypothesis ahead of the next by at least
      0.30;
    * ``low`` — a single source, or the leader ahead by less than 0.10;
    * ``moderate`` — anything between.

    ``n_agencies`` does not raise confidence on its own (two agencies can
    share one informant) but is reported beside it. ``dated`` (the evidence
    may describe where he *was*: her visits there stopped or went elsewhere)
    caps it at ``moderate``: confidence covers the currency of the evidence,
    not only its breadth.

    >>> confidence_level(4, 3, 2, 0.5), confidence_level(1, 1, 1, 0.9), confidence_level(2, 1, 1, 0.4)
    ('high', 'low', 'moderate')
    >>> confidence_level(4, 3, 2, 0.5, dated=True)
    'moderate'
    """
    del n_agencies  # reported, not scored
    if n_sources <= 1 or margin < 0.10:
        return "low"
    if n_sources >= 3 and n_disciplines >= 2 and margin >= 0.30 and not dated:
        return "high"
    return "moderate"


def confidence_sentence(level: str, basis: str) -> str:
    """A sentence stating analytic confidence, free of likelihood words.

    >>> confidence_sentence("moderate", "evidence from 3 sources in 2 disciplines")
    'We have moderate confidence in this assessment, based on evidence from 3 sources in 2 disciplines.'
    """
    if level not in CONFIDENCE_LEVELS:
        raise UsageError(f"confidence level must be one of {CONFIDENCE_LEVELS}, got {level!r}")
    sentence = f"We have {level} confidence in this assessment, based on {basis.strip().rstrip('.')}."
    if _LIKELIHOOD_RE.search(sentence):
        raise UsageError(f"a confidence statement must not use a likelihood word: {sentence!r}")
    return sentence


def sentences(text: str) -> list[str]:
    """Split prose into sentences (on ., ! or ? followed by white space)."""
    return [s for s in _SENTENCE_RE.split(text.strip()) if s]


def mixes_likelihood_and_confidence(text: str) -> list[str]:
    """The sentences of ``text`` that put a likelihood and a confidence word together.

    An empty list means the text follows ICD 203 on this point.

    >>> mixes_likelihood_and_confidence("It is likely that he is there. We have high confidence.")
    []
    >>> mixes_likelihood_and_confidence("We are highly confident he is likely there.")
    ['We are highly confident he is likely there.']
    """
    return [s for s in sentences(text) if _LIKELIHOOD_RE.search(s) and _CONFIDENCE_RE.search(s)]


#: What each kind of location evidence says, in a partner's words: who did it is named separately (by role),
#: never by an identifier; model terms ("(log)", "x remote") stay out of the product, and so do the words that
#: name how it was collected (cell sites, a phone, an informant): the discipline is not the partner's to know.
EVIDENCE_WORDS: dict[str, str] = {
    "nights_partner": "spent nights here, away from home",
    "nights_partner_coarse": "spent nights in the wider area of this place",
    "nights_others": "spent nights here",
    "days_fine": "visited here by day",
    "days_coarse": "spent days in the wider area of this place",
    "convergence": "several of the subject's circle were located here",
    "dark": "fell out of contact after being here",
    "silent_nights": "was out of contact on nights when this isolated place was within reach",
    "silent_reach": "was out of contact on nights when this place was within reach",
    "sighting_him": "sighted here",
    "sighting_vehicle": "sighted here",
    "claims": "a report places the subject here",
    "isolated_nights": "spent nights here, and the place is isolated",
    "lead_margin": "located here on more nights than at any other place",
    "home_of_member": "the place is the home of someone in the subject's circle",
    "remote": "isolated place",
    "isolated_presence": "the subject's circle spends nights or is seen here, and the place is isolated",
    "staleness": "no night-time evidence here for more than a week",
    "superseded": "nights away from home were spent at other places since the last one here",
    "latest": "the most recent night away from home was spent here",
    "vague": "the place is known only within a wide area",
    "overdue": "visits here stopped, or the vehicles parked here were seen elsewhere since",
    "moved_here": "where the subject likely went after the visits to a former place stopped",
    "household": "vehicles are parked here on several days: a lived-in place",
}


#: The ``kind`` a partner's product gives an evidence item: what sort of evidence it is, not the model feature's
#: name ("nights_partner_coarse" told whose phone was followed, and on cell sites).
EVIDENCE_CATEGORY: dict[str, str] = {
    **dict.fromkeys(("nights_partner", "nights_partner_coarse", "nights_others", "days_fine", "days_coarse",
                     "convergence", "isolated_nights", "lead_margin", "latest", "moved_here", "household"), "presence"),
    **dict.fromkeys(("dark", "silent_nights", "silent_reach", "staleness", "superseded", "overdue"), "absence"),
    **dict.fromkeys(("sighting_him", "sighting_vehicle"), "sighting"),
    "claims": "report",
    **dict.fromkeys(("home_of_member", "remote", "isolated_presence", "vague"), "place"),
}


#: The owner's report names each kind of evidence in an analyst's words (methods may be named: the report stays
#: home); the model's feature name stays in the cell's tooltip for the developer.
EVIDENCE_KIND: dict[str, str] = {
    "nights_partner": "her nights (handset fixes)",
    "nights_partner_coarse": "her nights (cell sites)",
    "nights_others": "his people's nights",
    "days_fine": "his people's days (fixes)",
    "days_coarse": "his people's days (cell sites)",
    "convergence": "his people meet here",
    "dark": "phone off after being here",
    "silent_nights": "her silences (coverage hole)",
    "silent_reach": "her phone off on the way",
    "sighting_him": "sighting of him",
    "sighting_vehicle": "sighting of his people",
    "claims": "informant report",
    "isolated_nights": "her nights, isolated place",
    "lead_margin": "lead over the next place",
    "home_of_member": "a member's own home",
    "remote": "isolated place",
    "isolated_presence": "isolated place in use",
    "staleness": "age of the evidence",
    "superseded": "her nights elsewhere since",
    "latest": "her latest night away",
    "vague": "vague position",
    "overdue": "visits stopped",
    "moved_here": "he may have moved here",
    "household": "lived in (vehicles parked)",
}


def evidence_kind(kind: str | None) -> str:
    """The owner's report's name for a kind of evidence (:data:`EVIDENCE_KIND`; the raw kind when it lacks one).

    >>> evidence_kind("nights_partner_coarse"), evidence_kind("a_new_feature")
    ('her nights (cell sites)', 'a_new_feature')
    """
    return EVIDENCE_KIND.get(str(kind), str(kind or ""))


def evidence_category(kind: str | None) -> str:
    """The partner's ``kind`` of an evidence item (:data:`EVIDENCE_CATEGORY`; "other" for a kind it lacks).

    >>> evidence_category("nights_partner_coarse"), evidence_category("claims"), evidence_category("new_feature")
    ('presence', 'report', 'other')
    """
    return EVIDENCE_CATEGORY.get(str(kind), "other")


def evidence_line(kind: str | None, subjects: list[str] | tuple[str, ...], subject: str,
                  summary: str | None = None) -> str | None:
    """One evidence line for a shared product: who by role ("the subject", "an associate"), then what.

    A kind this table does not know keeps its ``summary`` (which the product scrubs like any free text).

    Parameters
    ----------
    kind
        The evidence kind (a locate feature name).
    subjects
        Entity ids or identifiers the evidence rests on (may be empty).
    subject
        The product's subject (the target's entity id).
    summary
        The analysis's own line, used for a kind not in :data:`EVIDENCE_WORDS`.

    >>> evidence_line("days_fine", ["+523312345678"], "person-target")
    'An associate: visited here by day'
    >>> evidence_line("sighting_him", ["person-target"], "person-target")
    'The subject: sighted here'
    >>> evidence_line("sighting_him", [], "person-target")
    'Sighted here'
    >>> evidence_line("staleness", [], "person-target")
    'No night-time evidence here for more than a week'
    """
    if kind not in EVIDENCE_WORDS:
        return summary
    what = EVIDENCE_WORDS[kind]
    others = [s for s in subjects if s != subject]
    who = []
    if subject in subjects:
        who.append("the subject")
    if others:
        who.append("an associate" if len(others) == 1 else f"{len(others)} associates")
    text = f"{' and '.join(who)}: {what}" if who else what
    return text[:1].upper() + text[1:]


#: How an inferred relationship reads in a sentence ("X is <phrase> of Y").
RELATIONSHIP_PHRASES: dict[str, str] = {
    "partner": "the romantic partner",
    "family": "a relative",
    "friend": "a friend",
    "work": "a work contact",
    "logistics": "a logistics contact (courier or supplier)",
    "associate": "an associate",
    "one-off": "a one-off contact",
}


def associate_line(relationship: str | None, relationship_p: float | None, strength: float | None) -> str:
    """Why an associate is listed, for a shared product: the relationship and the tie, never how they were seen.

    The network stage's own reason names call counts and durations, graded reports and entity ids
    (the disciplines and sources behind the tie); a partner gets the assessment alone.

    >>> associate_line("friend", 0.551, 0.323)
    'Assessed as a friend of the subject (likely, 55%); tie strength 0.32 on a scale of 0 to 1'
    >>> associate_line("unknown", 0.34, 0.58)
    'Close to the subject, relationship not determined; tie strength 0.58 on a scale of 0 to 1'
    """
    rel = str(relationship or "unknown")
    if rel in RELATIONSHIP_PHRASES and relationship_p is not None:
        p = float(relationship_p)
        text = f"Assessed as {RELATIONSHIP_PHRASES[rel]} of the subject ({estimative(p)}, {percent(p)})"
    else:
        text = "Close to the subject, relationship not determined"
    return text + (f"; tie strength {float(strength):.2f} on a scale of 0 to 1" if strength is not None else "")


def with_sources(line: str, sources: list[str] | tuple[str, ...]) -> str:
    """``line`` followed by its source descriptions in brackets, or alone when there are none (never "()").

    >>> with_sources("Sighted here", [])
    'Sighted here'
    >>> with_sources("Sighted here", ["a usually reliable source (B)"])
    'Sighted here (a usually reliable source (B))'
    """
    return f"{line} ({'; '.join(sources)})" if sources else line
