"""Routines (weekly profiles) and anomalies of visits.

A person's routine is where they are at each hour of the week, in local time.
From the visits (stays assigned to places, see :mod:`.places`) every visit
hour becomes a row ``(identifier, place, local week, weekday, hour)``; the
**weekly profile** of an identifier gives, per (weekday, hour), the place it
is most often at and in what share of the observed weeks.

Each visit is then flagged:

* ``new_place`` — the identifier's first visit to the place, at least
  ``baseline_days`` after the identifier was first seen at any place (so
  the first days of a case do not count as novelty);
* ``overnight_away`` — an overnight stay (at least an hour between local
  00:00 and 05:00) at a place that is not the identifier's home, when it has
  a home;
* ``outside_routine`` — on the other observed days of the same kind
  (weekday or weekend) the identifier was at this place at the same local
  hours on less than ``routine_min_share`` of them (``routine_share``,
  averaged over the visit's hours; needs at least ``min_days`` observed days
  of that kind, otherwise unknown and not flagged). Days rather than weeks,
  because cases span a few weeks and a weekly slot repeats only 3–4 times;
* ``anomaly`` — any of the three.

A partner who starts sleeping at a remote place she never went to before
shows up as a run of visits that are new (the first), overnight-away and
outside routine.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from fusioncell.spacetime._sql import settle
from fusioncell.spacetime.places import timezone_of
from fusioncell.store import CaseStore, plans


@dataclass(frozen=True, slots=True)
class RoutineParams:
    """Thresholds of routine anomalies."""

    baseline_days: float = 3.0
    routine_min_share: float = 0.25
    min_days: int = 4
    #: Seconds of presence in an hour slot that count as "there at that hour".
    slot_min_s: float = 900.0


def flag_visits(store: CaseStore, visits: pa.Table, params: RoutineParams = RoutineParams()) -> pa.Table:
    """Add ``new_place, overnight_away, outside_routine, routine_share, anomaly`` to a visits table.

    Plan ``pattern.visit_flags`` (:mod:`fusioncell.store.plans.pattern`) on the store's engine.
    """
    settle(store.con)
    out = plans.run(store, "pattern.visit_flags", inputs={"visits": visits}, tz=timezone_of(store),
                    baseline_days=params.baseline_days, routine_min_share=params.routine_min_share,
                    min_days=params.min_days, slot_min_s=params.slot_min_s)
    any_flag = pc.or_(pc.or_(out.column("new_place"), out.column("overnight_away")), out.column("outside_routine"))
    return out.append_column("anomaly", any_flag)


def weekly_profile(store: CaseStore, visits: pa.Table, identifier: str,
                   params: RoutineParams = RoutineParams()) -> pa.Table:
    """Where an identifier usually is, per local weekday (1 = Monday) and hour.

    Returns ``ldow, lhour, place_id, share`` (share of the identifier's
    observed weeks in which it was at that place in that slot), the most
    frequent place per slot (ties to the least place id), sorted by weekday
    and hour. Plan ``pattern.weekly`` on the store's engine.
    """
    mine = visits.filter(pc.equal(visits.column("identifier"), identifier))
    return plans.run(store, "pattern.weekly", inputs={"visits": mine}, tz=timezone_of(store),
                     identifier=identifier, slot_min_s=params.slot_min_s)
