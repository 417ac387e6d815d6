"""Plans of the spacetime stage: positions (stays, meetings), the case centre, covered stays, sighted pairs.

Each function renders one named plan for a :class:`~fusioncell.store.plans.Dialect`;
see :mod:`fusioncell.store.plans` for how a stage runs them.
"""

from __future__ import annotations

from typing import Sequence

from fusioncell.model.identifiers import OTHER_SCHEME_SQL_RE, SCHEMES
from fusioncell.spacetime.geo import EARTH_RADIUS_M, haversine_sql
from fusioncell.store.plans import Query, plan


def followable(q: Query, col: str) -> str:
    """SQL: ``col`` names someone or something that can be followed — not a ``word:value`` in a scheme the
    case format does not list (``vehicle:pickup-white``, ``person:unidentified``: a description, kept by
    ingest as given, which would otherwise "meet" everyone parked beside any white pickup). Entity ids,
    phones and the format's schemes are followable."""
    d = q.d
    known = "|".join(SCHEMES)
    return (f"(NOT {d.regex(col, OTHER_SCHEME_SQL_RE)} OR {d.regex(col, f'^({known}):')} "
            f"OR {col} IN (SELECT entity_id FROM {q.t('entities')}))")


@plan("positions.towers")
def towers(q: Query) -> str:
    """Distinct cell-site positions of ``comms`` (``tlat, tlon`` rounded to 1e-5 degrees), sorted."""
    r = q.d.round_to
    c = q.t("comms")
    return f"""
    SELECT DISTINCT {r('lat', 5)} AS tlat, {r('lon', 5)} AS tlon FROM (
        SELECT caller_lat AS lat, caller_lon AS lon FROM {c} WHERE caller_lat IS NOT NULL AND caller_lon IS NOT NULL
        UNION ALL
        SELECT callee_lat, callee_lon FROM {c} WHERE callee_lat IS NOT NULL AND callee_lon IS NOT NULL) tw
    ORDER BY 1, 2"""


@plan("positions.all")
def positions(q: Query, *, identifiers: Sequence[str] | None, kinds: Sequence[str],
              default_fix_accuracy_m: float, sighting_accuracy_m: float, ordered: bool = True) -> str:
    """Every positional observation: ``identifier, t, lat, lon, accuracy_m, kind, precision,
    confidence, event_id, source_id`` (input ``towers``: ``tlat, tlon, accuracy_m`` when ``cell`` is asked)."""
    d = q.d
    parts: list[str] = []
    # a position at exactly 0,0 is a failed fix ("null island"), never a position (ingest flags it)
    if "fix" in kinds:
        parts.append(
            f"""SELECT identifier, observed AS t, lat, lon,
                   coalesce(accuracy_m, {d.f(default_fix_accuracy_m)}) AS accuracy_m,
                   'fix' AS kind, 'fine' AS precision, {d.f(1.0)} AS confidence, event_id, source_id
                FROM {q.t('locations')} WHERE {d.in_list('identifier', identifiers)}
                  AND NOT (lat = 0 AND lon = 0)""")
    if "cell" in kinds:
        comms = q.t("comms")
        for side in ("caller", "callee"):
            parts.append(
                f"""SELECT c.{side} AS identifier, c.start AS t, c.{side}_lat AS lat, c.{side}_lon AS lon,
                       coalesce(ta.accuracy_m, {d.f(1500.0)}) AS accuracy_m,
                       'cell' AS kind, 'coarse' AS precision, {d.f(1.0)} AS confidence, c.event_id, c.source_id
                    FROM {comms} c LEFT JOIN {q.i('towers')} ta
                      ON ta.tlat = {d.round_to(f'c.{side}_lat', 5)} AND ta.tlon = {d.round_to(f'c.{side}_lon', 5)}
                    WHERE c.{side}_lat IS NOT NULL AND c.{side}_lon IS NOT NULL
                      AND {d.in_list('c.' + side, identifiers)}
                      AND NOT (c.{side}_lat = 0 AND c.{side}_lon = 0)""")
    if "sighting" in kinds:
        parts.append(
            f"""SELECT subject AS identifier, observed AS t, lat, lon,
                   {d.f(sighting_accuracy_m)} AS accuracy_m,
                   'sighting' AS kind, 'fine' AS precision, coalesce(CAST(confidence AS DOUBLE), {d.f(1.0)}) AS confidence,
                   event_id, source_id
                FROM {q.t('sightings')} WHERE {d.in_list('subject', identifiers)} AND NOT (lat = 0 AND lon = 0)
                  AND {followable(q, 'subject')}""")
    if not parts:
        s, x = d.null("VARCHAR"), d.null("DOUBLE")
        parts.append(f"SELECT {s} AS identifier, {d.null('TIMESTAMPTZ')} AS t, {x} AS lat, {x} AS lon, "
                     f"{x} AS accuracy_m, {s} AS kind, {s} AS precision, {x} AS confidence, {s} AS event_id, "
                     f"{s} AS source_id WHERE FALSE")
    body = "\nUNION ALL\n".join(parts)
    return f"SELECT * FROM ({body}) pos ORDER BY identifier, t, event_id" if ordered else body


@plan("positions.centre")
def centre(q: Query) -> str:
    """Median latitude and longitude of fixes, caller cell sites and sightings (``lat, lon``)."""
    return f"""SELECT median(lat) AS lat, median(lon) AS lon FROM (
             SELECT lat, lon FROM {q.t('locations')}
             UNION ALL SELECT caller_lat, caller_lon FROM {q.t('comms')} WHERE caller_lat IS NOT NULL
             UNION ALL SELECT lat, lon FROM {q.t('sightings')}) pts"""


@plan("stays.covered")
def covered(q: Query) -> str:
    """Rows (``_row``) of coarse stays (input ``coarse``) overlapping a fine stay of the same identifier (input ``fine``)."""
    e = q.d.ident("end")
    return f"""SELECT DISTINCT c._row FROM {q.i('coarse')} c JOIN {q.i('fine')} f
              ON f.identifier = c.identifier AND f.start < c.{e} AND c.start < f.{e}
            ORDER BY 1"""


def _lon_cell_deg(max_dist_m: float, phimax: str) -> str:
    """Width in degrees of a longitude cell wide enough that two points within ``max_dist_m``
    (great circle) at latitudes up to ``phimax`` are in the same or adjacent cells:
    ``sin²(d/2R) ≥ cos φ1 cos φ2 sin²(Δλ/2)`` gives ``Δλ ≤ 2 asin(sin(d/2R) / cos φmax)``."""
    half = max_dist_m / (2.0 * EARTH_RADIUS_M)
    return f"degrees(2 * asin(least(1.0, sin({half!r}) / cos(radians(least({phimax}, 89.0))))))"


def sighted_pairs_ctes(q: Query, max_dt_s: float, max_dist_m: float) -> str:
    """CTEs ending in ``sighted_pairs(id_a, id_b, t0, t1, lat, lon, p, ea, eb, ag_a, ag_b, d)``: sightings
    of two different subjects within ``max_dt_s`` and ``max_dist_m`` (great circle) of each other, with the
    agencies that delivered them (the network's meetings and vehicles layers keep them as provenance).

    The spatial join is grid bucketing in plain SQL (no spatial extension, so
    Spark needs no JARs): each sighting gets a latitude cell of ``max_dist_m``
    of arc, a longitude cell of :func:`_lon_cell_deg` and a time bucket of
    ``max_dt_s``; pairs are looked for in the 27 neighbouring (cell, bucket)
    keys only, as an equi-join, then filtered exactly. Cells are 1e-6 wider
    than the bound, so no pair within it is lost to rounding. Pairs across the
    antimeridian (longitude ±180) are not looked for.
    """
    d = q.d
    dt_us = int(round(max_dt_s * 1e6))
    lat_cell = max_dist_m / EARTH_RADIUS_M * 57.29577951308232 * (1 + 1e-6)
    return f"""
    _s AS (
      SELECT event_id, subject, observed, lat, lon, coalesce(CAST(confidence AS DOUBLE), {d.f(1.0)}) AS conf,
             {d.epoch_us('observed')} AS us, agency
      FROM {q.t('sightings')}
      WHERE subject IS NOT NULL AND lat IS NOT NULL AND lon IS NOT NULL AND observed IS NOT NULL
        AND {followable(q, 'subject')}
    ), _cell AS (
      SELECT {lat_cell!r} AS dlat, {_lon_cell_deg(max_dist_m, 'max(abs(lat))')} * {1 + 1e-6!r} AS dlon FROM _s
    ), _g AS (
      SELECT _s.*, CAST(floor(lat / _cell.dlat) AS BIGINT) AS iy, CAST(floor(lon / _cell.dlon) AS BIGINT) AS ix,
             CAST(floor(us / {dt_us}) AS BIGINT) AS tb
      FROM _s CROSS JOIN _cell
    ), _off AS (
      SELECT x.o AS dx, y.o AS dy, z.o AS dt FROM (VALUES (-1), (0), (1)) AS x(o)
        CROSS JOIN (VALUES (-1), (0), (1)) AS y(o) CROSS JOIN (VALUES (-1), (0), (1)) AS z(o)
    ), _ga AS (
      SELECT _g.*, ix + dx AS kx, iy + dy AS ky, tb + dt AS kt FROM _g CROSS JOIN _off
    ), _sp AS (
      SELECT a.subject AS id_a, b.subject AS id_b, least(a.observed, b.observed) AS t0,
             greatest(a.observed, b.observed) AS t1, (a.lat + b.lat) / 2 AS lat, (a.lon + b.lon) / 2 AS lon,
             a.conf * b.conf AS p, a.event_id AS ea, b.event_id AS eb, a.agency AS ag_a, b.agency AS ag_b,
             {haversine_sql("a.lat", "a.lon", "b.lat", "b.lon")} AS d
      FROM _ga a JOIN _g b ON b.ix = a.kx AND b.iy = a.ky AND b.tb = a.kt
      WHERE a.subject < b.subject AND abs(b.us - a.us) <= {dt_us}
    ), sighted_pairs AS (
      SELECT * FROM _sp WHERE d <= {float(max_dist_m)!r}
    )"""


@plan("sighted.pairs")
def sighted_pairs(q: Query, *, max_dt_s: float, max_dist_m: float) -> str:
    """Every pair of sightings of two subjects close in time and space, sorted."""
    return f"""WITH {sighted_pairs_ctes(q, max_dt_s, max_dist_m)}
    SELECT id_a, id_b, t0, t1, lat, lon, p, ea, eb, d FROM sighted_pairs ORDER BY id_a, id_b, t0, ea, eb"""


@plan("sighted.meetings")
def sighted_meetings(q: Query, *, ids: Sequence[str] | None, max_dt_s: float, max_dist_m: float) -> str:
    """Meetings seen directly: one row per pair and hour-long episode of close sightings."""
    d = q.d
    s, e = d.ident("start"), d.ident("end")
    filt = "TRUE" if not ids else f"({d.in_list('id_a', ids)} OR {d.in_list('id_b', ids)})"
    return f"""
    WITH {sighted_pairs_ctes(q, max_dt_s, max_dist_m)}, grouped AS (
      -- one meeting per pair and hour-long episode (sightings of one encounter are minutes apart)
      SELECT id_a, id_b, min(t0) AS {s}, max(t1) AS {e}, avg(lat) AS lat, avg(lon) AS lon,
             1 - {d.product_agg('1 - p')} AS p, count(*) AS n_sightings,
             {d.list_cat(d.sorted_set('ea'), d.sorted_set('eb'))} AS event_ids
      FROM sighted_pairs GROUP BY id_a, id_b, date_trunc('hour', t0)
    )
    SELECT id_a, id_b, {s}, {e}, lat, lon, least(p, {d.f(1.0)}) AS p, n_sightings, event_ids
    FROM grouped WHERE {filt}
    ORDER BY {s}, id_a, id_b"""
