"""Network of contacts: ties, relationships, close circle, key players.

Public API (all take a :class:`fusioncell.store.CaseStore`; derived tables are
cached in the store and rebuilt when the observations change)
-----------------------------------------------------------------------------
:func:`contact_ties(store, level="person")`
    ``pyarrow.Table`` of ties ``a < b`` with ``strength``, ``relationship``,
    ``relationship_p``, ``relationship_probs`` and the features behind them.
:func:`close_circle(store, focus, k=20)`
    ranked, explained list of dicts (``rank, identifier, person, strength,
    relationship, relationship_p, why`` + ``node, identifiers, features``).
:func:`close_circles(store, foci, k=20)`
    ``{focus: close circle}`` for many foci in one plan on the engine.
:func:`person_of(store)`
    identifier → resolved person (from :mod:`fusioncell.resolve`).
:func:`burner_successions(store)`
    list of ``{old, new, score, handover, why, evidence}``.
:func:`key_players(store, nodes=None)`, :func:`neighbourhood(store, seeds, hops)`,
:func:`tie_graph(store)`, :func:`resolve_focus(store, text)`.
:func:`around(store, seeds, hops)`
    the ties of a neighbourhood only (a temp table; ``ties_table=`` of
    ``close_circle``, ``key_players``, ``tie_graph``; ``around=`` of ``hubs``).

Example
-------
>>> from fusioncell.store import CaseStore
>>> store = CaseStore.memory()
>>> contact_ties(store).num_rows, burner_successions(store), person_of(store)
(0, [], {})
"""

from fusioncell.network.api import (
    around,
    close_circle,
    close_circles,
    contact_ties,
    display_identifiers,
    hubs,
    key_players,
    neighbourhood,
    resolve_focus,
    tie_graph,
)
from fusioncell.resolve import burner_successions, person_of

__all__ = [
    "around",
    "burner_successions",
    "close_circle",
    "close_circles",
    "contact_ties",
    "display_identifiers",
    "hubs",
    "key_players",
    "neighbourhood",
    "person_of",
    "resolve_focus",
    "tie_graph",
]
