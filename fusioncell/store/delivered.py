"""Whether ingest's per-delivery activity (``comms_activity``) covers every call record of a store.

Read by the resolve stage (:mod:`fusioncell.resolve.activity`, which merges the table instead of
grouping every record) and by ingest's ``identifiers`` (:mod:`fusioncell.ingest.derived`, which takes
its call-record counts and spans from the same table instead of a second grouping of the records).
Kept here, beside the store, so that ingest need not import the resolve stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from fusioncell.store.store import CaseStore

#: the per-delivery activity ingest writes (:mod:`fusioncell.ingest.activity`) and its log of deliveries
DELIVERED, DELIVERED_LOG = "comms_activity", "comms_activity_log"

#: True when the logged deliveries are exactly the store's call-record deliveries and hold all its records.
_COVERED = f"""
SELECT (SELECT count(*) FROM comms) = (SELECT coalesce(sum(records), 0) FROM {DELIVERED_LOG})
   AND (SELECT count(*) FROM {DELIVERED_LOG}) = (SELECT count(DISTINCT delivery_id) FROM {DELIVERED_LOG})
   AND NOT EXISTS (SELECT delivery_id FROM {DELIVERED_LOG}
                   EXCEPT SELECT delivery_id FROM deliveries WHERE kind = 'comms.csv')
   AND NOT EXISTS (SELECT delivery_id FROM deliveries WHERE kind = 'comms.csv'
                   EXCEPT SELECT delivery_id FROM {DELIVERED_LOG})
"""


def covered(store: "CaseStore") -> bool:
    """Whether ingest's ``comms_activity`` covers every call record of the store (else group ``comms``).

    Read from bookkeeping only (row counts, the deliveries), no scan of the records. False on a
    store written before ingest kept the table, on a partner's view (which does not carry it)
    and whenever records were written by other means than ingest (a count differs).
    """
    if not all(store.has_table(t) for t in (DELIVERED, DELIVERED_LOG, "deliveries")):
        return False
    rows = store.con.execute(_COVERED).fetchall()  # all of it: a half-read result blocks the next con.sql()
    return bool(rows and rows[0][0])
