"""Where someone lives: the one definition of *home* for locate, plan and the circle.

**Home is the spot where a person is seen on the most distinct nights.**
Night-time and the night a row belongs to are :data:`fusioncell.model.night.NIGHT`.
A spot is a ~400 m bin (``HOME_BIN_DEG``); handset fixes decide when a person
has any at night, serving cells otherwise. The home's position is the median
of the rows in its bin, its radius the median accuracy, never under
``HOME_MIN_RADIUS_M``. Vectorised (``np.unique`` over (person, bin, night)).

The same rule in SQL over call records only (serving cells, no bins: the cell
used on most distinct nights) is ``infer/circle.py``'s ``_night_cells_sql``;
``infer/circle.py``'s ``fix_away_night_fraction`` calls :func:`night_homes` on a
tracked phone's night fixes to count its nights away; ``spacetime/places.py`` gives a *place* (a clustered stay) the role ``home``
by the same rule (most nights, at least two) on its own clusters.

Examples
--------
>>> import numpy as np
>>> ids = np.array(["a", "a", "a", "a"], dtype=object)
>>> lat, lon = np.array([20.0, 20.0, 20.0, 20.5]), np.array([-103.0, -103.0, -103.0, -103.5])
>>> h = night_homes(ids, lat, lon, np.full(4, 100.0), np.ones(4, bool), np.ones(4, bool), np.array([1, 2, 3, 4]))
>>> h["a"]
Home(lat=20.0, lon=-103.0, radius_m=600.0)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Size of a home spot in degrees of latitude / longitude (~400 m at 20° N).
HOME_BIN_DEG = (0.0036, 0.0038)
#: A home is never assumed smaller than this (a flat, its block, the fix error).
HOME_MIN_RADIUS_M = 600.0


class Home(NamedTuple):
    """A person's home: position and radius (metres)."""

    lat: float
    lon: float
    radius_m: float


def night_homes(identifier: npt.NDArray[np.object_], lat: FloatArray, lon: FloatArray, acc_m: FloatArray,
                fine: npt.NDArray[np.bool_], night: npt.NDArray[np.bool_],
                night_key: npt.NDArray[np.int64]) -> dict[str, Home]:
    """Per identifier, its home (see the module docstring); rows are positions, ``night`` marks night-time rows."""
    homes: dict[str, Home] = {}
    if not night.any():
        return homes
    for want_fine in (True, False):  # fine fixes preferred, coarse cells otherwise
        m0 = night & (fine == want_fine)
        if not m0.any():
            continue
        slat, slon, sacc = lat[m0], lon[m0], acc_m[m0]
        bx = np.round(slat / HOME_BIN_DEG[0]).astype(np.int64)
        by = np.round(slon / HOME_BIN_DEG[1]).astype(np.int64)
        ids, inv = np.unique(identifier[m0].astype(str), return_inverse=True)
        inv = inv.ravel()
        key = np.stack([inv, bx, by, night_key[m0]])
        uniq = np.unique(key, axis=1)  # distinct (person, bin, night)
        spot, counts = np.unique(uniq[:3], axis=1, return_counts=True)
        order = np.lexsort((-counts, spot[0]))
        spot, counts = spot[:, order], counts[order]
        first = np.unique(spot[0], return_index=True)[1]
        for j in first:  # one per person
            ident = str(ids[spot[0, j]])
            if ident in homes:
                continue
            m = (inv == spot[0, j]) & (bx == spot[1, j]) & (by == spot[2, j])
            homes[ident] = Home(float(np.median(slat[m])), float(np.median(slon[m])),
                                float(max(HOME_MIN_RADIUS_M, np.median(sacc[m]))))
    return homes
