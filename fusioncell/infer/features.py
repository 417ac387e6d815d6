"""Candidate places and their evidence features (vectorised numpy).

Candidates are generated from the evidence itself (``infer/candidates.py``:
where circle members spend nights away from home, where they converge by
day, where his vehicles or he were sighted, graded claim areas, known
addresses, and the serving cells his circle uses at night), then refined
here by mean-shift and de-duplicated; tracked people's homes in town are
dropped (:func:`at_tracked_home`). Each candidate gets one value per feature in ``FEATURES``; the
fitted choice model (:mod:`fusioncell.infer.choice`) turns them into
calibrated probabilities. Features are log-compressed sums so that a tenth
night at a place adds less than the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence, cast

import numpy as np
import numpy.typing as npt

from fusioncell.infer.circle import Circle
from fusioncell.infer.evidence import Claims, Positions, Sightings
from fusioncell.infer.household import (Reads, departure_citations, departures, last_days, resident_citations,
                                        residents)
from fusioncell.infer.nights import (expected_log1p, latest_night, move_weight, moved_on, newest_per_phone, overdue,
                                     known_since, since_first, successors, superseded)
from fusioncell.infer.phones import contradicted, her_night_sightings
from fusioncell.infer.silences import (MAY_BE_HERS, MIN_STAY_S, ROAD_SPEED_MPS, handset_gaps, partner_silent_nights,
                                       silent_trip_detour, switched_off_towards)
from fusioncell.infer.sources import source_track_record
from fusioncell.model.night import NIGHT
from fusioncell.spacetime.coverage import Coverage
from fusioncell.spacetime.geo import haversine_m
from fusioncell.spacetime.home import HOME_MIN_RADIUS_M, HOUSE_MIN_RADIUS_M, Home, night_homes

FloatArray = npt.NDArray[np.float64]

#: Feature names, in model order, with what each measures.
FEATURES: dict[str, str] = {
    "nights_partner": "nights his partner's handset was located here, away from her home (recent nights count more)",
    "nights_partner_coarse": "nights his partner's phone used cell sites covering this place, away from her home",
    "nights_others": "nights other circle members spent here, each member counting at most once (their own routine explains repeats)",
    "days_fine": "days circle members' handsets were located here away from home by day",
    "days_coarse": "days circle members' phones used cell sites covering this place by day",
    "convergence": "distinct circle members located here by handset fixes (group convergence)",
    "dark": "times a circle member's phone went silent right after being here",
    "silent_nights": "nights his partner's phone was silent, this place reachable in the gap and out of cell coverage",
    "silent_reach": "nights his partner's phone was switched off on the way here (under coverage): last seen a few km short, heading here",
    "sighting_him": "sightings of him here (detector or observer confidence)",
    "sighting_vehicle": "sightings of his circle here: the vehicles they use, or the people themselves (confidence)",
    "claims": "graded informant claims placing him here (log-odds from the Admiralty table)",
    "isolated_nights": "his partner's nights here when the place is isolated (nights_partner x remote)",
    "lead_margin": "how far his partner's located nights here exceed those at the next best place",
    "home_of_member": "the place is a circle member's own home (relevance-weighted)",
    "remote": "isolated place: at most two cell sites within 3 km",
    "isolated_presence": "isolated place, and his circle spends nights or is seen here (isolation adds weight to that evidence, never replaces it)",
    "staleness": "days since the latest night-time evidence here, beyond a week (log)",
    "superseded": "his partner's away nights at other places since her latest night here (log): he may have moved",
    "latest": "his partner's most recent away night was here (0-1): the freshest trace of where he is now",
    "vague": "how vague the place is: log of its radius over 300 m (a point guessed inside a wide area is rarely the spot)",
    "overdue": "his circle's visits here stopped for longer than the place's own rhythm explains (-log chance he is still here)",
    "moved_here": "where he likely went: a place's visits stopped and her nights or its vehicles went here (set by locate)",
    "household": "vehicles parked here on two days or more: a lived-in place, not a point guessed in a field (log LR)",
}
NONNEG = {n: n not in ("home_of_member", "remote", "staleness", "superseded", "vague", "overdue") for n in FEATURES}
#: Prior mean of each coefficient (the fit's L2 penalty pulls toward it, see
#: :func:`fusioncell.infer.choice.fit_choice_model`). Claims enter as log-odds
#: from the Admiralty table, so their coefficient is 1 by construction; a
#: sighting of him or of his circle's vehicle counts by its confidence; his
#: partner's nights are the tradecraft the whole method rests on. Everything
#: else starts at 0 and must earn its weight from the data; ``overdue`` and ``moved_here`` are
#: log-probabilities (-1 and +1), and ``moved_here`` is set by locate after the fit's rows are read.
PRIOR_MEAN = {n: 0.0 for n in FEATURES} | {
    "claims": 1.0, "sighting_him": 1.5, "sighting_vehicle": 0.7, "nights_partner": 1.0, "silent_nights": 0.5,
    "overdue": -1.0, "moved_here": 1.0, "household": 1.0,
}

#: How fast a place's presence evidence (nights, silent nights, sightings) opens the isolation
#: prior (``isolated_presence``): at 0.23 (about a night of hers in four weeks) half of it.
PRESENCE_GATE = 3.0
#: The features that say someone of his circle (or he) spent the night at the place, or was seen
#: there. Day visits are left out: a phone switched off at a junction on the way, a supply run or a
#: meeting place draw day fixes for reasons of their own; he is where the nights are.
PRESENCE = ("nights_partner", "nights_partner_coarse", "nights_others", "silent_nights",
            "sighting_him", "sighting_vehicle")

TAU_DAYS = float(__import__("os").environ.get("FC_TAU", "10.0"))  # recency: evidence loses half its weight in ~7 days
FIX_SIGMA_FLOOR_M = 150.0
NMS_RADIUS_M = 350.0
DEDUPE_RADIUS_M = 250.0
MEANSHIFT_BANDWIDTH_M = 300.0
STALE_AFTER_DAYS = 6.0
DARK_SIGMA_M = 1500.0
AWAY_ACCURACY_FACTOR = 1.5  # a fix is away from home beyond home radius + 1.5 x its accuracy
MAX_CANDIDATES = 60


@dataclass
class Candidate:
    lat: float
    lon: float
    origin: str
    radius_m: float = 300.0


@dataclass
class CandidateSet:
    lat: FloatArray
    lon: FloatArray
    radius_m: FloatArray
    origin: list[str]
    features: FloatArray  # (m, len(FEATURES))
    # provenance per candidate: kind -> list of (weight share, identifier, event_ids, source_ids)
    support: list[dict[str, list[tuple[float, str, list[str], list[str]]]]] = field(default_factory=list)
    #: her nights here (located, or silent trips the place explains): when he is likely here
    windows: list[list[tuple[np.datetime64, np.datetime64]]] = field(default_factory=list)
    last_seen: FloatArray = field(default_factory=lambda: np.zeros(0))
    successors: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))  # nights.successors
    moved_from: dict[int, tuple[int, float]] = field(default_factory=dict)  # set by locate.moved_here
    #: read by the holds, not model features: her away nights here / elsewhere since her first here / before
    #: (nights.since_first), and her phone's nights here while she was seen elsewhere (phones.contradicted)
    since_first: tuple[FloatArray, ...] = field(default_factory=lambda: (np.zeros(0),) * 4)
    left_behind: FloatArray = field(default_factory=lambda: np.zeros(0))
    #: every circle member's nights here (``windows`` and the lieutenants'): dates a place she never slept at
    circle_windows: list[list[tuple[np.datetime64, np.datetime64]]] = field(default_factory=list)
    unseen: float = 0.0  # her silent trips no candidate explains (recency-weighted; locate.unseen_utility)
    #: her silent trips heading here since her latest night here, and days from the latest to the end (NaN)
    #: (``_maybe_visits``): they keep the place's rhythm; the evidence chain names them
    headed_trips: FloatArray = field(default_factory=lambda: np.zeros(0))
    headed_days: FloatArray = field(default_factory=lambda: np.zeros(0))


def _kernel(d: FloatArray, sigma: FloatArray | float) -> FloatArray:
    return np.exp(-0.5 * (d / sigma) ** 2)


def _homes(pos: Positions, min_radius_m: float = HOME_MIN_RADIUS_M) -> dict[str, Home]:
    """Each member's home: the one definition, :func:`fusioncell.spacetime.home.night_homes`, her days counted.

    ``min_radius_m``: :data:`~fusioncell.spacetime.home.HOME_MIN_RADIUS_M` to ask whether she is at home,
    :data:`~fusioncell.spacetime.home.HOUSE_MIN_RADIUS_M` to ask whether a place is her house."""
    local_h = ((pos.t.astype("datetime64[s]").astype(np.int64) + pos.tz_offset_s) // 3600) % 24
    return night_homes(pos.identifier, pos.lat, pos.lon, pos.acc_m, pos.fine, pos.night, pos.night_key,
                       day=NIGHT.is_day(local_h), min_radius_m=min_radius_m)


#: Each non-partner member's nights at one place count at most this much
#: (a lieutenant who sleeps at a safe house every week has one reason, not ten).
OTHERS_CAP = 1.0


@dataclass(frozen=True)
class EvidenceContext:
    """Everything the features are computed from (model-free)."""

    pos: Positions
    relevance: dict[str, float]
    partner_share: dict[str, float]  # per identifier: probability it is his partner's (role weight)
    claims: Claims
    sights: Sightings
    homes: Mapping[str, tuple[float, float, float]]
    as_of: np.datetime64
    tower_lat: FloatArray
    tower_lon: FloatArray
    exclude_homes: Sequence[tuple[float, float, float]] = field(default_factory=list)
    coverage: Coverage | None = None
    tz_offset_s: npt.NDArray[np.int64] | None = None  # per position: local offset, for the small hours
    reads: Reads | None = None  # plate reads of every subject but him, for his household's vehicles
    #: the same homes as houses (radius the fixes' median accuracy, :data:`HOUSE_MIN_RADIUS_M`): is a place one's
    #: house (``home_of_member``); ``homes`` (600 m and more) says whether a fix is at home. Empty: ``homes``.
    houses: Mapping[str, tuple[float, float, float]] = field(default_factory=dict)


def _group_max(k: FloatArray, starts: npt.NDArray[np.int64]) -> FloatArray:
    if k.shape[1] == 0:
        return np.zeros((k.shape[0], 0))
    return np.maximum.reduceat(k, starts, axis=1)


def night_presence(k: FloatArray, starts: npt.NDArray[np.int64], sigma: FloatArray) -> FloatArray:
    """Presence per member-night: the precision-weighted mean of its fixes' presence (weights 1/sigma²).

    Through the small hours a handset stays at one place, so a night's fixes
    are repeated measurements of *one* position: twenty fixes at 50-100 m
    around a compound outweigh one at 800 m that strays a kilometre away. The
    maximum over the night's fixes (as for day visits, where she really is at
    several places) would give that stray fix a whole night of its own, and a
    phantom place beside the compound an equal share of every answer.

    >>> import numpy as np
    >>> k = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # place 0: two fixes at 60 m; place 1: one at 800 m
    >>> night_presence(k, np.array([0]), np.array([60.0, 60.0, 800.0])).round(3).tolist()
    [[0.997], [0.003]]
    """
    if k.shape[1] == 0:
        return np.zeros((k.shape[0], 0))
    prec = 1.0 / np.maximum(sigma, 1.0) ** 2
    return np.add.reduceat(k * prec[None, :], starts, axis=1) / np.add.reduceat(prec, starts)[None, :]


def _member_nights(idx: npt.NDArray[np.int64], idents: npt.NDArray[np.str_],
                   night_key: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                                               npt.NDArray[np.int64]]:
    """``idx`` sorted by (member, night), the group starts, and each group's member code."""
    if idx.size == 0:
        return idx, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    member = np.unique(idents[idx], return_inverse=True)[1].ravel()
    gkey = np.stack([member, night_key[idx]])
    order = np.lexsort((gkey[1], gkey[0]))
    idx, gkey = idx[order], gkey[:, order]
    starts = np.flatnonzero(np.r_[True, np.any(np.diff(gkey, axis=1) != 0, axis=0)])
    return idx, starts, gkey[0][starts]


def _per_pos(ctx: EvidenceContext, d: dict[str, float], default: float = 0.0) -> FloatArray:
    return ctx.pos.per_ident(d, default)


def home_arrays(pos: Positions, homes: Mapping[str, tuple[float, float, float]]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per row of ``pos``: its identifier's home latitude, longitude and radius (NaN, NaN, 0 when none)."""
    h = pos.per_ident(homes, (np.nan, np.nan, 0.0)).reshape(-1, 3)
    return h[:, 0], h[:, 1], h[:, 2]


def _home_arrays(ctx: EvidenceContext) -> tuple[FloatArray, FloatArray, FloatArray]:
    return home_arrays(ctx.pos, ctx.homes)


def _away_mask(ctx: EvidenceContext) -> npt.NDArray[np.bool_]:
    """Positions that are clearly not at the member's own home."""
    pos = ctx.pos
    hl, hn, hr = _home_arrays(ctx)
    return np.isnan(hl) | (haversine_m(pos.lat, pos.lon, np.nan_to_num(hl), np.nan_to_num(hn))
                           > hr + AWAY_ACCURACY_FACTOR * pos.acc_m)


def _refine(clat: FloatArray, clon: FloatArray, radius: FloatArray, ctx: EvidenceContext,
            kind: npt.NDArray[np.int8] | None = None) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Mean-shift each candidate onto the mode of nearby away-from-home handset fixes.

    Weights: relevance / accuracy², nights twice. Many fixes of 100 m–1 km
    accuracy locate a compound well. A candidate seeded by nights (``kind`` 1)
    moves on night fixes only, one seeded by day visits (``kind`` 2) on day
    fixes only, when it has three of them within 600 m: in a town, a house
    where she sleeps and the market 500 m away where her circle spends its
    days are two places, and mean-shift on both kinds at once would pull each
    onto a mode between them (neither place). Other candidates use every fix.
    """
    pos = ctx.pos
    if not len(pos):
        return clat, clon, radius
    rel_all = _per_pos(ctx, ctx.relevance)
    sel = pos.fine & _away_mask(ctx) & (rel_all > 0)
    if not sel.any():
        return clat, clon, radius
    flat, flon = pos.lat[sel], pos.lon[sel]
    w1 = rel_all[sel] * np.where(pos.night[sel], 2.0, 1.0) / np.maximum(pos.acc_m[sel], 50.0) ** 2
    close = haversine_m(clat[:, None], clon[:, None], flat[None, :], flon[None, :]) < 600.0
    near0 = np.count_nonzero(close, axis=1) >= 3
    # a seed of nights (of days) with three such fixes of its own moves on those; others on every fix
    kind = np.zeros(clat.size, dtype=np.int8) if kind is None else kind
    own = np.where(kind[:, None] == 1, pos.night[sel][None, :], ~pos.night[sel][None, :])  # (candidates, fixes)
    own &= ((kind > 0) & (np.count_nonzero(close & own, axis=1) >= 3))[:, None]
    w0 = np.where(own | ~own.any(axis=1, keepdims=True), w1[None, :], 0.0)
    # each fix supports the positions its own error allows: a fix of 1 km accuracy is no 300 m bump (forty
    # such fixes round a ranch made two modes 620 m apart, each 380 m from it: clean-room b easy-10)
    bw = np.maximum(MEANSHIFT_BANDWIDTH_M, pos.acc_m[sel])[None, :]
    for _ in range(8):
        d = haversine_m(clat[:, None], clon[:, None], flat[None, :], flon[None, :])
        k = _kernel(d, bw) * w0
        ks = k.sum(axis=1)
        ok = near0 & (ks > 0)
        nlat = np.where(ok, (k * flat[None, :]).sum(axis=1) / np.where(ks > 0, ks, 1), clat)
        nlon = np.where(ok, (k * flon[None, :]).sum(axis=1) / np.where(ks > 0, ks, 1), clon)
        moved = float(np.max(haversine_m(clat, clon, nlat, nlon)))
        clat, clon = nlat, nlon
        if moved < 5.0:
            break
    d = haversine_m(clat[:, None], clon[:, None], flat[None, :], flon[None, :])
    k = _kernel(d, MEANSHIFT_BANDWIDTH_M) * w0  # the place's radius: the spread of the fixes at it, as before
    spread = np.sqrt((k * d**2).sum(axis=1) / np.maximum(k.sum(axis=1), 1e-12))
    return clat, clon, np.where(near0, np.clip(spread, 75.0, 400.0), radius)


def _keep_mask(clat: FloatArray, clon: FloatArray, ctx: EvidenceContext) -> npt.NDArray[np.bool_]:
    """Drop refined candidates that collapsed onto a stronger one, and tracked people's homes in town."""
    m = clat.size
    keep = np.ones(m, dtype=bool)
    for i in range(1, m):  # m ≤ MAX_CANDIDATES
        d = haversine_m(clat[i], clon[i], clat[:i][keep[:i]], clon[:i][keep[:i]])
        if d.size and float(d.min()) < DEDUPE_RADIUS_M:
            keep[i] = False
    # he is not hiding in the flat of a person under surveillance; a remote house one lives in may be his
    return keep & ~(at_tracked_home(clat, clon, ctx) & ~remote_sites(clat, clon, ctx))


def remote_sites(clat: FloatArray, clon: FloatArray, ctx: EvidenceContext) -> npt.NDArray[np.bool_]:
    """Isolated places: at most two cell sites within 3 km (the ``remote`` feature); none without sites."""
    if not ctx.tower_lat.shape[0]:
        return np.zeros(clat.size, dtype=bool)
    Dt = haversine_m(clat[:, None], clon[:, None], ctx.tower_lat[None, :], ctx.tower_lon[None, :])
    return np.asarray(np.count_nonzero(Dt < 3000.0, axis=1) <= 2)


def at_tracked_home(clat: FloatArray, clon: FloatArray, ctx: EvidenceContext) -> npt.NDArray[np.bool_]:
    """Candidates within the home of a person the investigation tracks (``ctx.exclude_homes``).

    He does not hide in the flat of someone under surveillance: in town such a home is dropped (her nights
    at her tracked sister's are a sleep-over). But a tracked phone may live at his remote house (a guard, a
    housekeeper, a phone left there): a remote one stays a candidate, held by ``judgment.CAP_TRACKED_HOME``.
    (Until session 19 every such home was dropped, and a tracked guard's phone hid the compound from every
    answer; keeping the town ones too lost 10 first answers of 640 to the seed lead's flat.)
    """
    out = np.zeros(clat.size, dtype=bool)
    for hl, hn, hr in ctx.exclude_homes:
        out |= haversine_m(clat, clon, hl, hn) < hr
    return out


@dataclass
class _Acc:
    """Feature matrix and provenance being filled for one candidate set."""

    F: FloatArray
    support: list[dict[str, list[tuple[float, str, list[str], list[str]]]]]
    windows: list[list[tuple[np.datetime64, np.datetime64]]]  # hers
    last_seen: FloatArray
    col: dict[str, int]
    circle_windows: list[list[tuple[np.datetime64, np.datetime64]]] = field(default_factory=list)  # anyone's
    unseen: float = 0.0  # her recent silent trips no candidate explains (CandidateSet.unseen)
    #: per candidate, the first night it was one of her places (nights.known_since); None before presence is read
    known_since: FloatArray | None = None
    #: per candidate: her silent trips heading here since her latest night here, and days from the latest (NaN)
    headed: tuple[FloatArray, FloatArray] | None = None

    def put(self, name: str, values: FloatArray) -> None:
        self.F[:, self.col[name]] = values

    def cite(self, ci: int, name: str, item: tuple[float, str, list[str], list[str]]) -> None:
        self.support[ci].setdefault(name, []).append(item)


def _at_home(clat: FloatArray, clon: FloatArray, ctx: EvidenceContext) -> npt.NDArray[np.bool_]:
    """(candidate, position): the candidate is that member's home, or the fix may well be at home."""
    pos = ctx.pos
    hlat, hlon, hrad = _home_arrays(ctx)
    c_home = haversine_m(clat[:, None], clon[:, None], np.nan_to_num(hlat)[None, :], np.nan_to_num(hlon)[None, :])
    at_home = (~np.isnan(hlat))[None, :] & (c_home < hrad[None, :])
    d_own = haversine_m(pos.lat, pos.lon, np.nan_to_num(hlat), np.nan_to_num(hlon))
    pos_at_home = ~np.isnan(hlat) & (d_own <= hrad + AWAY_ACCURACY_FACTOR * pos.acc_m)
    return at_home | pos_at_home[None, :]


def _presence_features(acc: _Acc, clat: FloatArray, clon: FloatArray, ctx: EvidenceContext,
                       at_home: npt.NDArray[np.bool_]
                       ) -> tuple[tuple[FloatArray, npt.NDArray[np.int64], FloatArray],
                                  tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]]:
    """Nights and days of circle members near each candidate, split into partner and others.

    Returns her located away nights (candidate x night presence, night keys, how surely hers) for
    ``superseded``, and the circle's fixes at each candidate with their local days for ``overdue``."""
    pos = ctx.pos
    m = clat.size
    age_days = (ctx.as_of - pos.t).astype("timedelta64[s]").astype(float) / 86400.0
    decay = np.exp(-np.maximum(age_days, 0.0) / TAU_DAYS)
    rel = _per_pos(ctx, ctx.relevance)
    pw = np.clip(_per_pos(ctx, ctx.partner_share), 0.0, 1.0)
    sigma = np.where(pos.fine, np.sqrt(pos.acc_m**2 + FIX_SIGMA_FLOOR_M**2), pos.acc_m)
    K = _kernel(haversine_m(clat[:, None], clon[:, None], pos.lat[None, :], pos.lon[None, :]), sigma[None, :])
    # the first night each place was one of hers (two of her fixes there, by day or night; near her home too):
    # a move does not take her to her mother's flat
    mine = pos.fine & (pw > MAY_BE_HERS) & (rel > 0)
    acc.known_since = known_since(K[:, mine] >= 0.5, pos.night_key[mine])
    K = np.where(at_home, 0.0, K)
    idents = pos.identifier.astype(str)
    others_total = np.zeros(m)
    for fine, night, fname in ((True, True, "nights_partner"), (False, True, "nights_partner_coarse"),
                               (True, False, "days_fine"), (False, False, "days_coarse")):
        sel = (pos.fine == fine) & (pos.night == night) & (rel > 0)
        if not sel.any():
            continue
        idx, starts, gm = _member_nights(np.flatnonzero(sel), idents, pos.night_key)
        # presence per member-night (one place through the small hours) or member-day (several places)
        Kg = night_presence(K[:, idx], starts, sigma[idx]) if night else _group_max(K[:, idx], starts)
        base = (rel[idx][starts] * np.maximum.reduceat(decay[idx], starts))[None, :]
        gpw = pw[idx][starts]
        share = gpw if night else np.ones_like(gpw)
        contrib = Kg * base * share[None, :]
        if not night:
            acc.put(fname, np.log1p(contrib.sum(axis=1)))
        else:
            # hers: which phone is hers is uncertain, so the feature is its expectation over that
            hers = np.zeros((m, int(gm.max()) + 1))
            np.add.at(hers.T, gm, (Kg * base).T)
            mshare = np.zeros(hers.shape[1])
            mshare[gm] = gpw
            acc.put(fname, expected_log1p(hers, mshare))
            # others' nights: summed per member, each member capped (routine explains repeats)
            oc = Kg * base * (1.0 - gpw)[None, :] * (1.0 if fine else 0.5)
            per_member = np.zeros((m, int(gm.max()) + 1))
            np.add.at(per_member.T, gm, oc.T)
            others_total += np.minimum(per_member, OTHERS_CAP).sum(axis=1)
        _cite_presence(acc, fname, contrib, Kg, K, idx, starts, idents, ctx, night, fine, hers=gpw > MAY_BE_HERS)
        if night:
            _cite_presence(acc, "nights_others", Kg * base * (1.0 - gpw)[None, :], Kg, K, idx, starts, idents, ctx,
                           night, fine, windows=False)
    acc.put("nights_others", np.log1p(others_total))
    # her away nights elsewhere since her latest night here (a late move)
    ps = pos.fine & pos.night & (pw > MAY_BE_HERS) & (rel > 0) & _away_mask(ctx)
    # each of her (candidate) phones' nights read as one position, as above
    pidx, pst, phone = _member_nights(np.flatnonzero(ps), idents, pos.night_key)
    Kn = night_presence(K[:, pidx], pst, sigma[pidx])
    nk, nw = pos.night_key[pidx][pst], pw[pidx][pst]
    nights = (Kn, nk, nw)
    latest = latest_night(Kn, nk, nw, phone)
    acc.put("latest", latest)
    _cite_latest(acc, latest, K, np.flatnonzero(ps), pos)
    # convergence: distinct members located here by handset fixes (in town everyone shares cells)
    pres = (K > 0.5) & (pos.fine & (rel > 0))[None, :]
    inv = np.unique(idents, return_inverse=True)[1].ravel()
    n_id = int(inv.max()) + 1 if inv.size else 0
    members_here = np.zeros(m)
    for ci in range(m):  # candidates, not records
        members_here[ci] = np.count_nonzero(np.bincount(inv[pres[ci]], minlength=n_id))
    acc.put("convergence", np.log1p(np.maximum(members_here - 1, 0)))
    # a visit's day: its evening and the small hours after it are one visit (the day starts at 08:00)
    return nights, (pres, np.floor(_local_days(pos.t, pos.tz_offset_s) - 1.0 / 3.0).astype(np.int64))


def _local_days(t: npt.NDArray[np.datetime64], tz_offset_s: Any) -> FloatArray:
    """Local days since the epoch (fractional) of UTC instants."""
    days: FloatArray = (t.astype("datetime64[s]").astype(np.int64) + tz_offset_s) / 86400.0
    return days


def _cite_latest(acc: _Acc, latest: FloatArray, K: FloatArray, ps: npt.NDArray[np.int64], pos: Positions) -> None:
    """Name the phone and the fixes of her latest away night at the candidates it supports: each phone's
    latest night at a known place, as :func:`fusioncell.infer.nights.latest_night` reads them."""
    if ps.size == 0:
        return
    phone = np.unique(pos.identifier[ps], return_inverse=True)[1].ravel()
    key = pos.night_key[ps]
    known = K[:, ps].max(axis=0) >= 0.5 if K.shape[0] else np.zeros(ps.size, dtype=bool)
    if not known.any():
        return
    last = ps[newest_per_phone(key, phone, known)]
    for ci in np.flatnonzero(latest > 0.05):  # candidates, not records
        ev = last[K[ci, last] > 0.3]
        if ev.size:
            acc.cite(int(ci), "latest", (1.0, str(pos.identifier[ev[0]]), [str(e) for e in pos.event_id[ev][:5]],
                                         sorted({str(s) for s in pos.source_id[ev]})))


def _cite_presence(acc: _Acc, fname: str, contrib: FloatArray, Kg: FloatArray, K: FloatArray,
                   idx: npt.NDArray[np.int64], starts: npt.NDArray[np.int64], idents: npt.NDArray[np.str_],
                   ctx: EvidenceContext, night: bool, fine: bool, windows: bool = True,
                   hers: npt.NDArray[np.bool_] | None = None) -> None:
    pos = ctx.pos
    gid = idents[idx][starts]
    ends = np.r_[starts[1:], len(idx)]
    present = Kg > (0.5 if fine else 0.6)
    for ci in np.flatnonzero(contrib.sum(axis=1) > 0.05):
        share = contrib[ci]
        for g in np.argsort(-share)[:6]:
            if share[g] <= 0.01:
                break
            ev = idx[starts[g]:ends[g]][K[ci, idx[starts[g]:ends[g]]] > 0.3]
            acc.cite(int(ci), fname, (float(share[g]), str(gid[g]), [str(e) for e in pos.event_id[ev][:5]],
                                      sorted({str(s) for s in pos.source_id[ev]})))
        if night and windows:
            for g in np.flatnonzero(present[ci]):
                ev = idx[starts[g]:ends[g]][K[ci, idx[starts[g]:ends[g]]] > 0.3]
                if ev.size:
                    acc.circle_windows[ci].append((pos.t[ev].min(), pos.t[ev].max()))
                    if hers is not None and hers[g]:  # a lieutenant's night here is not a time *he* is here
                        acc.windows[ci].append(acc.circle_windows[ci][-1])
                    ls = float((ctx.as_of - pos.t[ev].max()).astype("timedelta64[s]").astype(float) / 86400.0)
                    acc.last_seen[ci] = ls if np.isnan(acc.last_seen[ci]) else min(acc.last_seen[ci], ls)


def _dark_feature(acc: _Acc, clat: FloatArray, clon: FloatArray, ctx: EvidenceContext,
                  at_home: npt.NDArray[np.bool_]) -> None:
    """A long silence right after being here (phones are switched off some way before arriving)."""
    pos = ctx.pos
    before, after, ids, gap = handset_gaps(ctx.pos)
    m = clat.size
    dark_score = np.zeros(m)
    for ident in np.unique(ids):
        sel = ids == ident
        if sel.sum() < 10:
            continue
        g = gap[sel]
        long = (g > max(3 * 3600.0, 10 * float(np.median(g))))
        if not long.any():
            continue
        ends = np.concatenate([before[sel][long], after[sel][long]])
        dd = haversine_m(clat[:, None], clon[:, None], pos.lat[ends][None, :], pos.lon[ends][None, :])
        kk = 0.5 * _kernel(dd, np.maximum(pos.acc_m[ends], DARK_SIGMA_M)[None, :])
        kk = np.where(at_home[:, ends], 0.0, kk)  # a silence at home is sleep with the phone off
        r = ctx.relevance.get(str(ident), 0.0)
        dark_score += kk.sum(axis=1) * r
        for ci in np.flatnonzero(kk.max(axis=1) > 0.5):
            ev = ends[kk[ci] > 0.5]
            acc.cite(int(ci), "dark", (float(kk[ci].sum() * r), str(ident), [str(e) for e in pos.event_id[ev][:5]],
                                       sorted({str(s) for s in pos.source_id[ev]})))
    acc.put("dark", np.log1p(dark_score))


def _silent_nights(acc: _Acc, clat: FloatArray, clon: FloatArray, ctx: EvidenceContext
                   ) -> tuple[FloatArray, npt.NDArray[np.int64], FloatArray, npt.NDArray[np.bool_], FloatArray]:
    """Partner's silent nights, and the places that explain them.

    A tracked handset reports every few minutes; a gap that spans the small
    hours is a night we could not see. If a candidate lies outside cell
    coverage and the partner could have driven there and back in the gap
    (her space-time prism: last fix → place → next fix at road speed, with
    time left to stay), the silence is what "she spent the night there"
    predicts (``silent_nights``). A reachable place under coverage explains
    it only if she switched her phone off on purpose (``silent_reach``, a
    separate feature the model weighs on its own). Each silent night's
    weight is shared among the blind candidates reachable in it, so a
    silence explained by several places favours none. (Counting it in full
    for each was tried: the fit then gave silences no weight at all, since
    every blind place in reach got the same value.) A switched-off night is
    read from its ends instead (:func:`~fusioncell.infer.silences.switched_off_towards`): she went
    silent a few km short of the place, heading for it, and came back on a
    few km beyond it, heading away; a place behind her or 40 km off gets
    next to nothing, so the night is not shared out evenly.

    Also returned, per trip (a heading at an end): whether it *headed* for each place at any distance
    (:data:`HEADED_FOR`, both ends; reachable in the gap), and the days from its end to the end of the data:
    a trip that may have been a visit, for the rhythm of a place's visits (``overdue``, ``staleness``).
    """
    pos = ctx.pos
    m = clat.size
    none = (np.zeros((m, 0)), np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros((m, 0), dtype=bool), np.zeros(0))
    if m == 0:
        return none
    sel, ids, pw, before, after, gap = partner_silent_nights(ctx)
    if not sel.any():
        return none
    detour, away_end = silent_trip_detour(clat, clon, pos, _away_mask(ctx), sel, ids, before, after, gap)
    if ctx.coverage is not None and ctx.coverage.known:
        blind = ctx.coverage.p_blind(clat, clon)  # soft: the coverage edge is an estimate
    else:
        blind = np.zeros(m)  # nothing known about coverage: no place explains silence by itself
    b, a, g, w = before[sel], after[sel], gap[sel].astype(float), pw[sel]
    d0 = haversine_m(clat[:, None], clon[:, None], pos.lat[b][None, :], pos.lon[b][None, :])
    d1 = haversine_m(clat[:, None], clon[:, None], pos.lat[a][None, :], pos.lon[a][None, :])
    reach = (d0 + d1) / ROAD_SPEED_MPS + MIN_STAY_S <= g[None, :]
    # a silence at her own home is sleep with the phone off, not a trip
    hl, hn, hr = _home_arrays(ctx)
    away = ~(np.nan_to_num(haversine_m(clat[:, None], clon[:, None], np.nan_to_num(hl[b])[None, :],
                                       np.nan_to_num(hn[b])[None, :])) < hr[b][None, :])
    reach &= away
    age = (ctx.as_of - pos.t[b]).astype("timedelta64[s]").astype(float) / 86400.0
    decay = w * np.exp(-np.maximum(age, 0.0) / TAU_DAYS)
    presence = np.zeros((m, b.size))
    # the headings at the ends alone (how a hole is entered; and which way a trip went, whatever its distance)
    heading = switched_off_towards(clat, clon, pos, b, a, distance=False, detour=detour, away_end=away_end)[0]
    for fname, share in (("silent_nights", blind), ("silent_reach", 1.0 - blind)):
        mask = reach * share[:, None]
        if fname == "silent_nights":  # into a hole: the rays from the ends point at it; shared among the holes
            mask = mask * heading
            score = (mask * (decay / np.maximum(mask.sum(axis=0), 1.0))[None, :]).sum(axis=1)
            _silent_windows(acc, mask, pos, b, a, ctx, recent_at=HOLE_RECENT_AT)
        else:  # switched off on the way: the ends of the silence point at the place
            fit, moving = switched_off_towards(clat, clon, pos, b, a, detour=detour, away_end=away_end)
            mask = mask * fit
            score = (mask * decay[None, :]).sum(axis=1)
            _silent_windows(acc, np.where(mask >= SWITCHED_OFF_WINDOW, 1.0, 0.0), pos, b, a, ctx)
        presence += mask
        acc.put(fname, np.log1p(score))
        for ci in np.flatnonzero(score > 0.05):
            # the nights that explain it most (a place half out of coverage still names its phone)
            on = mask[ci] > (0.5 if (mask[ci] > 0.5).any() else 0.0)
            ev = np.concatenate([b[on], a[on]])
            acc.cite(int(ci), fname, (float(score[ci]), ", ".join(sorted({str(i) for i in ids[sel][on]})),
                                      [str(e) for e in pos.event_id[ev][:6]], sorted({str(s) for s in pos.source_id[ev]})))
    # her trips on silent nights, for ``superseded``: where each night fits (0-1); nights she stood still
    # at both ends (asleep at home with the phone off) say nothing about where she slept
    trips = moving
    acc.unseen = float(((1.0 - np.clip(presence[:, trips], 0.0, 1.0).max(axis=0)) * decay[trips]).sum())
    headed = reach & (heading >= HEADED_FOR)  # the trips' columns: a heading at an end, so no detour read
    days = (ctx.as_of - pos.t[a]).astype("timedelta64[s]").astype(float) / 86400.0
    return (np.clip(presence[:, trips], 0.0, 1.0), pos.night_key[b][trips], w[trips], headed[:, trips],
            np.maximum(days[trips], 0.0))


#: A silent trip whose ends both head for a place this well (the heading factor: within ~35 degrees) may have
#: been a visit there, however far short of it her phone went dark: phones are switched off at varying
#: distances (clean-room b: 17-43 km out, headings true to 0-20 degrees; our simulator 3-13 km).
HEADED_FOR = 0.5


def _maybe_visits(acc: _Acc, present: npt.NDArray[np.bool_], n_fixed: int, headed: npt.NDArray[np.bool_],
                  days: FloatArray) -> npt.NDArray[np.bool_]:
    """A place his circle visited (``present``: its visits, the first ``n_fixed`` columns fixes, the rest her
    silent trips) whose visits seem to stop while her silent trips keep heading for it has not shown they
    stopped: she may have switched off farther out than ``silent_reach`` reads (:data:`HEADED_FOR`). Those trips
    count as visits for the place's rhythm (``overdue``) and recency (``staleness``); a place never visited gains
    nothing (no window, no score: a trip's heading says which way, not where)."""
    if headed.shape[1] == 0:
        return present
    visited: npt.NDArray[np.bool_] = np.asarray(present.any(axis=1), dtype=bool)
    maybe = headed & visited[:, None]
    n, latest = np.zeros(present.shape[0]), np.full(present.shape[0], np.nan)
    for ci in np.flatnonzero(maybe.any(axis=1) & ~np.isnan(acc.last_seen)):  # dated by a night here before
        since = maybe[ci] & (days < acc.last_seen[ci])  # after her latest night here: what the evidence chain says
        n[ci], latest[ci] = float(since.sum()), float(days[since].min()) if since.any() else np.nan
        acc.last_seen[ci] = min(acc.last_seen[ci], float(days[maybe[ci]].min()))
    acc.headed = (n, latest)
    out: npt.NDArray[np.bool_] = present.copy()
    out[:, n_fixed:] |= maybe
    return out


#: A switched-off night whose ends point at a place this well counts as a night there (window, recency).
SWITCHED_OFF_WINDOW = 0.5


def _silent_windows(acc: _Acc, mask: FloatArray, pos: Positions, b: npt.NDArray[np.int64],
                    a: npt.NDArray[np.int64], ctx: EvidenceContext, recent_at: float = 0.5) -> None:
    """A silent night a place explains (out of coverage, reachable) is a night she was probably there:
    above 0.5 it gives a window, like a located night; above ``recent_at`` it counts for recency
    (``staleness``): a place her silences may explain is not "never visited"."""
    for ci in np.flatnonzero((mask > min(0.5, recent_at)).any(axis=1)):
        for j in np.flatnonzero(mask[ci] > 0.5):  # her nights, so his circle's too
            acc.windows[ci].append((pos.t[b[j]], pos.t[a[j]]))
            acc.circle_windows[ci].append(acc.windows[ci][-1])
        k = np.flatnonzero(mask[ci] > recent_at)
        if not k.size:
            continue
        ls = float((ctx.as_of - pos.t[a[k]].max()).astype("timedelta64[s]").astype(float) / 86400.0)
        acc.last_seen[ci] = ls if np.isnan(acc.last_seen[ci]) else min(acc.last_seen[ci], ls)


#: A silence into a coverage hole dates a place that explains it this well (reachable x out of coverage x
#: her heading at the ends): roads bend between the coverage edge and the place, so the rays only roughly
#: point at it. Session 28: at 0.5 the compound of clean-room hole cases read "no night-time evidence here in
#: the whole period" while eight of her silent nights led there.
HOLE_RECENT_AT = 0.2


#: A sighting counts at a place through a Gaussian of this spread (metres): the observer's or the image's
#: position of what was seen, not a handset's accuracy.
SIGHTING_SIGMA_M = 200.0


def sighting_kernel(clat: FloatArray, clon: FloatArray, sights: Sightings, mask: npt.NDArray[np.bool_]) -> FloatArray:
    """(candidate, sighting): how far each sighting (of ``mask``) is *at* the place, times its confidence."""
    Ds = haversine_m(clat[:, None], clon[:, None], sights.lat[None, mask], sights.lon[None, mask])
    return _kernel(Ds, SIGHTING_SIGMA_M) * sights.confidence[mask][None, :]


def _sighting_features(acc: _Acc, clat: FloatArray, clon: FloatArray, sights: Sightings, as_of: np.datetime64) -> None:
    """Sightings of him weigh by recency as her nights do (``TAU_DAYS``): a sighting says where he *was*."""
    if not sights.lat.shape[0]:
        return
    Ds = haversine_m(clat[:, None], clon[:, None], sights.lat[None, :], sights.lon[None, :])
    age = (as_of - sights.t.astype("datetime64[s]")).astype("timedelta64[s]").astype(float) / 86400.0
    recent = np.where(sights.of_target, np.exp(-np.maximum(age, 0.0) / TAU_DAYS), 1.0)
    for fname, mask in (("sighting_him", sights.of_target), ("sighting_vehicle", ~sights.of_target)):
        Ks = _kernel(Ds, SIGHTING_SIGMA_M) * (sights.confidence * recent * mask)[None, :]
        acc.put(fname, np.log1p(Ks.sum(axis=1)))
        for ci in np.flatnonzero(Ks.sum(axis=1) > 0.05):
            ev = np.flatnonzero(Ks[ci] > 0.05)
            acc.cite(int(ci), fname, (float(Ks[ci].sum()), ", ".join(sorted({str(s) for s in sights.subject[ev]})),
                                      [str(e) for e in sights.event_id[ev][:8]], sorted({str(s) for s in sights.source_id[ev]})))


def _claim_features(acc: _Acc, clat: FloatArray, clon: FloatArray, claims: Claims) -> None:
    if not claims.lat.shape[0]:
        return
    record = source_track_record(clat, clon, acc.F, acc.col, claims)
    mult = np.array([record.get(str(sid), (0, 0, 1.0))[2] for sid in claims.source_id], dtype=float)
    w = np.where(claims.weight > 0, claims.weight * mult, claims.weight)
    Kc = _kernel(haversine_m(clat[:, None], clon[:, None], claims.lat[None, :], claims.lon[None, :]),
                 claims.radius_m[None, :]) * w[None, :]
    acc.put("claims", Kc.sum(axis=1))
    for ci, j in zip(*np.nonzero(np.abs(Kc) > 0.05)):
        c, x, mu = record.get(str(claims.source_id[j]), (0, 0, 1.0))
        note = f"; its source contradicted by hard data {x}× in this case, weight ×{mu:.2f}" if x else ""
        acc.cite(int(ci), "claims", (float(Kc[ci, j]), f"report {claims.report_id[j]} ({claims.grade[j]}){note}",
                                     [str(claims.report_id[j])], [str(claims.source_id[j])]))


def isolated_presence(F: FloatArray) -> FloatArray:
    """``remote`` opened by the place's presence evidence, for rows of ``FEATURES`` (see ``PRESENCE_GATE``).

    An isolated place where nobody of his circle was ever seen is not more
    likely for being isolated; one where his partner sleeps is.

    >>> F = np.zeros((2, len(FEATURES))); F[:, list(FEATURES).index("remote")] = 1.0
    >>> F[1, list(FEATURES).index("nights_partner")] = 1.0
    >>> isolated_presence(F).round(2).tolist()
    [0.0, 0.95]
    """
    col = {n: i for i, n in enumerate(FEATURES)}
    presence = F[:, [col[n] for n in PRESENCE]].sum(axis=1)
    return np.asarray(F[:, col["remote"]] * (1.0 - np.exp(-PRESENCE_GATE * presence)), dtype=np.float64)


def _derived_features(acc: _Acc, clat: FloatArray, clon: FloatArray, ctx: EvidenceContext) -> None:
    F, col = acc.F, acc.col
    if ctx.tower_lat.shape[0]:
        acc.put("remote", remote_sites(clat, clon, ctx).astype(float))
    nf = F[:, col["nights_partner"]]
    acc.put("isolated_nights", nf * F[:, col["remote"]])
    acc.put("isolated_presence", isolated_presence(F))
    if clat.size > 1:
        srt = np.sort(nf)
        acc.put("lead_margin", np.maximum(nf - np.where(nf >= srt[-1], srt[-2], srt[-1]), 0.0))
    else:
        acc.put("lead_margin", nf)
    # a partner visits every few days: only a silence longer than ~a week says he may have moved
    acc.put("staleness", np.log1p(np.maximum(np.nan_to_num(acc.last_seen, nan=60.0) - STALE_AFTER_DAYS, 0.0)))


def compute_features(cands: list[Candidate], ctx: EvidenceContext) -> CandidateSet:
    """One row of ``FEATURES`` per candidate place, with provenance (see the module docstring)."""
    clat = np.array([c.lat for c in cands], dtype=float)
    clon = np.array([c.lon for c in cands], dtype=float)
    radius = np.array([c.radius_m for c in cands], dtype=float)
    kinds = {"night stays": 1, "day visits": 2}
    clat, clon, radius = _refine(clat, clon, radius, ctx, np.array([kinds.get(c.origin, 0) for c in cands], dtype=np.int8))
    keep = _keep_mask(clat, clon, ctx) if clat.size else np.zeros(0, dtype=bool)
    cands = [c for c, k in zip(cands, keep) if k]
    clat, clon, radius = clat[keep], clon[keep], radius[keep]
    m = len(cands)
    names = list(FEATURES)
    acc = _Acc(np.zeros((m, len(names))), [dict() for _ in range(m)], [[] for _ in range(m)],
               np.full(m, np.nan), {n: i for i, n in enumerate(names)}, [[] for _ in range(m)])
    if m == 0:
        return CandidateSet(clat, clon, radius, [], acc.F, acc.support, acc.windows, acc.last_seen)
    pos = ctx.pos
    home_of, succ, first, left = np.zeros(m), np.zeros((m, m)), (np.zeros(m),) * 4, np.zeros(m)
    for ident in (pos.idents()[0] if len(pos) else []):
        if ident in ctx.homes:
            hl, hn, hr = ctx.houses.get(ident, ctx.homes[ident])
            # a home known only as a serving cell's area (kilometres) names no house: a place inside it is
            # hers by the chance that her house is that spot of the area
            spec = min(1.0, (HOME_MIN_RADIUS_M / max(ctx.homes[ident][2], 1.0)) ** 2)
            home_of = np.maximum(home_of, ctx.relevance.get(ident, 0.0) * spec * (haversine_m(clat, clon, hl, hn) < hr))
    acc.put("home_of_member", home_of)
    if len(pos):
        at_home = _at_home(clat, clon, ctx)
        located, visits = _presence_features(acc, clat, clon, ctx, at_home)
        _dark_feature(acc, clat, clon, ctx, at_home)
        silent = _silent_nights(acc, clat, clon, ctx)
        # her away nights elsewhere since her latest night here (a late move): located nights and
        # switched-off trips alike
        her = (np.concatenate([located[0], silent[0]], axis=1), np.r_[located[1], silent[1]],
               np.r_[located[2], silent[2]])
        acc.put("superseded", np.log1p(superseded(*her, known_since=acc.known_since)))
        first = since_first(*her, silent=np.arange(her[1].size) >= located[1].size)
        # her latest night in an alternation is no move (nights.move_weight)
        acc.put("latest", acc.F[:, acc.col["latest"]] * move_weight(first[0], first[3]))
        left = contradicted(located, clat, clon, her_night_sightings(ctx))
        # the place's own rhythm of visits (fixes, her switched-off trips), and the days without one since,
        # her away nights elsewhere since her last one here, and its household's vehicles read elsewhere since
        present, vday = np.concatenate([visits[0], silent[0] >= SWITCHED_OFF_WINDOW], axis=1), np.r_[visits[1], silent[1]]
        present = _maybe_visits(acc, present, visits[0].shape[1], silent[3], silent[4])
        tz = np.median(pos.tz_offset_s)
        rday = np.floor(_local_days(ctx.reads.t, tz) - 1.0 / 3.0).astype(np.int64) if ctx.reads is not None else None
        dep = (departures(clat, clon, ctx.reads, cast("npt.NDArray[np.int64]", rday), last_days(present, vday))
               if ctx.reads is not None else None)  # rday is set when ctx.reads is
        acc.put("overdue", overdue(present, vday, int(np.floor(_local_days(np.array([ctx.as_of]), tz)[0])),
                                   elsewhere=moved_on(*her, np.arange(her[1].size) < located[1].size,
                                                      known_since=acc.known_since),
                                   vehicles=None if dep is None else dep.log_lr))
        succ = successors(*her, known_since=acc.known_since) + (0.0 if dep is None else dep.went)
        if dep is not None and ctx.reads is not None and rday is not None:
            lived = residents(clat, clon, ctx.reads, rday)[0]
            acc.put("household", lived)
            cites = departure_citations(dep, ctx.reads) + resident_citations(dep.at, ctx.reads, rday, lived)
            for ci, fname, item in cites:
                acc.cite(ci, fname, item)
    _sighting_features(acc, clat, clon, ctx.sights, ctx.as_of)
    _claim_features(acc, clat, clon, ctx.claims)
    _derived_features(acc, clat, clon, ctx)
    acc.put("vague", np.log(np.maximum(radius, 300.0) / 300.0))
    return CandidateSet(clat, clon, radius, [c.origin for c in cands], acc.F, acc.support, acc.windows, acc.last_seen,
                        succ, since_first=first, left_behind=left, unseen=acc.unseen, circle_windows=acc.circle_windows,
                        headed_trips=acc.headed[0] if acc.headed else np.zeros(m),
                        headed_days=acc.headed[1] if acc.headed else np.full(m, np.nan))
