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
the doubt — unless the collection itself ended before that night's core (the
last evening of a case is a night nobody observed), or the handset is tracked densely (a fix at least hourly as a
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

from fusioncell.infer.judgment import PATTERN_NIGHTS, TAU_MOVE_DAYS
from fusioncell.model.night import NIGHT
from fusioncell.spacetime.geo import bearing_deg, haversine_m

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
                     night_key: npt.NDArray[np.int64], tz_offset_s: npt.NDArray[np.int64],
                     collected_until_s: int | None = None) -> npt.NDArray[np.bool_]:
    """Per row: a night-time row that counts as a night spent where it was (see the module docstring).

    Rows that are not night-time, or not handset fixes, are returned unchanged
    (``night``). Vectorised: one sort and two ``searchsorted`` calls.
    ``collected_until_s`` (epoch s) is when the collection of fixes ended: an
    evening fix whose small hours fall after it is a night nobody observed —
    where she was at 22:00 on the last evening of the data is a visit, not her
    latest night (the benefit of the doubt is for a phone that stops reporting,
    not for a case that stops collecting).

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
    if collected_until_s is not None:
        keep &= ~(evening & (core_from > collected_until_s))
    out[sel] = is_night & keep
    assert out.shape[0] == n
    return out


def _by_night(K: FloatArray, night_key: npt.NDArray[np.int64], weight: FloatArray
              ) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    """Her fixes read night by night: (distinct nights, candidate x night best presence, per-night best weight)."""
    nights, inv = np.unique(night_key, return_inverse=True)
    inv = inv.ravel()
    here = np.zeros((K.shape[0], nights.size))
    np.maximum.at(here.T, inv, K.T)
    w = np.zeros(nights.size)
    np.maximum.at(w, inv, weight)
    return nights, here, w


def superseded(K: FloatArray, night_key: npt.NDArray[np.int64], weight: FloatArray,
               here_threshold: float = 0.5, elsewhere_threshold: float = 0.1,
               known_since: FloatArray | None = None) -> FloatArray:
    """Per candidate: weighted count of distinct nights spent elsewhere after the latest night here.

    ``K`` is (candidates, partner away-night fixes) presence in [0, 1];
    ``night_key`` and ``weight`` are per fix (weight: how surely the handset
    is the partner's). A night is *here* for a candidate when some fix that
    night has presence ≥ ``here_threshold``, *elsewhere* when every fix that
    night has presence < ``elsewhere_threshold``. A candidate never here at
    night scores 0 (there is nothing to supersede). With ``known_since``
    (:func:`known_since`), a night at a place that was already one of hers on
    her last night here (her sister's, her mother's) is her own life going on,
    as in :func:`moved_on`: not counted.

    >>> import numpy as np
    >>> K = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])  # nights 1, 2, 3
    >>> superseded(K, np.array([1, 2, 3]), np.ones(3)).tolist()
    [2.0, 0.0]
    >>> superseded(K, np.array([1, 2, 3]), np.ones(3), known_since=np.array([1.0, 0.0])).tolist()  # 2nd: hers already
    [0.0, 0.0]
    """
    m = K.shape[0]
    if K.shape[1] == 0 or m == 0:
        return np.zeros(m)
    nights, here, w = _by_night(K, night_key, weight)
    is_here = here >= here_threshold
    last_here = np.where(is_here.any(axis=1), nights.size - 1 - np.argmax(is_here[:, ::-1], axis=1), -1)
    after = np.arange(nights.size)[None, :] > last_here[:, None]
    away = (here < elsewhere_threshold) & after & (last_here >= 0)[:, None]
    if known_since is not None:  # at a place of hers already: her habit, not a night he took elsewhere
        at = here.argmax(axis=0)
        hers = (here.max(axis=0) >= here_threshold)[None, :] & (known_since[at][None, :] <= nights[last_here][:, None])
        away &= ~hers
    away_w: FloatArray = (away * w[None, :]).sum(axis=1)
    return away_w


def since_first(K: FloatArray, night_key: npt.NDArray[np.int64], weight: FloatArray,
                here_threshold: float = 0.5, elsewhere_threshold: float = 0.1, pattern: float = PATTERN_NIGHTS,
                silent: npt.NDArray[np.bool_] | None = None) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per candidate, around her first night here: (her away nights here, her away nights elsewhere since, her
    away nights elsewhere before it, her nights since at another place of hers -- one with ``pattern`` nights, or
    one she went to before her first night here and went back to since, at least half as often as here --: she
    kept going there, the most at any one such place).

    Counted as :func:`superseded` counts (a night once, weighted by how surely the phone is hers; a silent trip
    counts elsewhere for a place it does not point at). One or two nights here, with as many elsewhere since or a
    pattern elsewhere before, are a night out as much as a move (``judgment.CAP_NIGHT_OUT``). A place never here
    scores (0, 0, 0, 0).

    >>> import numpy as np
    >>> K = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0]])  # nights 1-4; night 3 at no candidate
    >>> here, since, before, _ = since_first(K, np.array([1, 2, 3, 4]), np.ones(4))
    >>> here.tolist(), since.tolist(), before.tolist()  # place 0: nights 1 and 4; place 1: night 2, after night 1
    ([2.0, 1.0], [2.0, 2.0], [0.0, 1.0])
    >>> K = np.array([[1, 1, 1, 0, 0, 1, 0, 0], [0, 0, 0, 1, 1, 0, 1, 0.0]])  # nights 0-7; night 7 at neither
    >>> since_first(K, np.arange(8), np.ones(8), pattern=3.0)[3].tolist()  # 0: three nights at 1 since; 1: one at 0
    [3.0, 1.0]
    >>> K = np.array([[1, 0, 1, 0, 1, 0.0]])  # nights 0-5 at place 0 or at no listed place
    >>> since_first(K, np.arange(6), np.ones(6), pattern=3.0, silent=np.array([0, 1, 0, 1, 0, 1], bool))[3].tolist()
    [3.0]
    >>> since_first(K, np.arange(6), np.ones(6), pattern=3.0)[3].tolist()  # located at a dropped place: not unseen
    [0.0]
    >>> K = np.array([[1, 0, 1, 0, 0.0], [0, 1, 0, 1, 1.0]])  # nights 0-4: 0, 1, 0, 1, 1 -- she went back to 0
    >>> since_first(K, np.arange(5), np.ones(5), pattern=3.0)[3].tolist()  # 1: two nights, one before, one since
    [3.0, 1.0]
    >>> wide = np.array([[0, 1, 1, 1, 1.0], [1, 1, 1, 1, 1.0]])  # place 1 (a wide cell area) holds place 0's nights
    >>> since_first(wide, np.arange(5), np.ones(5), pattern=3.0)[3].tolist()  # shared nights are no other place
    [0.0, 0.0]
    """
    m = K.shape[0]
    if K.shape[1] == 0 or m == 0:
        return np.zeros(m), np.zeros(m), np.zeros(m), np.zeros(m)
    nights, here, w = _by_night(K, night_key, np.clip(weight, 0.0, 1.0))
    is_here = np.asarray(here >= here_threshold)
    ever = np.asarray(is_here.any(axis=1))
    first = np.where(ever, np.argmax(is_here, axis=1), nights.size)
    since = np.arange(nights.size)[None, :] >= first[:, None]
    away = (here < elsewhere_threshold) & ever[:, None]
    # (i, j): her nights at place j and not at place i (a wide place around i shares its nights), in all and since
    # her first night at i; a place of hers is one with ``pattern`` such nights. Her silent trips (``silent``: per
    # column of ``K``) that no listed place explains are one more such place: the blind spot she keeps going to.
    # A located night at no listed place is not: such a place was dropped (her sister's flat in town), not unseen.
    trip = np.zeros(nights.size, dtype=bool)
    if silent is not None and silent.any():
        trip[np.searchsorted(nights, night_key[silent])] = True
    places = np.vstack([is_here, ((here < elsewhere_threshold).all(axis=0) & trip)[None, :]])
    at_j = places * w[None, :]
    total_j = at_j.sum(axis=1)[None, :] - is_here.astype(float) @ at_j.T
    since_j = (since & ~is_here).astype(float) @ at_j.T
    before_j = (~since & ~is_here).astype(float) @ at_j.T
    other = ~np.eye(m, m + 1, dtype=bool)
    # or a place she went to before her first night here and went back to since, about as often as here (at least
    # half as many nights): she did not leave it for this one, whatever its count (a night there with her phone
    # left at home is no night on her phone)
    returned = (before_j >= 0.5) & (since_j >= 0.5) & (total_j >= 0.5 * ((is_here @ w)[:, None]))
    back = np.where(((total_j >= pattern) | returned) & other & ever[:, None], since_j, 0.0).max(axis=1)
    return (is_here & since) @ w, (away & since) @ w, (away & ~since) @ w, back


def latest_night(K: FloatArray, night_key: npt.NDArray[np.int64], weight: FloatArray,
                 phone: npt.NDArray[np.int64] | None = None) -> FloatArray:
    """Per candidate: presence at his partner's most recent away night (0–1, times how surely it is her phone).

    Where she slept last is the freshest trace of where he is *now*: after a
    move the new compound has one or two nights against many at the old one,
    and this is the evidence that says so. ``K``, ``night_key`` and
    ``weight`` are as in :func:`superseded`. With ``phone`` (a code per
    night), each phone that may be hers has its own latest night, and each
    place keeps the best of them: a phone that is hers with probability 0.1
    sleeping somewhere last night does not hide where her likeliest phone
    slept last (session 21).

    >>> import numpy as np
    >>> K = np.array([[1.0, 0.0, 0.2], [0.0, 1.0, 0.9]])  # nights 1, 2, 2
    >>> latest_night(K, np.array([1, 2, 2]), np.array([1.0, 0.5, 1.0])).tolist()
    [0.2, 0.9]
    >>> K = np.array([[1.0, 0.0, 0.1], [0.0, 1.0, 0.0]])  # night 3 at no place we know: night 2 is her latest
    >>> latest_night(K, np.array([1, 2, 3]), np.ones(3)).tolist()
    [0.0, 1.0]
    >>> K = np.array([[1.0, 0.0], [0.0, 1.0]])  # her likely phone (0.9) at place 0 on night 1, a 0.1 phone at 1 on night 2
    >>> latest_night(K, np.array([1, 2]), np.array([0.9, 0.1])).tolist()  # one latest night for all: night 2
    [0.0, 0.1]
    >>> latest_night(K, np.array([1, 2]), np.array([0.9, 0.1]), phone=np.array([0, 1])).tolist()  # each its own
    [0.9, 0.1]
    """
    m = K.shape[0]
    if K.shape[1] == 0 or m == 0:
        return np.zeros(m)
    # her latest night at a place we know of (a night at no candidate -- a tracked friend's flat -- says
    # nothing about where he is, and must not hide the one before it)
    known = K.max(axis=0) >= 0.5  # fixes at some candidate; the night is known when one of its fixes is
    if not known.any():
        return np.zeros(m)
    last = night_key == night_key[known].max() if phone is None else newest_per_phone(night_key, phone, known)
    latest: FloatArray = np.max(K[:, last] * np.clip(weight[last], 0.0, 1.0)[None, :], axis=1)
    return latest


def move_weight(here: FloatArray, kept: FloatArray) -> FloatArray:
    """How much her latest night at a place says he moved there (scales ``latest``), from :func:`since_first`'s
    nights here and nights since at another place she kept going to: a latest night is a move only when she
    stopped going back to where she went before; in an alternation (a rented house where they meet, her
    mother's) it counts in proportion to her nights here (session 30, docs/inference.md).

    >>> move_weight(np.array([2.0, 3.0, 0.0]), np.array([4.0, 0.0, 0.0])).round(3).tolist()
    [0.333, 1.0, 1.0]
    """
    return np.where(here > 0, here / np.maximum(here + kept, 1e-9), 1.0)


def newest_per_phone(night_key: npt.NDArray[np.int64], phone: npt.NDArray[np.int64],
                     known: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Per row: is its night its phone's newest among the ``known`` rows (a phone with none: no row)."""
    newest = np.full(int(phone.max()) + 1, np.iinfo(np.int64).min)
    np.maximum.at(newest, phone[known], night_key[known])
    return np.asarray(night_key == newest[phone])


#: Pseudo-days added to a place's observed span when its visit rate is estimated (two visits a day
#: apart do not make a daily rhythm).
OVERDUE_PSEUDO_DAYS = 3.0
#: His chance of leaving a house on a given day: one move a month, the same prior as the judgment's discount for
#: the days since her latest night (``judgment.TAU_MOVE_DAYS``). It was 1/60 until session 31, two rates for one
#: man; at 1/30 the missed visits of a late move count twice as much (docs/benchmarks.md, "Locate, session 31").
MOVE_HAZARD_PER_DAY = 1.0 / TAU_MOVE_DAYS
#: The chance that a place's visits stop for reasons of their own while he stays (a prior: a courier's
#: route changes, a lieutenant's errand ends); bounds what the end of a rhythm can say (session 13).
VISITS_STOP_FLOOR = 0.1


def overdue(present: npt.NDArray[np.bool_], day: npt.NDArray[np.int64], as_of_day: int,
            pseudo_days: float = OVERDUE_PSEUDO_DAYS, hazard: float = MOVE_HAZARD_PER_DAY,
            elsewhere: tuple[FloatArray, FloatArray] | None = None,
            stop_floor: float = VISITS_STOP_FLOOR, vehicles: FloatArray | None = None) -> FloatArray:
    """Per candidate: minus the log-probability that he still lives there, given the days since his
    circle's last visit and the place's own rhythm of visits.

    ``present`` (candidates x observations) marks the observations that put a
    circle member at the place (a handset fix, her switched-off trip there),
    ``day`` is each observation's visit day. A place visited on ``n``
    distinct days between ``first`` and ``last`` was visited at a rate ``r``
    of about ``(n - 1) / (last - first + pseudo_days)`` a day while he lived
    there. ``g`` days without a visit since (the day after ``last`` and the
    data's last day excepted) have probability ``f + (1 - f) exp(-r g)`` if
    he stayed (a Poisson rhythm, unless the visits stopped for reasons of
    their own -- a courier's new route, an errand that ended -- which they do
    with probability ``stop_floor`` = f) and 1 if he left, which he does with
    probability ``h = hazard x g``; the result is
    ``log(1 + h / (1 - h) x LR)``, ``LR = 1 / (f + (1 - f) exp(-r g))``: near
    0 for a gap his rhythm explains, growing with each missed visit up to
    ``log(1 + h / (1 - h) / f)``: the end of one routine is never proof that he
    left. A place seen on fewer than two days has no rhythm: 0.

    ``elsewhere`` = ``(log_lr, seen)`` from :func:`moved_on`: had he left,
    her visits would have gone to his new place, which her phone shows with
    probability ``seen`` (then her nights elsewhere since are the evidence,
    likelihood ratio ``exp(log_lr)``, and the missed visits here are
    explained by them) or not (then the missed visits are, as above): the
    ratio is ``seen x exp(log_lr) + (1 - seen) x LR``.
    ``vehicles``, a log-likelihood ratio per place from his household's
    vehicles read elsewhere since (:func:`fusioncell.infer.household.departures`),
    multiplies it: another witness, independent of her phone.

    >>> import numpy as np
    >>> present = np.array([[True] * 10 + [False] * 3, [False] * 10 + [True] * 3])  # old place, then a new one
    >>> day = np.array([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24])
    >>> # old: r = 9/21 a day, none for g = 6 days: LR = 1 / (0.1 + 0.9 e^(-18/7)) = 5.9, h = 6/30 = 0.2
    >>> overdue(present, day, as_of_day=25).round(2).tolist()  # log(1 + 0.2 / 0.8 x 5.9)
    [0.91, 0.0]
    >>> overdue(present[:1], day, as_of_day=20).round(2).tolist()  # one day past its last visit: its rhythm explains it
    [0.05]
    >>> # her phone shows her nights away half the time and none went elsewhere: 0.5 x 1 + 0.5 x 5.9
    >>> overdue(present[:1], day, as_of_day=25, elsewhere=(np.zeros(1), np.full(1, 0.5))).round(2).tolist()
    [0.62]
    """
    m = present.shape[0]
    if m == 0 or present.shape[1] == 0:
        return np.zeros(m)
    days, inv = np.unique(day, return_inverse=True)
    H = np.zeros((m, days.size), dtype=np.uint8)
    np.maximum.at(H.T, inv.ravel(), present.T.astype(np.uint8))
    n = H.sum(axis=1)
    first = days[np.argmax(H, axis=1)]
    last = days[days.size - 1 - np.argmax(H[:, ::-1], axis=1)]
    rate = np.maximum(n - 1, 0) / (last - first + pseudo_days)
    gap = np.maximum(as_of_day - last - 1, 0).astype(float)
    left = np.clip(hazard * gap, 0.0, 0.99)
    # the visits may stop for reasons of their own while he stays (a courier's route, an errand that ended)
    lr = 1.0 / (stop_floor + (1.0 - stop_floor) * np.exp(-np.minimum(rate * gap, 50.0)))
    if elsewhere is not None:
        log_lr, seen = elsewhere
        lr = seen * np.exp(np.minimum(log_lr, 50.0)) + (1.0 - seen) * lr
    if vehicles is not None:
        lr = lr * np.exp(np.minimum(vehicles, 50.0))
    out = np.log1p(left / (1.0 - left) * lr)
    return np.where(n >= 2, out, 0.0)


def moved_on(K: FloatArray, night_key: npt.NDArray[np.int64], weight: FloatArray, located: npt.NDArray[np.bool_],
             pseudo_days: float = OVERDUE_PSEUDO_DAYS, here_threshold: float = 0.5,
             elsewhere_threshold: float = 0.1, known_since: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
    """Per candidate: (the log-likelihood ratio, he left : he stayed, of his partner's away nights at
    other places since her last night here; how often her phone shows her nights here).

    While he lived here she spent an away night here at a rate ``r`` (her
    nights here, as in :func:`overdue`) and at other places at a rate ``e``
    (friends, family: ``(nights elsewhere between her first and last night
    here + 1/2) / span``). If he stayed, her nights elsewhere since keep the
    rate ``e``; if he left, her visits to him go elsewhere too, at ``e + r``.
    Each night elsewhere since multiplies the odds that he left by
    ``(e + r) / e`` (Poisson counts; the days themselves cancel): the ratio
    is ``E x log((e + r) / e)`` for ``E`` such nights (weighted by how surely
    the phone is hers). A night is *here* as in :func:`superseded`,
    *elsewhere* when it is at another candidate place (presence ≥
    ``here_threshold`` there, < ``elsewhere_threshold`` here: a night at no
    candidate, such as a tracked friend's flat, says nothing). ``located``
    marks the columns that are located nights (the others: switched-off
    trips); the second result is ``(located nights here + 1) / (nights here
    + 2)``, the chance her phone would show her nights at a new place too.
    Fewer than two nights here: no habit to read, (0, 0). With ``known_since``
    (:func:`known_since`), a night since at a place that was already one of
    hers on her last night here (her mother's flat, a friend's) is her own
    life going on, not her visits gone to his new house: it is not counted.

    >>> import numpy as np
    >>> K = np.array([[1.0, 1.0, 1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]])  # a place, then another
    >>> lr, seen = moved_on(K, np.array([0, 3, 6, 9, 10, 12]), np.ones(6), np.ones(6, dtype=bool))
    >>> lr.round(2).tolist(), seen.round(2).tolist()  # r = 3/12, e = 0.5/12: 2 ln 7; (4 + 1) / (4 + 2)
    ([3.89, 0.0], [0.83, 0.75])
    >>> moved_on(K[:1], np.array([0, 3, 6, 9, 10, 12]), np.ones(6), np.ones(6, dtype=bool))[0].tolist()  # at no place we know
    [0.0]
    """
    m = K.shape[0]
    if K.shape[1] == 0 or m == 0:
        return np.zeros(m), np.zeros(m)
    nights, here, w = _by_night(K, night_key, np.clip(weight, 0.0, 1.0))
    here_loc = _by_night(K * located[None, :], night_key, weight)[1]
    is_here = here >= here_threshold
    n = is_here.sum(axis=1)
    idx = np.arange(nights.size)[None, :]
    first_i = np.argmax(is_here, axis=1)
    last_i = nights.size - 1 - np.argmax(is_here[:, ::-1], axis=1)
    span = nights[last_i] - nights[first_i] + pseudo_days
    # elsewhere: at another candidate place (a night at no candidate -- a tracked friend's flat, a
    # place nothing else points at -- says nothing about where he is)
    elsewhere = ((here < elsewhere_threshold) & (here.max(axis=0) >= here_threshold)[None, :]) * w[None, :]
    inside = (((idx > first_i[:, None]) & (idx < last_i[:, None])) * elsewhere).sum(axis=1)
    since = (idx > last_i[:, None]) * elsewhere
    if known_since is not None:  # a night at a place of hers already (her mother's) is her habit, not his move
        since = since * (known_since[here.argmax(axis=0)][None, :] > nights[last_i][:, None])
    after = since.sum(axis=1)
    rate = np.maximum(n - 1, 0) / span
    habit = (inside + 0.5) / span
    seen = ((here_loc >= here_threshold).sum(axis=1) + 1.0) / (n + 2.0)
    ok = n >= 2
    return np.where(ok, after * np.log1p(rate / habit), 0.0), np.where(ok, seen, 0.0)


# --- where a switched-off phone was going -------------------------------------------------------------
#
# A phone switched off on the way to a place goes silent some way short of it, and comes back on some way
# after leaving: its last fix lies a few kilometres before the place, and the fix before that says which
# way she was driving (the place is ahead); the first fix after lies a few kilometres beyond, the fix after
# that says she was driving away from it (the place is behind). blind.py reads the same rays for coverage
# holes; here they rank the places *under* coverage that a switched-off night could have been spent at.

#: A heading is read from two fixes at most this far apart in time, at least this far apart in space.
HEADING_MAX_S, HEADING_MIN_M = 2400.0, 300.0
#: How far a road bends from the straight heading (one standard deviation).
HEADING_SIGMA_RAD = float(np.radians(30.0))
#: How far short of the place a phone goes silent: switched off a few minutes before arrival, plus up to
#: one fix interval, at rural road speed. For a phone on the move at its last fix the distance to the place
#: is Rayleigh-distributed with this mode (she was still driving: the place is not where she was last
#: seen); for a phone that stood still, half-normal with this scale (switched off on arrival).
SWITCH_OFF_SIGMA_M = 8_000.0
#: The heading factor when an end has no heading (the mean of the heading factor over all directions).
HEADING_UNKNOWN = float(HEADING_SIGMA_RAD * np.sqrt(np.pi / 2.0) / np.pi)


def silence_headings(identifier: npt.NDArray[np.str_], t: npt.NDArray[np.datetime64], lat: FloatArray,
                     lon: FloatArray, acc_m: FloatArray, fine: npt.NDArray[np.bool_], ends: npt.NDArray[np.int64],
                     step: int) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Per end of a silence, the unit vector (east, north) pointing *towards the place*, and whether it is known.

    ``step`` is -1 for the last fix before a silence (read from the fix before it: she drove on, the
    place is ahead) and +1 for the first fix after it (read from the fix after it, reversed: she drove
    away, the place is behind). Only handset fixes (``fine``) give a heading; two fixes more than
    ``HEADING_MAX_S`` apart, or less than ``HEADING_MIN_M`` or twice their combined accuracy apart
    (the jitter of a phone lying still), give none.

    >>> ids = np.array(["a"] * 3); ts = np.array(["2026-07-01T20:00", "2026-07-01T20:10", "2026-07-02T07:00"], "datetime64[s]")
    >>> ux, uy, ok = silence_headings(ids, ts, np.array([20.0, 20.01, 20.02]), np.array([-103.0] * 3),
    ...                               np.full(3, 50.0), np.ones(3, bool), np.array([1]), -1)
    >>> bool(ok[0]), round(float(ux[0]), 3), round(float(uy[0]), 3)   # driving north: the place is north
    (True, 0.0, 1.0)
    """
    n = ends.size
    ux, uy, ok = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
    if n == 0:
        return ux, uy, ok
    idx = np.flatnonzero(fine)
    order = idx[np.lexsort((t[idx], identifier[idx]))]
    rank = np.full(identifier.size, -1, dtype=np.int64)
    rank[order] = np.arange(order.size)
    r = rank[ends]
    other = order[np.clip(r + step, 0, order.size - 1)]
    ok = (r >= 0) & (identifier[other] == identifier[ends]) & (other != ends)
    dt = np.abs((t[ends] - t[other]).astype("timedelta64[s]").astype(float))
    ok &= dt <= HEADING_MAX_S
    # towards the place: from the earlier fix to the last one (evening), from the next fix back to the first (morning)
    moved = haversine_m(lat[other], lon[other], lat[ends], lon[ends])
    ok &= moved >= np.maximum(HEADING_MIN_M, 2.0 * np.hypot(acc_m[ends], acc_m[other]))
    b = np.radians(bearing_deg(lat[other], lon[other], lat[ends], lon[ends]))
    return np.where(ok, np.sin(b), 0.0), np.where(ok, np.cos(b), 0.0), ok


def approach(clat: FloatArray, clon: FloatArray, elat: FloatArray, elon: FloatArray, ux: FloatArray,
             uy: FloatArray, known: npt.NDArray[np.bool_], distance: bool = True) -> FloatArray:
    """(candidate, end): how well the place fits a phone that went silent (or came back) at this end.

    A distance factor times a Gaussian in the angle between the end's heading and the bearing to the
    place (``HEADING_SIGMA_RAD``). Distance: for an end with a heading (she was driving) a Rayleigh shape
    with its mode at ``SWITCH_OFF_SIGMA_M`` (0 at the end itself: she drove on); without a heading (she
    stood still) a half-normal of that scale, and the heading factor's mean over all directions
    (``HEADING_UNKNOWN``), so it neither helps nor hurts on average. Both factors peak at 1.
    ``distance=False``: the heading factor alone, 1 for an end without a heading.

    >>> z = np.zeros(1)
    >>> from fusioncell.spacetime.geo import metres_per_degree
    >>> k = 8000 / metres_per_degree(20.0)[0]
    >>> f = approach(np.array([20.0, 20.0 + k, 20.0 - k]), np.full(3, -103.0),
    ...              np.array([20.0]), np.array([-103.0]), z, np.ones(1), np.ones(1, bool))
    >>> [round(float(x), 2) for x in f[:, 0]]   # at the last fix, 8 km ahead (north), 8 km behind
    [0.0, 1.0, 0.0]
    """
    d = haversine_m(elat[None, :], elon[None, :], clat[:, None], clon[:, None])
    b = np.radians(bearing_deg(elat[None, :], elon[None, :], clat[:, None], clon[:, None]))
    cos = np.sin(b) * ux[None, :] + np.cos(b) * uy[None, :]  # unit vectors (east, north)
    ang = np.arccos(np.clip(cos, -1.0, 1.0))
    head = np.where(known[None, :], np.exp(-0.5 * (ang / HEADING_SIGMA_RAD) ** 2), HEADING_UNKNOWN)
    if not distance:  # headings only; an end without one says nothing (the places are shared out evenly)
        return np.where(known[None, :] & (d >= HEADING_MIN_M), head, 1.0)
    u = d / SWITCH_OFF_SIGMA_M
    dist = np.where(known[None, :], u * np.exp(0.5 - 0.5 * u**2), np.exp(-0.5 * u**2))
    return dist * head


def successors(K: FloatArray, night_key: npt.NDArray[np.int64], weight: FloatArray,
               here_threshold: float = 0.5, known_since: FloatArray | None = None) -> FloatArray:
    """(candidates x candidates): her nights at place ``c`` after her last night at place ``o``, for
    each place ``o`` she came to on two nights or more (``S[o, c]``, weighted by how surely the phone is
    hers; 0 on the diagonal). If he left ``o``, these are where her visits went: where he likely went.
    ``K``, ``night_key`` and ``weight`` are as in :func:`superseded`.

    >>> import numpy as np
    >>> K = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.9]])  # a place on nights 1, 2; another on 5, 7
    >>> successors(K, np.array([1, 2, 5, 7]), np.array([1.0, 1.0, 1.0, 0.5])).tolist()
    [[0.0, 1.5], [0.0, 0.0]]
    """
    m = K.shape[0]
    if K.shape[1] == 0 or m == 0:
        return np.zeros((m, m))
    nights, here, w = _by_night(K, night_key, np.clip(weight, 0.0, 1.0))
    is_here = here >= here_threshold
    last_i = np.where(is_here.sum(axis=1) >= 2, nights.size - 1 - np.argmax(is_here[:, ::-1], axis=1), nights.size)
    after = np.arange(nights.size)[None, :] > last_i[:, None]  # (o, night)
    out: FloatArray = (after * w[None, :]) @ is_here.T.astype(float)  # (o, c)
    np.fill_diagonal(out, 0.0)
    if known_since is not None:  # a place of hers already (family, friends) is not where he went
        out *= _new_to_her(known_since, nights, last_i)
    return out


def _new_to_her(known_since: FloatArray, nights: npt.NDArray[np.int64], last_i: npt.NDArray[np.int64]) -> FloatArray:
    """(o, c): 1 when place ``c`` was not yet one of her places on her last night at ``o`` (``known_since``:
    :func:`known_since`), else 0. A move takes her to his new house; her mother's flat or a friend's, where
    she stayed before, is her own life going on."""
    last_night = np.where(last_i < nights.size, nights[np.minimum(last_i, nights.size - 1)], np.iinfo(np.int64).max)
    return (known_since[None, :] > last_night[:, None]).astype(float)


def known_since(present: npt.NDArray[np.bool_], night_key: npt.NDArray[np.int64], min_fixes: int = 2) -> FloatArray:
    """Per candidate: the first night (key) since which the place was one of hers: ``min_fixes`` of her fixes
    there on one day or night (a stay), or one on each of two days (she keeps coming back). ``present``:
    candidates x her fixes, by day or night. ``inf`` if never.

    >>> import numpy as np
    >>> present = np.array([[True, True, False, False], [False, False, True, True], [False, False, True, False]])
    >>> known_since(present, np.array([3, 3, 5, 6])).tolist()  # a stay on 3; back on 6; once is passing by
    [3.0, 6.0, inf]
    """
    m = present.shape[0]
    if present.shape[1] == 0 or m == 0:
        return np.full(m, np.inf)
    keys, inv = np.unique(night_key, return_inverse=True)
    counts = np.zeros((m, keys.size))
    np.add.at(counts.T, inv.ravel(), present.T.astype(float))
    ok = (counts >= min_fixes) | (np.cumsum(counts > 0, axis=1) >= 2)
    return np.where(ok.any(axis=1), keys[np.argmax(ok, axis=1)].astype(float), np.inf)


def expected_log1p(nights: FloatArray, share: FloatArray) -> FloatArray:
    """Expected log1p of her nights at each candidate, when which phone is hers is uncertain.

    ``nights`` is candidates x phones (each phone's weighted nights there),
    ``share`` the probability that each phone is hers. Phones are taken in
    order of share; each adds its chance times the step it would make on
    top of the expected nights of the likelier phones. So phones that are
    surely hers add up as one (``log1p`` of the sum, the old feature), and
    one phone that is hers with probability p counts ``p * log1p(nights)``,
    not ``log1p(p * nights)``: three lieutenants who may each be her phone
    at 5-10 % do not become, together, her twenty nights at their safe house.

    >>> import numpy as np
    >>> float(expected_log1p(np.array([[3.0, 4.0]]), np.array([1.0, 1.0]))[0]) == float(np.log1p(7.0))
    True
    >>> round(float(expected_log1p(np.array([[20.0]]), np.array([0.1]))[0]), 3)
    0.304
    """
    if nights.shape[1] == 0:
        return np.zeros(nights.shape[0])
    order = np.argsort(-share, kind="stable")
    n, p = nights[:, order], share[order]
    before = np.cumsum(n * p[None, :], axis=1) - n * p[None, :]
    expected: FloatArray = np.sum(p[None, :] * (np.log1p(before + n) - np.log1p(before)), axis=1)
    return expected
