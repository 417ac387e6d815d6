"""Where a night was spent: the small hours decide, and a later night elsewhere supersedes.

Two pieces of physics the locate features rest on.

**A night is the small hours.** A handset seen at a place at 21:30 and next
seen 30 km away at 07:00 did not spend the night there: she left in the
evening. A night-time fix counts as "a night here" only if its owner was
still (or already) there through the core of the night — 01:00 to 04:00
local — as far as the fixes show: the fix is inside the core, or the first
fix at or after 01:00 (for an evening fix), or the last fix at or before
04:00 (for an early-morning fix), lies at the same place. A fix that no
later or earlier fix contradicts (the end of the data) keeps the benefit of
the doubt — unless the handset is tracked densely (a fix at least hourly as a
rule) and is silent through the whole core: such a phone went dark (switched
off en route, or out of coverage), and where it was last seen is where it
went dark, not where she slept; the silence is read by the silent-night
features instead. Fixes that fail the test are evening or early-morning *visits*:
they stay in the data as day-time presence. Only handset fixes are tested;
call records are too sparse at night to say where someone slept.

**A later night elsewhere supersedes.** When he changes house his partner's
nights move with him: after her last night at the old compound come nights
at the new one. ``superseded`` counts, per candidate place, the partner's
away-from-home nights at *other* places since her latest night here (located
nights only; each night once), so that old evidence stops outvoting new.
Occasional nights at a friend's do the same to the true place, which is why
the feature's weight is fitted, not assumed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fusioncell.model.night import NIGHT
from fusioncell.spacetime.geo import haversine_m

FloatArray = npt.NDArray[np.float64]

#: Local hours that make a night: a night spent at a place covers them (the one night, fusioncell.model.night).
CORE_FROM_H, CORE_TO_H = NIGHT.core_from_h, NIGHT.core_to_h
#: Two fixes this close (or within twice their combined accuracy) are one place.
SAME_PLACE_M = 1000.0
#: A handset tracked at least this often (median seconds between fixes) is expected to report through the night:
#: silence through the whole core of a night is then a dark night, not a night at the last place seen.
DENSE_CADENCE_S = 3600.0


def median_gap_s(ids: npt.NDArray[np.int64], ts: npt.NDArray[np.int64]) -> FloatArray:
    """Per identifier code (``ids`` sorted, then ``ts``): the median seconds between its consecutive rows.

    >>> import numpy as np
    >>> median_gap_s(np.array([0, 0, 0, 1, 1]), np.array([0, 10, 40, 5, 105])).tolist()
    [20.0, 100.0]
    """
    n_id = int(ids.max()) + 1 if ids.size else 0
    out = np.full(n_id, np.inf)
    same = ids[1:] == ids[:-1]
    gap, gid = np.diff(ts)[same].astype(np.float64), ids[1:][same]
    if gap.size == 0:
        return out
    order = np.lexsort((gap, gid))
    gap, gid = gap[order], gid[order]
    counts = np.bincount(gid, minlength=n_id)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    has = counts > 0
    lo = gap[starts[has] + (counts[has] - 1) // 2]
    hi = gap[starts[has] + counts[has] // 2]
    out[has] = (lo + hi) / 2.0
    return out


def stayed_the_night(identifier: npt.NDArray[np.object_], t: npt.NDArray[np.datetime64], lat: FloatArray,
                     lon: FloatArray, acc_m: FloatArray, fine: npt.NDArray[np.bool_], night: npt.NDArray[np.bool_],
                     night_key: npt.NDArray[np.int64], tz_offset_s: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Per row: a night-time row that counts as a night spent where it was (see the module docstring).

    Rows that are not night-time, or not handset fixes, are returned unchanged
    (``night``). Vectorised: one sort and two ``searchsorted`` calls.

    """
    n = lat.shape[0]
    out = night.copy()
    sel = np.flatnonzero(fine)
    if sel.size == 0:
        return out
    ids = np.unique(identifier[sel].astype(str), return_inverse=True)[1].ravel().astype(np.int64)
    ts = t[sel].astype("datetime64[s]").astype(np.int64)
    order = np.lexsort((ts, ids))
    sel, ids, ts = sel[order], ids[order], ts[order]
    big = np.int64(1) << np.int64(36)  # > any epoch second this century
    key = ids * big + ts
    nk = night_key[sel]
    core_from = (nk + 1) * 86400 + CORE_FROM_H * 3600 - tz_offset_s[sel]  # UTC instants
    core_to = (nk + 1) * 86400 + CORE_TO_H * 3600 - tz_offset_s[sel]
    is_night = night[sel]
    evening = is_night & (ts < core_from)
    morning = is_night & (ts > core_to)
    # evening: the first fix at or after 01:00; morning: the last fix at or before 04:00
    j_after = np.searchsorted(key, ids * big + core_from, side="left")
    j_before = np.searchsorted(key, ids * big + core_to, side="right") - 1
    ref = np.where(evening, j_after, np.where(morning, j_before, -1))
    valid = (ref >= 0) & (ref < sel.size)
    refc = np.clip(ref, 0, sel.size - 1)
    valid &= ids[refc] == ids
    d = haversine_m(lat[sel], lon[sel], lat[sel][refc], lon[sel][refc])
    tol = np.maximum(SAME_PLACE_M, 2.0 * np.hypot(acc_m[sel], acc_m[sel][refc]))
    # a phone that reports every few minutes and says nothing through the whole core went dark:
    # where it was at 22:00 is where it was switched off (or left coverage), not where she slept
    dense = median_gap_s(ids, ts)[ids] <= DENSE_CADENCE_S
    silent_core = np.where(evening, ts[refc] > core_to, np.where(morning, ts[refc] < core_from, False))
    # no fix to test against (the end of the data, or nothing before): benefit of the doubt
    keep = ~(evening | morning) | ~valid | ((d <= tol) & ~(dense & silent_core))
    out[sel] = is_night & keep
    assert out.shape[0] == n
    return out


def superseded(K: FloatArray, night_key: npt.NDArray[np.int64], weight: FloatArray,
               here_threshold: float = 0.5, elsewhere_threshold: float = 0.1) -> FloatArray:
    """Per candidate: weighted count of distinct nights spent elsewhere after the latest night here.

    ``K`` is (candidates, partner away-night fixes) presence in [0, 1];
    ``night_key`` and ``weight`` are per fix (weight: how surely the handset
    is the partner's). A night is *here* for a candidate when some fix that
    night has presence ≥ ``here_threshold``, *elsewhere* when every fix that
    night has presence < ``elsewhere_threshold``. A candidate never here at
    night scores 0 (there is nothing to supersede).

    >>> import numpy as np
    >>> K = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])  # nights 1, 2, 3
    >>> superseded(K, np.array([1, 2, 3]), np.ones(3)).tolist()
    [2.0, 0.0]
    """
    m = K.shape[0]
    if K.shape[1] == 0 or m == 0:
        return np.zeros(m)
    nights, inv = np.unique(night_key, return_inverse=True)
    inv = inv.ravel()
    here = np.zeros((m, nights.size))
    np.maximum.at(here.T, inv, K.T)
    w = np.zeros(nights.size)
    np.maximum.at(w, inv, weight)
    is_here = here >= here_threshold
    last_here = np.where(is_here.any(axis=1), nights.size - 1 - np.argmax(is_here[:, ::-1], axis=1), -1)
    after = np.arange(nights.size)[None, :] > last_here[:, None]
    away = (here < elsewhere_threshold) & after & (last_here >= 0)[:, None]
    return (away * w[None, :]).sum(axis=1)


def latest_night(K: FloatArray, night_key: npt.NDArray[np.int64], weight: FloatArray) -> FloatArray:
    """Per candidate: presence at his partner's most recent away night (0–1, times how surely it is her phone).

    Where she slept last is the freshest trace of where he is *now*: after a
    move the new compound has one or two nights against many at the old one,
    and this is the evidence that says so. ``K``, ``night_key`` and
    ``weight`` are as in :func:`superseded`.

    >>> import numpy as np
    >>> K = np.array([[1.0, 0.0, 0.2], [0.0, 1.0, 0.9]])  # nights 1, 2, 2
    >>> latest_night(K, np.array([1, 2, 2]), np.array([1.0, 0.5, 1.0])).tolist()
    [0.2, 0.9]
    """
    m = K.shape[0]
    if K.shape[1] == 0 or m == 0:
        return np.zeros(m)
    last = night_key == night_key.max()
    return np.max(K[:, last] * np.clip(weight[last], 0.0, 1.0)[None, :], axis=1)
