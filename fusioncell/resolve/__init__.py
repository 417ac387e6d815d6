"""Resolve: which identifiers belong to whom.

Public API
----------
:func:`persons`              **the** answer to "which identifiers belong to which person now",
                             the analyst's merges, splits and undos applied in order
                             (a :class:`Persons`); every stage reads persons through it
:func:`persons_table`        the same answer as a store relation, for SQL stages (network)
:func:`person_of`            identifier → resolved person (entity id or alias), from :func:`persons`
:func:`attributions`         every attribution with confidence, method and evidence, from :func:`persons`
:func:`override`, :func:`split`   analyst decisions (persisted, reversible)
:func:`analyst_decisions`    the latest decision per identifier (a person, or None for a split)
:func:`burner_successions`   burner-phone successions with score and evidence
:func:`merged_persons`       person records judged to be the same person (splink)
:func:`group_switches`       k phones replaced together, matched old → new with a probability
:func:`derived_table`        build-or-reuse a derived table keyed on the observations *and*
                             the analyst's overrides (so a merge or split reaches every
                             consumer: network ties, meetings, pattern)
:func:`query_arrow`, :func:`query_rows`   small read helpers over the store's connection
:func:`activity_delivered`   whether ingest's per-delivery activity (``comms_activity``) covers
                             every call record, so a count per identifier can be read from it

All of them read the case store and cache their derived tables in it
(``attributions``, ``burner_pairs``, ``person_canonical``), rebuilt when the
observations or the analyst overrides change.
"""

from fusioncell.resolve.activity import covered as activity_delivered
from fusioncell.resolve.attribution import analyst_decisions, build_attributions, override, split
from fusioncell.resolve.burner import BurnerParams, burner_successions
from fusioncell.store.derived import arrow as query_arrow
from fusioncell.store.derived import cached as derived_table
from fusioncell.store.derived import dict_rows as query_rows
from fusioncell.resolve.dedupe import build_person_canonical, merged_persons
from fusioncell.resolve.groups import group_switches
from fusioncell.resolve.persons import Attribution, Persons, PersonsTable, attributions, person_of, persons, persons_table

__all__ = [
    "Attribution",
    "BurnerParams",
    "Persons",
    "PersonsTable",
    "activity_delivered",
    "analyst_decisions",
    "attributions",
    "build_attributions",
    "build_person_canonical",
    "burner_successions",
    "derived_table",
    "group_switches",
    "merged_persons",
    "override",
    "person_of",
    "persons",
    "persons_table",
    "query_arrow",
    "query_rows",
    "split",
]
