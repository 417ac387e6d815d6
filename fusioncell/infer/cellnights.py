"""Call-record night measures of a phone: its home cell and its nights away from it.

Split from :mod:`fusioncell.infer.circle` (the circle reads these to find the partner's number among her
people's contacts: a phone that spends nights at remote masts away from its home cell). Home is the one
definition of :mod:`fusioncell.spacetime.home` in SQL over serving cells: the cell of most nights, its
days counted (``DAYS_COUNT``).
"""

from __future__ import annotations

from fusioncell.model.night import NIGHT
from fusioncell.spacetime.geo import haversine_sql, metres_per_degree
from fusioncell.spacetime.home import DAYS_COUNT
from fusioncell.store import CaseStore

#: A night is away from home when its serving cell is farther from the phone's usual night cell than
#: this, or than the usual cell's third-nearest neighbouring site if that is farther (metres) ...
AWAY_MIN_M = 3000.0
#: ... but never farther than a mast's reach in the countryside (a visit 15 km away is a visit)
AWAY_MAX_M = 12000.0


def _night_cells_sql(tz: str) -> str:
    """CTEs ``n`` (the night-time serving cells of each phone in ``$1``, by
    night), ``home`` (the cell of most nights, days counted as in :mod:`fusioncell.spacetime.home`; ``hr``, the radius
    within which another serving cell is still "home"), ``sites`` (every
    cell site in the case) and ``na`` (``n`` with ``away``) for the night measures.

    The nearest site serves a handset only part of the time: in the
    countryside, where sites are 5-10 km apart, a phone that never leaves
    its house is served by two or three of them, each farther than a fixed
    3 km from the others. So "home" reaches to the usual cell's third-nearest
    neighbouring site (at least :data:`AWAY_MIN_M`, at most
    :data:`AWAY_MAX_M`): a farmhand's nights are not "away" because a far
    mast answered. (On the simulated training cases this finds the partner's
    number first among the candidates in 90 of 134 cases, against 82 with a
    fixed 3 km.)
    """
    return f"""
        WITH p AS (
          SELECT caller AS i, caller_lat AS lat, caller_lon AS lon, start FROM comms
          WHERE caller IN (SELECT unnest($1)) AND caller_lat IS NOT NULL
          UNION ALL SELECT callee, callee_lat, callee_lon, start FROM comms
          WHERE callee IN (SELECT unnest($1)) AND callee_lat IS NOT NULL
        ), n AS (
          SELECT i, lat, lon, {NIGHT.night_of_sql(f"(start AT TIME ZONE '{tz}')")} AS night
          FROM p WHERE {NIGHT.sql(f"(start AT TIME ZONE '{tz}')")}
        ), dc AS (  -- her days at each cell she also sleeps at (a home counts them: spacetime/home.py)
          SELECT i, lat, lon, count(DISTINCT CAST(start AT TIME ZONE '{tz}' AS DATE)) AS days
          FROM p WHERE {NIGHT.day_sql(f"(start AT TIME ZONE '{tz}')")} GROUP BY i, lat, lon
        ), sites AS (
          SELECT DISTINCT caller_lat AS lat, caller_lon AS lon FROM comms WHERE caller_lat IS NOT NULL
          UNION SELECT DISTINCT callee_lat, callee_lon FROM comms WHERE callee_lat IS NOT NULL
        ), home0 AS (
          -- the cell of most nights; ties go to one cell by its position (arg_max on the count alone chose one
          -- at random, and could take the latitude of one cell and the longitude of another)
          SELECT i, lat AS hlat, lon AS hlon FROM (
            SELECT i, lat, lon, row_number() OVER (
              PARTITION BY i ORDER BY nights + {DAYS_COUNT} * coalesce(days, 0) DESC, lat, lon) AS rk
            FROM (SELECT i, lat, lon, count(DISTINCT night) AS nights FROM n GROUP BY i, lat, lon)
            LEFT JOIN dc USING (i, lat, lon)) WHERE rk = 1
        ), nb AS (
          SELECT h.i, {haversine_sql("h.hlat", "h.hlon", "s.lat", "s.lon")} AS d FROM home0 h, sites s
        ), home AS (
          SELECT h.i, h.hlat, h.hlon,
                 least({AWAY_MAX_M}, greatest({AWAY_MIN_M}, coalesce(
                   (SELECT list_sort(list(d))[3] FROM nb WHERE nb.i = h.i AND d > 1.0), 0.0))) AS hr
          FROM home0 h
        ), na AS (
          SELECT n.i, n.lat, n.lon, n.night,
                 {haversine_sql("n.lat", "n.lon", "home.hlat", "home.hlon")} > home.hr AS away
          FROM n JOIN home USING (i)
        )"""


def away_night_fraction(store: CaseStore, phones: list[str]) -> dict[str, float]:
    """Share of each phone's nights spent on cell sites away from its usual one.

    A night is "away" when one of the phone's night-time (:data:`fusioncell.model.night.NIGHT`, 21:00–06:00 local)
    serving cells is farther from the cell it uses on most nights than the sites that may serve the same house
    (:func:`_night_cells_sql`: at least 3 km).
    """
    if not phones:
        return {}
    tz = store.case().timezone
    rows = store.con.execute(
        _night_cells_sql(tz) + """
        SELECT i, count(DISTINCT night) FILTER (WHERE away) / greatest(1, count(DISTINCT night))
        FROM na GROUP BY i
        """,
        [sorted(phones)],
    ).fetchall()
    return {str(i): float(f) for i, f in rows}


def remote_night_fraction(store: CaseStore, phones: list[str], *, radius_m: float = 3000.0, max_sites: int = 3) -> dict[str, float]:
    """Share of each phone's nights spent away from its usual cell site *at a remote one*.

    A remote cell site has at most ``max_sites`` cell sites (itself included)
    within ``radius_m``: countryside, where a compound hides, not a town
    where a friend or a hotel is. A civilian who travels sleeps in towns; a
    partner visiting a man in hiding sleeps where there are few masts. (On
    training seeds 0-29 the partner averages 0.18 such nights, the seed
    lead's other frequent contacts 0.04.) "Away" is
    :func:`away_night_fraction`'s: beyond the sites that may serve her house;
    but here a night counts only when *most* of its records were answered by
    such masts. In sparse country a far mast answers a farmhand's call now
    and then; with "any record" he was away on nearly every night and
    outranked the partner (with "most": her number first in 187 of 264
    training cases, seed or partner tracked, against 172).
    """
    if not phones:
        return {}
    tz = store.case().timezone
    dlat = radius_m / metres_per_degree(0.0)[0]  # a box around the circle; haversine_sql decides
    rows = store.con.execute(
        _night_cells_sql(tz) + """, awayc AS (
          SELECT DISTINCT lat, lon FROM na WHERE away
        ), remote AS (
          SELECT a.lat, a.lon FROM awayc a JOIN sites s
            ON s.lat BETWEEN a.lat - $2 AND a.lat + $2
           AND s.lon BETWEEN a.lon - $2 / cos(radians(a.lat)) AND a.lon + $2 / cos(radians(a.lat))
          WHERE """ + haversine_sql("a.lat", "a.lon", "s.lat", "s.lon") + """ <= $3
          GROUP BY a.lat, a.lon HAVING count(*) <= $4
        )
        , pn AS (   -- a night at a remote site: most of that night's records answered by away, remote masts
          SELECT i, night, avg(CASE WHEN r.lat IS NOT NULL AND away THEN 1.0 ELSE 0.0 END) >= 0.5 AS ra
          FROM na LEFT JOIN remote r ON r.lat = na.lat AND r.lon = na.lon
          GROUP BY i, night
        )
        SELECT i, avg(CASE WHEN ra THEN 1.0 ELSE 0.0 END) FROM pn GROUP BY i
        """,
        [sorted(phones), dlat, radius_m, max_sites],
    ).fetchall()
    return {str(i): float(f) for i, f in rows}
