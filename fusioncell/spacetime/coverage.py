"""Where the case can see: cell-site coverage estimated from the data.

A handset that stays where no cell site reaches it produces no call records
and no carrier fixes: its silence there is not "nothing happened" but "we
could not see". To reason about silence we need to know where we are blind.

The case names no tower list, so the sites are the distinct serving-cell
positions in the call records. Each site's *range* is read from the data:

* where a tracked handset's carrier fix lies within ``PAIR_WINDOW_S`` of a
  call it made or received through a site, the fix-to-site distance is one
  observation of how far that site serves; a site's range is the 95th
  percentile of its observations (at least ``MIN_OBS`` of them);
* never less than the case-wide 90th percentile of all observations, nor
  than the distance to the nearest neighbouring site (sites are planned so
  that neighbours overlap; a rural site no tracked handset used would
  otherwise get a town site's short reach);
* the edge is soft (:meth:`Coverage.p_blind`): ranges are estimates;
* everything is clipped to [``MIN_RANGE_M``, ``MAX_RANGE_M``];
* **a carrier fix proves coverage where it lies**: a handset the network
  located was served there, whatever the ranges say. Points within
  ``SEEN_M`` of a handset fix (accuracy ≤ ``SEEN_ACC_M``; vehicle trackers,
  which may buffer, excluded) are covered. Ranges estimated from sparse
  rural sites overstate *and* understate reach; on the training worlds'
  hideouts and decoys (seeds 0–7, 572 places) this rule cut the covered
  places wrongly called blind from 47 to 35 and left the holes found as
  they were (11 of 20): docs/benchmarks.md, "session 10".

A point is *covered* when some site's range reaches it. When the data hold
no serving-cell positions at all, nothing is known about coverage and every
point counts as covered (silence then means nothing either way).

When to distrust it: a case with few tracked handsets has few fix/cell
pairs, so ranges fall back to the neighbour rule, which overstates coverage
in mountains (terrain blocks what distance allows) and understates it in
flat open country.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from fusioncell.spacetime.geo import haversine_m, haversine_sql
from fusioncell.store import CaseStore

FloatArray = npt.NDArray[np.float64]

PAIR_WINDOW_S = 300
MIN_OBS = 5
MIN_RANGE_M = 1500.0
MAX_RANGE_M = 35000.0
NEIGHBOUR_FACTOR = 1.0
#: Width of the soft coverage edge (metres).
SOFT_EDGE_M = 1000.0
#: A handset fix this close to a point shows a site served the point (fixes binned to ~200 m first).
SEEN_M, SEEN_ACC_M, SEEN_BIN_DEG = 700.0, 1000.0, 0.002


@dataclass(frozen=True, slots=True)
class Coverage:
    """Cell sites seen in the case and how far each serves (metres)."""

    lat: FloatArray
    lon: FloatArray
    range_m: FloatArray
    observed: npt.NDArray[np.int64]  # fix/cell pairs behind each range (0: fallback rule)
    #: Where handsets were located by the network (binned): covered, whatever the ranges say.
    seen_lat: FloatArray = field(default_factory=lambda: np.zeros(0))
    seen_lon: FloatArray = field(default_factory=lambda: np.zeros(0))

    def seen(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Points within ``SEEN_M`` of a handset fix: a site served a handset there."""
        la = np.atleast_1d(np.asarray(lat, dtype=float))
        lo = np.atleast_1d(np.asarray(lon, dtype=float))
        out = np.zeros(la.shape, dtype=bool)
        if self.seen_lat.size == 0:
            return out
        for s in range(0, la.size, 256):  # blocks of points, vectorised within
            d = haversine_m(la[s:s + 256, None], lo[s:s + 256, None], self.seen_lat[None, :], self.seen_lon[None, :])
            out[s:s + 256] = d.min(axis=1) < SEEN_M
        return out

    @property
    def known(self) -> bool:
        return bool(self.lat.size)

    def margin_m(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
        """How far inside (positive) or outside (negative) the nearest coverage edge each point lies."""
        la = np.atleast_1d(np.asarray(lat, dtype=float))
        lo = np.atleast_1d(np.asarray(lon, dtype=float))
        if not self.known:
            return np.full(la.shape, np.inf)
        out = np.empty(la.shape)
        for s in range(0, la.size, 1024):  # blocks of points, vectorised within
            d = haversine_m(la[s:s + 1024, None], lo[s:s + 1024, None], self.lat[None, :], self.lon[None, :])
            out[s:s + 1024] = (self.range_m[None, :] - d).max(axis=1)
        return out

    def covered(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        return self.margin_m(lat, lon) >= 0.0

    def p_blind(self, lat: npt.ArrayLike, lon: npt.ArrayLike, soft_m: float | None = None) -> FloatArray:
        """Probability that no site serves the point: a soft edge, since ranges are estimates.

        ``1 / (1 + exp(margin / soft_m))``: 0.5 on the estimated edge, ~0.12
        two kilometres inside, ~0.88 two kilometres outside (``soft_m`` = 1 km).
        With no site known at all, 0 everywhere: silence then explains nothing.
        """
        if not self.known:
            return np.zeros(np.atleast_1d(np.asarray(lat, dtype=float)).shape)
        s = SOFT_EDGE_M if soft_m is None else soft_m
        m = np.clip(self.margin_m(lat, lon), -50 * s, 50 * s)
        return np.where(self.seen(lat, lon), 0.0, np.asarray(1.0 / (1.0 + np.exp(m / s)), dtype=float))


def coverage(store: CaseStore) -> Coverage:
    """Estimate each serving cell site's range from the case's own records (see module docs)."""
    con = store.con
    sites = con.execute(
        """
        SELECT DISTINCT lat, lon FROM (
          SELECT caller_lat AS lat, caller_lon AS lon FROM comms WHERE caller_lat IS NOT NULL AND caller_lon IS NOT NULL
          UNION ALL
          SELECT callee_lat, callee_lon FROM comms WHERE callee_lat IS NOT NULL AND callee_lon IS NOT NULL
        ) ORDER BY lat, lon
        """
    ).fetchnumpy()
    lat = np.asarray(sites["lat"], dtype=float)
    lon = np.asarray(sites["lon"], dtype=float)
    n = lat.size
    if n == 0:
        z = np.zeros(0)
        return Coverage(z, z, z, np.zeros(0, dtype=np.int64))
    # fix-to-serving-site distances: calls of tracked handsets with a fix close in time
    obs = con.execute(
        f"""
        WITH c AS (
          SELECT caller AS identifier, start AS t, caller_lat AS slat, caller_lon AS slon FROM comms
          WHERE caller_lat IS NOT NULL AND caller IN (SELECT DISTINCT identifier FROM locations)
          UNION ALL
          SELECT callee, start, callee_lat, callee_lon FROM comms
          WHERE callee_lat IS NOT NULL AND callee IN (SELECT DISTINCT identifier FROM locations)
        ), j AS (
          SELECT c.slat, c.slon, l.lat, l.lon,
                 row_number() OVER (PARTITION BY c.identifier, c.t, c.slat, c.slon
                                    ORDER BY abs(epoch(l.observed) - epoch(c.t)), l.event_id) AS k
          FROM c JOIN locations l ON l.identifier = c.identifier
           AND l.observed BETWEEN c.t - INTERVAL {PAIR_WINDOW_S} SECOND AND c.t + INTERVAL {PAIR_WINDOW_S} SECOND
        ), d AS (
          SELECT slat, slon, {haversine_sql("slat", "slon", "lat", "lon")} AS dist
          FROM j WHERE k = 1
        )
        SELECT slat, slon, count(*) AS n, quantile_cont(dist, 0.95) AS q95,
               (SELECT quantile_cont(dist, 0.9) FROM d) AS q90_all
        FROM d GROUP BY slat, slon ORDER BY slat, slon
        """
    ).fetchnumpy()
    # nearest neighbouring site
    nn = np.full(n, np.inf)
    for s in range(0, n, 1024):
        d = haversine_m(lat[s:s + 1024, None], lon[s:s + 1024, None], lat[None, :], lon[None, :])
        d[d < 1.0] = np.inf
        nn[s:s + 1024] = d.min(axis=1)
    nn = np.where(np.isfinite(nn), nn, MAX_RANGE_M / NEIGHBOUR_FACTOR)
    floor = np.clip(NEIGHBOUR_FACTOR * nn, MIN_RANGE_M, MAX_RANGE_M)
    n_obs = np.asarray(obs["n"], dtype=np.int64)
    total = int(n_obs.sum())
    global_r = float(np.asarray(obs["q90_all"], dtype=float)[0]) if total >= MIN_OBS else 0.0
    # what the data say wins over the neighbour rule, which overstates reach where sites are sparse
    rng = np.maximum(floor, global_r) if total >= MIN_OBS else floor
    count = np.zeros(n, dtype=np.int64)
    if n_obs.size:
        # sites are sorted by (lat, lon) on both sides: match them exactly
        site = np.searchsorted(lat + lon * 1e-9, np.asarray(obs["slat"], dtype=float) + np.asarray(obs["slon"], dtype=float) * 1e-9)
        site = np.clip(site, 0, n - 1)
        ok = (lat[site] == np.asarray(obs["slat"], dtype=float)) & (lon[site] == np.asarray(obs["slon"], dtype=float))
        site, n_ok, q_ok = site[ok], n_obs[ok], np.asarray(obs["q95"], dtype=float)[ok]
        count[site] = n_ok
        own = n_ok >= MIN_OBS
        rng[site[own]] = np.maximum(q_ok[own], rng[site[own]])
    seen = con.execute(
        f"""
        SELECT DISTINCT round(lat / {SEEN_BIN_DEG}) * {SEEN_BIN_DEG} AS lat, round(lon / {SEEN_BIN_DEG}) * {SEEN_BIN_DEG} AS lon
        FROM locations WHERE accuracy_m <= {SEEN_ACC_M} AND NOT starts_with(identifier, 'plate:')
          AND lat IS NOT NULL AND lon IS NOT NULL ORDER BY lat, lon
        """
    ).fetchnumpy()
    return Coverage(lat, lon, np.clip(rng, MIN_RANGE_M, MAX_RANGE_M), count,
                    np.asarray(seen["lat"], dtype=float), np.asarray(seen["lon"], dtype=float))
