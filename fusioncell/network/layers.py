"""Layers of the tie graph beyond calls: claims, meetings, shared vehicles, shared places — with provenance.

Each builder returns SQL CTEs ending in one relation per layer, keyed by an
undirected node pair ``(a, b)`` with ``a < b`` (nodes of the chosen
:data:`~fusioncell.network.edges.Level`), a probability that the layer's
evidence about the pair is true, and a ``*_prov`` list of provenance
structs ``{layer, source, ref, agency, grade, p}``: the observation table the
evidence came from (``claims``, ``entities``, ``sightings``, ``locations``),
the row it is (``report_id#claim_no``, an entity id, sighting event ids, a
place id with the visits' location event ids), the agency that delivered it,
its Admiralty grade when it has one, and its probability.

Layers (weights in :mod:`fusioncell.network.ties`):

``claims``
    graded informant claims "A works for B", "A meets B", "A is B's partner"
    (``works_for``, ``meets``, ``partner_of``, ``family_of``,
    ``associate_of``) and FtM Family/Associate relations; a claim's
    probability is ``P_TRUE[reliability][credibility]`` (the grading table).
``meetings``
    two subjects sighted together (:mod:`fusioncell.spacetime.sighted`).
``vehicles``
    two people tied to one vehicle: each of them ``uses`` it (a graded
    claim), owns it (a Vehicle entity's ``owner``, :data:`OWNER_P`) or was
    sighted with it (a sighting of the person and one of the plate within
    15 min and 150 m). The pair's probability per vehicle is the product of
    the two links; a vehicle linked to more than :data:`VEHICLE_MAX_USERS`
    people (a taxi, a bus, a fleet plate) makes no tie.
``places``
    two people whose stays (:mod:`fusioncell.spacetime`, from fixes only)
    fall in one *non-public* fine place: a place with at most
    :data:`PLACE_MAX_VISITORS` distinct visitors in the whole case (a
    house, a workshop — not a market or a petrol station). The evidence
    grows with the days each of them spent there:
    ``1 − exp(−Σ_place min(days_a, days_b) / PLACE_DAYS)``.
"""

from __future__ import annotations

from fusioncell.model.grading import P_TRUE
from fusioncell.network.edges import Level, node_map_sql
from fusioncell.store import CaseStore

#: Confidence that a vehicle's owner (FtM Vehicle.owner) uses it (as in resolve.attribution).
OWNER_P = 0.7
#: A vehicle tied to more people than this is shared by the public (taxi, bus, fleet): no tie.
VEHICLE_MAX_USERS = 6
#: A fine place with more distinct visitors than this is public: stays there make no tie.
PLACE_MAX_VISITORS = 4
#: Days at a shared place that make the places layer's evidence 1 − 1/e.
PLACE_DAYS = 2.0

PROV = "STRUCT(layer VARCHAR, source VARCHAR, ref VARCHAR, agency VARCHAR, grade VARCHAR, p DOUBLE)"


def grades_values() -> str:
    """The Admiralty table as a SQL relation ``g(reliability, credibility, p)``."""
    rows = [f"('{r}', {c}, {p})" for r, cs in P_TRUE.items() for c, p in cs.items()]
    return "(VALUES " + ", ".join(rows) + ") AS g(reliability, credibility, p)"


def _graded(alias: str) -> str:
    """Join condition of a claims row ``alias`` with :func:`grades_values` (unknown grades read as F6)."""
    return (f"g.reliability = CASE WHEN upper({alias}.reliability) IN ('A','B','C','D','E','F') "
            f"THEN upper({alias}.reliability) ELSE 'F' END "
            f"AND g.credibility = CASE WHEN {alias}.credibility BETWEEN 1 AND 6 THEN {alias}.credibility ELSE 6 END")


def _grade(alias: str) -> str:
    return f"coalesce(upper({alias}.reliability), 'F') || coalesce(CAST({alias}.credibility AS VARCHAR), '6')"


def vehicles_sql(level: Level) -> str:
    """CTEs ending in ``veh_edges(a, b, veh_p, n_vehicles, veh_prov)``; needs ``sighted_pairs`` defined before."""
    nm = node_map_sql(level)
    return f"""
vehicle_ids AS (   -- identifiers that name a vehicle, and the vehicle they name (its entity id when declared)
    SELECT ei.identifier, ei.entity_id AS vehicle FROM entity_identifiers ei JOIN entities e USING (entity_id)
    WHERE e.schema = 'Vehicle'
    UNION SELECT entity_id, entity_id FROM entities WHERE schema = 'Vehicle'
),
veh_raw AS (
    SELECT c.subject AS x, coalesce(v.vehicle, c.object) AS vehicle, g.p,
           {{'layer': 'vehicles', 'source': 'claims', 'ref': c.report_id || '#' || c.claim_no, 'agency': c.agency,
             'grade': {_grade('c')}, 'p': g.p}}::{PROV} AS prov
    FROM claims c JOIN {grades_values()} ON {_graded('c')}
    LEFT JOIN vehicle_ids v ON v.identifier = c.object
    WHERE c.predicate = 'uses' AND c.object IS NOT NULL AND (c.object LIKE 'plate:%' OR v.vehicle IS NOT NULL)
    UNION ALL
    SELECT json_extract_string(properties, '$.owner[0]'), entity_id, {OWNER_P},
           {{'layer': 'vehicles', 'source': 'entities', 'ref': entity_id, 'agency': NULL, 'grade': NULL,
             'p': {OWNER_P}}}::{PROV}
    FROM entities WHERE schema = 'Vehicle' AND json_extract_string(properties, '$.owner[0]') IS NOT NULL
    UNION ALL
    SELECT CASE WHEN va.vehicle IS NULL AND s.id_a NOT LIKE 'plate:%' THEN s.id_a ELSE s.id_b END,
           coalesce(va.vehicle, vb.vehicle, CASE WHEN s.id_a LIKE 'plate:%' THEN s.id_a ELSE s.id_b END), s.p,
           {{'layer': 'vehicles', 'source': 'sightings', 'ref': s.ea || '+' || s.eb,
             'agency': s.ag_a, 'grade': NULL, 'p': s.p}}::{PROV}
    FROM sighted_pairs s
    LEFT JOIN vehicle_ids va ON va.identifier = s.id_a LEFT JOIN vehicle_ids vb ON vb.identifier = s.id_b
    WHERE ((va.vehicle IS NOT NULL OR s.id_a LIKE 'plate:%') <> (vb.vehicle IS NOT NULL OR s.id_b LIKE 'plate:%'))
),
veh_links AS (   -- person node -> vehicle, noisy-or over the evidence
    SELECT coalesce(m.node, r.x) AS u, r.vehicle, 1 - product(1 - r.p) AS p, list(r.prov) AS prov
    FROM veh_raw r LEFT JOIN {nm} m ON m.identifier = r.x
    WHERE r.x IS NOT NULL AND r.vehicle IS NOT NULL AND r.x <> r.vehicle
    GROUP BY 1, 2
),
veh_users AS (SELECT vehicle FROM veh_links GROUP BY vehicle HAVING count(*) BETWEEN 2 AND {VEHICLE_MAX_USERS}),
veh_edges AS (
    SELECT least(x.u, y.u) AS a, greatest(x.u, y.u) AS b,
           1 - product(1 - x.p * y.p) AS veh_p, count(DISTINCT x.vehicle) AS n_vehicles,
           flatten(list(list_concat(x.prov, y.prov))) AS veh_prov
    FROM veh_links x JOIN veh_links y ON x.vehicle = y.vehicle AND x.u < y.u
    WHERE x.vehicle IN (SELECT vehicle FROM veh_users)
    GROUP BY 1, 2
)"""


def places_sql(level: Level) -> str:
    """CTEs ending in ``place_edges(a, b, place_p, n_places, place_prov)`` over the registered ``_net_visits``."""
    nm = node_map_sql(level)
    return f"""
pv AS (
    SELECT coalesce(m.node, v.identifier) AS u, v.place_id, v.day, v.event_ids, v.agency, v.lat, v.lon
    FROM _net_visits v LEFT JOIN {nm} m ON m.identifier = v.identifier
),
pv_public AS (SELECT place_id FROM pv GROUP BY place_id HAVING count(DISTINCT u) > {PLACE_MAX_VISITORS}),
pv_node AS (
    SELECT u, place_id, count(DISTINCT day) AS days, min(struct_pack(lat := lat, lon := lon)).lat AS lat,
           min(struct_pack(lat := lat, lon := lon)).lon AS lon,
           flatten(list(event_ids ORDER BY event_ids)) AS event_ids, min(agency) AS agency
    FROM pv WHERE place_id NOT IN (SELECT place_id FROM pv_public) GROUP BY u, place_id
),
place_edges AS (
    SELECT least(x.u, y.u) AS a, greatest(x.u, y.u) AS b,
           1 - exp(-sum(least(x.days, y.days)) / {PLACE_DAYS}) AS place_p, count(*) AS n_places,
           list({{'layer': 'places', 'source': 'locations',
                  'ref': x.place_id || ' (' || round(x.lat, 5) || ', ' || round(x.lon, 5) || '): '
                         || array_to_string(list_sort(list_concat(x.event_ids, y.event_ids))[:20], ','),
                  'agency': x.agency, 'grade': NULL,
                  'p': 1 - exp(-least(x.days, y.days) / {PLACE_DAYS})}}::{PROV}) AS place_prov
    FROM pv_node x JOIN pv_node y ON x.place_id = y.place_id AND x.u < y.u
    GROUP BY 1, 2
)"""


def register_visits(store: CaseStore) -> None:
    """Register ``_net_visits(identifier, place_id, day, event_ids, agency, lat, lon)``: fine stays by place.

    The stays come from :mod:`fusioncell.spacetime` (cached there) and only
    when at least two identifiers have fixes; otherwise the relation is empty
    (a coarse cell-site area is never a private place).
    """
    con = store.con
    con.execute("SELECT 1").fetchall()
    n = con.execute("SELECT count(DISTINCT identifier) FROM locations").fetchall()[0]
    empty = ("CREATE OR REPLACE TEMP TABLE _net_visits (identifier VARCHAR, place_id VARCHAR, day DATE, "
             "event_ids VARCHAR[], agency VARCHAR, lat DOUBLE, lon DOUBLE)")
    con.execute(empty)
    if not n or n[0] < 2:
        return
    from fusioncell.spacetime.analysis import visits

    vis = visits(store)
    tz = con.execute("SELECT coalesce(any_value(timezone), 'UTC') FROM case_info").fetchall()
    tzname = str(tz[0][0] if tz else "UTC").replace("'", "")
    tbl = vis.select(["identifier", "place_id", "start", "precision", "event_ids", "lat", "lon"])
    con.register("_net_vis_arrow", tbl)
    try:
        con.execute(f"""
            INSERT INTO _net_visits
            SELECT v.identifier, v.place_id, CAST(timezone('{tzname}', v.start) AS DATE), v.event_ids,
                   l.agency, v.lat, v.lon
            FROM _net_vis_arrow v
            LEFT JOIN (SELECT event_id, min(agency) AS agency FROM locations GROUP BY 1) l
              ON l.event_id = v.event_ids[1]
            WHERE v.precision = 'fine' AND v.place_id IS NOT NULL""")
    finally:
        con.unregister("_net_vis_arrow")


def empty_prov() -> str:
    """An empty provenance list literal."""
    return f"[]::{PROV}[]"


__all__ = ["OWNER_P", "PLACE_DAYS", "PLACE_MAX_VISITORS", "PROV", "VEHICLE_MAX_USERS", "grades_values",
           "places_sql", "register_visits", "vehicles_sql", "empty_prov"]
