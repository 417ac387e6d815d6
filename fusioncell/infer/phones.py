"""Phones are not people: a phone that sleeps at a place on a night she is seen elsewhere was left there.

His partner's phone tells where the phone slept, not where she did. When a
sighting of *her* (an observer's or a camera's, at least ``SEEN_HER`` likely
her) at night-time lies ``LEFT_BEHIND_M`` or more from where her phone spent
that same night, the phone stayed behind while she went elsewhere -- to her
mother's, in a car, or at a friend's on the nights she visits him. The place
where it sleeps is then where she *leaves* it, and its nights there say
little about him: ``judgment.CAP_LEFT_BEHIND`` holds such a place at even
odds. Read per candidate and night; a night counts once, at the strongest
sighting that contradicts it.

>>> import numpy as np
>>> Kn = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])  # her phone at place 0 on nights 10, 11, 12
>>> nights = (Kn, np.array([10, 11, 12]), np.ones(3))
>>> seen = (np.array([20.0]), np.array([-103.0]), np.array([0.6]), np.array([11]))  # seen 40+ km off, night 11
>>> contradicted(nights, np.array([20.4, 20.0]), np.array([-103.0, -103.0]), seen).tolist()
[0.6, 0.0]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from fusioncell.model.night import NIGHT
from fusioncell.spacetime.geo import haversine_m

if TYPE_CHECKING:
    from fusioncell.infer.features import EvidenceContext

FloatArray = npt.NDArray[np.float64]

#: A sighting of her this far from where her phone slept that night means the phone stayed behind.
LEFT_BEHIND_M = 3000.0
#: A sighting at least this likely to be her counts (confidence x how surely the subject is his partner).
SEEN_HER = 0.5

HerSightings = tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.int64]]


def her_night_sightings(ctx: "EvidenceContext") -> HerSightings:
    """(lat, lon, how likely her, night key) of the night-time sightings of his partner herself (not of a
    plate), at least ``SEEN_HER`` likely her. The night key is the one of :mod:`fusioncell.model.night`."""
    s = ctx.sights
    if not s.lat.shape[0]:
        return np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
    subjects, inv = np.unique(s.subject.astype(str), return_inverse=True)
    share = np.array([0.0 if x.startswith("plate:") else ctx.partner_share.get(x, 0.0) for x in subjects])[inv.ravel()]
    tz = int(np.median(ctx.pos.tz_offset_s)) if ctx.pos.tz_offset_s.size else 0
    local = s.t.astype("datetime64[s]").astype(np.int64) + tz
    hour = (local // 3600) % 24
    night = (hour >= NIGHT.from_h) | (hour < NIGHT.to_h)
    p = s.confidence * share
    keep = night & ~s.of_target & (p >= SEEN_HER)
    return s.lat[keep], s.lon[keep], p[keep], ((local - 12 * 3600) // 86400)[keep]


def contradicted(nights: tuple[FloatArray, npt.NDArray[np.int64], FloatArray], clat: FloatArray, clon: FloatArray,
                 seen: HerSightings) -> FloatArray:
    """Per candidate: nights her phone spent here (presence ≥ 0.5, times how surely the phone is hers) while she
    was seen ``LEFT_BEHIND_M`` or more away, each night counted once at its strongest such sighting."""
    Kn, nk, nw = nights
    lat, lon, p, key = seen
    m = clat.size
    if m == 0 or not p.size or not nk.size:
        return np.zeros(m)
    same = nk[None, :] == key[:, None]  # (sighting, phone-night)
    phone = (Kn * np.clip(nw, 0.0, 1.0)[None, :]) >= 0.5  # (candidate, phone-night)
    here = (phone.astype(np.float64) @ same.T.astype(np.float64)) > 0.0  # (candidate, sighting): no 3-D array
    far = haversine_m(clat[:, None], clon[:, None], lat[None, :], lon[None, :]) >= LEFT_BEHIND_M
    w = np.where(here & far, p[None, :], 0.0)
    nights_u, inv = np.unique(key, return_inverse=True)
    per_night = np.zeros((m, nights_u.size))
    np.maximum.at(per_night.T, inv.ravel(), w.T)
    return np.asarray(per_night.sum(axis=1), dtype=np.float64)
