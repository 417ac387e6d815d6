"""The analyst's decisions about who uses which identifier: merge, split, undo, list.

One *decision* is the rows one call writes to ``attribution_overrides``, in one
transaction, so they share their ``decided_at``. Decisions apply in order (the
newest about an identifier wins, :func:`fusioncell.resolve.persons`); **undo**
deletes the newest decision's rows, and every answer is again what it was
before it. The workbench (``POST /api/v1/persons/...``) and the command line
(``fusioncell override merge|split|undo|list``) both call these functions.

* :func:`merge` — each member (an identifier, or a person: then every
  identifier attributed to it, and its id) is given to ``into``;
* :func:`split_off` — the identifier belongs to nobody;
* :func:`undo` — remove the newest decision;
* :func:`decisions` — every decision in force, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass

from fusioncell.errors import NotFound, UsageError
from fusioncell.resolve.attribution import override
from fusioncell.store.derived import ensure_tables
from fusioncell.store import CaseStore


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision: what was given to whom (``person`` None: split off), by whom, why, when."""

    decided_at: str
    analyst: str | None
    reason: str | None
    identifiers: tuple[str, ...]
    person: str | None


def decisions(store: CaseStore) -> list[Decision]:
    """Every decision in ``attribution_overrides``, newest first."""
    ensure_tables(store)
    rows = store.con.execute(
        "SELECT CAST(decided_at AS VARCHAR), any_value(analyst), any_value(reason), list(identifier ORDER BY identifier),"
        " any_value(person) FROM attribution_overrides GROUP BY decided_at ORDER BY decided_at DESC").fetchall()
    return [Decision(r[0], r[1], r[2], tuple(r[3]), r[4]) for r in rows]


def known_names(store: CaseStore) -> tuple[set[str], set[str]]:
    """Known identifiers (and entity ids) of the case, and resolved persons."""
    from fusioncell.resolve.persons import persons
    from fusioncell.security.minimise import known_identifiers

    return known_identifiers(store), persons(store).persons()


def name_in_case(store: CaseStore, value: str, known: set[str] | None = None, people: set[str] | None = None) -> str:
    """``value`` as an identifier or person of the case (a ``masked:`` pseudonym is looked up), else :class:`NotFound`."""
    from fusioncell.security.minimise import PSEUDONYM_RE, case_secret, pseudonym

    if known is None or people is None:
        known, people = known_names(store)
    value = value.strip()
    if value in known or value in people:
        return value
    if PSEUDONYM_RE.fullmatch(value):
        key = case_secret(store)
        found = [i for i in known | people if pseudonym(key, i) == value]
        if found:
            return found[0]
    raise NotFound(f"{value!r} is not an identifier or person of this case")


def decide(store: CaseStore, identifiers: list[str], person: str | None, *, analyst: str, reason: str) -> Decision:
    """Write one decision (all ``identifiers`` to ``person``, None: split off) in one transaction."""
    if not identifiers:
        raise UsageError("a decision needs at least one identifier")
    ensure_tables(store)
    store.con.execute("BEGIN TRANSACTION")
    try:
        for ident in identifiers:
            override(store, ident, person, analyst=analyst, reason=reason)
        store.con.execute("COMMIT")
    except BaseException:
        store.con.execute("ROLLBACK")
        raise
    return decisions(store)[0]


def merge(store: CaseStore, members: list[str], into: str, *, analyst: str, reason: str) -> Decision:
    """Give each member to ``into``: an identifier itself; a person, with every identifier attributed to it."""
    from fusioncell.resolve.persons import persons

    known, people = known_names(store)
    into = name_in_case(store, into, known, people)
    owner = persons(store).owner()
    out: list[str] = []
    for raw in members:
        m = name_in_case(store, raw, known, people)
        if m == into:
            raise UsageError("members: a person cannot be merged into itself")
        out += [m] + sorted(i for i, p in owner.items() if p == m and i != into)
    return decide(store, sorted(set(out)), into, analyst=analyst, reason=reason)


def split_off(store: CaseStore, identifier: str, *, analyst: str, reason: str) -> Decision:
    """Detach one identifier from whatever person it was attributed to."""
    return decide(store, [name_in_case(store, identifier)], None, analyst=analyst, reason=reason)


def undo(store: CaseStore) -> Decision:
    """Delete the newest decision and return it; :class:`NotFound` when there is none."""
    found = decisions(store)
    if not found:
        raise NotFound("no analyst decision to undo")
    store.con.execute("DELETE FROM attribution_overrides WHERE decided_at = "
                      "(SELECT max(decided_at) FROM attribution_overrides)")
    return found[0]
