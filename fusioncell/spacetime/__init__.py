"""fusioncell.spacetime — pattern of life over every positional source of a case.

Pure functions over the case store's tables, each returning a
``pyarrow.Table``. High-resolution fixes (``locations``) and coarse cell-site
positions (``comms`` caller/callee cells) are used together but always kept
apart in outputs (column ``precision``: ``fine`` / ``coarse``); sightings
(``sightings``: a plate or person seen) enter co-locations.

API
---
``positions(store, identifiers=None)``
    Every positional observation: identifier, t, lat, lon, accuracy_m, kind
    (fix / cell / sighting), precision, confidence, event_id, source_id.
``stay_points(store, identifiers=None, params=StayParams())``
    identifier, lat, lon, start, end, duration_s, n_fixes, accuracy_m,
    spread_m, max_gap_s, precision, event_ids. Vectorised sliding-anchor rule
    robust to noise and gaps (see :mod:`.staypoints`).
``places(store)``
    place_id, lat, lon, radius_m, precision, n_visitors, n_visits, visitors,
    first_seen, last_seen, total_s, night_s, workday_s, n_overnight, label
    (home / work / other), home_of, distance_to_town_m, remote.
``visits(store, ids=None)``
    One row per stay with its place_id, role (the identifier's home / work /
    other), overnight, and anomaly flags new_place, overnight_away,
    outside_routine, anomaly; event_ids.
``anomalies(store, ids=None)``
    The visits with ``anomaly`` set.
``weekly_profile(store, visits, identifier)``
    Most frequent place per local weekday and hour, with its share of weeks.
``colocations(store, ids=None)``
    Co-location hits: pairs of observations of two identifiers close in space
    and time, with ``p`` (probability they were truly within
    ``meet_radius_m``, from both sides' accuracy). Ibis: DuckDB or Spark.
``meetings(store, ids=None)``
    Co-locations that last: id_a, id_b, start, end, duration_s, both_seen_s,
    n_hits, n_fine_hits, lat, lon, p, p_any, p_max, precision, event_ids.
``dark_intervals(store, ids=None)``
    identifier, start, end, duration_s, expected_events, p_chance, last_* and
    next_* positions (t, lat, lon, accuracy_m, kind, event_id), moved_m,
    n_repeat, n_ids_nearby.

Stay points, places and visits are cached in the store (tables ``st_*``
with a ``run_id``); see :mod:`.analysis`.

Examples
--------
>>> from fusioncell.spacetime.synth import StoreBuilder, UTC
>>> from datetime import datetime
>>> b = StoreBuilder(tz="UTC")
>>> b.dwell("+15550001", datetime(2026, 1, 1, 22, tzinfo=UTC), hours=8, lat=19.9, lon=-103.7)
>>> sp = stay_points(b.store)
>>> sp.num_rows, sp.column("precision")[0].as_py()
(1, 'fine')
"""

from fusioncell.spacetime.analysis import (
    SpacetimeParams,
    anomalies,
    cached_stay_points,
    compute,
    places,
    visits,
)
from fusioncell.spacetime.colocation import ColocationParams, colocations, meetings
from fusioncell.spacetime.dark import DarkParams, dark_intervals
from fusioncell.spacetime.places import PlaceParams
from fusioncell.spacetime.positions import PositionParams, positions
from fusioncell.spacetime.routines import RoutineParams, weekly_profile
from fusioncell.spacetime.staypoints import StayParams, stay_points

__all__ = [
    "ColocationParams",
    "DarkParams",
    "PlaceParams",
    "PositionParams",
    "RoutineParams",
    "SpacetimeParams",
    "StayParams",
    "anomalies",
    "cached_stay_points",
    "colocations",
    "compute",
    "dark_intervals",
    "meetings",
    "places",
    "positions",
    "stay_points",
    "visits",
    "weekly_profile",
]
