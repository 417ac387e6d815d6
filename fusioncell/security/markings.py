"""Markings of a case's sources and of results derived from them.

Any stage can ask what marking a result inherits from the evidence it rests
on::

    m = derive_marking(store, source_ids=["geo-01"], event_ids=["loc-88121"])
    m.tlp_label, sorted(m.audience)

Event ids are looked up in every observation table (comms, locations,
sightings; report ids for reports and claims); an event id that occurs in
more than one table contributes every matching row's source, which can only
make the result more restrictive. The policy itself (defaults, combination
rule) lives in :mod:`fusioncell.model.markings`.
"""

from __future__ import annotations

from typing import Iterable

from fusioncell.errors import NotFound
from fusioncell.model.markings import Marking, combine, source_marking
from fusioncell.store import CaseStore

#: Observation tables and their event-id column.
EVENT_TABLES: dict[str, str] = {
    "comms": "event_id",
    "locations": "event_id",
    "sightings": "event_id",
    "reports": "report_id",
}


def source_markings(store: CaseStore) -> dict[str, Marking]:
    """The marking of every source of the case, by ``source_id``."""
    rows = store.con.execute("SELECT source_id, agency, releasable_to, tlp FROM sources").fetchall()
    return {sid: source_marking(agency, rel or [], tlp, sid) for sid, agency, rel, tlp in rows}


def sources_of_events(store: CaseStore, event_ids: Iterable[str]) -> set[str]:
    """The source ids of the observation rows with these event (or report) ids."""
    ids = sorted(set(event_ids))
    if not ids:
        return set()
    union = " UNION ".join(f"SELECT source_id FROM {t} WHERE {c} IN (SELECT unnest(?))" for t, c in EVENT_TABLES.items())
    rows = store.con.execute(union, [ids] * len(EVENT_TABLES)).fetchall()
    return {r[0] for r in rows}


def derive_marking(
    store: CaseStore,
    source_ids: Iterable[str] = (),
    event_ids: Iterable[str] = (),
    *,
    markings: dict[str, Marking] | None = None,
) -> Marking:
    """The marking a derived result inherits from its evidence.

    Parameters
    ----------
    store
        The case store.
    source_ids, event_ids
        The evidence the result rests on (either or both).
    markings
        Precomputed :func:`source_markings` (saves a query when marking many results).

    Returns
    -------
    Marking
        The most restrictive marking of the evidence, recording the source and
        event ids it was computed from. No evidence → visible to nobody.

    Raises
    ------
    NotFound
        A source id that the case does not have.
    """
    marks = markings if markings is not None else source_markings(store)
    evs = list(event_ids)
    srcs = set(source_ids) | sources_of_events(store, evs)
    unknown = sorted(s for s in srcs if s not in marks)
    if unknown:
        raise NotFound(f"unknown source id {unknown[0]!r}")
    return combine([marks[s] for s in sorted(srcs)], event_ids=evs)
