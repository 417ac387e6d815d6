"""Blind spots: the coverage holes her silent nights point into.

When his partner's phone goes silent for whole nights, the places that
explain the silence are out of cell coverage and within her reach in the
gap (the space-time prism of ``features._silent_nights``). Candidate places
come from what else the case says (addresses, claims, sightings); when none
lies in the hole, or several do, the hole itself is the judgment an analyst
can act on: "seven of her eight silent nights are explained by the hole
12 km east of X — fly an aerial pass there".

The hole is found on a grid (``GRID_M``) around the ends of her silences:
grid points out of coverage (``Coverage.p_blind`` > 0.5), reachable in a
silence and no farther than ``MAX_FROM_EDGE_M`` from where she was last or
next seen (she loses coverage on the way in, not at the far side of the
country). Points that explain at least half of her silent nights (and two)
are joined into areas (4-neighbour components, igraph), largest
explanation first. Nothing here enters the model's probabilities: it is a
reading of the same evidence at another scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import igraph as ig
import numpy as np
import numpy.typing as npt

from fusioncell.infer.features import MIN_STAY_S, ROAD_SPEED_MPS, EvidenceContext, partner_silent_nights
from fusioncell.spacetime.geo import LocalGrid

FloatArray = npt.NDArray[np.float64]

GRID_M = 1000.0
MAX_FROM_EDGE_M = 20000.0
MAX_SPOTS = 3


@dataclass(frozen=True, slots=True)
class BlindSpot:
    """A coverage hole that explains her silent nights."""

    lat: float
    lon: float
    radius_m: float
    area_km2: float
    nights: int  # her silent nights it explains
    of_nights: int  # her silent nights in all
    last_night: np.datetime64  # end of the latest silence it explains


def blind_spots(ctx: EvidenceContext, grid_m: float = GRID_M) -> list[BlindSpot]:
    """The coverage holes that explain her silent nights, most nights first (see the module docstring)."""
    cov = ctx.coverage
    if cov is None or not cov.known or len(ctx.pos) == 0:
        return []
    sel, _ids, _pw, before, after, gap = partner_silent_nights(ctx)
    if int(sel.sum()) < 2:
        return []
    pos = ctx.pos
    b, a, g = before[sel], after[sel], gap[sel].astype(float)
    ends_lat = np.r_[pos.lat[b], pos.lat[a]]
    ends_lon = np.r_[pos.lon[b], pos.lon[a]]
    grid = LocalGrid(float(np.mean(ends_lat)), float(np.mean(ends_lon)), grid_m)
    ex, ey = grid.xy(ends_lat, ends_lon)
    pad = MAX_FROM_EDGE_M
    while ((np.ptp(ex) + 2 * pad) / grid_m) * ((np.ptp(ey) + 2 * pad) / grid_m) > 250_000:
        grid_m *= 2.0  # her silences span a whole region: a coarser grid, same physics
    xs = np.arange(ex.min() - pad, ex.max() + pad + grid_m, grid_m)
    ys = np.arange(ey.min() - pad, ey.max() + pad + grid_m, grid_m)
    gx, gy = np.meshgrid(xs, ys)  # (ny, nx)
    glat, glon = grid.latlon(gx.ravel(), gy.ravel())
    blind = cov.p_blind(glat, glon) > 0.5
    bx, by = grid.xy(pos.lat[b], pos.lon[b])
    ax, ay = grid.xy(pos.lat[a], pos.lon[a])
    px, py = gx.ravel()[:, None], gy.ravel()[:, None]
    d0 = np.hypot(px - bx[None, :], py - by[None, :])
    d1 = np.hypot(px - ax[None, :], py - ay[None, :])
    explains = ((d0 + d1) / ROAD_SPEED_MPS + MIN_STAY_S <= g[None, :]) & (np.minimum(d0, d1) <= MAX_FROM_EDGE_M)
    explains &= blind[:, None]
    n = explains.sum(axis=1)
    need = max(2, int(np.ceil(0.5 * sel.sum())))
    keep = n >= need
    if not keep.any():
        return []
    lattice = ig.Graph.Lattice([xs.size, ys.size], circular=False)  # vertex k = iy * nx + ix, as ravel()
    comp = lattice.induced_subgraph(np.flatnonzero(keep).tolist()).connected_components()
    kept = np.flatnonzero(keep)
    out: list[BlindSpot] = []
    t_after = pos.t[a]
    for members in comp:
        idx = kept[np.asarray(members, dtype=np.int64)]
        w = n[idx].astype(float)
        cx, cy = float((gx.ravel()[idx] * w).sum() / w.sum()), float((gy.ravel()[idx] * w).sum() / w.sum())
        r = float(np.max(np.hypot(gx.ravel()[idx] - cx, gy.ravel()[idx] - cy))) + grid_m / 2
        lat, lon = grid.latlon(cx, cy)
        nights_here = explains[idx].any(axis=0)
        out.append(BlindSpot(float(lat), float(lon), r, idx.size * (grid_m / 1000.0) ** 2, int(n[idx].max()),
                             int(sel.sum()), t_after[nights_here].max()))
    out.sort(key=lambda s: (-s.nights, s.area_km2))
    return out[:MAX_SPOTS]
