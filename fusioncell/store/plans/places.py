"""Plans of the places stage (:mod:`fusioncell.spacetime.places`): stay links, hours, roles, place rows, towns.

Clustering (igraph components), tower snapping and place ids stay in numpy;
every relational step is a plan here, for either dialect. Inputs are Arrow
tables of the stage: ``pts`` (``i, ix, iy, x, y, acc``), ``visits``
(``visit_no, identifier, place_id, start, end, …``), ``roles``
(``identifier, place_id, role``), ``towers`` (for ``positions.all``).
"""

from __future__ import annotations

from typing import Any, Sequence

from fusioncell.store.plans import Query, plan, render


def _three(d: Any, col: str) -> str:
    """A relation ``(col)`` with the rows -1, 0, 1."""
    return f"(SELECT -1 AS {col} UNION ALL SELECT 0 AS {col} UNION ALL SELECT 1 AS {col})"


@plan("places.links")
def links(q: Query, *, link_m: float, max_link_m: float) -> str:
    """Pairs ``(i, j)``, ``i < j``, of points within ``link_m`` + their accuracies (at most ``max_link_m``),
    found on the grid of ``max_link_m`` cells (the 8 neighbours)."""
    d = q.d
    return f"""
SELECT a.i AS i, b.i AS j
FROM {q.i('pts')} a CROSS JOIN {_three(d, 'dx')} nx CROSS JOIN {_three(d, 'dy')} ny
JOIN {q.i('pts')} b ON b.ix = a.ix + nx.dx AND b.iy = a.iy + ny.dy
WHERE a.i < b.i
  AND sqrt((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y))
      <= least({d.f(link_m)} + sqrt(a.acc * a.acc + b.acc * b.acc), {d.f(max_link_m)})
ORDER BY i, j"""


def _visit_hours(q: Query, tz: str) -> str:
    """CTE ``vh``: :func:`fusioncell.store.plans.pattern.stay_hours` over the input ``visits``."""
    from fusioncell.store.plans.pattern import stay_hours

    return f"vh AS ({stay_hours(q, q.i('visits'), tz)})"


def _hours(hours: Sequence[int]) -> str:
    return ", ".join(str(int(h)) for h in hours)


@plan("places.per_visit")
def per_visit(q: Query, *, tz: str, night_hours: Sequence[int], work_hours: Sequence[int]) -> str:
    """Per visit: seconds at night, on workday hours (Mon–Fri) and in the small hours (00–05)."""
    z = q.d.f(0.0)
    return f"""
WITH {_visit_hours(q, tz)}
SELECT v.visit_no,
       coalesce(sum(secs) FILTER (WHERE lhour IN ({_hours(night_hours)})), {z}) AS night_s,
       coalesce(sum(secs) FILTER (WHERE lhour IN ({_hours(work_hours)}) AND ldow <= 5), {z}) AS workday_s,
       coalesce(sum(secs) FILTER (WHERE lhour BETWEEN 0 AND 4), {z}) AS small_hours_s
FROM {q.i('visits')} v LEFT JOIN vh ON vh.visit_no = v.visit_no
GROUP BY v.visit_no ORDER BY v.visit_no"""


@plan("places.roles")
def roles(q: Query, *, tz: str, night_hours: Sequence[int], work_hours: Sequence[int],
          min_home_nights: int, min_work_days: int) -> str:
    """Per identifier and place: nights and workdays present (>= 2 h of each) and the role, home (most
    nights, at least ``min_home_nights``), work (most workdays elsewhere, at least ``min_work_days``) or
    other; ties go to the first place id."""
    return f"""
WITH {_visit_hours(q, tz)},
n AS (SELECT identifier, place_id, night_of FROM vh WHERE lhour IN ({_hours(night_hours)})
      GROUP BY identifier, place_id, night_of HAVING sum(secs) >= 7200),
w AS (SELECT identifier, place_id, lday FROM vh WHERE lhour IN ({_hours(work_hours)}) AND ldow <= 5
      GROUP BY identifier, place_id, lday HAVING sum(secs) >= 7200),
ip AS (SELECT DISTINCT identifier, place_id FROM {q.i('visits')}),
nc AS (SELECT identifier, place_id, count(*) AS nights FROM n GROUP BY identifier, place_id),
wc AS (SELECT identifier, place_id, count(*) AS workdays FROM w GROUP BY identifier, place_id),
agg AS (
    SELECT ip.identifier, ip.place_id, coalesce(nc.nights, 0) AS nights, coalesce(wc.workdays, 0) AS workdays,
           row_number() OVER (PARTITION BY ip.identifier ORDER BY coalesce(nc.nights, 0) DESC, ip.place_id) AS r_home
    FROM ip LEFT JOIN nc ON nc.identifier = ip.identifier AND nc.place_id = ip.place_id
            LEFT JOIN wc ON wc.identifier = ip.identifier AND wc.place_id = ip.place_id
),
home AS (SELECT identifier, place_id FROM agg WHERE r_home = 1 AND nights >= {int(min_home_nights)}),
rest AS (
    SELECT a.identifier, a.place_id, a.workdays,
           row_number() OVER (PARTITION BY a.identifier ORDER BY a.workdays DESC, a.place_id) AS r_work
    FROM agg a LEFT JOIN home h ON h.identifier = a.identifier AND h.place_id = a.place_id
    WHERE h.place_id IS NULL
),
work AS (SELECT identifier, place_id FROM rest WHERE r_work = 1 AND workdays >= {int(min_work_days)})
SELECT a.identifier, a.place_id, a.nights, a.workdays,
       CASE WHEN h.place_id IS NOT NULL THEN 'home' WHEN w.place_id IS NOT NULL THEN 'work' ELSE 'other' END AS role
FROM agg a
LEFT JOIN home h ON h.identifier = a.identifier AND h.place_id = a.place_id
LEFT JOIN work w ON w.identifier = a.identifier AND w.place_id = a.place_id
ORDER BY a.identifier, a.place_id"""


@plan("places.summary")
def summary(q: Query) -> str:
    """Per place (input ``visits`` with their hours and overnight flag): visits, visitors, time, spread."""
    d = q.d
    p90 = "percentile(dist_to_place_m, 0.9)" if d.spark else "quantile_cont(dist_to_place_m, 0.9)"
    return f"""
SELECT place_id, count(*) AS n_visits, count(DISTINCT identifier) AS n_visitors,
       {d.sorted_set('identifier')} AS visitors,
       min(start) AS first_seen, max({d.ident('end')}) AS last_seen,
       sum(duration_s) AS total_s, sum(night_s) AS night_s, sum(workday_s) AS workday_s,
       count(*) FILTER (WHERE overnight) AS n_overnight,
       min(precision) AS precision,   -- one per place: fine and coarse stays are clustered apart
       {p90} AS p90_m, max(accuracy_m) AS max_acc_m
FROM {q.i('visits')} GROUP BY place_id ORDER BY place_id"""


@plan("places.labels")
def labels(q: Query) -> str:
    """Per place (input ``roles``): home if it is anyone's home, else work if anyone's work, else other;
    ``home_of`` the identifiers whose home it is, sorted (NULL or empty when none)."""
    d = q.d
    homes = ("array_sort(collect_set(identifier) FILTER (WHERE role = 'home'))" if d.spark
             else "list_sort(list(DISTINCT identifier) FILTER (WHERE role = 'home'))")
    return f"""
SELECT place_id,
       CASE WHEN max(CASE WHEN role = 'home' THEN 1 ELSE 0 END) = 1 THEN 'home'
            WHEN max(CASE WHEN role = 'work' THEN 1 ELSE 0 END) = 1 THEN 'work' ELSE 'other' END AS label,
       {homes} AS home_of
FROM {q.i('roles')} GROUP BY place_id ORDER BY place_id"""


@plan("places.towns")
def towns(q: Query, *, tz: str, night_hours: Sequence[int], lat0: float, lon0: float, kx: float, ky: float,
          cell_m: float, m_lat: float, m_lon: float, town_min_ids: int, town_rel: float,
          positions: dict[str, Any]) -> str:
    """Populated grid cells ``(lat, lon, n_ids)``: cells whose 3x3 block sees at least ``town_min_ids``
    (and ``town_rel`` of the busiest block's) identifiers at night, and that see night positions
    themselves (centres in metres per degree ``m_lat``, ``m_lon``); ``positions`` are the parameters of the plan ``positions.all`` (input ``towers``)."""
    d = q.d
    pos = render("positions.all", d, q.inputs, q.tables, **positions, ordered=False)
    ix = f"CAST(floor((lon - {d.f(lon0)}) * {d.f(kx)} / {d.f(cell_m)}) AS BIGINT)"
    iy = f"CAST(floor((lat - {d.f(lat0)}) * {d.f(ky)} / {d.f(cell_m)}) AS BIGINT)"
    return f"""
WITH p AS (SELECT DISTINCT identifier, {ix} AS ix, {iy} AS iy
           FROM ({pos}) ps WHERE hour({d.local('t', tz)}) IN ({_hours(night_hours)})),
c0 AS (SELECT p.ix + nx.dx AS ix, p.iy + ny.dy AS iy, count(DISTINCT p.identifier) AS n_ids
       FROM p CROSS JOIN {_three(d, 'dx')} nx CROSS JOIN {_three(d, 'dy')} ny
       GROUP BY p.ix + nx.dx, p.iy + ny.dy),
top AS (SELECT max(n_ids) AS m FROM c0),
c AS (SELECT c0.* FROM c0 CROSS JOIN top WHERE c0.n_ids >= greatest({d.f(town_min_ids)}, {d.f(town_rel)} * top.m)),
own AS (SELECT DISTINCT ix, iy FROM p)
SELECT {d.f(lat0)} + (c.iy + {d.f(0.5)}) * {d.f(cell_m)} / {d.f(m_lat)} AS lat,
       {d.f(lon0)} + (c.ix + {d.f(0.5)}) * {d.f(cell_m)} / {d.f(m_lon)} AS lon,
       c.n_ids
FROM c JOIN own ON own.ix = c.ix AND own.iy = c.iy
ORDER BY lat, lon"""
