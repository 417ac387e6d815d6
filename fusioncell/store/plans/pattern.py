"""Plans of pattern of life: hours of visits, routine flags, the weekly profile, going dark.

The stage code (:mod:`fusioncell.spacetime.routines`, :mod:`fusioncell.spacetime.dark`,
:mod:`fusioncell.spacetime.report`) asks for these by name; see
:mod:`fusioncell.store.plans` for how they run on DuckDB or Spark.
"""

from __future__ import annotations

from typing import Sequence

from fusioncell.store.plans import Query, plan
from fusioncell.store.plans.spacetime import positions


def stay_hours(q: Query, visits: str, tz: str) -> str:
    """A relation over ``visits`` (``visit_no, identifier, place_id, start, end``): one row per visit and
    UTC hour it touches, with ``hno`` (hours since the epoch), ``secs`` present in that hour, and the
    local ``lhour``, ``ldow`` (ISO, 1 = Monday), ``night_of`` (local date of the instant 12 h earlier)
    and ``lday``."""
    d = q.d
    e = d.ident("end")
    lo = f"CAST(floor({d.epoch_s('start')} / 3600) AS BIGINT)"
    hi = f"CAST(floor({d.epoch_s(e)} / 3600) AS BIGINT)"
    lt = d.local(d.from_epoch_s("hno * 3600"), tz)
    h = d.f(3600.0)
    return f"""
        SELECT visit_no, identifier, place_id, hno,
               greatest({d.f(0.0)}, least({d.epoch_s(e)}, (hno + 1) * {h}) - greatest({d.epoch_s('start')}, hno * {h}))
                 AS secs,
               hour({lt}) AS lhour, {d.isodow(lt)} AS ldow,
               CAST({d.local(d.from_epoch_s('hno * 3600 - 43200'), tz)} AS DATE) AS night_of,
               CAST({lt} AS DATE) AS lday
        FROM (SELECT visit_no, identifier, place_id, start, {e}, {d.hour_series(lo, hi)} AS hno FROM {visits}) hv"""


@plan("pattern.visit_flags")
def visit_flags(q: Query, *, tz: str, baseline_days: float, routine_min_share: float, min_days: int,
                slot_min_s: float) -> str:
    """The visits (input ``visits``) with ``new_place, overnight_away, routine_share, outside_routine``
    (see :mod:`fusioncell.spacetime.routines`), by ``visit_no``."""
    d = q.d
    v = q.i("visits")
    return f"""
    WITH vh AS ({stay_hours(q, v, tz)}),
    slots AS (
        SELECT visit_no, identifier, place_id, lhour, (ldow >= 6) AS weekend, lday
        FROM vh WHERE secs >= {d.f(slot_min_s)}),
    days AS (SELECT identifier, weekend, count(DISTINCT lday) AS n_days FROM slots GROUP BY identifier, weekend),
    pres AS (SELECT DISTINCT identifier, place_id, weekend, lhour, lday FROM slots),
    cnt AS (SELECT identifier, place_id, weekend, lhour, count(*) AS k FROM pres
            GROUP BY identifier, place_id, weekend, lhour),
    vs AS (
        SELECT s.visit_no, s.identifier, s.weekend, (c.k - 1) AS other_days
        FROM (SELECT DISTINCT visit_no, identifier, place_id, weekend, lhour, lday FROM slots) s
        JOIN cnt c ON c.identifier = s.identifier AND c.place_id = s.place_id AND c.weekend = s.weekend
                  AND c.lhour = s.lhour),
    share AS (
        SELECT vs.visit_no, avg(vs.other_days / greatest(dy.n_days - 1, 1)) AS routine_share,
               min(dy.n_days) AS n_days
        FROM vs JOIN days dy ON dy.identifier = vs.identifier AND dy.weekend = vs.weekend GROUP BY vs.visit_no),
    firsts AS (SELECT identifier, min(start) AS first_seen FROM {v} GROUP BY identifier),
    firstvisit AS (SELECT identifier, place_id, min(start) AS first_visit FROM {v} GROUP BY identifier, place_id),
    homes AS (SELECT DISTINCT identifier FROM {v} WHERE role = 'home')
    SELECT vv.*,
           (vv.start = fv.first_visit
            AND {d.epoch_s('vv.start')} - {d.epoch_s('f.first_seen')} >= {d.f(baseline_days * 86400.0)}) AS new_place,
           (vv.overnight AND vv.role <> 'home' AND h.identifier IS NOT NULL) AS overnight_away,
           sh.routine_share,
           coalesce(sh.n_days >= {int(min_days)} AND sh.routine_share < {d.f(routine_min_share)}, FALSE)
             AS outside_routine
    FROM {v} vv
    JOIN firsts f ON f.identifier = vv.identifier
    JOIN firstvisit fv ON fv.identifier = vv.identifier AND fv.place_id = vv.place_id
    LEFT JOIN homes h ON h.identifier = vv.identifier
    LEFT JOIN share sh ON sh.visit_no = vv.visit_no
    ORDER BY vv.visit_no"""


@plan("pattern.weekly")
def weekly(q: Query, *, tz: str, identifier: str, slot_min_s: float) -> str:
    """Per local weekday (``ldow``, 1 = Monday) and hour: the place the identifier is most often at in that
    slot (ties to the least ``place_id``) and the share of its observed weeks (input ``visits``)."""
    d = q.d
    wk = f"CAST(date_trunc('week', {d.local(d.from_epoch_s('hno * 3600'), tz)}) AS DATE)"
    return f"""
    WITH vh AS ({stay_hours(q, q.i('visits'), tz)}),
    slots AS (SELECT DISTINCT place_id, ldow, lhour, {wk} AS wk
              FROM vh WHERE secs >= {d.f(slot_min_s)} AND identifier = {d.lit(identifier)}),
    nw AS (SELECT greatest(count(DISTINCT wk), 1) AS n FROM slots),
    c AS (SELECT ldow, lhour, place_id, count(*) AS k,
                 row_number() OVER (PARTITION BY ldow, lhour ORDER BY count(*) DESC, place_id) AS r
          FROM slots GROUP BY ldow, lhour, place_id)
    SELECT c.ldow, c.lhour, c.place_id, c.k / nw.n AS share
    FROM c CROSS JOIN nw WHERE c.r = 1 ORDER BY c.ldow, c.lhour"""


_POS_FIELDS = ("t", "lat", "lon", "accuracy_m", "kind", "event_id")


@plan("pattern.dark")
def dark(q: Query, *, ids: Sequence[str] | None, tz: str, kinds: Sequence[str], min_gap_s: float, min_events: int,
         min_expected: float, default_fix_accuracy_m: float, sighting_accuracy_m: float, part: str = "all",
         buckets: int = 1) -> str:
    """Dark intervals (see :mod:`fusioncell.spacetime.dark`): ``identifier, start, end, duration_s,
    expected_events, p_chance, last_*`` and ``next_*`` positions, by identifier and start.

    Events are call records on either side and positions of ``kinds`` other than cell sites; the
    positions around an interval may be of any of ``kinds`` (input ``towers`` when ``cell`` is one).
    The last position at or before the start and the first at or after the end come from one window
    over the identifier's positions and the interval's two ends (the engines share no ASOF join);
    of positions at the same instant the last by ``event_id`` is taken before and the first after.

    Past memory (scale6) the plan comes in parts that :func:`fusioncell.store.plans.to_parquet` chains on
    DuckDB: ``part="ev"`` (every event and position of an identifier, one row each, with ``_bucket``, a
    hash of the identifier mod ``buckets``), then per bucket ``"dark"`` over the input ``ev`` (one
    bucket's rows: everything the plan computes is per identifier, so a bucket's intervals are exactly
    its identifiers' intervals), then ``"finish"`` (the input ``dark``: every bucket's rows, in order).
    ``part="all"`` is the one statement.
    """
    d = q.d
    if part not in ("all", "ev", "dark", "finish"):
        raise ValueError(f"pattern.dark: no part {part!r}")
    if part == "finish":
        return f"SELECT * FROM {q.i('dark')} ORDER BY identifier, {d.ident('start')}"
    if part == "dark":  # one bucket's rows, from part "ev"
        b = q.i("ev")
        pos = f"SELECT identifier, t, lat, lon, accuracy_m, kind, event_id FROM {b} WHERE kind <> '{_CALL}'"
        ev = f"SELECT identifier, t FROM {b} WHERE kind <> 'cell'"
        return _dark(q, pos, ev, tz=tz, min_gap_s=min_gap_s, min_events=min_events, min_expected=min_expected)
    pos = positions(q, identifiers=ids, kinds=kinds, default_fix_accuracy_m=default_fix_accuracy_m,
                    sighting_accuracy_m=sighting_accuracy_m, ordered=False)
    comms = q.t("comms")
    if part == "ev":
        x, v = d.null("DOUBLE"), d.null("VARCHAR")
        rows = f"""SELECT caller AS identifier, start AS t, {x} AS lat, {x} AS lon, {x} AS accuracy_m,
               '{_CALL}' AS kind, {v} AS event_id FROM {comms} WHERE {d.in_list('caller', ids)}
        UNION ALL SELECT callee, start, {x}, {x}, {x}, '{_CALL}', {v} FROM {comms} WHERE {d.in_list('callee', ids)}
        UNION ALL SELECT identifier, t, lat, lon, accuracy_m, kind, event_id FROM ({pos}) p"""
        return f"SELECT *, {d.salt('identifier', buckets)} AS _bucket FROM ({rows}) r"
    ev = f"""SELECT caller AS identifier, start AS t FROM {comms} WHERE {d.in_list('caller', ids)}
        UNION ALL SELECT callee AS identifier, start AS t FROM {comms} WHERE {d.in_list('callee', ids)}
        UNION ALL SELECT identifier, t FROM pos0 WHERE kind <> 'cell'"""
    return _dark(q, pos, ev, tz=tz, min_gap_s=min_gap_s, min_events=min_events, min_expected=min_expected)


#: The ``kind`` of a call record among an identifier's rows (part ``ev`` of ``pattern.dark``).
_CALL = "_call"


def _dark(q: Query, pos: str, ev: str, *, tz: str, min_gap_s: float, min_events: int, min_expected: float) -> str:
    """The dark intervals over ``pos`` (positions: ``identifier, t, lat, lon, accuracy_m, kind, event_id``)
    and ``ev`` (events: ``identifier, t``, may name ``pos0``, the positions)."""
    d = q.d
    s, e = d.ident("start"), d.ident("end")
    h = d.f(3600.0)
    lo = f"CAST(floor({d.epoch_s(s)} / 3600) AS BIGINT)"
    hi = f"CAST(floor({d.epoch_s(e)} / 3600) AS BIGINT)"
    fields = ", ".join(_POS_FIELDS)
    struct = d.struct([(k, k) for k in _POS_FIELDS])
    types = [("t", d.ts_type()), ("lat", "DOUBLE"), ("lon", "DOUBLE"), ("accuracy_m", "DOUBLE"),
             ("kind", "VARCHAR"), ("event_id", "VARCHAR")]
    no_pos = f"CAST(NULL AS {d.struct_type(types)})"
    null_t = d.null("TIMESTAMPTZ")
    before = "PARTITION BY identifier ORDER BY t, k, ek ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    after = "PARTITION BY identifier ORDER BY t, k, ek ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING"
    out = []
    for side, alias in (("last", "lp"), ("next", "np")):
        out += [f"{alias}.p.{k} AS {side}_{k}" for k in _POS_FIELDS]
    return f"""
    WITH pos0 AS ({pos}),
    ev AS ({ev}),
    span AS (SELECT identifier, count(*) AS n,
                    greatest({d.f(1.0)}, ({d.epoch_s('max(t)')} - {d.epoch_s('min(t)')}) / {d.f(86400.0)}) AS days
             FROM ev GROUP BY identifier HAVING count(*) >= {int(min_events)}),
    rate AS (SELECT ev.identifier, hour({d.local('ev.t', tz)}) AS h, count(*) / max(span.days) AS per_hour
             FROM ev JOIN span ON span.identifier = ev.identifier GROUP BY ev.identifier, hour({d.local('ev.t', tz)})),
    gaps AS (SELECT ev.identifier, ev.t AS {s}, lead(ev.t) OVER (PARTITION BY ev.identifier ORDER BY ev.t) AS {e}
             FROM ev JOIN span ON span.identifier = ev.identifier),
    dg AS (SELECT * FROM gaps WHERE {e} IS NOT NULL AND {d.epoch_s(e)} - {d.epoch_s(s)} >= {d.f(min_gap_s)}),
    hrs AS (SELECT identifier, {s}, {e}, {d.hour_series(lo, hi)} AS hno FROM dg),
    expct0 AS (
        SELECT hrs.identifier, hrs.{s}, hrs.{e},
               sum(coalesce(rate.per_hour, {d.f(0.0)})
                   * greatest({d.f(0.0)}, least({d.epoch_s('hrs.' + e)}, (hrs.hno + 1) * {h})
                                          - greatest({d.epoch_s('hrs.' + s)}, hrs.hno * {h})) / {h}) AS expected_events
        FROM hrs LEFT JOIN rate
          ON rate.identifier = hrs.identifier AND rate.h = hour({d.local(d.from_epoch_s('hrs.hno * 3600'), tz)})
        GROUP BY hrs.identifier, hrs.{s}, hrs.{e}),
    expct AS (SELECT * FROM expct0 WHERE expected_events >= {d.f(min_expected)}),
    dark_ids AS (SELECT DISTINCT identifier FROM expct),
    marks AS (
        SELECT p.identifier, p.t, 0 AS k, p.event_id AS ek, {struct} AS p, {null_t} AS {s}, {null_t} AS {e},
               'p' AS m
        FROM (SELECT {fields}, pos0.identifier FROM pos0 JOIN dark_ids ON dark_ids.identifier = pos0.identifier) p
        UNION ALL SELECT identifier, {s} AS t, 1 AS k, '' AS ek, {no_pos} AS p, {s}, {e}, 's' AS m FROM expct
        UNION ALL SELECT identifier, {e} AS t, -1 AS k, '' AS ek, {no_pos} AS p, {s}, {e}, 'e' AS m FROM expct),
    around AS (
        SELECT identifier, {s}, {e}, m,
               {d.last_non_null('p')} OVER ({before}) AS lastp,
               {d.first_non_null('p')} OVER ({after}) AS nextp
        FROM marks),
    lp AS (SELECT identifier, {s}, {e}, lastp AS p FROM around WHERE m = 's'),
    np AS (SELECT identifier, {s}, {e}, nextp AS p FROM around WHERE m = 'e')
    SELECT x.identifier, x.{s}, x.{e}, {d.epoch_s('x.' + e)} - {d.epoch_s('x.' + s)} AS duration_s,
           x.expected_events, exp(-x.expected_events) AS p_chance,
           {', '.join(out)}
    FROM expct x
    JOIN lp ON lp.identifier = x.identifier AND lp.{s} = x.{s} AND lp.{e} = x.{e}
    JOIN np ON np.identifier = x.identifier AND np.{s} = x.{s} AND np.{e} = x.{e}
    ORDER BY x.identifier, x.{s}"""


@plan("pattern.counts")
def counts(q: Query, *, identifier: str) -> str:
    """How many fixes, call records (either side) and sightings an identifier has (``fixes, comms, sightings``)."""
    i = q.d.lit(identifier)
    return f"""SELECT (SELECT count(*) FROM {q.t('locations')} WHERE identifier = {i}) AS fixes,
                      (SELECT count(*) FROM {q.t('comms')} WHERE caller = {i} OR callee = {i}) AS comms,
                      (SELECT count(*) FROM {q.t('sightings')} WHERE subject = {i}) AS sightings"""


@plan("pattern.places")
def places_of(q: Query) -> str:
    """Per place of one identifier's visits (input ``mine``, joined to input ``places``): visits, hours,
    overnights, first and last visit and the place's own facts, by hours descending then place id."""
    d = q.d
    e = d.ident("end")
    m, p = q.i("mine"), q.i("places")
    return f"""
    SELECT m.place_id, min(m.role) AS role, count(*) AS n_visits,
           {d.round_to('sum(m.duration_s) / 3600.0', 1)} AS hours,
           count(*) FILTER (WHERE m.overnight) AS n_overnight,
           min(m.start) AS first_visit, max(m.{e}) AS last_visit,
           min(pl.lat) AS lat, min(pl.lon) AS lon, min(pl.radius_m) AS radius_m,
           min(pl.precision) AS precision, min(pl.label) AS place_label,
           min(pl.n_visitors) AS n_visitors, min(pl.remote) AS remote,
           min(pl.distance_to_town_m) AS distance_to_town_m
    FROM {m} m JOIN {p} pl ON pl.place_id = m.place_id
    GROUP BY m.place_id ORDER BY hours DESC, m.place_id"""
