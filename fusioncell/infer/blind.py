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
are joined into areas (4-neighbour components, igraph; slivers under
``MIN_AREA_KM2`` dropped). Inside an area, her *heading* narrows it: she
drives towards the place when she goes silent (the direction from her
second-last to her last fix) and away from it when she reappears, so the
rays from the ends of her silences cross near the place (a road bends:
30° spread). The spot is the part of the area where the rays agree best
(at least half the best agreement), most nights explained first.

Only when silence is her pattern: when she spends more away nights located
(fixes away from home in the small hours) than silent, the silences are
phones switched off or left home, and no blind spot is reported. Measured
(bench/locate_families.py, held-out seeds): in coverage-hole worlds the
first spot holds him in 15 of 19 runs, at a radius of ~10-13 km; in worlds
with the compound under coverage a spot still shows in 13 of 60 runs and
holds him in 3 — read it as "where to look next", never as a location. Nothing here enters the model's probabilities: it is a reading of
the same evidence at another scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import igraph as ig
import numpy as np
import numpy.typing as npt

from fusioncell.infer.features import EvidenceContext, _away_mask, _per_pos
from fusioncell.infer.nights import HEADING_SIGMA_RAD, silence_headings
from fusioncell.infer.silences import MAY_BE_HERS, MIN_STAY_S, ROAD_SPEED_MPS, partner_silent_nights
from fusioncell.spacetime.geo import LocalGrid, haversine_m

FloatArray = npt.NDArray[np.float64]

GRID_M = 1000.0
MAX_FROM_EDGE_M = 20000.0
MAX_SPOTS = 3
#: A blind area smaller than this is a sliver between estimated coverage edges.
MIN_AREA_KM2 = 4.0
#: The spot: where the rays agree at least this well (share of the best agreement in the area).
CORE_SHARE = 0.5


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


def _headings(ctx: EvidenceContext, b: npt.NDArray[np.int64], a: npt.NDArray[np.int64]
              ) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    """Where she was heading when she went silent, and where she came from when she reappeared.

    Returns (end index into positions, unit vector east, unit vector north)
    per usable end (:func:`fusioncell.infer.nights.silence_headings`: the
    last fix before a silence points ahead to the place, the first fix after
    it back to it); ends without a heading are dropped.
    """
    pos = ctx.pos
    ids = pos.identifier.astype(str)
    ends, ux, uy = [], [], []
    for e, step in ((b, -1), (a, +1)):
        x, y, ok = silence_headings(ids, pos.t, pos.lat, pos.lon, pos.acc_m, pos.fine, e, step)
        ends.append(e[ok])
        ux.append(x[ok])
        uy.append(y[ok])
    return np.concatenate(ends), np.concatenate(ux), np.concatenate(uy)


def inside(b: BlindSpot, lat: FloatArray, lon: FloatArray, ctx: EvidenceContext) -> npt.NDArray[np.bool_]:
    """Which of the places (``lat``, ``lon``) lie in the blind spot ``b`` and out of coverage themselves: where an
    aerial pass over the hole looks first (locate names them beside the hole, plan's imagery task too)."""
    cov = ctx.coverage
    if cov is None or not cov.known or lat.size == 0:
        return np.zeros(lat.size, dtype=bool)
    return (cov.p_blind(lat, lon) >= 0.5) & (haversine_m(b.lat, b.lon, lat, lon) <= b.radius_m)


def blind_spots(ctx: EvidenceContext, grid_m: float = GRID_M) -> list[BlindSpot]:
    """The coverage holes that explain her silent nights, most nights first (see the module docstring)."""
    cov = ctx.coverage
    if cov is None or not cov.known or len(ctx.pos) == 0:
        return []
    sel, _ids, _pw, before, after, gap = partner_silent_nights(ctx)
    if int(sel.sum()) < 2:
        return []
    pos = ctx.pos
    pw = _per_pos(ctx, ctx.partner_share) * _per_pos(ctx, ctx.relevance)
    located = pos.fine & pos.night & (pw > MAY_BE_HERS) & _away_mask(ctx)
    if np.unique(pos.night_key[located]).size > int(sel.sum()):
        return []  # she is mostly seen where she sleeps away: silence is not her pattern
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
    px, py = gx.ravel(), gy.ravel()
    glat, glon = grid.latlon(px, py)
    blind = cov.p_blind(glat, glon) > 0.5
    bx, by = grid.xy(pos.lat[b], pos.lon[b])
    ax, ay = grid.xy(pos.lat[a], pos.lon[a])
    d0 = np.hypot(px[:, None] - bx[None, :], py[:, None] - by[None, :])
    d1 = np.hypot(px[:, None] - ax[None, :], py[:, None] - ay[None, :])
    explains = ((d0 + d1) / ROAD_SPEED_MPS + MIN_STAY_S <= g[None, :]) & (np.minimum(d0, d1) <= MAX_FROM_EDGE_M)
    explains &= blind[:, None]
    n = explains.sum(axis=1)
    need = max(2, int(np.ceil(0.5 * sel.sum())))
    keep = n >= need
    if not keep.any():
        return []
    # heading: each silence's ends point at the place (ahead of her last fix, behind her first)
    hend, ux, uy = _headings(ctx, b, a)
    hx, hy = grid.xy(pos.lat[hend], pos.lon[hend])
    vx, vy = px[:, None] - hx[None, :], py[:, None] - hy[None, :]
    cos = (vx * ux[None, :] + vy * uy[None, :]) / np.maximum(np.hypot(vx, vy), 1.0)
    ang = np.arccos(np.clip(cos, -1.0, 1.0))
    heading = np.exp(-0.5 * (ang / HEADING_SIGMA_RAD) ** 2).sum(axis=1) if hend.size else np.zeros(px.size)
    lattice = ig.Graph.Lattice([xs.size, ys.size], circular=False)  # vertex k = iy * nx + ix, as ravel()
    kept = np.flatnonzero(keep)
    comp = lattice.induced_subgraph(kept.tolist()).connected_components()
    out: list[tuple[float, BlindSpot]] = []
    t_after = pos.t[a]
    cell_km2 = (grid_m / 1000.0) ** 2
    for members in comp:
        idx = kept[np.asarray(members, dtype=np.int64)]
        if idx.size * cell_km2 < MIN_AREA_KM2:
            continue  # a sliver between two estimated coverage edges, not a hole
        h = heading[idx]
        core = idx[h >= CORE_SHARE * h.max()] if h.max() > 0 else idx
        w = heading[core] if h.max() > 0 else np.ones(core.size)
        cx, cy = float((px[core] * w).sum() / w.sum()), float((py[core] * w).sum() / w.sum())
        r = float(np.max(np.hypot(px[core] - cx, py[core] - cy))) + grid_m / 2
        lat, lon = grid.latlon(cx, cy)
        nights_here = explains[idx].any(axis=0)
        out.append((float(h.max()), BlindSpot(float(lat), float(lon), r, idx.size * cell_km2, int(n[idx].max()),
                                              int(sel.sum()), t_after[nights_here].max())))
    out.sort(key=lambda x: (-x[1].nights, -x[0]))
    return [s for _, s in out[:MAX_SPOTS]]
