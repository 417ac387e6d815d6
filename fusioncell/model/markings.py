"""Markings: who owns a fact, who may see it, and its TLP 2.0 level.

Every source of a case carries a :class:`Marking`: the owning ``agency``,
the agencies it is ``releasable_to`` (from ``sources.csv``) and a Traffic
Light Protocol 2.0 level. A derived result (a tie, a place, a location
hypothesis) rests on several sources; it inherits the *most restrictive*
marking of its evidence (:func:`combine`):

* its audience is the **intersection** of the evidence's audiences (an
  agency may see a derived fact only if it may see every piece of evidence
  it rests on);
* its TLP level is the **highest** of the evidence's levels
  (CLEAR < GREEN < AMBER < AMBER+STRICT < RED).

Default TLP policy (:func:`default_tlp`), when ``sources.csv`` gives no
``tlp`` column value:

* a source releasable to nobody but its owner is ``TLP:AMBER+STRICT``
  (the owner's organisation only);
* a source releasable to other agencies is ``TLP:AMBER`` (the recipients'
  organisations, need to know).

An explicit ``tlp`` value in ``sources.csv`` (``clear``, ``green``,
``amber``, ``amber+strict``, ``red``, with or without the ``TLP:`` prefix)
overrides the default. TLP says how a recipient may pass a fact on;
``releasable_to`` says who may receive it at all. Both are enforced: the
releasability filter (:mod:`fusioncell.security.releasability`) uses the
audience, products carry the TLP level.

>>> a = Marking("SEDENA-INT", frozenset({"PARTNER-US"}), "amber")
>>> b = Marking("PARTNER-US", frozenset({"SEDENA-INT"}), "amber")
>>> sorted(combine([a, b]).audience)
['PARTNER-US', 'SEDENA-INT']
>>> c = Marking("SEDENA-INT", frozenset(), "amber+strict")
>>> combine([a, c]).audience, combine([a, c]).tlp
(frozenset({'SEDENA-INT'}), 'amber+strict')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

#: TLP 2.0 levels, least restrictive first.
TLP_LEVELS: tuple[str, ...] = ("clear", "green", "amber", "amber+strict", "red")
_RANK = {level: i for i, level in enumerate(TLP_LEVELS)}


class MarkingError(ValueError):
    """A marking value that cannot be read (e.g. an unknown TLP level)."""


def normalize_tlp(value: str | None) -> str | None:
    """``"TLP:AMBER+STRICT"`` / ``"amber+strict"`` → ``"amber+strict"``; empty → ``None``.

    ``white`` (TLP 1.0) is read as ``clear``. Raises :class:`MarkingError` for
    anything else.

    >>> normalize_tlp("TLP:Amber+Strict")
    'amber+strict'
    """
    if value is None:
        return None
    text = value.strip().lower().replace(" ", "")
    if not text:
        return None
    if text.startswith("tlp:"):
        text = text[4:]
    if text == "white":
        text = "clear"
    if text not in _RANK:
        raise MarkingError(f"unknown TLP level {value!r} (expected one of {', '.join(TLP_LEVELS)})")
    return text


def tlp_label(level: str) -> str:
    """``"amber+strict"`` → ``"TLP:AMBER+STRICT"``."""
    return f"TLP:{level.upper()}"


def default_tlp(releasable_to: Iterable[str], owner: str | None = None) -> str:
    """The policy's TLP level for a source without an explicit one.

    Owner only → ``amber+strict``; releasable to any other agency → ``amber``.
    """
    others = {a for a in releasable_to if a and a != owner}
    return "amber" if others else "amber+strict"


def tlp_max(levels: Iterable[str]) -> str:
    """The most restrictive of some TLP levels (``clear`` for none)."""
    best = "clear"
    for level in levels:
        if _RANK[level] > _RANK[best]:
            best = level
    return best


@dataclass(frozen=True, slots=True)
class Marking:
    """The marking of a source or of a derived result.

    ``owner`` is the owning agency (for a derived result resting on several
    agencies' evidence, the sorted owners joined by ``+``); ``releasable_to``
    the other agencies allowed to see it; ``tlp`` a TLP 2.0 level.
    ``source_ids`` / ``event_ids`` record the evidence a derived marking was
    computed from.
    """

    owner: str
    releasable_to: frozenset[str]
    tlp: str
    source_ids: tuple[str, ...] = field(default=())
    event_ids: tuple[str, ...] = field(default=())

    @property
    def audience(self) -> frozenset[str]:
        """Every agency allowed to see the marked fact (owners included)."""
        owners = frozenset(o for o in self.owner.split("+") if o)
        return owners | self.releasable_to

    def allows(self, agency: str) -> bool:
        """May ``agency`` see the marked fact?"""
        return agency in self.audience

    @property
    def tlp_label(self) -> str:
        return tlp_label(self.tlp)

    def to_dict(self) -> dict[str, object]:
        return {
            "owner": self.owner,
            "releasable_to": sorted(self.releasable_to),
            "tlp": self.tlp_label,
            "source_ids": list(self.source_ids),
            "event_ids": list(self.event_ids),
        }


def source_marking(agency: str, releasable_to: Iterable[str], tlp: str | None, source_id: str | None = None) -> Marking:
    """The marking of one source row (``tlp`` may be ``None``: policy default)."""
    rel = frozenset(a.strip() for a in releasable_to if a and a.strip() and a.strip() != agency)
    level = normalize_tlp(tlp) or default_tlp(rel, agency)
    return Marking(agency, rel, level, (source_id,) if source_id else ())


def combine(markings: Iterable[Marking], *, event_ids: Iterable[str] = ()) -> Marking:
    """The most restrictive marking of several pieces of evidence.

    Audience = intersection of the audiences; TLP = the highest level. With
    no evidence at all the result is owned by nobody and visible to nobody
    (``owner=""``): a result that rests on nothing may not be released.
    """
    ms = list(markings)
    if not ms:
        return Marking("", frozenset(), "red", (), tuple(sorted(set(event_ids))))
    audience = frozenset.intersection(*(m.audience for m in ms))
    owners = sorted({o for m in ms for o in m.owner.split("+") if o})
    owner = "+".join(o for o in owners if o in audience) or ""
    releasable = audience - set(owner.split("+"))
    srcs = tuple(sorted({s for m in ms for s in m.source_ids}))
    evs = tuple(sorted({e for m in ms for e in m.event_ids} | set(event_ids)))
    return Marking(owner, frozenset(releasable), tlp_max(m.tlp for m in ms), srcs, evs)
