"""Dark spots: where her phone goes dark on the way, night after night, under coverage.

A partner who switches her phone off on the way to him goes silent a few km short of his house, heading for
it, and comes back on a few km past it, heading away (``silent_reach``, :func:`fusioncell.infer.silences.
switched_off_towards`). The model scores those trips at the candidate places the case names; when his house
is none of them (nothing else was ever seen there: no fix, no sighting, no claim naming the spot), her trips
still point at it, and *elsewhere* is all the model can say. Decoy-heavy hard 1009 of our simulator: seven
trips agree within 0.6 km of the compound; normal 1002: two trips after his move point 3-4 km from it.

The spot is found on a grid (``GRID_M``) around the ends of her silent trips, as blind spots are
(:mod:`fusioncell.infer.blind`), but under coverage and with the distance the phone goes dark short of the
place (``SWITCH_OFF_SIGMA_M``): per grid point, how well it fits each silent trip (heading at the ends, the
distance, reachable in the gap with time left to stay, away from her home). Points where at least two trips
fit well (``TRIP_FIT``) and the trips' summed fit is at least half the best are joined into areas
(4-neighbour components, igraph), the area of her latest such trip first (a move: the area her trips went
to before it is where he was); each area's spot is where the fit is within ``CORE_SHARE`` of the area's
best, its radius the farthest such point from their (fit-weighted) centre. A road runs along the heading,
so a spot is long where all her trips come the same way and short where they come from several sides.

Nothing here enters the model's probabilities: a dark spot is where to look (an aerial pass, a vehicle
watch), never a location — the distance at which a phone goes dark is a habit we guess (``SWITCH_OFF_SIGMA_M``),
not a measurement. docs/inference.md, "Dark spots", says when to distrust it.
"""

from __future__ import annotations

from dataclasses import dataclass

import igraph as ig
import numpy as np
import numpy.typing as npt

from fusioncell.infer.features import EvidenceContext, _home_arrays
from fusioncell.infer.silences import MIN_STAY_S, ROAD_SPEED_MPS, partner_silent_nights, switched_off_towards
from fusioncell.spacetime.geo import LocalGrid, haversine_m

FloatArray = npt.NDArray[np.float64]

GRID_M = 500.0
#: How far past the ends of her silences the grid reaches (the fit of a place 20 km ahead is ~0.2).
PAD_M = 20_000.0
#: A silent trip fits a point this well (0-1) to count as a trip there.
TRIP_FIT = 0.5
#: Trips that must agree on a spot: one trip's rays cross anywhere along its road.
MIN_TRIPS = 2
#: An area's spot: where the summed fit is at least this share of the area's best. At 0.8 the spots of our
#: decoy-heavy worlds were ~3.8 km wide and one in three missed by a few hundred metres; at 0.65 ~5 km, and a
#: trip in and out on one road (the spot runs past the place: the distance she goes dark short of it is a
#: guess) still holds the place (tests/test_infer_darkspots.py).
CORE_SHARE = 0.65
MAX_SPOTS = 2
#: Grid points at most (a region-wide spread of her silences gets a coarser grid, same physics).
MAX_POINTS = 250_000


@dataclass(frozen=True, slots=True)
class DarkSpot:
    """Where her silent trips under coverage point, and how many agree."""

    lat: float
    lon: float
    radius_m: float
    trips: int  # her silent trips that fit the spot well
    of_trips: int  # her silent trips in all (a heading at an end: she was on the road)
    last_night: np.datetime64  # end of the latest silence that fits


def dark_spots(ctx: EvidenceContext, grid_m: float = GRID_M) -> list[DarkSpot]:
    """The spots her silent trips agree on, most trips first (see the module docstring)."""
    pos = ctx.pos
    if len(pos) == 0:
        return []
    sel, _ids, _pw, before, after, gap = partner_silent_nights(ctx)
    if int(sel.sum()) < MIN_TRIPS:
        return []
    b, a, g = before[sel], after[sel], gap[sel].astype(float)
    ends_lat, ends_lon = np.r_[pos.lat[b], pos.lat[a]], np.r_[pos.lon[b], pos.lon[a]]
    grid = LocalGrid(float(np.mean(ends_lat)), float(np.mean(ends_lon)), grid_m)
    ex, ey = grid.xy(ends_lat, ends_lon)
    while ((np.ptp(ex) + 2 * PAD_M) / grid_m) * ((np.ptp(ey) + 2 * PAD_M) / grid_m) > MAX_POINTS:
        grid_m *= 2.0
    xs = np.arange(ex.min() - PAD_M, ex.max() + PAD_M + grid_m, grid_m)
    ys = np.arange(ey.min() - PAD_M, ey.max() + PAD_M + grid_m, grid_m)
    gx, gy = np.meshgrid(xs, ys)  # (ny, nx): vertex k = iy * nx + ix, as ravel() and igraph's lattice
    px, py = gx.ravel(), gy.ravel()
    glat, glon = grid.latlon(px, py)
    fit, moving = switched_off_towards(glat, glon, pos, b, a)
    if int(moving.sum()) < MIN_TRIPS:
        return []
    d0 = haversine_m(glat[:, None], glon[:, None], pos.lat[b][None, :], pos.lon[b][None, :])
    d1 = haversine_m(glat[:, None], glon[:, None], pos.lat[a][None, :], pos.lon[a][None, :])
    fit = fit * ((d0 + d1) / ROAD_SPEED_MPS + MIN_STAY_S <= g[None, :])
    hl, hn, hr = _home_arrays(ctx)  # a point at her own home is her bed, not a trip
    at_home = haversine_m(glat[:, None], glon[:, None], np.nan_to_num(hl[b])[None, :],
                          np.nan_to_num(hn[b])[None, :]) < np.where(np.isnan(hl[b]), -1.0, hr[b])[None, :]
    fit = np.where(at_home, 0.0, fit)
    score, trips = fit.sum(axis=1), (fit >= TRIP_FIT).sum(axis=1)
    keep = np.flatnonzero((trips >= MIN_TRIPS) & (score >= 0.5 * score.max()))
    if keep.size == 0:
        return []
    lattice = ig.Graph.Lattice([xs.size, ys.size], circular=False)
    out: list[DarkSpot] = []
    for members in lattice.induced_subgraph(keep.tolist()).connected_components():
        idx = keep[np.asarray(members, dtype=np.int64)]
        core = idx[score[idx] >= CORE_SHARE * score[idx].max()]
        w = score[core]
        cx, cy = float((px[core] * w).sum() / w.sum()), float((py[core] * w).sum() / w.sum())
        radius = float(np.max(np.hypot(px[core] - cx, py[core] - cy))) + grid_m / 2
        lat, lon = grid.latlon(cx, cy)
        best = int(core[np.argmax(score[core])])
        fits = fit[best] >= TRIP_FIT
        out.append(DarkSpot(float(lat), float(lon), radius, int(fits.sum()), int(moving.sum()), pos.t[a][fits].max()))
    # latest first: where her trips went before a move is where he was, not where he is
    out.sort(key=lambda s: (-s.last_night.astype("datetime64[s]").astype(np.int64), -s.trips))
    return out[:MAX_SPOTS]
