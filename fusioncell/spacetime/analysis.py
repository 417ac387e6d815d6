"""The spacetime API over a case store, with derived tables cached in the store.

Each function returns a ``pyarrow.Table``. Stay points, places and visits are
computed together (places need every identifier's stays) and cached in the
store as ``st_stays``, ``st_places`` and ``st_visits``, stamped with the
``run_id`` of a ``spacetime`` run and keyed by a fingerprint of the
observation tables and the parameters; a changed case or changed
parameters recompute them. A read-only store just recomputes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from fusioncell.spacetime._sql import arrow, has_table, one, settle
from fusioncell.spacetime.places import PlaceParams, build_places
from fusioncell.model.night import NIGHT
from fusioncell.spacetime.positions import MIN_CELL_ACCURACY_M, PositionParams
from fusioncell.spacetime.routines import RoutineParams, flag_visits
from fusioncell.spacetime.staypoints import StayParams, stay_points
from fusioncell.store import CaseStore

log = logging.getLogger(__name__)

_CACHED = ("st_stays", "st_places", "st_visits")


@dataclass(frozen=True, slots=True)
class SpacetimeParams:
    """All parameters of the stay → place → visit pipeline."""

    stay: StayParams = field(default_factory=StayParams)
    place: PlaceParams = field(default_factory=PlaceParams)
    routine: RoutineParams = field(default_factory=RoutineParams)
    position: PositionParams = field(default_factory=PositionParams)


def _fingerprint(store: CaseStore, params: SpacetimeParams) -> str:
    row = one(store.con, """
        SELECT (SELECT count(*) FROM locations), (SELECT max(observed) FROM locations),
               (SELECT count(*) FROM comms), (SELECT max(start) FROM comms),
               (SELECT count(*) FROM sightings), (SELECT max(observed) FROM sightings),
               (SELECT string_agg(sha256, ',' ORDER BY sha256) FROM ingest_log),
               (SELECT any_value(timezone) FROM case_info)""")
    # the one night and cell accuracy (model/night.py, positions.cell_accuracy_m) are part of the key too
    blob = json.dumps([list(row or ()), asdict(params), asdict(NIGHT), MIN_CELL_ACCURACY_M], default=str, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _read_cache(store: CaseStore, key: str) -> tuple[pa.Table, pa.Table, pa.Table] | None:
    if not all(has_table(store.con, t) for t in (*_CACHED, "st_cache")):
        return None
    row = one(store.con, "SELECT run_id FROM st_cache WHERE key = ? ORDER BY created DESC LIMIT 1", [key])
    if row is None:
        return None
    run = str(row[0]).replace("'", "''")
    out = []
    for t in _CACHED:
        tbl = arrow(store.con, f"SELECT * EXCLUDE (run_id) FROM {t} WHERE run_id = '{run}'")
        out.append(tbl)
    stays, places_, visits_ = out
    return (stays.sort_by([("identifier", "ascending"), ("start", "ascending")]),
            places_.sort_by("place_id"), visits_.sort_by("visit_no"))


def _write_cache(store: CaseStore, key: str, params: SpacetimeParams, tables: tuple[pa.Table, ...]) -> None:
    try:
        settle(store.con)
        run_id = store.new_run("spacetime", {"key": key, **asdict(params)})
        store.con.execute("CREATE TABLE IF NOT EXISTS st_cache (key VARCHAR, run_id VARCHAR, created TIMESTAMPTZ)")
        for name, tbl in zip(_CACHED, tables):
            withrun = tbl.append_column("run_id", pa.array([run_id] * tbl.num_rows, pa.string()))
            store.con.register("_fc_cache", withrun)
            try:
                if has_table(store.con, name):
                    store.con.execute(f"DELETE FROM {name}")
                    store.con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _fc_cache")
                else:
                    store.con.execute(f"CREATE TABLE {name} AS SELECT * FROM _fc_cache")
            finally:
                store.con.unregister("_fc_cache")
        store.con.execute("DELETE FROM st_cache")
        store.con.execute("INSERT INTO st_cache (key, run_id, created) VALUES (?, ?, now())", [key, run_id])
    except (duckdb.Error, OSError) as exc:  # read-only store, schema drift: recompute next time
        log.info("spacetime cache not written: %s", exc)


def compute(store: CaseStore, params: SpacetimeParams = SpacetimeParams(), *,
            use_cache: bool = True) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Stay points, places and flagged visits of the whole case (cached in the store)."""
    settle(store.con)
    key = _fingerprint(store, params)
    if use_cache:
        try:
            hit = _read_cache(store, key)
        except duckdb.Error:
            hit = None
        if hit is not None:
            return hit
    stays = stay_points(store, None, params.stay, position_params=params.position)
    pl, vis = build_places(store, stays, params.place)
    vis = flag_visits(store, vis, params.routine)
    if use_cache:
        _write_cache(store, key, params, (stays, pl, vis))
    return stays, pl, vis


def _only(tbl: pa.Table, col: str, ids: Sequence[str] | None) -> pa.Table:
    if ids is None:
        return tbl
    return tbl.filter(pc.is_in(tbl.column(col), pa.array(list(ids), pa.string())))


def places(store: CaseStore, params: SpacetimeParams = SpacetimeParams()) -> pa.Table:
    """Shared places of the case (see :mod:`fusioncell.spacetime.places`).

    Columns: ``place_id, lat, lon, radius_m, precision, n_visitors, n_visits,
    visitors, first_seen, last_seen, total_s, night_s, workday_s,
    n_overnight, label, home_of, distance_to_town_m, remote``.
    """
    return compute(store, params)[1]


def visits(store: CaseStore, ids: Sequence[str] | None = None, params: SpacetimeParams = SpacetimeParams()) -> pa.Table:
    """Every stay of every identifier, assigned to a place and flagged.

    Columns: ``visit_no, identifier, place_id, start, end, duration_s,
    precision, lat, lon, accuracy_m, dist_to_place_m, event_ids, night_s,
    workday_s, overnight, role, new_place, overnight_away, routine_share,
    outside_routine, anomaly``.
    """
    return _only(compute(store, params)[2], "identifier", ids)


def cached_stay_points(store: CaseStore, ids: Sequence[str] | None = None,
                       params: SpacetimeParams = SpacetimeParams()) -> pa.Table:
    """Stay points of the whole case from the cache (computed on first use)."""
    return _only(compute(store, params)[0], "identifier", ids)


def anomalies(store: CaseStore, ids: Sequence[str] | None = None, params: SpacetimeParams = SpacetimeParams()) -> pa.Table:
    """Visits flagged as anomalous (new place, overnight away from home, outside routine)."""
    v = visits(store, ids, params)
    return v.filter(v.column("anomaly"))


def params_dict(params: Any) -> dict[str, Any]:
    """Parameters as a JSON-friendly dict."""
    out: dict[str, Any] = json.loads(json.dumps(asdict(params), default=str))
    return out
