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
from fusioncell.store.derived import cached

#: the per-delivery activity ingest writes (:mod:`fusioncell.ingest.activity`) and its log of deliveries
DELIVERED, DELIVERED_LOG = "comms_activity", "comms_activity_log"

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


#: True when the logged deliveries are exactly the store's call-record deliveries and hold all its records.
_COVERED = f"""
SELECT (SELECT count(*) FROM comms) = (SELECT coalesce(sum(records), 0) FROM {DELIVERED_LOG})
   AND (SELECT count(*) FROM {DELIVERED_LOG}) = (SELECT count(DISTINCT delivery_id) FROM {DELIVERED_LOG})
   AND NOT EXISTS (SELECT delivery_id FROM {DELIVERED_LOG}
                   EXCEPT SELECT delivery_id FROM deliveries WHERE kind = 'comms.csv')
   AND NOT EXISTS (SELECT delivery_id FROM deliveries WHERE kind = 'comms.csv'
                   EXCEPT SELECT delivery_id FROM {DELIVERED_LOG})
"""


def covered(store: CaseStore) -> bool:
    """Whether ingest's ``comms_activity`` covers every call record of the store (else group ``comms``).

    Read from bookkeeping only (row counts, the deliveries), no scan of the records. False on a
    store written before ingest kept the table, on a partner's view (which does not carry it)
    and whenever records were written by other means than ingest (a count differs).
    """
    if not all(store.has_table(t) for t in (DELIVERED, DELIVERED_LOG, "deliveries")):
        return False
    row = store.con.execute(_COVERED).fetchone()
    return bool(row and row[0])
