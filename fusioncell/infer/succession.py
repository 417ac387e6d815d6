"""One person's numbers over time: the candidates for a phone that changed number are one candidacy.

A partner known by alias only is looked for among her people's frequent contacts
(:func:`fusioncell.infer.circle._candidate_phones`). When she changes her number (her own caution, or a
group's phone switch), her calls split in two: the old number's weeks and the new one's days. Scored one by
one, each half looks like a weaker candidate than a stranger whose calls were never split, and the new
number, untracked, is read from a few nights of call cells only: ``plan`` then re-tasks to the stranger and
never follows her (bench/locate_perturb.py ``her-new-number``).

The resolve stage already links the two (:func:`fusioncell.resolve.burner_successions`: the new number
calls most of the same people, from the same cell sites, right after the old fell silent;
:func:`fusioncell.resolve.groups.group_switches` for a group that switched together). Here those links
make *chains*: the numbers of a chain are one owner, so their evidence is weighed together (contacts
summed, the tracked member's nights for the owner's) and each number is hers with the owner's
probability, times the chance that the links between them are right (the succession's score).

>>> from fusioncell.store import CaseStore
>>> chains_among(CaseStore.memory(), ["+523311111111"])
{}
"""

from __future__ import annotations

import re
from typing import Iterable, NamedTuple

from fusioncell.resolve import burner_successions
from fusioncell.resolve.attribution import analyst_decisions
from fusioncell.resolve.groups import group_switches
from fusioncell.store import CaseStore


class Chained(NamedTuple):
    """A number's place in a chain of successions."""

    root: str  #: the chain's first number (the owner's oldest): the key its members are grouped by
    link_p: float  #: probability that the links from the root to this number are right (1 for the root)
    why: str  #: the succession that brought it in, for the analyst ("" for the root)


def chains(pairs: Iterable[tuple[str, str, float, str]]) -> dict[str, Chained]:
    """Chains from (old, new, p, why) successions: each number → its chain's root and link probability.

    A number with two predecessors keeps the likelier link (a handset has one owner); a cycle (two
    numbers each the other's successor, which resolve never proposes) is broken at the weaker link.

    >>> c = chains([("+1", "+2", 0.9, "same contacts"), ("+2", "+3", 0.5, "group switch")])
    >>> [(k, v.root, round(v.link_p, 2)) for k, v in sorted(c.items())]
    [('+1', '+1', 1.0), ('+2', '+1', 0.9), ('+3', '+1', 0.45)]
    >>> sorted((k, v.root) for k, v in chains([("+1", "+2", 0.9, ""), ("+2", "+1", 0.8, "")]).items())
    [('+1', '+1'), ('+2', '+1')]
    """
    pred: dict[str, tuple[str, float, str]] = {}
    for old, new, p, why in sorted(pairs, key=lambda x: (-x[2], x[0], x[1])):
        if old == new or new in pred or new in _ancestors(pred, old):
            continue  # a second predecessor, or a link that would close a cycle: the weaker one goes
        pred[new] = (old, float(p), why)
    out: dict[str, Chained] = {}
    for n in sorted(set(pred) | {o for o, _, _ in pred.values()}):
        cur, link = n, 1.0
        while cur in pred:
            cur, p, _ = pred[cur]
            link *= p
        out[n] = Chained(cur, link, pred[n][2] if n in pred else "")
    return out


def _ancestors(pred: dict[str, tuple[str, float, str]], n: str) -> set[str]:
    out = {n}
    while n in pred:
        n = pred[n][0]
        out.add(n)
    return out


def _flat(why: str) -> str:
    """Resolve's reason as one clause (no brackets, no semicolons), to sit inside the reasons an analyst reads,
    which are separated by semicolons.

    >>> _flat("15 of 16 contacts shared (weighted Jaccard 0.78); cell-site overlap 0.14")
    '15 of 16 contacts shared, weighted Jaccard 0.78, cell-site overlap 0.14'
    """
    return re.sub(r"\s*\(([^()]*)\)", r", \1", why).replace("; ", ", ")


def chains_among(store: CaseStore, phones: Iterable[str]) -> dict[str, Chained]:
    """The chains that touch ``phones``: each of their numbers (those not in ``phones`` too: a successor
    nobody close to her calls often yet) → its chain. Numbers in no succession are left out.

    The analyst's word wins: a succession one of whose numbers the analyst split off, or gave to a person
    the other is not given to, links nothing (``fusioncell override split STORE +52…`` undoes a wrong one)."""
    decided = analyst_decisions(store)

    def kept(old: str, new: str) -> bool:
        return not (old in decided or new in decided) or (decided.get(old) is not None
                                                          and decided.get(old) == decided.get(new))
    pairs = [(s["old"], s["new"], float(s["score"]), f"a new number: {_flat(s['why'])}")
             for s in burner_successions(store)]
    pairs += [(g["old"], g["new"], float(g["p"]), f"a group phone switch ({g['group']})")
              for g in group_switches(store)]
    every = chains(p for p in pairs if kept(p[0], p[1]))
    roots = {every[p].root for p in phones if p in every}
    return {k: v for k, v in every.items() if v.root in roots}
