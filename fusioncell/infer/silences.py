"""Her silences: the gaps between a tracked handset's fixes, which of them are her silent nights, and how well
a place fits where she went with her phone dark (headings at the ends, the detour a place asks).

Split from :mod:`fusioncell.infer.features` (session 29) to keep each module readable; the features that read
these (``silent_nights``, ``silent_reach``, ``dark``) are computed there, and :mod:`fusioncell.infer.blind`
reads the same silent nights for blind spots. docs/inference.md, "Silence is evidence" and "Switched off on the
way", explains the model to an analyst.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from fusioncell.infer.evidence import Positions
from fusioncell.infer.nights import HEADING_UNKNOWN, SWITCH_OFF_SIGMA_M, approach, silence_headings
from fusioncell.model.night import NIGHT
from fusioncell.spacetime.geo import haversine_m

if TYPE_CHECKING:
    from fusioncell.infer.features import EvidenceContext

FloatArray = npt.NDArray[np.float64]

#: A phone that is hers with more than this probability counts as one of her phones (her nights, her silences).
MAY_BE_HERS = 0.05
#: A silence this long that spans the small hours is a silent night.
SILENT_MIN_S = 3 * 3600
SILENT_CORE_H = (NIGHT.core_from_h, NIGHT.core_to_h)  # local hours a silent night must cover (fusioncell.model.night)
ROAD_SPEED_MPS = 16.0  # ~58 km/h door to door on rural roads
MIN_STAY_S = 2 * 3600  # time that must be left to be somewhere in the gap


def handset_gaps(pos: Positions) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.str_], FloatArray]:
    """Gaps between consecutive handset fixes: (index before, index after, identifier, gap in seconds)."""
    idents = pos.identifier.astype(str)
    order = np.lexsort((pos.t, idents))
    fine_o = pos.fine[order]
    order = order[fine_o]  # handset fixes only: call records are silent overnight anyway
    if order.size < 2:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0, dtype=str), np.zeros(0)
    ids_o = idents[order]
    t_o = pos.t[order].astype("datetime64[s]").astype(np.int64)
    same = ids_o[1:] == ids_o[:-1]
    gap = np.diff(t_o)
    return order[:-1][same], order[1:][same], ids_o[:-1][same], gap[same].astype(float)


def switched_off_towards(clat: FloatArray, clon: FloatArray, pos: Positions, b: npt.NDArray[np.int64],
                         a: npt.NDArray[np.int64], distance: bool = True, detour: FloatArray | None = None,
                         away_end: npt.NDArray[np.bool_] | None = None) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """(candidate, silence): how well each place fits where she went with her phone off (0-1); and per
    silence whether she was on the move at either end.

    The geometric mean of the two ends' fits (:func:`fusioncell.infer.nights.approach`): the last fix
    before the silence a few km short of the place, heading for it; the first fix after, a few km beyond,
    heading away. ``distance=False`` reads the headings only (a coverage hole: the phone loses the
    network at its edge, however deep inside the place lies). A silence with no heading at either end
    whose ends lie away from her home (``away_end``; she went dark far from her bed: a trip all the same)
    is read from the detour the place asks of her (``detour``, :func:`silent_trip_detour`), times the
    heading factor of an end without one.
    """
    ids = pos.identifier.astype(str)
    fits, moving = [], np.zeros(b.size, dtype=bool)
    for ends, step in ((b, -1), (a, +1)):
        ux, uy, known = silence_headings(ids, pos.t, pos.lat, pos.lon, pos.acc_m, pos.fine, ends, step)
        fits.append(approach(clat, clon, pos.lat[ends], pos.lon[ends], ux, uy, known, distance=distance))
        moving |= known
    fit: FloatArray = np.sqrt(fits[0] * fits[1])
    if detour is not None and away_end is not None:
        still = away_end & ~moving  # no heading at either end, yet far from home at one: a trip
        fit = np.where(still[None, :], (HEADING_UNKNOWN if distance else 1.0) * detour, fit)
    trip = moving if away_end is None else moving | away_end
    # under coverage, a phone still at both ends at home was switched off where it stood (asleep): not a
    # trip; a hole's silence begins wherever she switched off before leaving, so it keeps the prior fit.
    # ``moving`` (a heading at an end) is what later reads as her trips (``superseded``, the unseen mass)
    return (fit * trip[None, :] if distance else fit), moving


#: A road is this much longer than the straight line (the slack of a silent trip's detour, per metre of it).
ROAD_BEND = 0.3


def silent_trip_detour(clat: FloatArray, clon: FloatArray, pos: Positions, away: npt.NDArray[np.bool_],
                       sel: npt.NDArray[np.bool_], ids: npt.NDArray[np.str_], before: npt.NDArray[np.int64],
                       after: npt.NDArray[np.int64], gap: FloatArray) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """(candidate, silent night): how little of a detour the place asks of her, and per silent night whether
    either end lies away from her home.

    Her last fix before a silent night and her first after bound her trip: going to a place and on to where
    she came back on costs ``d0 + d1`` against ``d01`` straight; the excess, beyond roads' bends
    (:data:`ROAD_BEND` x ``d01``) and the distance she can drive between two of her phone's fixes (its usual
    interval at ``ROAD_SPEED_MPS``, never under ``SWITCH_OFF_SIGMA_M``: the phone went dark at most one interval
    after the last fix), is unlikely: ``exp(-excess / scale)``. (Clean-room b easy-18: she went dark 3-7 km from
    the compound and 80 km from home, night after night; the reach alone gave a ranch 74 km off, at a coverage
    edge, the same share and 54%.) ``away``: per position, whether it lies away from its member's home;
    ``sel``, ``ids``, ``before``, ``after``, ``gap`` as :func:`partner_silent_nights` returns them.
    """
    b, a = before[sel], after[sel]
    fine_gap = gap < SILENT_MIN_S
    interval = np.zeros(b.size)
    for u in np.unique(ids[sel]):  # one per handset (a few), never per record
        g = gap[(ids == u) & fine_gap]
        interval[ids[sel] == u] = float(np.median(g)) if g.size else 0.0
    d0 = haversine_m(clat[:, None], clon[:, None], pos.lat[b][None, :], pos.lon[b][None, :])
    d1 = haversine_m(clat[:, None], clon[:, None], pos.lat[a][None, :], pos.lon[a][None, :])
    d01 = haversine_m(pos.lat[b], pos.lon[b], pos.lat[a], pos.lon[a])
    scale = np.maximum(SWITCH_OFF_SIGMA_M, ROAD_SPEED_MPS * interval) + ROAD_BEND * d01
    return np.exp(-np.maximum(d0 + d1 - d01[None, :], 0.0) / scale[None, :]), away[b] | away[a]


def partner_silent_nights(ctx: EvidenceContext) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.str_], FloatArray,
                                                         npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
    """His partner's silent nights among all handset gaps: (selected, identifier, partner weight, before, after, gap s).

    A silent night is a gap of at least ``SILENT_MIN_S`` between two fixes of
    a handset that is (probably) hers, covering the small hours of some
    night: the first 01:00 (local) at or after the last fix, and 04:00
    after it, both fall inside the gap.
    """
    pos = ctx.pos
    before, after, ids, gap = handset_gaps(pos)
    if ctx.tz_offset_s is None or before.size == 0:
        return np.zeros(before.size, dtype=bool), ids, np.zeros(before.size), before, after, gap
    t0 = pos.t[before].astype("datetime64[s]").astype(np.int64) + ctx.tz_offset_s[before]
    t1 = pos.t[after].astype("datetime64[s]").astype(np.int64) + ctx.tz_offset_s[after]
    h0, h1 = SILENT_CORE_H[0] * 3600, SILENT_CORE_H[1] * 3600
    core_start = -((h0 - t0) // 86400) * 86400 + h0
    covers = core_start + (h1 - h0) <= t1
    uniq, inv = np.unique(ids, return_inverse=True)  # per handset, not per gap
    pw = np.array([ctx.partner_share.get(str(u), 0.0) * ctx.relevance.get(str(u), 0.0) for u in uniq],
                  dtype=float)[inv.ravel()] if ids.size else np.zeros(0)
    return covers & (gap >= SILENT_MIN_S) & (pw > MAY_BE_HERS), ids, pw, before, after, gap
