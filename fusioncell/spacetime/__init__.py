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
>>> from fusioncell.spacetime import stay_points
>>> from fusioncell.spacetime.synth import StoreBuilder, UTC
>>> from datetime import datetime
>>> b = StoreBuilder(tz="UTC")
>>> b.dwell("+15550001", datetime(2026, 1, 1, 22, tzinfo=UTC), hours=8, lat=19.9, lon=-103.7)
>>> sp = stay_points(b.store)
>>> sp.num_rows, sp.column("precision")[0].as_py()
(1, 'fine')
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

#: public name -> the submodule defining it. Imported on first use (PEP 562): importing one submodule (the
#: network's ``spacetime.sighted``) runs this package first, and loading every module here pulled in
#: ``pyarrow.compute`` and the stay-point, place and routine code a ``network`` run never uses (net15).
_WHERE = {
    "SpacetimeParams": "analysis", "anomalies": "analysis", "cached_stay_points": "analysis", "compute": "analysis",
    "places": "analysis", "visits": "analysis",
    "ColocationParams": "colocation", "colocations": "colocation", "meetings": "colocation",
    "DarkParams": "dark", "dark_intervals": "dark",
    "PlaceParams": "places",
    "PositionParams": "positions", "positions": "positions",
    "RoutineParams": "routines", "weekly_profile": "routines",
    "StayParams": "staypoints", "stay_points": "staypoints",
}


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


class _Package(types.ModuleType):
    """``places`` and ``positions`` are both submodules and functions; the package's names are the functions
    (as when this package imported everything). Importing the submodule must not rebind the name to it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _WHERE:
            return  # the submodule stays reachable through sys.modules
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
