"""truth.json: the hidden truth of a simulated case (never read by the analysis)."""

from __future__ import annotations

from typing import Any

import numpy as np

from fusioncell.sim.intel import Intel
from fusioncell.sim.mobility import Mobility
from fusioncell.sim.org import Org
from fusioncell.sim.world import K_ACQ, TIE_KINDS, World


def pid(p: int) -> str:
    """The truth id of person index ``p``."""
    return f"P{p}"


def build_truth(world: World, org: Org, intel: Intel, clock: Any, *, case_id: str, seed: int, difficulty: str,
                scale: str, days: int, t0: int, t_end: int, tracked: list[str], lead: str,
                sources: list[dict[str, str]], mob: Mobility) -> dict[str, Any]:
    """Assemble the truth document (schema in docs/simulator.md)."""
    iso = clock.iso
    e164 = world.numbers_e164

    def ll(xy: Any) -> tuple[float, float]:
        lat, lon = world.to_latlon(np.asarray(xy, dtype=np.float64))
        return round(float(lat), 6), round(float(lon), 6)

    persons = _persons(world, org, intel, iso, t0, t_end)

    hideouts = []
    for h in org.hideouts:
        lat, lon = ll(h["xy"])
        hideouts.append({"lat": lat, "lon": lon, "from": iso(h["from"]), "to": iso(h["to"])})
    decoys = []
    for dcy in org.decoys:
        lat, lon = ll(dcy["xy"])
        decoys.append({"lat": lat, "lon": lon, "kind": dcy["kind"]})

    ties = _ties(world, org)

    visits = []
    for v in sorted(org.visits, key=lambda v: (v.t_from, v.person)):
        lat, lon = ll(v.xy)
        mid_night = ((v.t_to - t0) // 86400) * 86400 + t0 + 3 * 3600
        overnight = v.t_from <= mid_night < v.t_to or v.t_from <= mid_night - 86400 < v.t_to
        visits.append({"person_id": pid(v.person), "place": v.place, "lat": lat, "lon": lon, "from": iso(v.t_from),
                       "to": iso(v.t_to), "overnight": bool(overnight), "phone_with": v.phone_with})
    meetings = _meetings(org, ll, iso)

    dark = _dark(org, mob, ll, iso, e164, t0, t_end)
    succ = [{"person_id": pid(s["person"]), "old": e164[s["old"]], "new": e164[s["new"]], "handover": iso(s["handover"]),
             "kind": s["kind"], **({"group": s["group"]} if "group" in s else {})} for s in org.successions]
    last = org.hideouts[-1]
    fl, fo = ll(last["xy"])
    return {
        "case_id": case_id, "seed": seed, "difficulty": difficulty, "scale": scale, "days": days,
        "start": iso(t0), "end": iso(t_end), "timezone": "America/Mexico_City",
        "target": {"person_id": pid(org.target), "entity_id": intel.entity_of[org.target]},
        "hideouts": hideouts,
        "target_final": {"lat": fl, "lon": fo},
        "decoys": decoys,
        "persons": persons,
        "roles": {"target": pid(org.target), "partner": pid(org.partner), "seed_lead": pid(org.seed_lead),
                  "lieutenants": [pid(p) for p in org.lieutenants], "couriers": [pid(p) for p in org.couriers],
                  "bodyguards": [pid(p) for p in org.bodyguards], "family": [pid(p) for p in org.family]},
        "seed_lead_identifier": lead,
        "tracked": tracked,
        "burner_successions": succ,
        "ties": ties,
        "reports": intel.report_truth,
        "visits": visits,
        "meetings": meetings,
        "dark_intervals": dark,
        "sources": {s["source_id"]: {"agency": s["agency"], "discipline": s["discipline"]} for s in sources},
        "aliases": {pid(p): a for p, a in org.aliases.items()},
    }


def _persons(world: World, org: Org, intel: Intel, iso: Any, t0: int, t_end: int) -> dict[str, Any]:
    """Every person: role, entity id, name, alias, phones (with their periods) and plates."""
    e164 = world.numbers_e164
    role: dict[int, str] = {org.target: "target", org.partner: "partner", org.seed_lead: "seed_lead"}
    for p in org.lieutenants:
        role[p] = "lieutenant"
    for p in org.couriers:
        role[p] = "courier"
    for p in org.bodyguards:
        role[p] = "bodyguard"
    for p in org.family:
        role.setdefault(p, "family")

    phones: dict[int, list[dict[str, str]]] = {}
    for p, num, a, b in zip(org.ph_person.tolist(), org.ph_num.tolist(), org.ph_from.tolist(), org.ph_to.tolist()):
        phones.setdefault(p, []).append({"identifier": e164[num], "from": iso(max(a, t0)), "to": iso(min(b, t_end))})
    plates: dict[int, list[str]] = {}
    for vi, owner in enumerate(world.veh_owner.tolist()):
        if owner < 0:
            continue
        plates.setdefault(owner, []).append("plate:" + world.plates[vi])
    persons: dict[str, Any] = {}
    for p in range(world.n):
        persons[pid(p)] = {
            "role": role.get(p, "civilian" if p < world.n_res else "out_of_area"),
            "entity_id": intel.entity_of.get(p),
            "name": f"{world.first[p]} {world.last[p]}",
            "alias": org.aliases.get(p),
            "phones": phones.get(p, []),
            "plates": plates.get(p, []),
        }
    return persons


def _ties(world: World, org: Org) -> list[dict[str, Any]]:
    """The organisation's ties, then every other tie touching its circle (acquaintances as weak friends)."""
    members = set(org.members)
    circle = members | set(org.family)
    ties: list[dict[str, Any]] = [{"a": pid(a), "b": pid(b), "kind": k} for a, b, k in org.org_ties]
    touch = np.isin(world.tie_a, list(circle)) | np.isin(world.tie_b, list(circle))
    seen = {(min(a, b), max(a, b)) for a, b, _ in org.org_ties}
    for a, b, k in zip(world.tie_a[touch].tolist(), world.tie_b[touch].tolist(), world.tie_kind[touch].tolist()):
        if (a, b) in seen:
            continue
        seen.add((a, b))
        kind = "friend" if k == K_ACQ else TIE_KINDS[k]
        ties.append({"a": pid(a), "b": pid(b), "kind": kind, **({"weak": True} if k == K_ACQ else {})})
    return ties


def _meetings(org: Org, ll: Any, iso: Any) -> list[dict[str, Any]]:
    """Planned meetings plus the target's hideout visits by non-lieutenants, by start time."""
    meetings = []
    for m in org.meetings:
        lat, lon = ll(m["xy"])
        meetings.append({"place": m["place"], "lat": lat, "lon": lon, "from": iso(m["from"]), "to": iso(m["to"]),
                         "person_ids": [pid(p) for p in m["persons"]]})
    for v in org.visits:
        if v.place.startswith("hideout") and v.person not in org.lieutenants:
            lat, lon = ll(v.xy)
            meetings.append({"place": v.place, "lat": lat, "lon": lon, "from": iso(v.t_from), "to": iso(v.t_to),
                             "person_ids": [pid(v.person), pid(org.target), *[pid(g) for g in org.bodyguards]]})
    meetings.sort(key=lambda m: m["from"])
    return meetings


def _dark(org: Org, mob: Mobility, ll: Any, iso: Any, e164: Any, t0: int, t_end: int) -> list[dict[str, Any]]:
    """Intervals a person's phone was off, clipped to the case period, with where he was."""
    def num_at(p: int, t: int) -> str | None:
        r = np.flatnonzero((org.ph_person == p) & (org.ph_slot == 0) & (org.ph_from <= t) & (org.ph_to > t))
        return e164[int(org.ph_num[r[0]])] if len(r) else None

    dark = []
    for x in org.dark:
        a, b = max(int(x["from"]), t0), min(int(x["to"]), t_end)
        if b <= a:
            continue
        xy = mob.position(np.array([x["person"]]), np.array([a]), phone=True)[0]
        lat, lon = ll(xy)
        dark.append({"person_id": pid(x["person"]), "identifier": num_at(x["person"], a), "from": iso(a), "to": iso(b),
                     "lat": lat, "lon": lon, "why": x["why"]})
    return dark
