"""Candidate places and their evidence features (vectorised numpy).

Candidates are generated from the evidence itself — where circle members
spend nights away from home, where they converge by day, where his
vehicles or he were sighted, graded claim areas, known addresses, and the
serving cells his circle uses at night — then merged by non-maximum
suppression. Each candidate gets one value per feature in ``FEATURES``; the
fitted choice model (:mod:`fusioncell.infer.choice`) turns them into
calibrated probabilities. Features are log-compressed sums so that a tenth
night at a place adds less than the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from fusioncell.infer.circle import Circle
from fusioncell.infer.evidence import Claims, Positions, Sightings
from fusioncell.spacetime.geo import haversine_m

FloatArray = npt.NDArray[np.float64]

#: Feature names, in model order, with what each measures.
FEATURES: dict[str, str] = {
    "nights_fine": "nights circle members' handsets were located here, away from their homes (weighted by relevance, recent nights count more)",
    "nights_coarse": "nights circle members' phones used cell sites covering this place, away from their homes",
    "days_fine": "days circle members' handsets were located here away from home by day",
    "days_coarse": "days circle members' phones used cell sites covering this place by day",
    "convergence": "distinct circle members located here by handset fixes (group convergence)",
    "dark": "times a circle member's phone went silent right after being here",
    "sighting": "sightings of him or of his circle's vehicles here (detector confidence)",
    "claims": "graded informant claims placing him here (log-odds from the Admiralty table)",
    "isolated_nights": "nights located here when the place is isolated (nights_fine x remote)",
    "lead_margin": "how far this place's located nights exceed the next best place's",
    "home_of_member": "the place is a circle member's own home (relevance-weighted)",
    "remote": "isolated place: at most two cell sites within 3 km",
    "staleness": "days since the latest night-time evidence here, beyond a week (log)",
}
NONNEG = {
    "nights_fine": True,
    "nights_coarse": True,
    "days_fine": True,
    "days_coarse": True,
    "convergence": True,
    "dark": True,
    "sighting": True,
    "claims": True,
    "isolated_nights": True,
    "lead_margin": True,
    "home_of_member": False,
    "remote": False,
    "staleness": False,
}

TAU_DAYS = 10.0  # recency: evidence loses half its weight in ~7 days
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
    windows: list[list[tuple[np.datetime64, np.datetime64]]] = field(default_factory=list)
    last_seen: FloatArray = field(default_factory=lambda: np.zeros(0))


def _kernel(d: FloatArray, sigma: FloatArray | float) -> FloatArray:
    return np.exp(-0.5 * (d / sigma) ** 2)


def _homes(pos: Positions) -> dict[str, tuple[float, float, float]]:
    """Each member's home: the night-time spot seen on the most distinct nights."""
    homes: dict[str, tuple[float, float, float]] = {}
    night = pos.take(pos.night)
    if len(night) == 0:
        return homes
    # ~400 m bins; fine fixes preferred, coarse cells otherwise
    for fine in (True, False):
        sub = night.take(night.fine == fine)
        if len(sub) == 0:
            continue
        bx = np.round(sub.lat / 0.0036).astype(np.int64)
        by = np.round(sub.lon / 0.0038).astype(np.int64)
        ids, inv = np.unique(sub.identifier.astype(str), return_inverse=True)
        key = np.stack([inv, bx, by, sub.night_key])
        uniq = np.unique(key, axis=1)  # distinct (member, bin, night)
        spot, counts = np.unique(uniq[:3], axis=1, return_counts=True)
        order = np.lexsort((-counts, spot[0]))
        spot, counts = spot[:, order], counts[order]
        first = np.unique(spot[0], return_index=True)[1]
        for j in first:
            ident = str(ids[spot[0, j]])
            if ident in homes:
                continue
            m = (inv == spot[0, j]) & (bx == spot[1, j]) & (by == spot[2, j])
            homes[ident] = (
                float(np.median(sub.lat[m])),
                float(np.median(sub.lon[m])),
                float(max(600.0, np.median(sub.acc_m[m]))),
            )
    return homes


def generate_candidates(
    pos: Positions, relevance: dict[str, float], claims: Claims, sights: Sightings,
    addr_lat: FloatArray, addr_lon: FloatArray, homes: dict[str, tuple[float, float, float]],
) -> list[Candidate]:
    seeds: list[tuple[float, float, float, str, float]] = []  # score, lat, lon, origin, radius
    rel = np.array([relevance.get(str(i), 0.0) for i in pos.identifier]) if len(pos) else np.zeros(0)
    if len(pos):
        hl = np.array([homes.get(str(i), (np.nan, np.nan, 0))[0] for i in pos.identifier])
        hn = np.array([homes.get(str(i), (np.nan, np.nan, 0))[1] for i in pos.identifier])
        hr = np.array([homes.get(str(i), (np.nan, np.nan, 0))[2] for i in pos.identifier])
        dh = haversine_m(pos.lat, pos.lon, np.nan_to_num(hl), np.nan_to_num(hn))
        away = np.isnan(hl) | (dh > hr + AWAY_ACCURACY_FACTOR * pos.acc_m)
        for fine, night, origin, w in (
            (True, True, "night stays", 3.0),
            (True, False, "day visits", 1.0),
            (False, True, "night cell sites", 0.6),
        ):
            m = away & (pos.fine == fine) & (pos.night == night) & (rel > 0)
            if not m.any():
                continue
            lat, lon, r = pos.lat[m], pos.lon[m], rel[m]
            # 200 m bins for fixes; exact tower positions for cells
            q = 0.0018 if fine else 1e-6
            bx, by = np.round(lat / q).astype(np.int64), np.round(lon / q).astype(np.int64)
            key = np.stack([bx, by])
            u, inv = np.unique(key, axis=1, return_inverse=True)
            score = np.bincount(inv.ravel(), weights=r, minlength=u.shape[1])
            top = np.argsort(-score)[:40]
            for j in top:
                mm = inv.ravel() == j
                acc = pos.acc_m[m][mm]
                seeds.append((w * float(score[j]), float(np.mean(lat[mm])), float(np.mean(lon[mm])), origin,
                              float(np.median(acc)) if not fine else 250.0))
    for i in range(sights.lat.shape[0]):
        seeds.append((2.0 * float(sights.confidence[i]) * (3.0 if sights.of_target[i] else 1.0),
                      float(sights.lat[i]), float(sights.lon[i]), "sightings", 200.0))
    for i in range(claims.lat.shape[0]):
        seeds.append((max(0.1, float(claims.weight[i])), float(claims.lat[i]), float(claims.lon[i]),
                      "informant area", float(claims.radius_m[i])))
    for i in range(addr_lat.shape[0]):
        seeds.append((0.2, float(addr_lat[i]), float(addr_lon[i]), "known address", 150.0))
    seeds.sort(key=lambda s: -s[0])
    chosen: list[Candidate] = []
    for _, lat, lon, origin, radius in seeds:
        if chosen:
            d = haversine_m(lat, lon, np.array([c.lat for c in chosen]), np.array([c.lon for c in chosen]))
            if float(d.min()) < NMS_RADIUS_M:
                continue
        chosen.append(Candidate(lat, lon, origin, radius))
        if len(chosen) >= MAX_CANDIDATES:
            break
    return chosen


def _group_max(k: FloatArray, starts: npt.NDArray[np.int64]) -> FloatArray:
    if k.shape[1] == 0:
        return np.zeros((k.shape[0], 0))
    return np.maximum.reduceat(k, starts, axis=1)


def compute_features(
    cands: list[Candidate], pos: Positions, relevance: dict[str, float], claims: Claims,
    sights: Sightings, homes: dict[str, tuple[float, float, float]], as_of: np.datetime64,
    tower_lat: FloatArray, tower_lon: FloatArray,
    exclude_homes: list[tuple[float, float, float]] | None = None,
) -> CandidateSet:
    m = len(cands)
    exclude_homes = exclude_homes or []
    clat = np.array([c.lat for c in cands], dtype=float)
    clon = np.array([c.lon for c in cands], dtype=float)
    names = list(FEATURES)
    F = np.zeros((m, len(names)))
    support: list[dict[str, list[tuple[float, str, list[str], list[str]]]]] = [dict() for _ in range(m)]
    windows: list[list[tuple[np.datetime64, np.datetime64]]] = [[] for _ in range(m)]
    last_seen = np.full(m, np.nan)
    radius = np.array([c.radius_m for c in cands], dtype=float)
    if m == 0:
        return CandidateSet(clat, clon, radius, [], F, support, windows, last_seen)
    col = {n: i for i, n in enumerate(names)}

    # mean-shift each candidate onto the mode of nearby handset fixes of circle
    # members away from their own homes (weights: relevance / accuracy^2,
    # nights twice): many fixes of 100 m-1 km accuracy locate a compound well
    if len(pos):
        rel_all = np.array([relevance.get(str(i), 0.0) for i in pos.identifier])
        hl = np.array([homes.get(str(i), (np.nan, np.nan, 0.0))[0] for i in pos.identifier])
        hn = np.array([homes.get(str(i), (np.nan, np.nan, 0.0))[1] for i in pos.identifier])
        hr = np.array([homes.get(str(i), (np.nan, np.nan, 0.0))[2] for i in pos.identifier])
        away = np.isnan(hl) | (
            haversine_m(pos.lat, pos.lon, np.nan_to_num(hl), np.nan_to_num(hn)) > hr + AWAY_ACCURACY_FACTOR * pos.acc_m)
        sel = pos.fine & away & (rel_all > 0)
        if sel.any():
            flat, flon = pos.lat[sel], pos.lon[sel]
            w0 = rel_all[sel] * np.where(pos.night[sel], 2.0, 1.0) / np.maximum(pos.acc_m[sel], 50.0) ** 2
            near0 = np.count_nonzero(
                haversine_m(clat[:, None], clon[:, None], flat[None, :], flon[None, :]) < 600.0, axis=1) >= 3
            for _ in range(8):
                d = haversine_m(clat[:, None], clon[:, None], flat[None, :], flon[None, :])
                k = _kernel(d, MEANSHIFT_BANDWIDTH_M) * w0[None, :]
                ks = k.sum(axis=1)
                ok = near0 & (ks > 0)
                nlat = np.where(ok, (k * flat[None, :]).sum(axis=1) / np.where(ks > 0, ks, 1), clat)
                nlon = np.where(ok, (k * flon[None, :]).sum(axis=1) / np.where(ks > 0, ks, 1), clon)
                moved = float(np.max(haversine_m(clat, clon, nlat, nlon)))
                clat, clon = nlat, nlon
                if moved < 5.0:
                    break
            d = haversine_m(clat[:, None], clon[:, None], flat[None, :], flon[None, :])
            k = _kernel(d, MEANSHIFT_BANDWIDTH_M) * w0[None, :]
            spread = np.sqrt((k * d**2).sum(axis=1) / np.maximum(k.sum(axis=1), 1e-12))
            radius = np.where(near0, np.clip(spread, 75.0, 400.0), radius)
    # refinement can pull several seeds onto one spot: keep the first (strongest) of each
    keep = np.ones(m, dtype=bool)
    for i in range(1, m):
        d = haversine_m(clat[i], clon[i], clat[:i][keep[:i]], clon[:i][keep[:i]])
        if d.size and float(d.min()) < DEDUPE_RADIUS_M:
            keep[i] = False
    # the homes of the people we track (from their handset fixes) are known
    # places: he is not hiding in the flat of a person under surveillance
    for hl, hn, hr in exclude_homes:
        keep &= haversine_m(clat, clon, hl, hn) >= hr
    if not keep.all():
        cands = [c for c, k in zip(cands, keep) if k]
        clat, clon, radius = clat[keep], clon[keep], radius[keep]
        m = len(cands)
        F = F[keep]
        support = [s for s, k in zip(support, keep) if k]
        windows = [w for w, k in zip(windows, keep) if k]
        last_seen = last_seen[keep]

    ident_ids = {str(i) for i in pos.identifier} if len(pos) else set()
    home_of = np.zeros(m)
    for ident in ident_ids:
        if ident in homes:
            hl, hn, hr = homes[ident]
            dh = haversine_m(clat, clon, hl, hn)
            home_of = np.maximum(home_of, relevance.get(ident, 0.0) * (dh < hr))
    F[:, col["home_of_member"]] = home_of

    if len(pos):
        age_days = (as_of - pos.t).astype("timedelta64[s]").astype(float) / 86400.0
        decay = np.exp(-np.maximum(age_days, 0.0) / TAU_DAYS)
        rel = np.array([relevance.get(str(i), 0.0) for i in pos.identifier])
        sigma = np.where(pos.fine, np.sqrt(pos.acc_m**2 + FIX_SIGMA_FLOOR_M**2), pos.acc_m)
        D = haversine_m(clat[:, None], clon[:, None], pos.lat[None, :], pos.lon[None, :])
        K = _kernel(D, sigma[None, :])
        # a member's own home does not count as evidence for that place
        hlat = np.array([homes.get(str(i), (np.nan, np.nan, 0.0))[0] for i in pos.identifier])
        hlon = np.array([homes.get(str(i), (np.nan, np.nan, 0.0))[1] for i in pos.identifier])
        hrad = np.array([homes.get(str(i), (np.nan, np.nan, 0.0))[2] for i in pos.identifier])
        c_home = haversine_m(clat[:, None], clon[:, None], np.nan_to_num(hlat)[None, :], np.nan_to_num(hlon)[None, :])
        at_home = (~np.isnan(hlat))[None, :] & (c_home < hrad[None, :])
        # a fix that may well have been taken at the member's home (within its
        # accuracy) is not evidence of being anywhere else
        d_own = haversine_m(pos.lat, pos.lon, np.nan_to_num(hlat), np.nan_to_num(hlon))
        pos_at_home = ~np.isnan(hlat) & (d_own <= hrad + AWAY_ACCURACY_FACTOR * pos.acc_m)
        at_home = at_home | pos_at_home[None, :]
        K = np.where(at_home, 0.0, K)
        idents = pos.identifier.astype(str)
        members_here = np.zeros(m)
        for fine, night, fname in (
            (True, True, "nights_fine"), (False, True, "nights_coarse"),
            (True, False, "days_fine"), (False, False, "days_coarse"),
        ):
            sel = (pos.fine == fine) & (pos.night == night) & (rel > 0)
            if not sel.any():
                continue
            idx = np.flatnonzero(sel)
            gkey = np.stack([np.unique(idents[idx], return_inverse=True)[1].ravel(), pos.night_key[idx]])
            order = np.lexsort((gkey[1], gkey[0]))
            idx, gkey = idx[order], gkey[:, order]
            starts = np.flatnonzero(np.r_[True, np.any(np.diff(gkey, axis=1) != 0, axis=0)])
            Kg = _group_max(K[:, idx], starts)  # presence per member-night
            grel = rel[idx][starts]
            gdec = np.maximum.reduceat(decay[idx], starts)
            contrib = Kg * (grel * gdec)[None, :]
            F[:, col[fname]] = np.log1p(contrib.sum(axis=1))
            present = Kg > (0.5 if fine else 0.6)
            gid = idents[idx][starts]
            for ci in np.flatnonzero(contrib.sum(axis=1) > 0.05):
                share = contrib[ci]
                top = np.argsort(-share)[:6]
                items = []
                for g in top:
                    if share[g] <= 0.01:
                        break
                    lo = starts[g]
                    hi = starts[g + 1] if g + 1 < len(starts) else len(idx)
                    ev = idx[lo:hi][K[ci, idx[lo:hi]] > 0.3]
                    items.append((float(share[g]), str(gid[g]), [str(e) for e in pos.event_id[ev][:5]],
                                  sorted({str(s) for s in pos.source_id[ev]})))
                support[ci].setdefault(fname, []).extend(items)
                if night:
                    for g in np.flatnonzero(present[ci]):
                        lo = starts[g]
                        hi = starts[g + 1] if g + 1 < len(starts) else len(idx)
                        ev = idx[lo:hi][K[ci, idx[lo:hi]] > 0.3]
                        if ev.size:
                            windows[ci].append((pos.t[ev].min(), pos.t[ev].max()))
                            ls = float((as_of - pos.t[ev].max()).astype("timedelta64[s]").astype(float) / 86400.0)
                            last_seen[ci] = ls if np.isnan(last_seen[ci]) else min(last_seen[ci], ls)
            for ci in range(m):
                members_here[ci] = max(members_here[ci], 0)
        # convergence: distinct members present (fine K>0.5 or coarse K>0.6) anywhere in time
        # (handset fixes only: in town, everyone's calls share the same few cells)
        pres = (K > 0.5) & (pos.fine & (rel > 0))[None, :]
        u, inv = np.unique(idents, return_inverse=True)
        for ci in range(m):
            members_here[ci] = np.unique(inv.ravel()[pres[ci]]).size
        F[:, col["convergence"]] = np.log1p(np.maximum(members_here - 1, 0))

        # going dark: a long silence right after being here
        order = np.lexsort((pos.t, idents))
        t_sorted = pos.t[order].astype("datetime64[s]").astype(np.int64)
        id_sorted = idents[order]
        same = id_sorted[1:] == id_sorted[:-1]
        gaps = np.diff(t_sorted).astype(float)
        dark_score = np.zeros(m)
        fine_sorted = pos.fine[order]
        for ident in np.unique(id_sorted[fine_sorted]):
            # only handset fixes: a call-record silence overnight is ordinary sleep
            sel = np.flatnonzero((id_sorted[:-1] == ident) & same & fine_sorted[:-1] & fine_sorted[1:])
            if sel.size < 10:
                continue
            g = gaps[sel]
            typical = float(np.median(g))
            long = sel[(g > max(3 * 3600.0, 10 * typical))]
            if long.size == 0:
                continue
            # where it was last seen before the silence and first seen after:
            # phones are switched off some way before arriving, so a wide kernel
            last_idx = np.concatenate([order[long], order[long + 1]])
            dd = haversine_m(clat[:, None], clon[:, None], pos.lat[last_idx][None, :], pos.lon[last_idx][None, :])
            kk = 0.5 * _kernel(dd, np.maximum(pos.acc_m[last_idx], DARK_SIGMA_M)[None, :])
            # a silence at the member's own home is sleep with the phone off, not a visit
            kk = np.where(at_home[:, last_idx], 0.0, kk)
            dark_score += (kk * relevance.get(ident, 0.0)).sum(axis=1)
            for ci in np.flatnonzero(kk.max(axis=1) > 0.5):
                ev = last_idx[kk[ci] > 0.5]
                support[ci].setdefault("dark", []).append(
                    (float(kk[ci].sum() * relevance.get(ident, 0.0)), ident, [str(e) for e in pos.event_id[ev][:5]],
                     sorted({str(s) for s in pos.source_id[ev]})))
        F[:, col["dark"]] = np.log1p(dark_score)

    if sights.lat.shape[0]:
        Ds = haversine_m(clat[:, None], clon[:, None], sights.lat[None, :], sights.lon[None, :])
        Ks = _kernel(Ds, 200.0) * (sights.confidence * np.where(sights.of_target, 3.0, 1.0))[None, :]
        F[:, col["sighting"]] = np.log1p(Ks.sum(axis=1))
        for ci in np.flatnonzero(Ks.sum(axis=1) > 0.05):
            ev = np.flatnonzero(Ks[ci] > 0.05)
            support[ci].setdefault("sighting", []).append(
                (float(Ks[ci].sum()), ", ".join(sorted({str(s) for s in sights.subject[ev]})),
                 [str(e) for e in sights.event_id[ev][:8]], sorted({str(s) for s in sights.source_id[ev]})))
    if claims.lat.shape[0]:
        Dc = haversine_m(clat[:, None], clon[:, None], claims.lat[None, :], claims.lon[None, :])
        Kc = _kernel(Dc, claims.radius_m[None, :]) * claims.weight[None, :]
        F[:, col["claims"]] = Kc.sum(axis=1)
        for ci in range(m):
            for j in np.flatnonzero(np.abs(Kc[ci]) > 0.05):
                support[ci].setdefault("claims", []).append(
                    (float(Kc[ci, j]), f"report {claims.report_id[j]} ({claims.grade[j]})", [str(claims.report_id[j])],
                     [str(claims.source_id[j])]))
    if tower_lat.shape[0]:
        Dt = haversine_m(clat[:, None], clon[:, None], tower_lat[None, :], tower_lon[None, :])
        # isolated: at most two cell sites within 3 km (a town has many)
        F[:, col["remote"]] = (np.count_nonzero(Dt < 3000.0, axis=1) <= 2).astype(float)
    nf = F[:, col["nights_fine"]]
    F[:, col["isolated_nights"]] = nf * F[:, col["remote"]]
    if m > 1:
        srt = np.sort(nf)
        F[:, col["lead_margin"]] = np.maximum(nf - np.where(nf >= srt[-1], srt[-2], srt[-1]), 0.0)
    else:
        F[:, col["lead_margin"]] = nf
    # a partner visits every few days: only a silence longer than ~a week says he may have moved
    F[:, col["staleness"]] = np.log1p(np.maximum(np.nan_to_num(last_seen, nan=60.0) - STALE_AFTER_DAYS, 0.0))
    return CandidateSet(clat, clon, radius, [c.origin for c in cands], F, support, windows, last_seen)
