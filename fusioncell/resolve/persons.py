"""Who is who *now*: the one answer every stage reads about which identifiers belong to which person.

The resolve stage derives attributions (entities, graded ``uses`` claims,
burner and group successions, merged person records) and the analyst
overrides them: a **merge** gives an identifier to a person, a **split**
detaches it from anybody, an **undo** removes the newest decision. The
decisions apply in the order they were taken (the newest decision about an
identifier wins). :func:`persons` is the result of all of that, and it is the
only way a stage asks "whose is this phone?":

* ``network`` (ties, close circle, key players) joins :func:`persons_table`,
  the same answer as a relation of the store;
* ``meetings`` and ``pattern`` name the person behind each identifier;
* ``locate`` (the target's circle), ``plan`` and ``share`` build their
  circle from it: an identifier the analyst split off a person is no longer
  hers, one merged into her is.

Because every derived table is keyed on the overrides
(:mod:`fusioncell.store.derived`), one decision changes every answer, and
undoing it gives back exactly the previous one.

Examples
--------
>>> from fusioncell.store import CaseStore
>>> who = persons(CaseStore.memory())
>>> who.person_of("+523312345678") is None, who.identifiers_of("person-x")
(True, [])
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from fusioncell.resolve.attribution import TABLE, analyst_decisions, build_attributions
from fusioncell.store import CaseStore


@dataclass(frozen=True, slots=True)
class Attribution:
    """One identifier → person, with how sure and why (``method = 'analyst'``: an override)."""

    identifier: str
    person: str
    confidence: float
    method: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Persons:
    """Identifier ↔ person with the analyst's decisions applied (see the module docstring).

    ``decided`` is the analyst's latest decision per identifier: the person it
    was given to, or None when it was split off. ``run_id`` is the run of
    the ``attributions`` table this answer was read from (it changes with
    every decision and every new delivery).
    """

    run_id: str
    by_identifier: Mapping[str, Attribution]
    decided: Mapping[str, str | None] = field(default_factory=dict)

    def person_of(self, identifier: str) -> str | None:
        """The person ``identifier`` belongs to now, or None."""
        a = self.by_identifier.get(identifier)
        return a.person if a is not None else None

    def owner(self) -> dict[str, str]:
        """Every attributed identifier → its person."""
        return {i: a.person for i, a in self.by_identifier.items()}

    def identifiers_of(self, names: str | Iterable[str]) -> list[Attribution]:
        """Attributions of the person designated by ``names`` (an entity id, an alias, or several of them)."""
        keys = {names} if isinstance(names, str) else set(names)
        return sorted((a for a in self.by_identifier.values() if a.person in keys),
                      key=lambda a: (-a.confidence, a.identifier))

    def allows(self, identifier: str, names: Iterable[str]) -> bool:
        """False when the analyst said ``identifier`` is not this person's (split off, or given to someone else)."""
        if identifier not in self.decided:
            return True
        return self.decided[identifier] in set(names)

    def persons(self) -> set[str]:
        """Every resolved person."""
        return {a.person for a in self.by_identifier.values()}


@dataclass(frozen=True, slots=True)
class PersonsTable:
    """Where the store holds the answer of :func:`persons` (``name``), and the run that built it."""

    name: str
    run_id: str


def persons_table(store: CaseStore) -> PersonsTable:
    """The same answer as :func:`persons`, as a fresh relation of the store.

    Columns ``run_id, identifier, person, confidence, method, evidence``
    (``evidence`` a JSON list). SQL stages (network ties, the workbench's
    graph) join it by ``name``; ``run_id`` keys what they derive from it.
    """
    return PersonsTable(TABLE, build_attributions(store))


def persons(store: CaseStore) -> Persons:
    """Which identifiers belong to which person now, the analyst's merges, splits and undos applied in order."""
    table = persons_table(store)
    rows = store.con.execute(
        f"SELECT identifier, person, confidence, method, evidence FROM {table.name} ORDER BY identifier").fetchall()
    by_ident = {
        str(i): Attribution(str(i), str(p), float(c), str(m), tuple(json.loads(e)) if e else ())
        for i, p, c, m, e in rows
    }
    return Persons(table.run_id, by_ident, analyst_decisions(store))


def attributions(store: CaseStore) -> list[dict[str, Any]]:
    """Every attribution: ``identifier``, ``person``, ``confidence``, ``method``, ``evidence`` (list).

    A view of :func:`persons` for listings (API, reports), ordered by person.
    """
    who = persons(store)
    rows = sorted(who.by_identifier.values(), key=lambda a: (a.person, -a.confidence, a.identifier))
    return [{"identifier": a.identifier, "person": a.person, "confidence": a.confidence, "method": a.method,
             "evidence": list(a.evidence)} for a in rows]


def person_of(store: CaseStore) -> dict[str, str]:
    """Map every attributed identifier to its resolved person (entity id or alias): :meth:`Persons.owner`.

    Examples
    --------
    >>> from fusioncell.store import CaseStore
    >>> person_of(CaseStore.memory())
    {}
    """
    return persons(store).owner()
