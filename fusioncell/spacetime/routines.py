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

from fusioncell.spacetime._sql import arrow, settle
from fusioncell.spacetime.places import _stay_hours_sql, timezone_of
from fusioncell.store import CaseStore


@dataclass(frozen=True, slots=True)
class RoutineParams:
    """Thresholds of routine anomalies."""

    baseline_days: float = 3.0
    routine_min_share: float = 0.25
    min_days: int = 4
    #: Seconds of presence in an hour slot that count as "there at that hour".
    slot_min_s: float = 900.0


def flag_visits(store: CaseStore, visits: pa.Table, params: RoutineParams = RoutineParams()) -> pa.Table:
    """Add ``new_place, overnight_away, outside_routine, routine_share, anomaly`` to a visits table."""
    con = store.con
    settle(con)
    tz = timezone_of(store)
    tzq = tz.replace("'", "''")
    con.register("_fc_v", visits)
    try:
        out = arrow(con, f"""
            WITH vh AS ({_stay_hours_sql(tz)}),
            slots AS (
                SELECT visit_no, identifier, place_id, lhour, (ldow >= 6) AS weekend, lday
                FROM vh WHERE secs >= {params.slot_min_s!r}),
            days AS (SELECT identifier, weekend, count(DISTINCT lday) AS n_days FROM slots GROUP BY ALL),
            pres AS (SELECT DISTINCT identifier, place_id, weekend, lhour, lday FROM slots),
            cnt AS (SELECT identifier, place_id, weekend, lhour, count(*) AS k FROM pres GROUP BY ALL),
            vs AS (
                SELECT s.visit_no, s.identifier, s.weekend,
                       (c.k - 1) AS other_days
                FROM (SELECT DISTINCT visit_no, identifier, place_id, weekend, lhour, lday FROM slots) s
                JOIN cnt c USING (identifier, place_id, weekend, lhour)),
            share AS (
                SELECT vs.visit_no, avg(vs.other_days / greatest(d.n_days - 1, 1)) AS routine_share,
                       min(d.n_days) AS n_days
                FROM vs JOIN days d USING (identifier, weekend) GROUP BY vs.visit_no),
            firsts AS (SELECT identifier, min(start) AS first_seen FROM _fc_v GROUP BY identifier),
            firstvisit AS (SELECT identifier, place_id, min(start) AS first_visit FROM _fc_v GROUP BY ALL),
            homes AS (SELECT DISTINCT identifier FROM _fc_v WHERE role = 'home')
            SELECT v.*,
                   (v.start = fv.first_visit
                    AND epoch(v.start) - epoch(f.first_seen) >= {params.baseline_days * 86400.0!r}) AS new_place,
                   (v.overnight AND v.role <> 'home' AND h.identifier IS NOT NULL) AS overnight_away,
                   sh.routine_share,
                   coalesce(sh.n_days >= {int(params.min_days)} AND sh.routine_share < {params.routine_min_share!r},
                            FALSE) AS outside_routine
            FROM _fc_v v
            JOIN firsts f USING (identifier)
            JOIN firstvisit fv USING (identifier, place_id)
            LEFT JOIN homes h USING (identifier)
            LEFT JOIN share sh USING (visit_no)
            ORDER BY v.visit_no
        """)
    finally:
        con.unregister("_fc_v")


    any_flag = pc.or_(pc.or_(out.column("new_place"), out.column("overnight_away")), out.column("outside_routine"))
    return out.append_column("anomaly", any_flag)


def weekly_profile(store: CaseStore, visits: pa.Table, identifier: str,
                   params: RoutineParams = RoutineParams()) -> pa.Table:
    """Where an identifier usually is, per local weekday (1 = Monday) and hour.

    Returns ``ldow, lhour, place_id, share`` (share of the identifier's
    observed weeks in which it was at that place in that slot), the most
    frequent place per slot, sorted by weekday and hour.
    """
    con = store.con
    tz = timezone_of(store)
    tzq = tz.replace("'", "''")
    ident = identifier.replace("'", "''")
    con.register("_fc_v", visits.filter(pc.equal(visits.column("identifier"), identifier)))
    try:
        return arrow(con, f"""
            WITH vh AS ({_stay_hours_sql(tz)}),
            slots AS (SELECT DISTINCT place_id, ldow, lhour,
                             CAST(date_trunc('week', timezone('{tzq}', to_timestamp(hno * 3600))) AS DATE) AS wk
                      FROM vh WHERE secs >= {params.slot_min_s!r} AND identifier = '{ident}'),
            nw AS (SELECT greatest(count(DISTINCT wk), 1) AS n FROM slots),
            c AS (SELECT ldow, lhour, place_id, count(*) AS k FROM slots GROUP BY ALL)
            SELECT ldow, lhour, arg_max(place_id, k) AS place_id, max(k) / any_value(nw.n) AS share
            FROM c, nw GROUP BY ldow, lhour ORDER BY ldow, lhour
        """)
    finally:
        con.unregister("_fc_v")
