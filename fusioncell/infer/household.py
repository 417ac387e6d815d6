"""Household vehicles: where the vehicles parked at a place went after it (a move).

A man in hiding does not move alone: his guards' and drivers' vehicles are
parked where he lives, and when he changes house they go with him. Aerial
passes read the plates of vehicles parked at the places they survey. A plate
read at a place on two days or more is part of that place's *household*
(one read may be a passer-by or a false read). When a household vehicle is
then read somewhere else, after its last read at the place and after the
last visit of his circle there, either it is on an errand, or the household
(and he) moved there.

This module turns those reads into the two things :func:`fusioncell.infer.nights.overdue`
and :func:`fusioncell.infer.locate.moved_here` already reason with: a
likelihood ratio, he left : he stayed, per place, and where the vehicles
went (added to his partner's nights since, :func:`fusioncell.infer.nights.successors`).
A household vehicle still read at the place after that last visit says the
other way: he is still there. And a place with a household is lived in
(:func:`residents`), which tells a compound from a point guessed in an empty
field. Plates need not be known to the case: the household is read from where
a vehicle parks, not from whose it is. Docs: docs/inference.md, "His
household's vehicles went with him".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fusioncell.spacetime.geo import haversine_m

FloatArray = npt.NDArray[np.float64]

#: A read is *at* a place within this distance (an aerial pass reads vehicles parked within ~150 m of
#: the surveyed point, which is itself known to tens of metres).
READ_AT_M = 300.0
#: A read at least this far from a place is elsewhere (another house, not the same compound's road).
ELSEWHERE_M = 1000.0
#: Distinct days a plate must be read at a place before it counts as the place's household vehicle.
HOUSEHOLD_DAYS = 2
#: P(a household vehicle is read at another surveyed place, after its last read here and after his
#: circle's last visit here | he stayed): errands, a driver's own life. If he left, his household's
#: vehicles went with him (probability ~1). A departing household (its strongest vehicle) multiplies the
#: odds that he left by at most 1 / ERRAND_P; one still parked there divides them by at most the same.
ERRAND_P = 0.3
#: How much likelier his house shows a household of vehicles than another candidate place (see
#: :func:`residents`): a prior, not fitted.
RESIDENT_LR = 2.0
#: The last visit day of a place nobody visited.
NEVER = -1_000_000_000


@dataclass
class Reads:
    """Plate reads (sightings of a vehicle or a person other than him), oldest first."""

    lat: FloatArray
    lon: FloatArray
    t: npt.NDArray[np.datetime64]
    subject: npt.NDArray[np.str_]
    confidence: FloatArray
    event_id: npt.NDArray[np.str_]
    source_id: npt.NDArray[np.str_]


@dataclass
class Departures:
    """What the household vehicles say, per candidate place."""

    log_lr: FloatArray  # (m,) he left : he stayed, from his household vehicles read elsewhere since
    went: FloatArray  # (m, m) [o, c]: confidence-weighted reads of o's household vehicles at c since
    reads: npt.NDArray[np.bool_]  # (m, R) [o, r]: read r is a departure from o
    at: npt.NDArray[np.bool_]  # (m, R) [c, r]: read r is at place c


def _plate_days(subject: npt.NDArray[np.str_], day: npt.NDArray[np.int64]) -> tuple[
        npt.NDArray[np.str_], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(plates, each read's plate, each read's (plate, day) pair, each pair's plate): a plate read twice
    on one day is read on one day."""
    plates, code = np.unique(subject, return_inverse=True)
    code = code.ravel()
    _, pd_code = np.unique(code * (int(day.max()) - int(day.min()) + 1) + (day - day.min()), return_inverse=True)
    pd_code = pd_code.ravel()
    pd_plate = np.zeros(int(pd_code.max()) + 1, dtype=np.int64)
    pd_plate[pd_code] = code
    return plates, code, pd_code, pd_plate


def _at(clat: FloatArray, clon: FloatArray, reads: Reads) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Distances (candidates x reads) and which reads are at each place."""
    D = haversine_m(clat[:, None], clon[:, None], reads.lat[None, :], reads.lon[None, :])
    return D, D <= READ_AT_M


def _segments(codes: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
    return order, starts


def departures(clat: FloatArray, clon: FloatArray, reads: Reads, day: npt.NDArray[np.int64],
               last_visit_day: npt.NDArray[np.int64]) -> Departures:
    """Household vehicles read away from each candidate place since his circle last came there.

    ``day`` is each read's local day, counted as the circle's visit days
    are; ``last_visit_day`` is, per candidate, the last local day a circle member
    was located there (a very small number where none was). A place's
    household vehicle ``p`` *departed* when it is read at least
    ``ELSEWHERE_M`` away, later than its last read at the place and on a day
    after the circle's last visit (while her visits go on, a read elsewhere
    is an errand). With ``d`` = the chance that at least one of those reads
    is true (1 - prod(1 - confidence)), the vehicle's likelihood ratio, he
    left : he stayed, is ``d / ERRAND_P + (1 - d)``. The other way round, a
    household vehicle read *at* the place after the circle's last visit
    there (with chance ``s`` that one such read is true) says he is still
    there: had he left, it would have gone with him, so the ratio is
    ``s x ERRAND_P + (1 - s)``. A household moves as one, and a busy place's
    parked cars are mostly the neighbours': of its vehicles, the strongest
    departure and the strongest stay count, never their product.

    >>> import numpy as np
    >>> t = np.array(['2026-07-06T12', '2026-07-11T17', '2026-07-28T11', '2026-07-29T17'], dtype='datetime64[s]')
    >>> r = Reads(np.array([19.0, 19.0, 19.1, 19.1]), np.array([-103.0] * 4), t, np.array(['plate:A'] * 4),
    ...           np.array([0.8, 0.7, 0.5, 0.5]), np.array(['s1', 's2', 's3', 's4']),
    ...           np.array(['x'] * 4))
    >>> dep = departures(np.array([19.0, 19.1]), np.array([-103.0, -103.0]), r, np.array([5, 10, 27, 28]),
    ...                  np.array([20, -10**6]))
    >>> dep.log_lr.round(2).tolist()  # d = 1 - 0.5 x 0.5: 0.75 / 0.3 + 0.25 = 2.75; still at the second: 0.75 x 0.3 + 0.25
    [1.01, -0.74]
    >>> dep.went.tolist()  # both reads at the second place, after its last read at the first
    [[0.0, 1.0], [0.0, 0.0]]
    """
    m, n = clat.size, reads.lat.size
    if m == 0 or n == 0:
        return Departures(np.zeros(m), np.zeros((m, m)), np.zeros((m, n), dtype=bool), np.zeros((m, n), dtype=bool))
    D, at = _at(clat, clon, reads)
    plates, code, pd_code, pd_plate = _plate_days(reads.subject, day)
    order, starts = _segments(code)
    # distinct days per (place, plate)
    at_pd = np.zeros((m, pd_plate.size), dtype=bool)
    np.logical_or.at(at_pd.T, pd_code, at.T)
    days_at = np.zeros((m, plates.size))
    np.add.at(days_at.T, pd_plate, at_pd.T.astype(float))
    household = days_at >= HOUSEHOLD_DAYS  # (m, P)
    ts = reads.t.astype("datetime64[s]").astype(np.int64)
    last_at = np.maximum.reduceat(np.where(at, ts[None, :], np.iinfo(np.int64).min)[:, order], starts, axis=1)
    dep = (household[:, code] & (ts[None, :] > last_at[:, code]) & (day[None, :] > last_visit_day[:, None])
           & (D > ELSEWHERE_M))
    conf = np.clip(reads.confidence, 0.0, 0.99)
    log_miss = np.zeros((m, plates.size))
    np.add.at(log_miss.T, code, (dep * np.log1p(-conf)[None, :]).T)
    d = -np.expm1(log_miss)
    # ... and still parked here after the circle's last visit: had he left, it would have gone with him
    stay = household[:, code] & at & (day[None, :] > last_visit_day[:, None])
    log_here = np.zeros((m, plates.size))
    np.add.at(log_here.T, code, (stay * np.log1p(-conf)[None, :]).T)
    s = -np.expm1(log_here)
    # a household moves as one (its vehicles leave together, and a busy place's neighbours are not his men):
    # the strongest departure and the strongest stay count, not the product over plates
    left = np.where(household, np.log(d / ERRAND_P + 1.0 - d), 0.0).max(axis=1, initial=0.0)
    stayed = np.where(household, np.log(s * ERRAND_P + 1.0 - s), 0.0).min(axis=1, initial=0.0)
    log_lr = left + stayed
    went = (dep * conf[None, :]).astype(float) @ at.T.astype(float)
    np.fill_diagonal(went, 0.0)
    return Departures(log_lr, went, dep, at)


def last_days(present: npt.NDArray[np.bool_], day: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Per candidate: the last day a column of ``present`` put someone there (a very small number if none).

    >>> import numpy as np
    >>> last_days(np.array([[True, False, True], [False, False, False]]), np.array([3, 9, 5])).tolist()
    [5, -1000000000]
    """
    return np.asarray(np.where(present, day[None, :], NEVER).max(axis=1, initial=NEVER), dtype=np.int64)


Citation = tuple[int, str, tuple[float, str, list[str], list[str]]]


def departure_citations(dep: Departures, reads: Reads) -> list[Citation]:
    """The reads behind each place's departures, for the evidence chain: (candidate, feature, (weight,
    subjects, event ids, source ids)). Where a vehicle went, under ``moved_here``; the place it left,
    under ``overdue``."""
    out: list[Citation] = []
    gone = dep.reads.any(axis=0)
    for ci in np.flatnonzero(dep.went.sum(axis=0) > 0):  # candidates, not records
        r = np.flatnonzero(gone & dep.at[ci])
        out.append((int(ci), "moved_here", (float(reads.confidence[r].sum()), ", ".join(sorted(set(reads.subject[r]))),
                                            [str(e) for e in reads.event_id[r][:8]], sorted(set(reads.source_id[r])))))
    for oi in np.flatnonzero(dep.log_lr > 0):
        r = np.flatnonzero(dep.reads[oi])
        out.append((int(oi), "overdue", (float(dep.log_lr[oi]), ", ".join(sorted(set(reads.subject[r]))),
                                         [str(e) for e in reads.event_id[r][:8]], sorted(set(reads.source_id[r])))))
    return out


def residents(clat: FloatArray, clon: FloatArray, reads: Reads, day: npt.NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    """Per candidate: (the log-likelihood ratio, he lives here : he does not, of a household of vehicles
    parked here; the chance the household is real).

    A plate read at the place on two days or more is a vehicle that lives
    there; the chance it is (both reads true) is the product of its two best
    days' confidences, and the place has a household with probability
    ``h = 1 - prod(1 - that)`` over its plates. A man in hiding keeps guards
    and drivers, so his house has one with probability near 1; a decoy, a
    lieutenant's safe house or a family's home may too, so the ratio is a
    modest ``RESIDENT_LR``: ``log(1 + (RESIDENT_LR - 1) h)``. Its use is to
    tell a lived-in place from a point guessed in an empty field, not to
    pick among houses.

    >>> import numpy as np
    >>> t = np.array(['2026-07-06T12', '2026-07-08T12', '2026-07-09T12'], dtype='datetime64[s]')
    >>> r = Reads(np.array([19.0, 19.0, 19.1]), np.array([-103.0] * 3), t, np.array(['plate:A', 'plate:A', 'plate:B']),
    ...           np.array([0.8, 0.5, 0.9]), np.array(['s1', 's2', 's3']), np.array(['x'] * 3))
    >>> lr, h = residents(np.array([19.0, 19.1]), np.array([-103.0, -103.0]), r, np.array([5, 7, 8]))
    >>> h.round(2).tolist(), lr.round(3).tolist()  # plate:A on two days (0.8 x 0.5); plate:B once
    ([0.4, 0.0], [0.336, 0.0])
    """
    m, n = clat.size, reads.lat.size
    if m == 0 or n == 0:
        return np.zeros(m), np.zeros(m)
    _, at = _at(clat, clon, reads)
    _, _, pd_code, pd_plate = _plate_days(reads.subject, day)
    # one value per (plate, day): the day's best read at each place
    conf = np.clip(reads.confidence, 0.0, 0.99)
    best = np.zeros((m, pd_plate.size))
    np.maximum.at(best.T, pd_code, (at * conf[None, :]).T)
    # the two best days per (place, plate): sort each plate's days, take the last two
    order, starts = _segments(pd_plate)
    v = best[:, order] + 1e-12 * np.arange(order.size)[None, :]  # ties broken by position
    first = np.maximum.reduceat(v, starts, axis=1)
    second = np.maximum.reduceat(np.where(v >= first[:, np.repeat(np.arange(starts.size), np.diff(np.r_[starts, order.size]))],
                                          0.0, v), starts, axis=1)
    h = -np.expm1(np.log1p(-np.clip(first * second, 0.0, 0.999)).sum(axis=1))
    h = np.where(h < 1e-6, 0.0, h)
    return np.log1p((RESIDENT_LR - 1.0) * h), h


def resident_citations(at: npt.NDArray[np.bool_], reads: Reads, day: npt.NDArray[np.int64],
                       lr: FloatArray) -> list[Citation]:
    """The plates behind each place's ``household`` (``lr``, from :func:`residents`): those read there on two
    days or more. ``at`` is :attr:`Departures.at`, the reads at each place."""
    out: list[Citation] = []
    for ci in np.flatnonzero(lr > 0):  # candidates, not records
        r = np.flatnonzero(at[ci])
        plates, _, _, pd_plate = _plate_days(reads.subject[r], day[r])
        lived = plates[np.bincount(pd_plate, minlength=plates.size) >= HOUSEHOLD_DAYS]  # days here per plate
        ev = r[np.isin(reads.subject[r], lived)]
        out.append((int(ci), "household", (float(lr[ci]), ", ".join(sorted(str(x) for x in lived)),
                                           [str(e) for e in reads.event_id[ev][:8]],
                                           sorted({str(x) for x in reads.source_id[ev]}))))
    return out
