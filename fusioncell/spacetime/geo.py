"""Small geometry kernels shared by the spacetime stage (vectorised numpy).

* :func:`haversine_m` — great-circle distance in metres.
* :class:`LocalGrid` — an equirectangular metric projection around a case's
  centre, and int64 keys of square grid cells (the spatial join key used by
  co-locations and place clustering; measured 20–45x faster than H3 cell
  assignment, see DESIGN.md).
* :func:`p_within` — the probability that two uncertain positions are truly
  within ``radius_m`` of each other (Rice distribution CDF, numerical
  quadrature), the core of every co-location probability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M = 6_371_008.8
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Offset that keeps grid coordinates positive before packing two int32 into one int64.
_KEY_OFFSET = 1 << 31


def haversine_m(lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike) -> FloatArray:
    """Great-circle distance in metres between arrays of WGS84 points.

    >>> round(float(haversine_m(0.0, 0.0, 0.0, 1.0)))
    111195
    """
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dphi = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64)


def haversine_sql(lat1: str, lon1: str, lat2: str, lon2: str) -> str:
    """The same great-circle distance (metres) as :func:`haversine_m`, as a DuckDB SQL expression.

    The arguments are SQL column expressions; every module that measures a
    distance in SQL uses this, so the formula and the Earth radius live here.

    >>> haversine_sql("a.lat", "a.lon", "b.lat", "b.lon").startswith("(2 * 6371008.8 * asin(sqrt(least(1.0,")
    True
    """
    return (f"(2 * {EARTH_RADIUS_M!r} * asin(sqrt(least(1.0, pow(sin(radians(({lat2}) - ({lat1})) / 2), 2)"
            f" + cos(radians({lat1})) * cos(radians({lat2})) * pow(sin(radians(({lon2}) - ({lon1})) / 2), 2)))))")


def bearing_deg(lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike) -> FloatArray:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north in ``[0, 360)``.

    >>> [round(float(bearing_deg(0.0, 0.0, *p))) for p in ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))]
    [0, 90, 180, 270]
    """
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.asarray((np.degrees(np.arctan2(y, x)) + 360.0) % 360.0, dtype=np.float64)


def metres_per_degree(lat0: float) -> tuple[float, float]:
    """Metres per degree of latitude and of longitude at latitude ``lat0`` (spherical Earth, as :func:`haversine_m`).

    For local drawings and bounding boxes; distances between points use
    :func:`haversine_m` / :func:`haversine_sql`.

    >>> [round(m) for m in metres_per_degree(0.0)], round(metres_per_degree(60.0)[1])
    ([111195, 111195], 55597)
    """
    per_deg = float(np.radians(1.0) * EARTH_RADIUS_M)
    return per_deg, per_deg * float(np.cos(np.radians(lat0)))


def compass(bearing: float) -> str:
    """The eight-point compass word for a bearing in degrees.

    >>> [compass(b) for b in (0, 44, 46, 180, 337.6)]
    ['N', 'NE', 'NE', 'S', 'N']
    """
    return ["N", "NE", "E", "SE", "S", "SW", "W", "NW"][int((float(bearing) % 360.0 + 22.5) // 45) % 8]


@dataclass(frozen=True, slots=True)
class LocalGrid:
    """Equirectangular projection around ``(lat0, lon0)`` and a square grid of ``cell_m``.

    Accurate to well under 1 % within a few hundred km of the centre, which
    is the extent of a case. Cell keys pack ``(ix, iy)`` into one int64 so
    joins run on a single integer column.
    """

    lat0: float
    lon0: float
    cell_m: float

    @property
    def _kx(self) -> float:
        return float(np.radians(1.0) * EARTH_RADIUS_M * np.cos(np.radians(self.lat0)))

    @property
    def _ky(self) -> float:
        return float(np.radians(1.0) * EARTH_RADIUS_M)

    def xy(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Metres east and north of the centre."""
        x = (np.asarray(lon, dtype=np.float64) - self.lon0) * self._kx
        y = (np.asarray(lat, dtype=np.float64) - self.lat0) * self._ky
        return x, y

    def latlon(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Inverse of :meth:`xy`."""
        lat = np.asarray(y, dtype=np.float64) / self._ky + self.lat0
        lon = np.asarray(x, dtype=np.float64) / self._kx + self.lon0
        return lat, lon

    def sql_ix(self, lon_col: str) -> str:
        """SQL expression of the integer column index of ``lon_col``."""
        return f"CAST(floor(({lon_col} - {self.lon0!r}) * {self._kx!r} / {self.cell_m!r}) AS BIGINT)"

    def sql_iy(self, lat_col: str) -> str:
        """SQL expression of the integer row index of ``lat_col``."""
        return f"CAST(floor(({lat_col} - {self.lat0!r}) * {self._ky!r} / {self.cell_m!r}) AS BIGINT)"

    def keys(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> IntArray:
        """int64 cell keys of points."""
        x, y = self.xy(lat, lon)
        ix = np.floor(x / self.cell_m).astype(np.int64)
        iy = np.floor(y / self.cell_m).astype(np.int64)
        return pack_key(ix, iy)


def pack_key(ix: npt.ArrayLike, iy: npt.ArrayLike) -> IntArray:
    """Pack integer cell coordinates into one int64 key (``(ix + 2^31) * 2^32 + iy + 2^31``)."""
    a = np.asarray(ix, dtype=np.int64) + _KEY_OFFSET
    b = np.asarray(iy, dtype=np.int64) + _KEY_OFFSET
    return np.asarray(a * (1 << 32) + b, dtype=np.int64)


def grid_for(lat: npt.ArrayLike, lon: npt.ArrayLike, cell_m: float) -> LocalGrid:
    """A :class:`LocalGrid` centred on the median of the given points."""
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    if la.size == 0:
        return LocalGrid(0.0, 0.0, cell_m)
    return LocalGrid(float(np.nanmedian(la)), float(np.nanmedian(lo)), cell_m)


# 32-point Gauss–Legendre nodes on [0, 1] for the Rice CDF quadrature.
_GL_X, _GL_W = np.polynomial.legendre.leggauss(32)
_GL_X = (_GL_X + 1.0) / 2.0
_GL_W = _GL_W / 2.0


def _i0e(x: FloatArray) -> FloatArray:
    """Exponentially scaled modified Bessel function ``I0(x) * exp(-x)`` for x >= 0.

    Abramowitz & Stegun 9.8.1–9.8.2 polynomials (relative error < 2e-7);
    ``numpy.i0`` is ~20x slower and this runs on every co-location hit.
    """
    x = np.asarray(x, dtype=np.float64)
    small = x <= 3.75
    t = np.where(small, x, 3.75) / 3.75
    t2 = t * t
    lo = (1.0 + t2 * (3.5156229 + t2 * (3.0899424 + t2 * (1.2067492 + t2 * (0.2659732 + t2 * (0.0360768
          + t2 * 0.0045813)))))) * np.exp(-np.where(small, x, 0.0))
    xb = np.where(small, 3.75, x)
    u = 3.75 / xb
    hi = (0.39894228 + u * (0.01328592 + u * (0.00225319 + u * (-0.00157565 + u * (0.00916281 + u * (
        -0.02057706 + u * (0.02635537 + u * (-0.01647633 + u * 0.00392377)))))))) / np.sqrt(xb)
    return np.asarray(np.where(small, lo, hi), dtype=np.float64)


def p_within(distance_m: npt.ArrayLike, sigma_a_m: npt.ArrayLike, sigma_b_m: npt.ArrayLike, radius_m: float) -> FloatArray:
    """Probability that two positions are truly within ``radius_m`` of each other.

    Each observed position is the true one plus isotropic Gaussian error with
    the given 68 % radius (``accuracy_m``; converted to the per-axis sigma by
    dividing by 1.51, the 68 % quantile of a 2-D Rayleigh). The true
    separation vector is then Gaussian around the observed one with variance
    ``s^2 = sa^2 + sb^2`` per axis, so ``P(|sep| <= r)`` is the CDF of a Rice
    distribution, integrated here with 32-point Gauss–Legendre quadrature over
    the window where the integrand is not negligible (``d ± 8 s``).

    >>> float(p_within(0.0, 1.0, 1.0, 1000.0)[0]) > 0.999
    True
    >>> float(p_within(5000.0, 10.0, 10.0, 100.0)[0]) < 1e-9
    True
    """
    d = np.atleast_1d(np.asarray(distance_m, dtype=np.float64))
    sa = np.atleast_1d(np.asarray(sigma_a_m, dtype=np.float64)) / 1.5096
    sb = np.atleast_1d(np.asarray(sigma_b_m, dtype=np.float64)) / 1.5096
    d, sa, sb = np.broadcast_arrays(d, sa, sb)
    s = np.maximum(np.hypot(sa, sb), 1e-3)
    r = float(radius_m)
    # the integrand is negligible more than 8 sigma from d: integrate over that window only
    lo = np.clip(d - 8.0 * s, 0.0, r)[:, None]
    hi = np.clip(d + 8.0 * s, 0.0, r)[:, None]
    rho = lo + (hi - lo) * _GL_X[None, :]
    dd = d[:, None]
    ss = s[:, None]
    z = rho * dd / (ss * ss)
    # integrand: rho/s^2 * exp(-(rho^2 + d^2)/(2 s^2)) * I0(rho d / s^2)
    #          = rho/s^2 * exp(-(rho - d)^2/(2 s^2)) * I0e(z)
    f = rho / (ss * ss) * np.exp(-((rho - dd) ** 2) / (2.0 * ss * ss)) * _i0e(z)
    p = (f * _GL_W[None, :]).sum(axis=1) * (hi - lo)[:, 0]
    return np.asarray(np.clip(p, 0.0, 1.0).reshape(np.shape(d)), dtype=np.float64)
