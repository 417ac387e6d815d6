"""Each identifier's activity span: first and last call, calls made and received (a derived table).

Burner succession (:mod:`fusioncell.resolve.burner`) and group switches
(:mod:`fusioncell.resolve.groups`) both start from when each phone was first
and last heard: an old phone must fall silent, a new one must start. That is
one grouping of every call record by identifier — the one pass of the resolve
stage that reads all records — so it is computed once per state of the
case's observations (:func:`fusioncell.store.derived.cached`) and read by
both (plan ``resolve.activity`` in :mod:`fusioncell.store.plans.resolve`).

Since session 14 ingest pays that pass: it writes each call-record delivery's
activity per identifier with the delivery (:mod:`fusioncell.ingest.activity`),
and the table here is their min / max / sum merge (plan
``resolve.activity_delivered``) whenever they cover every record
(:func:`covered`); otherwise (a store written before, a partner's view,
records written by other means) every record is grouped as before.
"""

from __future__ import annotations

from fusioncell.store import CaseStore, plans
from fusioncell.store.delivered import covered
from fusioncell.store.derived import cached

__all__ = ["TABLE", "build_activity", "covered"]

#: ``ident``, ``first_seen``, ``last_seen``, ``n_events`` (records with another party), ``n_out`` (of them, made)
TABLE = "resolve_activity"


def build_activity(store: CaseStore) -> str:
    """Compute (or reuse) the ``resolve_activity`` table; return its run id."""

    def build(run_id: str) -> None:
        # ingest's per-delivery activity when it covers every record (a merge of a table ~ identifiers x
        # deliveries); else one grouping of every record (stores made before it, views, synthetic stores)
        name = "resolve.activity_delivered" if covered(store) else "resolve.activity"
        plans.materialise(store, TABLE, name, run_id=run_id)

    return cached(store, TABLE, {}, build)
