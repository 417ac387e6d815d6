"""Sources earn their weight: how a source's claims fare against the case's hard data.

An informant's report is a claim about a place; hard data -- his partner's nights, a sighting of him, her
silent nights -- either lands inside it (the claim is corroborated) or, wherever it is strong, far away (the
claim is contradicted). :func:`source_track_record` turns that into a weight per source within the case, which
``features`` applies to the ``claims`` feature and cites in the evidence chain.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt

from fusioncell.infer.evidence import Claims
from fusioncell.spacetime.geo import haversine_m

FloatArray = npt.NDArray[np.float64]

#: A place has hard support when its partner-nights/sighting/silence evidence reaches this (log1p units).
HARD_SUPPORT = float(np.log1p(1.0))
#: How far apart a claim and hard evidence must be before they contradict each other.
CONTRADICT_M = 3000.0


def source_track_record(clat: FloatArray, clon: FloatArray, F: FloatArray, col: dict[str, int],
                        claims: Claims) -> dict[str, tuple[int, int, float]]:
    """Per source: (claims corroborated, claims contradicted, weight multiplier) within this case.

    A claim is *corroborated* when a place inside its area has hard support
    (his partner's nights, a sighting of him, her silent nights there); it is
    *contradicted* when it has none while hard support exists more than
    ``CONTRADICT_M`` away from it. A source's claims are then weighed by
    ``(1 + corroborated) / (1 + corroborated + 2 x contradicted)``: a planted
    report graded B2 that hard data contradicts keeps a third of its weight.
    Claims with no hard data anywhere in the case are neither.
    """
    hard = (F[:, col["nights_partner"]] + 0.5 * F[:, col["nights_partner_coarse"]]
            + F[:, col["sighting_him"]] + F[:, col["silent_nights"]])
    strong = hard >= HARD_SUPPORT
    out: dict[str, tuple[int, int, float]] = {}
    if not claims.lat.shape[0] or clat.size == 0:
        return out
    D = haversine_m(clat[:, None], clon[:, None], claims.lat[None, :], claims.lon[None, :])
    inside = D <= np.maximum(claims.radius_m, 500.0)[None, :]
    corroborated = cast("npt.NDArray[np.bool_]", (inside & strong[:, None]).any(axis=0))  # inside is 2-d
    far = D > np.maximum(claims.radius_m, CONTRADICT_M)[None, :]
    contradicted = ~corroborated & (far & strong[:, None]).any(axis=0) & (claims.weight > 0)
    for sid in np.unique(claims.source_id.astype(str)):
        m = claims.source_id.astype(str) == sid
        c, x = int(corroborated[m].sum()), int(contradicted[m].sum())
        out[str(sid)] = (c, x, (1.0 + c) / (1.0 + c + 2.0 * x))
    return out
