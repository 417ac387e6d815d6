"""What a partner agency's account is answered: parts of the tearline ``share --to AGENCY`` would write.

A partner never reads the case's analyses directly. Its ``/locate`` is the
tearline's hypotheses, its ``/network`` the tearline's associates, its
evidence chain the tearline's evidence (sources described generically,
event counts, STIX confidence) — all built by
:func:`fusioncell.products.share.tearline` on the partner's releasability
view, so the workbench shows a partner exactly what a product sent to it
would carry. The answers then pass the read filter like every other
(:mod:`fusioncell.server.scope`).
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from fusioncell.server.scope import Reader


def _product(acc: Reader, target: str | None, top: int, what: str) -> dict[str, Any]:
    product, _ = acc.tearline(acc.scope.agency, target=target, top=top, what=what)
    return product


def locate(acc: Reader, target: str | None = None, top: int = 5) -> dict[str, Any]:
    """The tearline's hypotheses, in the shape of ``/locate`` (``hypotheses`` ranked, with ``evidence``)."""
    p = _product(acc, target, top, "locate")
    return {"case": p["case"], "target": p["subject"]["id"], "as_of": p.get("as_of"), "marking": p["marking"],
            "key_judgments": p["key_judgments"], "hypotheses": p["hypotheses"], "sightings": p["sightings"],
            "handling": p["handling"], "released_as": "tearline"}


def network(acc: Reader, hops: int = 2) -> dict[str, Any]:
    """The tearline's associates of the case's first target, as ``close_circle`` (no key players, no burners)."""
    p = _product(acc, None, 5, "network")
    return {"case": p["case"], "focus": p["subject"]["id"], "focus_person": p["subject"]["id"],
            "close_circle": p["associates"], "key_players": [], "marking": p["marking"],
            "handling": p["handling"], "released_as": "tearline"}


def evidence(acc: Reader, rank: int, target: str | None = None, top: int = 5) -> dict[str, Any]:
    """One tearline hypothesis with its evidence chain (sources generic, no event ids)."""
    p = _product(acc, target, max(top, rank), f"evidence rank={rank}")
    found = [h for h in p["hypotheses"] if h.get("rank") == rank]
    if not found:
        raise HTTPException(404, f"no hypothesis of rank {rank} is releasable to your agency")
    h = found[0]
    return {"case": p["case"], "target": p["subject"]["id"], "rank": rank, "lat": h.get("lat"), "lon": h.get("lon"),
            "radius_m": h.get("radius_m"), "probability": h.get("probability"), "likelihood": h.get("likelihood"),
            "label": h.get("label"), "marking": h.get("marking"), "evidence": h.get("evidence") or [],
            "released_as": "tearline"}
