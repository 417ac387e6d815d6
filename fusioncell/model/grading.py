"""Admiralty (NATO STANAG 2511) grading turned into evidence weight: one table.

Source reliability (A–F) is a property of the source; information credibility
(1–6) a property of one report or claim. The two are independent axes. This
module is the *only* place where they become numbers, so every stage weighs
a graded claim the same way and an analyst can read the whole policy here.

``P_TRUE[reliability][credibility]`` is the prior probability that a claim so
graded is true. The diagonal follows the grading definitions (A1 "completely
reliable, confirmed" ≈ 0.95, F6 "cannot be judged" = 0.5, i.e. no
information); E5 ("unreliable, improbable") sits below 0.5 because such a
claim is evidence *against* itself. F and 6 are not worthless, they are
unknown: they stay at 0.5 on their own axis. Graded sources are still wrong
sometimes, so nothing reaches 1.

Weight of evidence is the log-likelihood ratio ``log(p / (1 - p))``: a claim
at 0.5 adds nothing, a B2 claim adds about +1.4 nats.
"""

from __future__ import annotations

import math

RELIABILITY = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}

# How much the source's track record moves the odds (multiplier on odds).
_RELIABILITY_ODDS = {"A": 6.0, "B": 3.0, "C": 1.6, "D": 0.9, "E": 0.6, "F": 1.0}
# How much the information's own assessment moves the odds.
_CREDIBILITY_ODDS = {1: 4.0, 2: 2.2, 3: 1.3, 4: 0.7, 5: 0.4, 6: 1.0}


def _p(rel: str, cred: int) -> float:
    odds = _RELIABILITY_ODDS[rel] * _CREDIBILITY_ODDS[cred]
    return round(min(0.95, max(0.05, odds / (1.0 + odds))), 3)


#: Probability that a claim graded (reliability, credibility) is true.
P_TRUE: dict[str, dict[int, float]] = {r: {c: _p(r, c) for c in CREDIBILITY} for r in RELIABILITY}


def p_true(reliability: str | None, credibility: int | None) -> float:
    """Probability that a claim so graded is true (unknown grade counts as F / 6)."""
    rel = (reliability or "F").upper()
    if rel not in RELIABILITY:
        rel = "F"
    cred = credibility if credibility in CREDIBILITY else 6
    return P_TRUE[rel][cred]


def weight(reliability: str | None, credibility: int | None) -> float:
    """Weight of evidence in nats (log-odds) of a claim so graded."""
    p = p_true(reliability, credibility)
    return math.log(p / (1.0 - p))


def grade(reliability: str | None, credibility: int | None) -> str:
    """The two-character grade, e.g. ``"B2"``."""
    return f"{(reliability or 'F').upper()}{credibility if credibility in CREDIBILITY else 6}"


def describe_source(reliability: str | None) -> str:
    """A generic descriptor safe to release (write-to-release practice)."""
    rel = (reliability or "F").upper()
    access = {
        "A": "a source with established access",
        "B": "a source with good access",
        "C": "a source with some access",
        "D": "a source with limited access",
        "E": "a source of doubtful access",
        "F": "a new source",
    }.get(rel, "a source")
    return f"{access}, {RELIABILITY.get(rel, 'reliability cannot be judged')} ({rel})"
