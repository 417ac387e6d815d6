"""Where someone lives: the one definition of *home* for locate, plan and the circle.

**Home is the spot where a person is seen on the most distinct nights** —
and, where the caller has her daytime rows, on the most distinct nights
plus :data:`DAYS_COUNT` (0.75) for each distinct day she is seen there by
day (``NIGHT.is_day``, 09:00-18:00). A spot needs a night to be a home at
all. The days settle which of two beds is hers: a partner who sleeps at
his house 18 nights in 24 and lives her days (and the other six nights) at
her own was given *his* house as her home, and her own flat as the place
she went "away" to (measured, tests/test_locate_scenes.py
``test_a_partner_who_sleeps_at_his_house_most_nights_keeps_her_own_home``).
Night-time and the night a row belongs to are :data:`fusioncell.model.night.NIGHT`.
A spot is a ~400 m bin (``HOME_BIN_DEG``); handset fixes decide when a person
has any at night, serving cells otherwise. The home's position is the median
of the rows in its bin, its radius the median accuracy, never under
``HOME_MIN_RADIUS_M``. Vectorised (``np.unique`` over (person, bin, night)).

The same rule in SQL over call records only (serving cells, no bins: the cell
used on most distinct nights, its days counted) is ``infer/cellnights.py``'s ``_night_cells_sql``;
``infer/circle.py``'s ``fix_away_night_fraction`` calls :func:`night_homes` on a
tracked phone's night fixes to count its nights away; ``spacetime/places.py`` gives a *place* (a clustered stay) the role ``home``
by nights alone (most nights, at least two) on its own clusters: a label for the map, not the
home locate explains away.

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
#: A home is never assumed smaller than this (a flat, its block, the fix error) when asking whether a
#: person *is at home*: her errands round the block are no trip away.
HOME_MIN_RADIUS_M = 600.0
#: When asking whether a *place* is that person's house (a candidate for where he hides), the spot
#: itself: the home's position is the median of many fixes, so a house 400 m away in a town is another
#: house when the fixes are fine (clean-room b easy-7: the hideout 420 m from the seed lead's flat was
#: dropped as "her flat"). The radius is the median accuracy of the home's rows, never under this.
HOUSE_MIN_RADIUS_M = 250.0


class Home(NamedTuple):
    """A person's home: position and radius (metres)."""

    lat: float
    lon: float
    radius_m: float


def night_homes(identifier: npt.NDArray[np.object_], lat: FloatArray, lon: FloatArray, acc_m: FloatArray,
                fine: npt.NDArray[np.bool_], night: npt.NDArray[np.bool_],
                night_key: npt.NDArray[np.int64], day: npt.NDArray[np.bool_] | None = None,
                min_radius_m: float = HOME_MIN_RADIUS_M) -> dict[str, Home]:
    """Per identifier, its home (see the module docstring); rows are positions, ``night`` marks night-time rows.

    ``min_radius_m``: the smallest radius a home is given (:data:`HOME_MIN_RADIUS_M` for "is she at home",
    :data:`HOUSE_MIN_RADIUS_M` for "is this place her house").

    ``day`` (optional) marks daytime rows: a spot where the person sleeps then also counts the distinct days
    she is seen there (see :data:`DAYS_COUNT`), so the bed she sleeps in on most nights is not her home when
    she lives her days at another she also sleeps in.
    """
    homes: dict[str, Home] = {}
    if not night.any():
        return homes
    for want_fine in (True, False):  # fine fixes preferred, coarse cells otherwise
        m0 = night & (fine == want_fine)
        if not m0.any():
            continue
        spot, score, inv, bx, by, ids, slat, slon, sacc = _spot_scores(
            identifier, lat, lon, acc_m, night_key, m0, None if day is None else day & (fine == want_fine))
        order = np.lexsort((-score, spot[0]))
        spot = spot[:, order]
        first = np.unique(spot[0], return_index=True)[1]
        for j in first:  # one per person
            ident = str(ids[spot[0, j]])
            if ident in homes:
                continue
            m = (inv == spot[0, j]) & (bx == spot[1, j]) & (by == spot[2, j])
            homes[ident] = Home(float(np.median(slat[m])), float(np.median(slon[m])),
                                float(max(min_radius_m, np.median(sacc[m]))))
    return homes


#: How a day seen at a spot counts against a night slept there, when days are given: a night is what
#: makes a home, so a day counts for less (a partner who spends 18 of 24 nights at his house and her days
#: and the other 6 nights at hers: 18 against 6 + 24 x DAYS_COUNT: hers is home at DAYS_COUNT > 0.5).
DAYS_COUNT = 0.75


def _spot_scores(identifier: npt.NDArray[np.object_], lat: FloatArray, lon: FloatArray, acc_m: FloatArray,
                 night_key: npt.NDArray[np.int64], m0: npt.NDArray[np.bool_], m1: npt.NDArray[np.bool_] | None
                 ) -> tuple[npt.NDArray[np.int64], FloatArray, npt.NDArray[np.int64], npt.NDArray[np.int64],
                            npt.NDArray[np.int64], npt.NDArray[np.str_], FloatArray, FloatArray, FloatArray]:
    """The (person, bin) spots of the night rows ``m0`` and each spot's score: its distinct nights, plus
    :data:`DAYS_COUNT` per distinct day of the day rows ``m1`` in the same bin (a spot with no night scores
    nothing: home is where one sleeps). Also the night rows' person index and bins, for the home's position."""
    slat, slon, sacc = lat[m0], lon[m0], acc_m[m0]
    bx = np.round(slat / HOME_BIN_DEG[0]).astype(np.int64)
    by = np.round(slon / HOME_BIN_DEG[1]).astype(np.int64)
    ids, inv = np.unique(identifier[m0].astype(str), return_inverse=True)
    inv = inv.ravel()
    uniq = np.unique(np.stack([inv, bx, by, night_key[m0]]), axis=1)  # distinct (person, bin, night)
    spot, nights = np.unique(uniq[:3], axis=1, return_counts=True)
    score = nights.astype(float)
    if m1 is not None and m1.any():
        dids = np.searchsorted(ids, identifier[m1].astype(str))
        known = (dids < ids.size) & (ids[np.minimum(dids, ids.size - 1)] == identifier[m1].astype(str))
        dx = np.round(lat[m1] / HOME_BIN_DEG[0]).astype(np.int64)
        dy = np.round(lon[m1] / HOME_BIN_DEG[1]).astype(np.int64)
        days = np.unique(np.stack([dids, dx, dy, night_key[m1]])[:, known], axis=1)
        dspot, dcount = np.unique(days[:3], axis=1, return_counts=True)
        # match day spots to night spots (both sorted lexicographically by np.unique)
        allspots = np.concatenate([spot, dspot], axis=1)
        _, first, ainv = np.unique(allspots, axis=1, return_index=True, return_inverse=True)
        ainv = ainv.ravel()
        add = np.zeros(first.size)
        np.add.at(add, ainv[spot.shape[1]:], dcount)
        score = score + DAYS_COUNT * add[ainv[:spot.shape[1]]]
    return spot, score, inv, bx, by, ids, slat, slon, sacc
