"""Places: stay points of all identifiers clustered into shared places, labelled.

Two people's stays at one compound become one place. Fine stays (from
fixes) and coarse stays (from cell sites) are clustered separately, so a
place is either ``fine`` (radius of tens to hundreds of metres) or
``coarse`` (a cell-site area, km): coarse evidence never blurs a fine place.
A coarse place is the area of one cell tower: each coarse stay goes to the
tower nearest its centre.

Fine clustering is single linkage: two stays are linked when their centres are
within ``link_m + hypot(acc_a, acc_b)`` (capped at ``max_link_m``); links
are found by a DuckDB join on int64 grid-cell keys with the 8 neighbour
cells, components by igraph.

Labels use local time (``case_info.timezone``): for each identifier the place
where it spends most night hours (22:00–06:00) is its **home** (if at least
``min_home_nights`` nights), the place with most weekday daytime hours
(Mon–Fri 09:00–17:00) other than home is its **work**; a place is labelled
home / work if it is that for any visitor, else other.

**Remote vs town**: populated areas are grid cells (``town_cell_m``) in whose
3x3 block at least ``town_min_ids`` distinct identifiers, and at least
``town_rel`` times the count of the busiest block, are observed at night
(from any source: they live there), and that hold night observations
themselves. The relative threshold separates towns from villages and
isolated towers whatever the size of the case. ``distance_to_town_m`` is the distance from a place to the
nearest such cell's centre; a place farther than
``remote_m`` is remote. Without enough night observations in the case no
cell qualifies: ``remote`` is null (unknown) and the distance infinite.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import igraph as ig
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fusioncell.model.night import NIGHT
from fusioncell.spacetime.geo import LocalGrid, grid_for, haversine_m, metres_per_degree
from fusioncell.store import CaseStore, plans

#: Local hours counted as night for a place's home role and the town cells: the one night
#: (fusioncell.model.night) from 22:00. A stay point runs until the next place's first fix, so a
#: day at work last seen at 16:00 and next seen at home at 23:00 "stays" at work until 23:00; from
#: 21:00 that is two night hours and work becomes home (tests/test_spacetime_places.py). The
#: right rule is locate's: the small hours decide (NIGHT.core_*); until then the evening starts later here.
PLACES_NIGHT = replace(NIGHT, from_h=22)
NIGHT_HOURS = PLACES_NIGHT.hours()
WORK_HOURS = tuple(range(9, 17))


@dataclass(frozen=True, slots=True)
class PlaceParams:
    """How stays are clustered and places labelled."""

    link_m: float = 100.0
    max_link_m: float = 400.0
    coarse_link_m: float = 300.0
    min_home_nights: int = 2
    min_work_days: int = 3
    town_cell_m: float = 2000.0
    town_min_ids: int = 10
    #: ... and at least this share of the busiest block's count (towns, not villages).
    town_rel: float = 0.25
    remote_m: float = 3000.0


def timezone_of(store: CaseStore) -> str:
    """The case's IANA time zone (UTC when no case is ingested)."""
    from fusioncell.errors import NotFound

    try:
        return store.case().timezone or "UTC"
    except NotFound:
        return "UTC"


def cluster_points(lat: np.ndarray, lon: np.ndarray, acc: np.ndarray, link_m: float, max_link_m: float,
                   store: CaseStore) -> np.ndarray:
    """Single-linkage cluster labels of points (grid join, plan ``places.links``, + igraph components)."""
    n = lat.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    grid = grid_for(lat, lon, max_link_m)
    x, y = grid.xy(lat, lon)
    ix = np.floor(x / max_link_m).astype(np.int64)
    iy = np.floor(y / max_link_m).astype(np.int64)
    tbl = pa.table({"i": np.arange(n, dtype=np.int64), "ix": ix, "iy": iy, "x": x, "y": y,
                    "acc": np.nan_to_num(acc, nan=0.0)})
    links = plans.run(store, "places.links", inputs={"pts": tbl}, link_m=link_m, max_link_m=max_link_m)
    pairs = {c: links.column(c).to_numpy() for c in ("i", "j")}
    g = ig.Graph(n=n, edges=np.column_stack([pairs["i"], pairs["j"]]).tolist() if pairs["i"].size else [])
    return np.asarray(g.connected_components().membership, dtype=np.int64)


def snap_to_towers(store: CaseStore, lat: np.ndarray, lon: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Index (0..k-1, dense) of the nearest cell tower of each coarse stay: one coarse place per tower area.

    Coarse stays are averages of serving-cell positions; clustering them by
    distance chains whole towns together, so each is assigned to the tower
    it is nearest to instead.
    """
    from fusioncell.spacetime.positions import tower_accuracy

    if lat.size == 0:
        return np.zeros(0, dtype=np.int64)
    towers = tower_accuracy(store)
    tl = towers.column("tlat").to_numpy()
    tn = towers.column("tlon").to_numpy()
    if tl.size == 0:
        return np.zeros(lat.size, dtype=np.int64)
    grid = grid_for(tl, tn, 1.0)
    tx, ty = grid.xy(tl, tn)
    x, y = grid.xy(lat, lon)
    near = np.empty(lat.size, dtype=np.int64)
    for s in range(0, lat.size, chunk):  # chunks of stays, vectorised inside
        d2 = (x[s:s + chunk, None] - tx[None, :]) ** 2 + (y[s:s + chunk, None] - ty[None, :]) ** 2
        near[s:s + chunk] = np.argmin(d2, axis=1)
    return np.asarray(np.unique(near, return_inverse=True)[1], dtype=np.int64)


def build_places(store: CaseStore, stays: pa.Table, params: PlaceParams = PlaceParams()) -> tuple[pa.Table, pa.Table]:
    """Cluster stays into places; return ``(places, visits)``.

    ``visits`` has one row per stay: ``visit_no, identifier, place_id, start,
    end, duration_s, precision, lat, lon, accuracy_m, event_ids`` plus
    ``night_s``, ``workday_s``, ``overnight`` and the identifier's ``role``
    of that place (home / work / other).
    """
    n = stays.num_rows
    lat = stays.column("lat").to_numpy(zero_copy_only=False) if n else np.zeros(0)
    lon = stays.column("lon").to_numpy(zero_copy_only=False) if n else np.zeros(0)
    acc = stays.column("accuracy_m").to_numpy(zero_copy_only=False) if n else np.zeros(0)
    prec = np.asarray(stays.column("precision").to_pylist() if n else [], dtype=object)
    fine = prec == "fine"
    label = np.full(n, -1, dtype=np.int64)
    lf = cluster_points(lat[fine], lon[fine], acc[fine], params.link_m, params.max_link_m, store)
    lc = snap_to_towers(store, lat[~fine], lon[~fine])
    label[fine] = lf
    label[~fine] = lc + (lf.max() + 1 if lf.size else 0)
    # deterministic place ids: fine first, ordered by (precision, rounded lat, lon)
    k = int(label.max() + 1) if n else 0
    w = 1.0 / np.maximum(np.nan_to_num(acc, nan=100.0), 5.0) ** 2
    sw = np.bincount(label, w, minlength=k) if n else np.zeros(0)
    plat = np.bincount(label, w * lat, minlength=k) / np.maximum(sw, 1e-300) if n else np.zeros(0)
    plon = np.bincount(label, w * lon, minlength=k) / np.maximum(sw, 1e-300) if n else np.zeros(0)
    pfine = np.bincount(label, fine.astype(float), minlength=k) > 0 if n else np.zeros(0, dtype=bool)
    order = np.lexsort((np.round(plon, 5), np.round(plat, 5), ~pfine)) if k else np.zeros(0, dtype=np.int64)
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    place_ids = np.array([f"pl-{i + 1:04d}" for i in range(k)], dtype=object)
    pid = place_ids[rank[label]] if n else np.zeros(0, dtype=object)
    d_member = haversine_m(lat, lon, plat[label], plon[label]) if n else np.zeros(0)
    visits = pa.table({
        "visit_no": np.arange(n, dtype=np.int64),
        "identifier": stays.column("identifier") if n else pa.array([], pa.string()),
        "place_id": pa.array(pid.tolist(), pa.string()),
        "start": stays.column("start") if n else pa.array([], pa.timestamp("us", tz="UTC")),
        "end": stays.column("end") if n else pa.array([], pa.timestamp("us", tz="UTC")),
        "duration_s": stays.column("duration_s") if n else pa.array([], pa.float64()),
        "precision": pa.array(prec.tolist(), pa.string()),
        "lat": lat, "lon": lon, "accuracy_m": acc,
        "dist_to_place_m": d_member,
        "event_ids": stays.column("event_ids") if n else pa.array([], pa.list_(pa.string())),
    })
    tz = timezone_of(store)
    hours = {"tz": tz, "night_hours": NIGHT_HOURS, "work_hours": WORK_HOURS}
    slim = visits.select(["visit_no", "identifier", "place_id", "start", "end"])
    per_visit = plans.run(store, "places.per_visit", inputs={"visits": slim}, **hours)
    # per identifier and place: nights and workdays present (>= 2 h of a night / 2 h of a workday)
    roles = plans.run(store, "places.roles", inputs={"visits": slim}, **hours,
                      min_home_nights=params.min_home_nights, min_work_days=params.min_work_days)
    visits = visits.append_column("night_s", pa.array(per_visit.column("night_s"), pa.float64()))
    visits = visits.append_column("workday_s", pa.array(per_visit.column("workday_s"), pa.float64()))
    visits = visits.append_column("overnight", pc.greater_equal(per_visit.column("small_hours_s"), 3600.0))
    role = roles.select(["identifier", "place_id", "role"])
    # (Arrow joins carry no list columns: the role is joined to the visit numbers, then appended)
    vrole = slim.select(["visit_no", "identifier", "place_id"]).join(role, ["identifier", "place_id"],
                                                                    join_type="left outer").sort_by("visit_no")
    visits = visits.append_column("role", pc.fill_null(vrole.column("role"), "other"))
    towns = town_cells(store, params)
    pl = plans.run(store, "places.summary", inputs={"visits": visits.drop_columns(["event_ids"])})
    lab = plans.run(store, "places.labels", inputs={"roles": role})
    order_ids = pl.column("place_id").to_pylist()
    idx_of = {p: i for i, p in enumerate(place_ids.tolist())}
    ordinal = np.array([idx_of[p] for p in order_ids], dtype=np.int64)  # per place, not per record
    cl = np.empty(k, dtype=np.int64)
    cl[rank] = np.arange(k)
    src = cl[ordinal] if k else np.zeros(0, dtype=np.int64)
    P_lat, P_lon = plat[src], plon[src]
    p90 = np.nan_to_num(pl.column("p90_m").to_numpy(zero_copy_only=False).astype(float), nan=0.0)
    is_fine = np.array([p == "fine" for p in pl.column("precision").to_pylist()], dtype=bool)
    floor_m = np.where(is_fine, 50.0, 1000.0)
    radius = np.maximum(p90, floor_m)
    dist_town = distance_to_towns(P_lat, P_lon, towns)
    labmap = dict(zip(lab.column("place_id").to_pylist(), lab.column("label").to_pylist()))
    homemap = dict(zip(lab.column("place_id").to_pylist(), lab.column("home_of").to_pylist()))
    places = pa.table({
        "place_id": pl.column("place_id"),
        "lat": P_lat, "lon": P_lon,
        "radius_m": radius,
        "precision": pl.column("precision"),
        "n_visitors": pl.column("n_visitors"),
        "n_visits": pl.column("n_visits"),
        "visitors": pl.column("visitors"),
        "first_seen": pl.column("first_seen"),
        "last_seen": pl.column("last_seen"),
        "total_s": pl.column("total_s"),
        "night_s": pl.column("night_s"),
        "workday_s": pl.column("workday_s"),
        "n_overnight": pl.column("n_overnight"),
        "label": pa.array([labmap.get(p, "other") for p in order_ids], pa.string()),
        "home_of": pa.array([homemap.get(p) or [] for p in order_ids], pa.list_(pa.string())),
        "distance_to_town_m": dist_town,
        # no populated block in the case: remote or not is unknown (null), not "remote"
        "remote": pa.array([None if not np.isfinite(x) else bool(x >= params.remote_m) for x in dist_town],
                           pa.bool_()),
    })
    return places, visits


def town_cells(store: CaseStore, params: PlaceParams = PlaceParams()) -> pa.Table:
    """Populated cells: ``(lat, lon, n_ids)`` of grid cells where many identifiers are seen at night."""
    from fusioncell.spacetime.positions import PositionParams, case_grid, tower_accuracy

    grid: LocalGrid = case_grid(store, params.town_cell_m)
    pos = PositionParams()
    inputs = {"towers": tower_accuracy(store, pos)}
    m_lat, m_lon = metres_per_degree(grid.lat0)
    return plans.run(store, "places.towns", inputs=inputs, tz=timezone_of(store), night_hours=NIGHT_HOURS,
                     lat0=grid.lat0, lon0=grid.lon0, kx=grid._kx, ky=grid._ky, cell_m=grid.cell_m,
                     m_lat=m_lat, m_lon=m_lon, town_min_ids=params.town_min_ids, town_rel=params.town_rel,
                     positions={"identifiers": None, "kinds": ("fix", "cell", "sighting"),
                                "default_fix_accuracy_m": pos.default_fix_accuracy_m,
                                "sighting_accuracy_m": pos.sighting_accuracy_m})


def distance_to_towns(lat: np.ndarray, lon: np.ndarray, towns: pa.Table) -> np.ndarray:
    """Distance from each point to the nearest town cell (inf when there is none)."""
    if towns.num_rows == 0 or lat.size == 0:
        return np.full(lat.size, np.inf)
    tl = towns.column("lat").to_numpy()
    tn = towns.column("lon").to_numpy()
    d = haversine_m(lat[:, None], lon[:, None], tl[None, :], tn[None, :])
    return np.asarray(d.min(axis=1), dtype=np.float64)
