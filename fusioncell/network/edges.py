"""Contact edges aggregated on the engine: one row per pair of nodes.

Call records become undirected weighted edges in one relational pass (plan
``network.edges`` of :mod:`fusioncell.store.plans.network`, on DuckDB or
Spark; nothing loops over records in Python). A *node* is the resolved person
of an identifier when it is attributed (:func:`fusioncell.resolve.person_of`),
else the identifier itself, so a person with two phones is one node. With
``level="identifier"`` the raw identifiers are the nodes.

Junk that real carrier data has does not inflate ties: self-calls (and calls
between two phones of one person) are dropped, and duplicate records (same
caller, callee, start, channel and duration under different event ids) count
once. Hubs (call centres, voicemail) are handled in
:mod:`fusioncell.network.ties`.

Features per pair (``a < b``), all in the case's local time zone
(``case_info.timezone``):

=====================  =========================================================
``n_events``            calls + messages between the two
``n_calls``             voice calls (``channel = 'call'``)
``total_duration_s``    seconds of calls
``mean_call_s``         mean call length
``reciprocity``         2·min(a→b, b→a) / n — 1 when both call equally, 0 one-way
``night_share``         share of events 22:00–06:00 local
``weekend_share``       share on Saturday/Sunday local
``business_share``      share Mon–Fri 09:00–18:00 local
``active_days``         distinct local days with contact
``rhythm``              active_days / days the case spans (1 = daily)
``burstiness``          (σ−μ)/(σ+μ) of inter-event gaps (Goh & Barabási): −1 regular, 0 random, →1 bursty
``recency_days``        days from the pair's last contact to the case's last event
``first`` / ``last``    first and last contact
=====================  =========================================================
"""

from __future__ import annotations

from typing import Literal

from fusioncell.errors import NotFound
from fusioncell.store import CaseStore

Level = Literal["person", "identifier"]

NIGHT_FROM_H = 22
NIGHT_TO_H = 6


def timezone_of(store: CaseStore) -> str:
    """The case's IANA time zone (UTC when the store holds no case info)."""
    try:
        tz = store.case().timezone or "UTC"
    except NotFound:
        tz = "UTC"
    return str(tz).replace("'", "")
