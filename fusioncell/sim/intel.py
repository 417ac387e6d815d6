"""Informant reports (Spanish and English, true, vague and false claims) and known entities.

True and false claims use the same templates, the same radii and overlapping
credibility grades; which source tells the truth is shuffled per case.
Known addresses sometimes point at the hideout, sometimes at decoys and
sometimes at innocent places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fusioncell.sim.names import ALIASES_F, ALIASES_M
from fusioncell.sim.org import Org
from fusioncell.sim.rng import gen
from fusioncell.sim.world import World

RELIABILITY = ("A", "B", "C", "D", "E", "F")
_VEHICLE_TYPES = ("pickup", "car", "SUV", "van")


@dataclass
class Intel:
    """Reports, entities, and what the truth says about each report."""

    reports: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    report_truth: dict[str, dict[str, bool]] = field(default_factory=dict)
    entity_of: dict[int, str] = field(default_factory=dict)
    lead_sites: list[tuple[float, float]] = field(default_factory=list)
    humint_sources: list[dict[str, str]] = field(default_factory=list)


def _eid(rng: np.random.Generator, prefix: str) -> str:
    return f"{prefix}-{int(rng.integers(0, 16**8)):08x}"


def build_intel(world: World, org: Org, seed: int, cfg: dict[str, Any], t0: int, days: int,
                number_at: dict[int, str], iso: Any, owner: str, partner_agency: str) -> Intel:
    """Draw the reports and the entities. ``number_at[p]`` is p's main number (E.164) at the start."""
    rng = gen(seed, "intel")
    out = Intel()
    ids, innocents, ranch = _entities(world, org, rng, cfg, number_at, out)
    true_pool, false_pool = _claim_pools(world, org, rng, cfg, t0, days, number_at, iso, ids, innocents, ranch,
                                         out.entity_of)
    _reports(world, org, rng, cfg, t0, days, iso, owner, partner_agency, ids, true_pool, false_pool, out)
    return out


def _entities(world: World, org: Org, rng: np.random.Generator, cfg: dict[str, Any], number_at: dict[int, str],
              out: Intel) -> tuple[dict[int, str], list[int], np.ndarray]:
    """``out.entities`` (persons, relations, vehicles, addresses); returns (entity ids, innocents, ranches)."""
    # ---- entities
    ids: dict[int, str] = {}
    for p in org.members + list(rng.choice(world.n_res, size=6, replace=False)):
        ids.setdefault(int(p), _eid(rng, "ent"))
    out.entity_of = {org.target: ids[org.target], org.seed_lead: ids[org.seed_lead]}

    pool_f = [a for a in ALIASES_F if a not in org.aliases.values()]
    pool_m = [a for a in ALIASES_M if a not in org.aliases.values()]

    def person(p: int, phone: bool, alias: bool, national: bool = False) -> dict[str, Any]:
        props: dict[str, list[str]] = {"name": [f"{world.first[p]} {world.last[p]}"]}
        if alias and p in org.aliases:
            props["alias"] = [org.aliases[p]]
        elif alias:  # people of no interest have nicknames too
            pool = pool_f if world.female[p] else pool_m
            props["alias"] = [pool[int(rng.integers(0, len(pool)))]]
        if phone and p in number_at:
            props["phone"] = [number_at[p]]
        out.entity_of[p] = ids[p]
        return {"id": ids[p], "schema": "Person", "properties": props}

    ents = [person(org.target, False, True), person(org.seed_lead, True, False)]
    partner_known = rng.random() < 0.7
    if partner_known:
        ents.append(person(org.partner, rng.random() < cfg["p_give_number"] * 0.5, True))
        sis = any(k == "family" and {a, b} == {org.partner, org.seed_lead} for a, b, k in org.org_ties)
        rel = "hermana" if sis else "amiga"
        ents.append({"id": _eid(rng, "rel"), "schema": "Family" if rel == "hermana" else "Associate",
                     "properties": {"person": [ids[org.seed_lead]],
                                    ("relative" if rel == "hermana" else "associate"): [ids[org.partner]],
                                    "relationship": [rel]}})
    for p in org.lieutenants[: int(rng.integers(1, len(org.lieutenants) + 1))]:
        ents.append(person(p, rng.random() < 0.6, True))
        ents.append({"id": _eid(rng, "rel"), "schema": "Associate",
                     "properties": {"person": [ids[org.target]], "associate": [ids[p]], "relationship": ["lugarteniente"]}})
    innocents = [int(p) for p in ids if p not in org.members]
    for p in innocents[:4]:
        ents.append(person(p, True, bool(rng.random() < 0.5)))
    # vehicles: couriers' (some known), innocent ones
    vehicles = list(world.veh_owner)
    for p in org.couriers[: int(rng.integers(1, len(org.couriers) + 1))]:
        v = vehicles.index(p)
        props = {"registrationNumber": [world.plates[v]], "type": [_VEHICLE_TYPES[int(rng.integers(0, 4))]]}
        if p in out.entity_of:
            props["owner"] = [out.entity_of[p]]
        ents.append({"id": _eid(rng, "veh"), "schema": "Vehicle", "properties": props})
    for v in rng.choice(len(vehicles), size=min(3, len(vehicles)), replace=False):
        ents.append({"id": _eid(rng, "veh"), "schema": "Vehicle",
                     "properties": {"registrationNumber": [world.plates[int(v)]],
                                    "type": [_VEHICLE_TYPES[int(rng.integers(0, 4))]]}})
    # addresses: the hideout (sometimes), decoys, innocent places
    addr: list[tuple[np.ndarray, str]] = []
    # one wording per kind of building, never per role (the hideout's address once read "camino de
    # terracería" and no other did: a giveaway)
    def building(xy: np.ndarray) -> str:
        town = float(np.min(np.hypot(*(world.towns_xy - np.asarray(xy)).T) - world.towns_r)) < 0.0
        return "Casa" if town else ("Rancho, camino de terracería" if rng.random() < 0.4 else "Rancho")

    if rng.random() < 0.35:
        addr.append((org.hideouts[0]["xy"], building(org.hideouts[0]["xy"])))
    for dcy in org.decoys:
        if rng.random() < 0.6:
            addr.append((dcy["xy"], "Casa" if dcy["kind"] == "safe house" else building(dcy["xy"])))
    ranch = np.flatnonzero(world.place_kind == 1)
    for i in rng.choice(len(ranch), size=min(int(rng.integers(2, 5)), len(ranch)), replace=False):
        addr.append((world.places_xy[ranch[int(i)]], building(world.places_xy[ranch[int(i)]])))
    order = rng.permutation(len(addr))
    for i in order:
        xy, what = addr[int(i)]
        lat, lon = world.to_latlon(np.asarray(xy, dtype=np.float64))
        ents.append({"id": _eid(rng, "addr"), "schema": "Address",
                     "properties": {"full": [f"{what}, {float(lat):.4f}, {float(lon):.4f}"],
                                    "latitude": [f"{float(lat):.5f}"], "longitude": [f"{float(lon):.5f}"]}})
    out.entities = [ents[int(i)] for i in rng.permutation(len(ents))]
    return ids, innocents, ranch


def _claim_pools(world: World, org: Org, rng: np.random.Generator, cfg: dict[str, Any], t0: int, days: int,
                 number_at: dict[int, str], iso: Any, ids: dict[int, str], innocents: list[int],
                 ranch: np.ndarray, entity_of: dict[int, str]) -> tuple[list[list[dict[str, Any]]], list[list[dict[str, Any]]]]:
    """The claim sets a report may carry: (true ones, false and misleading ones)."""
    # ---- claims
    tgt = ids[org.target]
    p_alias = f"alias:{org.aliases[org.partner]}"
    other_f = [a for a in ALIASES_F if a != org.aliases[org.partner]]
    hide = org.hideouts[-1]["xy"] if rng.random() < 0.5 else org.hideouts[0]["xy"]

    def loc(xy: np.ndarray) -> tuple[float, float, float]:
        r = float(rng.choice([1500, 3000, 5000, 8000, 12000, 20000]))
        c = np.asarray(xy, np.float64) + rng.normal(0, r / 3.0, 2)
        lat, lon = world.to_latlon(c)
        return round(float(lat), 4), round(float(lon), 4), r

    def when() -> dict[str, str]:
        out_: dict[str, str] = {}
        if rng.random() < 0.6:
            out_["valid_from"] = iso(t0 + int(rng.integers(-20, days)) * 86400)
        if rng.random() < 0.3:
            out_["valid_to"] = iso(t0 + int(rng.integers(days // 2, days + 30)) * 86400)
        return out_

    def c_partner(alias: str) -> dict[str, Any]:
        return {"subject": tgt, "predicate": "partner_of", "object": alias}

    true_pool: list[list[dict[str, Any]]] = []
    false_pool: list[list[dict[str, Any]]] = []
    true_pool.append([c_partner(p_alias)])
    if rng.random() < cfg["p_give_number"]:
        true_pool.append([c_partner(p_alias), {"subject": p_alias, "predicate": "uses", "object": number_at[org.partner]}])
    sl = ids[org.seed_lead]
    sisters = any(k == "family" and {a, b} == {org.partner, org.seed_lead} for a, b, k in org.org_ties)
    true_pool.append([{"subject": sl, "predicate": "family_of" if sisters else "associate_of", "object": p_alias}])
    for _ in range(2):
        c_lat, c_lon, r = loc(hide)
        true_pool.append([{"subject": tgt, "predicate": "located_near", "lat": c_lat, "lon": c_lon, "radius_m": r, **when()}])
    for c in org.couriers:
        c_lat, c_lon, r = loc(hide)
        true_pool.append([{"subject": f"alias:{org.aliases[c]}", "predicate": "visits", "lat": c_lat, "lon": c_lon, **when()}])
    for lt in org.lieutenants:
        subj = ids[lt] if lt in entity_of else f"alias:{org.aliases[lt]}"
        true_pool.append([{"subject": subj, "predicate": "associate_of", "object": tgt}])
        true_pool.append([{"subject": subj, "predicate": "meets", "object": tgt}])
    # false and misleading
    for dcy in org.decoys:
        c_lat, c_lon, r = loc(dcy["xy"])
        false_pool.append([{"subject": tgt, "predicate": "located_near", "lat": c_lat, "lon": c_lon, "radius_m": r, **when()}])
    for i in rng.choice(len(ranch), size=min(2, len(ranch)), replace=False):
        c_lat, c_lon, r = loc(world.places_xy[ranch[int(i)]])
        false_pool.append([{"subject": tgt, "predicate": "located_near", "lat": c_lat, "lon": c_lon, "radius_m": r, **when()}])
    false_pool.append([c_partner(f"alias:{other_f[int(rng.integers(0, len(other_f)))]}")])
    phoned = [p for p in innocents if p in number_at]
    wrong = number_at[int(rng.choice(phoned))] if phoned else number_at[org.seed_lead]
    false_pool.append([c_partner(p_alias), {"subject": p_alias, "predicate": "uses", "object": wrong}])
    for lt in org.lieutenants[:2]:
        dcy = org.decoys[int(rng.integers(0, len(org.decoys)))]
        c_lat, c_lon, r = loc(dcy["xy"])
        false_pool.append([{"subject": f"alias:{org.aliases[lt]}", "predicate": "visits", "lat": c_lat, "lon": c_lon, **when()}])
    return true_pool, false_pool


def _reports(world: World, org: Org, rng: np.random.Generator, cfg: dict[str, Any], t0: int, days: int, iso: Any,
             owner: str, partner_agency: str, ids: dict[int, str], true_pool: list[list[dict[str, Any]]],
             false_pool: list[list[dict[str, Any]]], out: Intel) -> None:
    """HUMINT sources (shuffled grades, one of the partner agency) and their reports, into ``out``."""
    # ---- sources: shuffled grades, a partner-agency source among them
    n_src = int(rng.integers(4, 7))
    for i in range(n_src):
        rel = RELIABILITY[int(rng.choice(6, p=[0.08, 0.27, 0.3, 0.17, 0.08, 0.1]))]
        agency = partner_agency if i == n_src - 1 else owner
        out.humint_sources.append({"source_id": _eid(rng, "src"), "agency": agency, "reliability": rel})
    n_rep = int(rng.integers(8, 15))
    chosen: list[tuple[list[dict[str, Any]], bool]] = [(true_pool[0], True)]
    for _ in range(n_rep - 1):
        if rng.random() < cfg["p_true"] or not false_pool:
            chosen.append((true_pool[int(rng.integers(0, len(true_pool)))], True))
        else:
            chosen.append((false_pool[int(rng.integers(0, len(false_pool)))], False))
    reps = []
    for claims, is_true in chosen:
        misleading = not is_true or any(c["predicate"] in ("located_near", "visits") and not is_true for c in claims)
        cred = int(rng.choice([1, 2, 3, 4, 5, 6], p=[0.12, 0.3, 0.26, 0.16, 0.06, 0.1] if is_true else [0.08, 0.26, 0.26, 0.22, 0.08, 0.1]))
        src = out.humint_sources[int(rng.integers(0, n_src))]
        es = rng.random() < 0.7
        text = " ".join(_text(c, es, org, world, ids) for c in claims)
        reps.append(({"source_id": src["source_id"], "reported": iso(t0 + int(rng.integers(-10 * 86400, days * 86400))),
                      "credibility": cred, "text": text, "claims": claims}, is_true, misleading))
    # vague reports without claims
    for _ in range(int(rng.integers(1, 4))):
        src = out.humint_sources[int(rng.integers(0, n_src))]
        txt = ("Se comenta en el pueblo que el patrón anda por la sierra." if rng.random() < 0.5
               else "Source heard that the boss moves between ranches and trusts only family.")
        reps.append(({"source_id": src["source_id"], "reported": iso(t0 + int(rng.integers(0, days * 86400))),
                      "credibility": int(rng.choice([3, 4, 6])), "text": txt}, True, False))
    perm = rng.permutation(len(reps))
    for k, i in enumerate(perm):
        rep, is_true, misleading = reps[int(i)]
        rid = _eid(rng, "r")
        out.reports.append({"report_id": rid, **rep})
        out.report_truth[rid] = {"true": bool(is_true), "misleading": bool(misleading)}
        for c in rep.get("claims", []):
            if "lat" in c:
                out.lead_sites.append((c["lat"], c["lon"]))


def _text(c: dict[str, Any], es: bool, org: Org, world: World, ids: dict[int, str]) -> str:
    subj = c["subject"]
    name = {v: (org.aliases.get(k) or f"{world.first[k]} {world.last[k]}") for k, v in ids.items()}
    s = name.get(subj, subj.replace("alias:", ""))
    o = c.get("object", "")
    o_ = name.get(o, o.replace("alias:", "") if isinstance(o, str) else o)
    pred = c["predicate"]
    if pred == "partner_of":
        return f"La pareja de {s} es conocida como '{o_}'." if es else f"{s}'s girlfriend is known as '{o_}'."
    if pred == "uses":
        return f"'{s}' usa el número {o_}." if es else f"'{s}' uses the number {o_}."
    if pred == "family_of":
        return f"{s} es familiar de '{o_}'." if es else f"{s} is related to '{o_}'."
    if pred == "associate_of":
        return f"{s} trabaja para {o_}." if es else f"{s} works for {o_}."
    if pred == "meets":
        return f"{s} se reúne con {o_}." if es else f"{s} meets {o_}."
    if pred == "located_near":
        km = c["radius_m"] / 1000
        return (f"{s} se esconde a menos de {km:.0f} km de {c['lat']}, {c['lon']}." if es
                else f"{s} hides within {km:.0f} km of {c['lat']}, {c['lon']}.")
    if pred == "visits":
        return (f"'{s}' va seguido a un lugar cerca de {c['lat']}, {c['lon']}." if es
                else f"'{s}' often goes to a place near {c['lat']}, {c['lon']}.")
    return ""
