"""The simulated region: towns, mountains, cell sites, places, people and their ties.

Everything here is built with whole-array numpy draws from per-purpose
generators (:func:`fusioncell.sim.rng.gen`), so the world depends only on the
seed and the knobs, never on what is collected afterwards.

Coordinates inside the simulator are metres on a local tangent plane
(``x`` east, ``y`` north) around ``(lat0, lon0)``; :meth:`World.to_latlon`
converts at output time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from fusioncell.sim.names import FEMALE, MALE, SURNAMES
from fusioncell.sim.rng import gen

FArr = npt.NDArray[np.float64]
IArr = npt.NDArray[np.int64]
BArr = npt.NDArray[np.bool_]

#: Tie kinds (index into this tuple is stored in ``World.tie_kind``).
TIE_KINDS = ("partner", "family", "friend", "work", "logistics", "acquaintance")
K_PARTNER, K_FAMILY, K_FRIEND, K_WORK, K_LOGISTICS, K_ACQ = range(6)

#: Place kinds.
PLACE_KINDS = ("home", "ranch", "work", "leisure", "hideout", "decoy")
P_HOME, P_RANCH, P_WORK, P_LEISURE, P_HIDEOUT, P_DECOY = range(6)

RASTER_M = 250.0
COVERAGE_M = 8500.0
_LOCAL_CODES3 = ("341", "342", "343", "371", "372", "375", "382", "386", "387", "388")


@dataclass
class World:
    """The static world. Arrays are indexed by person, place, tower or tie."""

    seed: int
    lat0: float
    lon0: float
    width_m: float
    height_m: float
    towns_xy: FArr
    towns_r: FArr
    town_names: list[str]
    mountain_phase: float
    towers_xy: FArr
    raster_near: npt.NDArray[np.int32]  # (ny, nx, 3) nearest tower ids
    raster_d: npt.NDArray[np.float32]  # (ny, nx) distance to nearest tower
    places_xy: FArr
    place_kind: npt.NDArray[np.int8]
    n_res: int
    n_ext: int
    home: IArr
    work: IArr
    leisure: IArr  # (n, 3)
    town: IArr  # town of residence (nearest town for rural), -1 for external
    rural: BArr
    female: BArr
    household: IArr
    work_start_s: FArr
    work_len_s: FArr
    rate_per_day: FArr
    outing_scale: FArr
    nightoff: BArr
    away_from: IArr
    away_to: IArr
    first: list[str]
    last: list[str]
    tie_a: IArr
    tie_b: IArr
    tie_w: FArr
    tie_kind: npt.NDArray[np.int8]
    veh_owner: IArr
    plates: list[str]
    numbers_e164: list[str]
    numbers_nat: list[str]
    area_codes: list[str] = field(default_factory=list)
    coverage_m: float = COVERAGE_M  # how far a cell site serves a handset (the coverage family varies it)

    @property
    def n(self) -> int:
        """Number of persons (residents and out-of-area contacts)."""
        return self.n_res + self.n_ext

    @property
    def ext(self) -> BArr:
        """True for out-of-area persons (no position in the region)."""
        out = np.zeros(self.n, dtype=bool)
        out[self.n_res :] = True
        return out

    def to_latlon(self, xy: FArr) -> tuple[FArr, FArr]:
        """Local metres to WGS84 degrees."""
        lat = self.lat0 + xy[..., 1] / 111_320.0
        lon = self.lon0 + xy[..., 0] / (111_320.0 * np.cos(np.radians(self.lat0)))
        return lat, lon

    def from_latlon(self, lat: FArr, lon: FArr) -> FArr:
        """WGS84 degrees to local metres."""
        y = (np.asarray(lat) - self.lat0) * 111_320.0
        x = (np.asarray(lon) - self.lon0) * 111_320.0 * np.cos(np.radians(self.lat0))
        return np.stack([x, y], axis=-1)

    def is_mountain(self, xy: FArr) -> BArr:
        """The rugged zone: east of a wavy boundary."""
        bound = self.width_m * (0.55 + 0.08 * np.sin(xy[..., 1] / self.height_m * 2 * np.pi + self.mountain_phase))
        return np.asarray(xy[..., 0] > bound)

    def raster_index(self, xy: FArr) -> tuple[IArr, IArr]:
        """Raster cell (row, col) of positions, clipped to the raster."""
        ny, nx = self.raster_d.shape
        col = np.clip(((xy[..., 0] + 5000.0) / RASTER_M).astype(np.int64), 0, nx - 1)
        row = np.clip(((xy[..., 1] + 5000.0) / RASTER_M).astype(np.int64), 0, ny - 1)
        return row, col

    def covered(self, xy: FArr) -> BArr:
        """True where a handset has service (NaN positions count as covered: out of area)."""
        ok = ~np.isnan(xy[..., 0])
        out = np.ones(xy.shape[:-1], dtype=bool)
        if ok.any():
            row, col = self.raster_index(np.where(ok[..., None], xy, 0.0))
            out = np.where(ok, self.raster_d[row, col] <= self.coverage_m, True)
        return np.asarray(out)


def _town_count(n_res: int, rng: np.random.Generator) -> int:
    base = 3 if n_res < 2000 else 5
    return int(base + rng.integers(0, 3))


def _raster(width: float, height: float, towers: FArr) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
    """Nearest three cell sites for every raster cell (best-3 update in a window around each site)."""
    nx = int((width + 10_000) / RASTER_M) + 1
    ny = int((height + 10_000) / RASTER_M) + 1
    cx = (np.arange(nx) + 0.5) * RASTER_M - 5000.0
    cy = (np.arange(ny) + 0.5) * RASTER_M - 5000.0
    d = np.full((3, ny, nx), np.inf)
    idx = np.zeros((3, ny, nx), np.int32)
    half = int(16_000 / RASTER_M)
    for j, (tx, ty) in enumerate(towers):
        c0 = int((tx + 5000.0) / RASTER_M)
        r0 = int((ty + 5000.0) / RASTER_M)
        cs, ce = max(0, c0 - half), min(nx, c0 + half + 1)
        rs, re = max(0, r0 - half), min(ny, r0 + half + 1)
        if cs >= ce or rs >= re:
            continue
        dd = (cx[None, cs:ce] - tx) ** 2 + (cy[rs:re, None] - ty) ** 2
        d1, d2, d3 = d[0, rs:re, cs:ce], d[1, rs:re, cs:ce], d[2, rs:re, cs:ce]
        i1, i2, i3 = idx[0, rs:re, cs:ce], idx[1, rs:re, cs:ce], idx[2, rs:re, cs:ce]
        m1 = dd < d1
        m2 = ~m1 & (dd < d2)
        m3 = ~m1 & ~m2 & (dd < d3)
        s3 = m1 | m2
        d3[...] = np.where(s3, d2, np.where(m3, dd, d3))
        i3[...] = np.where(s3, i2, np.where(m3, j, i3))
        d2[...] = np.where(m1, d1, np.where(m2, dd, d2))
        i2[...] = np.where(m1, i1, np.where(m2, j, i2))
        d1[...] = np.where(m1, dd, d1)
        i1[...] = np.where(m1, j, i1)
    # cells with fewer than three sites in reach fall back to the nearest
    for k in (1, 2):
        idx[k] = np.where(np.isinf(d[k]), idx[k - 1], idx[k])
    near = np.ascontiguousarray(np.moveaxis(idx, 0, -1))
    return near, np.sqrt(d[0]).astype(np.float32)


def _pairs_within_groups(members: IArr, group: IArr, max_off: int) -> tuple[IArr, IArr]:
    """All pairs (up to ``max_off`` apart) of consecutive members sharing a group id."""
    a_list, b_list = [], []
    for k in range(1, max_off + 1):
        if len(members) <= k:
            break
        same = group[:-k] == group[k:]
        a_list.append(members[:-k][same])
        b_list.append(members[k:][same])
    if not a_list:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(a_list), np.concatenate(b_list)


def _pick_in_town(rng: np.random.Generator, town: IArr, who: IArr, n_res: int) -> IArr:
    """For each person in ``who``, a random resident of the same town."""
    order = np.argsort(town[:n_res], kind="stable")
    t_sorted = town[:n_res][order]
    n_t = int(town[:n_res].max()) + 1
    start = np.searchsorted(t_sorted, np.arange(n_t), "left")
    stop = np.searchsorted(t_sorted, np.arange(n_t), "right")
    t = town[who]
    span = np.maximum(stop[t] - start[t], 1)
    return np.asarray(order[np.minimum(start[t] + (rng.random(len(who)) * span).astype(np.int64), n_res - 1)])


def population_size(scale: str | int, seed: int) -> int:
    """Residents for a scale name (drawn per seed, independent of difficulty) or a number."""
    rng = gen(seed, "scale")
    if isinstance(scale, int):
        return scale
    if scale == "small":
        return int(rng.integers(300, 801))
    if scale == "medium":
        return int(rng.integers(5_000, 20_001))
    if scale == "large":
        return 100_000
    raise ValueError(scale)


def build_world(seed: int, n_res: int, days: int, geo: dict[str, Any] | None = None) -> World:
    """Build towns, cell sites, places, residents, ties, vehicles and the number pool.

    ``geo`` (the ``coverage`` family, :mod:`fusioncell.sim.families`) may set the spacing of rural
    cell sites (``rural_spacing_m``), the town area per site (``town_cell_m``) and a site's reach
    (``coverage_m``); without it the world is the default one, draw for draw.
    """
    geo = geo or {}
    lat0, lon0, width, height, phase, towns_xy, towns_r, tw, towers, near, dist = _geography(seed, n_res, geo)
    n_towns = len(towns_xy)
    town_names = [f"T{i}" for i in range(n_towns)]

    # households
    rp = gen(seed, "people")
    sizes = rp.geometric(0.42, size=n_res + 10)
    sizes = np.minimum(sizes, 5)
    hh_of = np.repeat(np.arange(len(sizes)), sizes)[:n_res]
    n_hh = int(hh_of.max()) + 1
    hh_rural = rp.random(n_hh) < 0.13
    hh_town = rp.choice(n_towns, size=n_hh, p=tw)
    hh_xy = towns_xy[hh_town] + rp.normal(0, 1, (n_hh, 2)) * (towns_r[hh_town] / 1.8)[:, None]
    n_rur = int(hh_rural.sum())
    # ranches: anywhere in the countryside, a third of them in the mountains
    rx = rp.uniform(0.02, 0.98, n_rur) * width
    ry = rp.uniform(0.02, 0.98, n_rur) * height
    hh_xy[hh_rural] = np.stack([rx, ry], axis=1)
    # rural households belong to the nearest town
    dtown = np.hypot(hh_xy[:, None, 0] - towns_xy[None, :, 0], hh_xy[:, None, 1] - towns_xy[None, :, 1])
    hh_town = np.where(hh_rural, dtown.argmin(axis=1), hh_town)

    # places: homes first (index == household), then work, then leisure
    n_work = max(n_towns * 2, n_res // 9)
    w_town = rp.choice(n_towns, size=n_work, p=tw)
    w_xy = towns_xy[w_town] + rp.normal(0, 1, (n_work, 2)) * (towns_r[w_town] / 2.5)[:, None]
    n_leis = max(n_towns * 2, n_res // 25)
    l_town = np.concatenate([np.arange(n_towns), rp.choice(n_towns, size=n_leis - n_towns, p=tw)])
    l_xy = towns_xy[l_town] + rp.normal(0, 1, (n_leis, 2)) * (towns_r[l_town] / 2.2)[:, None]
    places_xy = np.concatenate([hh_xy, w_xy, l_xy])
    place_kind = np.concatenate(
        [np.where(hh_rural, P_RANCH, P_HOME), np.full(n_work, P_WORK), np.full(n_leis, P_LEISURE)]
    ).astype(np.int8)
    w0, l0 = n_hh, n_hh + n_work

    n_ext = max(5, int(n_res * 0.06))
    n = n_res + n_ext
    home = np.full(n, -1, np.int64)
    home[:n_res] = hh_of
    town = np.full(n, -1, np.int64)
    town[:n_res] = hh_town[hh_of]
    rural = np.zeros(n, bool)
    rural[:n_res] = hh_rural[hh_of]
    household = np.full(n, -1, np.int64)
    household[:n_res] = hh_of
    female = rp.random(n) < 0.5
    # in a household, the second member is the first's partner of the other sex
    pos_in_hh = np.arange(n_res) - np.searchsorted(hh_of, hh_of, "left")
    first_of = np.searchsorted(hh_of, hh_of, "left")
    female[:n_res] = np.where(pos_in_hh == 1, ~female[first_of], female[:n_res])

    work, leisure = _work_and_leisure(rp, n, n_res, n_towns, n_work, n_leis, w0, l0, w_town, l_town, town, rural, home)

    work_start_s = rp.uniform(6.5, 9.5, n) * 3600.0
    work_len_s = rp.uniform(6.5, 10.0, n) * 3600.0
    sigma = 1.3
    rate = rp.lognormal(np.log(5.5) - sigma**2 / 2, sigma, n)
    rate = np.where(rp.random(n) < 0.15, rate * 0.08, rate)  # light users: a call every few days
    outing = np.ones(n)
    nightoff = rp.random(n) < 0.08
    # out-of-region trips: silent for days
    away = rp.random(n) < 0.10 * days / 30.0
    a_len = rp.integers(2, 9, n) * 86400
    a_from = (rp.random(n) * max(1, days * 86400 - 2 * 86400)).astype(np.int64)
    away_from = np.where(away, a_from, -1)
    away_to = np.where(away, a_from + a_len, -1)

    first, last = _names(rp, n, n_res, female, first_of)

    tie_a, tie_b, tie_kind, tie_w = _ties(seed, n_res, n, n_ext, n_towns, hh_of, pos_in_hh, town, work, home, leisure)

    veh_owner, plates, town_code, e164, nat = _vehicles_and_numbers(seed, n, n_hh, n_towns, hh_of, hh_rural)
    return World(
        seed=seed, lat0=lat0, lon0=lon0, width_m=width, height_m=height, towns_xy=towns_xy, towns_r=towns_r,
        town_names=town_names, mountain_phase=phase, towers_xy=towers, raster_near=near, raster_d=dist,
        places_xy=places_xy, place_kind=place_kind, n_res=n_res, n_ext=n_ext, home=home, work=work,
        leisure=leisure, town=town, rural=rural, female=female, household=household,
        work_start_s=work_start_s, work_len_s=work_len_s, rate_per_day=rate, outing_scale=outing,
        nightoff=nightoff, away_from=away_from, away_to=away_to, first=first, last=last,
        tie_a=tie_a, tie_b=tie_b, tie_w=tie_w, tie_kind=tie_kind, veh_owner=veh_owner, plates=plates,
        numbers_e164=e164, numbers_nat=nat, area_codes=town_code, coverage_m=float(geo.get("coverage_m", COVERAGE_M)),
    )


def _work_and_leisure(rp: np.random.Generator, n: int, n_res: int, n_towns: int, n_work: int, n_leis: int, w0: int,
                      l0: int, w_town: Any, l_town: Any, town: Any, rural: Any, home: Any) -> tuple[Any, Any]:
    """Workplaces (mostly in one's own town; half the rural people farm at home) and three leisure places."""
    # work
    employed = rp.random(n_res) < 0.62
    wt_order = np.argsort(w_town, kind="stable")
    wt_sorted = w_town[wt_order]
    ws = np.searchsorted(wt_sorted, np.arange(n_towns), "left")
    we = np.searchsorted(wt_sorted, np.arange(n_towns), "right")
    tt = town[:n_res]
    local_w = wt_order[np.minimum(ws[tt] + (rp.random(n_res) * np.maximum(we[tt] - ws[tt], 1)).astype(np.int64), n_work - 1)]
    any_w = rp.integers(0, n_work, n_res)
    wsel = np.where(rp.random(n_res) < 0.78, local_w, any_w) + w0
    farm = rural[:n_res] & (rp.random(n_res) < 0.5)
    work = np.full(n, -1, np.int64)
    work[:n_res] = np.where(employed, np.where(farm, home[:n_res], wsel), -1)

    # leisure: two in own town, one anywhere; slot 2 later becomes a friend's home
    lt_order = np.argsort(l_town, kind="stable")
    lt_sorted = l_town[lt_order]
    ls = np.searchsorted(lt_sorted, np.arange(n_towns), "left")
    le = np.searchsorted(lt_sorted, np.arange(n_towns), "right")
    leisure = np.full((n, 3), -1, np.int64)
    for k in range(2):
        leisure[:n_res, k] = l0 + lt_order[np.minimum(ls[tt] + (rp.random(n_res) * np.maximum(le[tt] - ls[tt], 1)).astype(np.int64), n_leis - 1)]
    leisure[:n_res, 2] = l0 + rp.integers(0, n_leis, n_res)
    return work, leisure


def _geography(seed: int, n_res: int, geo: dict[str, Any]) -> tuple[float, float, float, float, float, FArr, FArr, FArr, FArr, Any, Any]:
    """Origin, extent, towns (positions, radii, population weights) and cell sites with their raster."""
    rng = gen(seed, "geo")
    lat0 = float(19.3 + rng.random() * 1.0)
    lon0 = float(-104.4 + rng.random() * 1.2)
    width = float(rng.uniform(50_000, 70_000))
    height = float(rng.uniform(40_000, 60_000))
    phase = float(rng.uniform(0, 2 * np.pi))

    n_towns = _town_count(n_res, rng)
    tw = rng.dirichlet(np.full(n_towns, 1.2))
    tw = np.sort(tw)[::-1]
    towns_xy = np.stack([rng.uniform(0.06, 0.5, n_towns) * width, rng.uniform(0.1, 0.9, n_towns) * height], axis=1)
    # keep towns apart
    for i in range(1, n_towns):
        for _ in range(30):
            d = np.hypot(*(towns_xy[:i] - towns_xy[i]).T)
            if d.min() > 9000:
                break
            towns_xy[i] = [rng.uniform(0.06, 0.52) * width, rng.uniform(0.08, 0.92) * height]
    # town radius from a notional real population (independent of the simulated sample)
    real_pop = tw * rng.uniform(30_000, 120_000)
    towns_r = 400.0 + 14.0 * np.sqrt(real_pop)

    # cell sites: dense in towns, a sparse jittered grid elsewhere, sparser in the mountains
    t_parts = []
    for i in range(n_towns):
        k = int(3 + (towns_r[i] / float(geo.get("town_cell_m", 650.0))) ** 2)
        t_parts.append(towns_xy[i] + rng.normal(0, towns_r[i] / 1.6, (k, 2)))
    sp = float(geo.get("rural_spacing_m", 6500.0))
    gx, gy = np.meshgrid(np.arange(-2000, width + 4000, sp), np.arange(-2000, height + 4000, sp))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1) + rng.normal(0, 1500 * sp / 6500.0, (gx.size, 2))
    tmp = World.__new__(World)
    tmp.width_m, tmp.height_m, tmp.mountain_phase = width, height, phase
    mnt = tmp.is_mountain(grid)
    keep = ~mnt | (rng.random(len(grid)) < 0.45)
    towers = np.concatenate(t_parts + [grid[keep]])
    near, dist = _raster(width, height, towers)
    return lat0, lon0, width, height, phase, towns_xy, towns_r, tw, towers, near, dist


def _names(rp: np.random.Generator, n: int, n_res: int, female: Any, first_of: Any) -> tuple[list[str], list[str]]:
    """First names by sex; household members share the first surname."""
    fi = rp.integers(0, 10**9, n)
    first = [FEMALE[i % len(FEMALE)] if f else MALE[i % len(MALE)] for i, f in zip(fi.tolist(), female.tolist())]
    s1 = rp.integers(0, len(SURNAMES), n)
    s1[:n_res] = s1[first_of]
    s2 = rp.integers(0, len(SURNAMES), n)
    last = [f"{SURNAMES[a]} {SURNAMES[b]}" for a, b in zip(s1.tolist(), s2.tolist())]
    return first, last


def _ties(seed: int, n_res: int, n: int, n_ext: int, n_towns: int, hh_of: Any, pos_in_hh: Any, town: Any,
          work: Any, home: Any, leisure: Any) -> tuple[Any, Any, Any, Any]:
    """The contact graph (family, coworkers, friends, acquaintances, out-of-area); sets leisure slot 2."""
    rt = gen(seed, "ties")
    members = np.arange(n_res, dtype=np.int64)
    ha, hb = _pairs_within_groups(members, hh_of, 4)
    spouse = (pos_in_hh[ha] == 0) & (pos_in_hh[hb] == 1)
    parts_a = [ha]
    parts_b = [hb]
    kinds = [np.where(spouse, K_PARTNER, K_FAMILY)]
    weights = [np.where(spouse, 7.0, 4.0) * rt.lognormal(0, 0.3, len(ha))]
    # extended family: each household head to a relative in the same town (70%) or anywhere
    heads = members[pos_in_hh == 0]
    rel = np.where(rt.random(len(heads)) < 0.7, _pick_in_town(rt, town, heads, n_res), rt.integers(0, n_res, len(heads)))
    heads2 = members[pos_in_hh == 1]
    rel2 = _pick_in_town(rt, town, heads2, n_res)
    for a, b in ((heads, rel), (heads2, rel2)):
        parts_a.append(a)
        parts_b.append(b)
        kinds.append(np.full(len(a), K_FAMILY))
        weights.append(2.5 * rt.lognormal(0, 0.4, len(a)))
    # coworkers
    wk = work[:n_res]
    emp = members[wk >= 0]
    o = emp[np.lexsort((rt.random(len(emp)), wk[emp]))]
    ca, cb = _pairs_within_groups(o, wk[o], 3)
    parts_a.append(ca)
    parts_b.append(cb)
    kinds.append(np.full(len(ca), K_WORK))
    weights.append(1.0 * rt.lognormal(0, 0.5, len(ca)))
    # friend groups (two rounds, the second for about half of the people)
    for frac in (1.0, 0.5):
        who = members[rt.random(n_res) < frac]
        key = np.where(rt.random(len(who)) < 0.8, town[who], n_towns)
        o = who[np.lexsort((rt.random(len(who)), key))]
        gsize = rt.integers(3, 8, len(o))
        grp = np.repeat(np.arange(len(o)), gsize)[: len(o)]
        fa, fb = _pairs_within_groups(o, grp, 6)
        parts_a.append(fa)
        parts_b.append(fb)
        kinds.append(np.full(len(fa), K_FRIEND))
        weights.append(1.6 * rt.lognormal(0, 0.6, len(fa)))
    # acquaintances
    acq_a = np.repeat(members, 3)
    acq_b = np.where(rt.random(len(acq_a)) < 0.6, _pick_in_town(rt, town, acq_a, n_res), rt.integers(0, n_res, len(acq_a)))
    parts_a.append(acq_a)
    parts_b.append(acq_b)
    kinds.append(np.full(len(acq_a), K_ACQ))
    weights.append(0.35 * rt.lognormal(0, 0.7, len(acq_a)))
    # out-of-area contacts: relatives and friends elsewhere
    ext = np.arange(n_res, n, dtype=np.int64)
    for k in range(2):
        pa = ext if k == 0 else ext[rt.random(n_ext) < 0.5]
        parts_a.append(pa)
        parts_b.append(rt.integers(0, n_res, len(pa)))
        kinds.append(np.where(rt.random(len(pa)) < 0.6, K_FAMILY, K_FRIEND))
        weights.append(1.5 * rt.lognormal(0, 0.5, len(pa)))
    a = np.concatenate(parts_a)
    b = np.concatenate(parts_b)
    kk = np.concatenate(kinds).astype(np.int8)
    ww = np.concatenate(weights)
    ok = a != b
    a, b, kk, ww = a[ok], b[ok], kk[ok], ww[ok]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    _, first_idx = np.unique(lo * n + hi, return_index=True)
    first_idx = np.sort(first_idx)
    tie_a, tie_b, tie_kind, tie_w = lo[first_idx], hi[first_idx], kk[first_idx], ww[first_idx]

    # slot 2 of leisure: the home of someone close (family or friend), when there is one
    close = tie_kind <= K_FRIEND
    ca_, cb_ = tie_a[close], tie_b[close]
    both_res = (ca_ < n_res) & (cb_ < n_res)
    ca_, cb_ = ca_[both_res], cb_[both_res]
    pick_a = np.full(n, -1, np.int64)
    sel = rt.permutation(len(ca_))
    pick_a[ca_[sel]] = home[cb_[sel]]
    pick_a[cb_[sel]] = np.where(pick_a[cb_[sel]] < 0, home[ca_[sel]], pick_a[cb_[sel]])
    has = (pick_a >= 0) & (pick_a != home)
    leisure[:, 2] = np.where(has, pick_a, leisure[:, 2])
    return tie_a, tie_b, tie_kind, tie_w


def _vehicles_and_numbers(seed: int, n: int, n_hh: int, n_towns: int, hh_of: Any,
                          hh_rural: Any) -> tuple[Any, list[str], list[str], Any, Any]:
    """Vehicles (owners, plates) and the number pool (area code by town)."""
    # vehicles: about half the households, more in the countryside
    rv = gen(seed, "vehicles")
    has_car = rv.random(n_hh) < np.where(hh_rural, 0.75, 0.45)
    heads_by_hh = np.searchsorted(hh_of, np.arange(n_hh), "left")
    veh_owner = heads_by_hh[has_car].astype(np.int64)
    plates = _plates(rv, len(veh_owner) + 200)

    # number pool: area code by town; some residents keep an out-of-area number
    rn = gen(seed, "numbers")
    town_code = [str(c) for c in rn.choice(np.array(_LOCAL_CODES3), size=n_towns, replace=False)]
    n_pool = int(n * 1.6) + 400
    e164, nat = _numbers(rn, n_pool, town_code)
    return veh_owner, plates, town_code, e164, nat


_LETTERS = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))


def _plates(rng: np.random.Generator, k: int) -> list[str]:
    codes = rng.integers(0, 10**9, k * 2)
    _, idx = np.unique(codes, return_index=True)
    codes = codes[np.sort(idx)][:k]
    out = []
    for c in codes.tolist():
        l1, l2, l3 = _LETTERS[c % 23], _LETTERS[(c // 23) % 23], _LETTERS[(c // 529) % 23]
        d = (c // 12167) % 10000
        out.append(f"{l1}{l2}{l3}-{d // 100:02d}-{d % 100:02d}")
    return out


def _numbers(rng: np.random.Generator, k: int, town_code: list[str]) -> tuple[list[str], list[str]]:
    """Unique phone numbers: E.164 and a national rendering. Index order is random."""
    kind = rng.random(k)
    local = rng.integers(0, len(town_code), k)
    sub = rng.integers(2_000_000, 9_999_999, k)
    sub8 = rng.integers(20_000_000, 99_999_999, k)
    e164: list[str] = []
    nat: list[str] = []
    seen: set[str] = set()
    for i in range(k):
        q = kind[i]
        if q < 0.80:
            code = town_code[local[i]]
            e, n_ = f"+52{code}{sub[i]:07d}", f"{code} {sub[i] // 10000:03d} {sub[i] % 10000:04d}"
        elif q < 0.90:
            e, n_ = f"+5233{sub8[i]:08d}", f"33 {sub8[i] // 10000:04d} {sub8[i] % 10000:04d}"
        elif q < 0.95:
            e, n_ = f"+5255{sub8[i]:08d}", f"55 {sub8[i] // 10000:04d} {sub8[i] % 10000:04d}"
        elif q < 0.975:
            e, n_ = f"+5281{sub8[i]:08d}", f"81 {sub8[i] // 10000:04d} {sub8[i] % 10000:04d}"
        else:
            us = ("312", "213", "915", "956", "702")[int(sub[i]) % 5]
            e = f"+1{us}{sub[i]:07d}"
            n_ = e
        if e in seen:
            continue
        seen.add(e)
        e164.append(e)
        nat.append(n_)
    return e164, nat
