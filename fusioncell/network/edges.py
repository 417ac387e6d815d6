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
``night_share``         share of events at night-time (21:00–06:00 local, ``fusioncell.model.night``)
``evening_share``       share of events from 18:00 to night-time (21:00) local
``weekend_share``       share on Saturday/Sunday local
``business_share``      share Mon–Fri 09:00–18:00 local
``short_share``         share of the voice calls shorter than 60 s
``quick_share``         share of events within 30 min of the pair's previous event
``active_days``         distinct local days with contact
``rhythm``              active_days / days the case spans (1 = daily)
``first_frac``          when the pair's first contact falls in the case: days since the case's
                        first event / days the case spans (0 at the start)
``burstiness``          (σ−μ)/(σ+μ) of inter-event gaps (Goh & Barabási): −1 regular, 0 random, →1 bursty
``recency_days``        days from the pair's last contact to the case's last event
``first`` / ``last``    first and last contact
``coloc_share``         share of the events (with both cell sites known) where the two
                        handsets were within :data:`COLOC_M` of each other
``coloc_day_share``     the same over weekday business-hour events (at work together)
``same_home``           1 when both nodes' *home* (modal own cell site over 20:00–07:00
                        local) are within :data:`COLOC_M`, 0 when not, NULL unknown
``same_work``           the same for the *work* place (modal cell Mon–Fri 09:00–17:00),
                        when it is not the shared home
``tie_share``           n_events / the smaller of the two nodes' event totals (1: all the
                        quieter one's traffic goes to this tie)
``tie_share_max``       n_events / the larger of the two totals (the busier end's share)
``top_tie``             1 when this is the busiest tie of both ends, 0.5 of one, 0 of neither
=====================  =========================================================

The edge table is temporary (an intermediate of the ties table). Within 64
local days a pair's active days are counted with a 64-bit day mask
(:func:`local_day0`), three times cheaper than a distinct count.
"""

from __future__ import annotations

from typing import Literal

from fusioncell.errors import NotFound
from fusioncell.model.night import NIGHT
from fusioncell.store import CaseStore, plans

Level = Literal["person", "identifier"]

#: Night-time for ``night_share`` and the home cell: the one night (fusioncell.model.night).
NIGHT_FROM_H, NIGHT_TO_H = NIGHT.from_h, NIGHT.to_h
#: Two handsets whose serving cells (or homes, work places) are this close count as together.
COLOC_M = 1500.0


def timezone_of(store: CaseStore) -> str:
    """The case's IANA time zone (UTC when the store holds no case info)."""
    try:
        tz = store.case().timezone or "UTC"
    except NotFound:
        tz = "UTC"
    return str(tz).replace("'", "")


def local_day0(store: CaseStore, tz: str) -> str | None:
    """The first local date of the calls when they span at most 64 local days (else None).

    Within 64 days a pair's active days are counted with a 64-bit mask
    (popcount of the OR of ``1 << day``; :meth:`fusioncell.store.plans.Dialect.bitmask_count`),
    three times cheaper than a distinct count of days; longer cases use the
    distinct count. Plan ``network.day_span`` (the min and max only).
    """
    row = plans.run(store, "network.day_span", tz=tz).to_pylist()
    if not row or row[0]["d0"] is None or (row[0]["d1"] - row[0]["d0"]).days > 63:
        return None
    return str(row[0]["d0"])
