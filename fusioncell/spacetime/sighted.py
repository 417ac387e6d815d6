"""Meetings observed directly: several subjects seen at one place and time.

Police surveillance logs and imagery record *who was seen where*. When two
different subjects are sighted within ``MAX_DT_S`` of each other and
``MAX_DIST_M`` apart, they met — no handset is needed to say so. This is
the most direct evidence of a meeting there is, and a court-record style
case (calls plus surveillance sightings) carries little else.

The probability of a sighted meeting is the chance that both sightings are
right: the product of the two observers' confidences (1 when a sighting
gives none).

One relational plan (``sighted.meetings``: a self-join of ``sightings`` on
neighbouring grid cells and time buckets, then exact time and distance
filters), on DuckDB or Spark; no Python loop over records. The same pairs
(:func:`fusioncell.store.plans.spacetime.sighted_pairs_ctes`, with the
agencies that delivered them) feed the network's meetings and vehicles layers.

>>> from fusioncell.store import CaseStore
>>> sighted_meetings(CaseStore.memory()).num_rows
0
"""

from __future__ import annotations

from typing import Any, Sequence

import pyarrow as pa

from fusioncell.store import CaseStore, plans

#: Two sightings this close in time ...
MAX_DT_S = 15 * 60
#: ... and in space are one meeting.
MAX_DIST_M = 150.0


def sighted_meetings(store: CaseStore, ids: Sequence[str] | None = None,
                     max_dt_s: float = MAX_DT_S, max_dist_m: float = MAX_DIST_M, *, engine: Any = None) -> pa.Table:
    """Pairs of subjects seen together: ``id_a, id_b, start, end, lat, lon, p, n_sightings, event_ids``.

    ``ids`` keeps meetings involving at least one of them (default: all
    subjects). Plan ``sighted.meetings`` (:mod:`fusioncell.store.plans.spacetime`:
    a grid-bucketed self-join of ``sightings``, then the exact time and
    distance filters) on the store's engine or ``engine``.
    """
    return plans.run(store, "sighted.meetings", engine=engine, ids=list(ids) if ids else None,
                     max_dt_s=max_dt_s, max_dist_m=max_dist_m)
