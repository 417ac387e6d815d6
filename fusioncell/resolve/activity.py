"""Each identifier's activity span: first and last call, calls made and received (a derived table).

Burner succession (:mod:`fusioncell.resolve.burner`) and group switches
(:mod:`fusioncell.resolve.groups`) both start from when each phone was first
and last heard: an old phone must fall silent, a new one must start. That is
one grouping of every call record by identifier — the one pass of the resolve
stage that reads all records — so it is computed once per state of the
case's observations (:func:`fusioncell.store.derived.cached`) and read by
both (plan ``resolve.activity`` in :mod:`fusioncell.store.plans.resolve`).
"""

from __future__ import annotations

from fusioncell.store import CaseStore, plans
from fusioncell.store.derived import cached

#: ``ident``, ``first_seen``, ``last_seen``, ``n_events`` (records with another party), ``n_out`` (of them, made)
TABLE = "resolve_activity"


def build_activity(store: CaseStore) -> str:
    """Compute (or reuse) the ``resolve_activity`` table; return its run id."""

    def build(run_id: str) -> None:
        plans.materialise(store, TABLE, "resolve.activity", run_id=run_id)

    return cached(store, TABLE, {}, build)
