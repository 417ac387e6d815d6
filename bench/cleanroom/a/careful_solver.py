#!/usr/bin/env python3
"""A more careful reference analyst (reads only the case folder). Used to check the cases stay solvable.

Candidates: the partner's non-home night places, aerial-imagery sites, claim/address coordinates.
Scores: partner nights (recent ones count more), night-time silences that start near the candidate,
graded located_near / visits claims, known plates (from entities) read at the site, address entities.
`careful_solver.py OUT_ROOT` prints per-difficulty hit rates (scorer reads truth.json)."""
import csv, json, math, os, sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plain_solver import read_toml_min, load_jsonl, hav_m, find_partner_phone, refine, CELL_DEG

REL_W = dict(A=1.0, B=0.8, C=0.6, D=0.4, E=0.25, F=0.5)
CRED_W = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.35, 5: 0.2, 6: 0.5}


def solve(cd):
    meta = read_toml_min(os.path.join(cd, "case.toml"))
    tz = ZoneInfo(meta.get("timezone", "America/Mexico_City"))
    target = meta["entity_id"]
    rows = list(csv.DictReader(open(os.path.join(cd, "locations.csv"), encoding="utf-8")))
    tracked = set(r["identifier"] for r in rows)
    phone, _ = find_partner_phone(cd, meta, tracked)
    src = {r["source_id"]: r for r in csv.DictReader(open(os.path.join(cd, "sources.csv"), encoding="utf-8"))}
    reps = load_jsonl(os.path.join(cd, "reports.jsonl"))
    ents = load_jsonl(os.path.join(cd, "entities.jsonl"))
    sig = list(csv.DictReader(open(os.path.join(cd, "sightings.csv"), encoding="utf-8")))
    fx = sorted((datetime.fromisoformat(r["observed"]).astimezone(tz), float(r["lat"]), float(r["lon"]), float(r["accuracy_m"]))
                for r in rows if r["identifier"] == phone)
    t = [f[0] for f in fx]
    lat = np.array([f[1] for f in fx]); lon = np.array([f[2] for f in fx]); acc = np.array([f[3] for f in fx])
    coslat = math.cos(math.radians(float(np.median(lat)))) if len(lat) else 1.0
    t_end = max(t) if t else None
    hours = np.array([x.hour for x in t])
    night = hours < 5
    gy = np.round(lat / CELL_DEG).astype(int); gx = np.round(lon * coslat / CELL_DEG).astype(int)
    nd = [(x - timedelta(hours=12)).date() for x in t]
    # home as in the plain solver
    nights_at = defaultdict(set); days_at = defaultdict(set)
    for i in range(len(t)):
        if night[i]:
            nights_at[(gy[i], gx[i])].add(nd[i])
        if t[i].weekday() >= 5 and 10 <= t[i].hour < 18:
            days_at[(gy[i], gx[i])].add(t[i].date())
    hs = Counter({c: len(nights_at.get(c, ())) + 1.5 * len(days_at.get(c, ())) for c in set(nights_at) | set(days_at)})
    nb = lambda c, C: sum(C.get((c[0] + a, c[1] + b), 0) for a in (-1, 0, 1) for b in (-1, 0, 1))
    home = max(hs, key=lambda c: nb(c, hs))
    wk = np.array([x.weekday() >= 5 and 10 <= x.hour < 18 for x in t], bool)
    hl = refine(lat, lon, acc, night | wk, home[0] * CELL_DEG, home[1] * CELL_DEG / coslat, rad=900.0)
    # ---- candidates
    cands = []  # (lat, lon, precision_rank)
    for c in nights_at:
        la, lo = c[0] * CELL_DEG, c[1] * CELL_DEG / coslat
        if hav_m(la, lo, hl[0], hl[1]) > 1500:
            away = night & (hav_m(lat, lon, hl[0], hl[1]) > 1200)
            cands.append(refine(lat, lon, acc, away, la, lo, rad=900.0) + (1,))
    for r in sig:
        cands.append((float(r["lat"]), float(r["lon"]), 0))
    for e in ents:
        if e["schema"] == "Address" and e["properties"].get("latitude"):
            cands.append((float(e["properties"]["latitude"][0]), float(e["properties"]["longitude"][0]), 0))
    claims = []
    for r in reps:
        w = REL_W.get(src.get(r["source_id"], {}).get("reliability", "F"), 0.5) * CRED_W.get(int(r["credibility"]), 0.5)
        for c in r.get("claims", []) or []:
            if c.get("predicate") in ("located_near", "visits") and "lat" in c:
                claims.append((c["lat"], c["lon"], c.get("radius_m", 3000), w, c["predicate"]))
                cands.append((c["lat"], c["lon"], 2))
    # merge candidates within 400 m, keep the most precise representative
    cands.sort(key=lambda x: x[2])
    merged = []
    for la, lo, pr in cands:
        if all(hav_m(la, lo, m[0], m[1]) > 400 for m in merged):
            merged.append((la, lo, pr))
    if not merged:
        return hl[0], hl[1], "home"
    M = np.array([(m[0], m[1]) for m in merged])
    score = np.zeros(len(M))
    # partner nights
    ni = np.nonzero(night)[0]
    last_night = [None] * len(M); first_night = [None] * len(M); night_sc = np.zeros(len(M)); day_pen = np.zeros(len(M))
    for k in range(len(M)):
        if hav_m(M[k, 0], M[k, 1], hl[0], hl[1]) < 2000:   # her own block (fix scatter reaches ~2 km)
            score[k] -= 100
            continue
        if len(ni):
            d = hav_m(lat[ni], lon[ni], M[k, 0], M[k, 1])
            best_d = {}
            for i, dd in zip(ni, d):
                if dd < 900:
                    best_d[nd[i]] = min(best_d.get(nd[i], 1e9), dd)
            rec = sum((1.0 + (1.0 if (t_end.date() - n).days <= 10 else 0.0)) * math.exp(-(dd / 500.0) ** 2)
                      for n, dd in best_d.items())
            score[k] += 3.0 * rec
            night_sc[k] = 3.0 * rec
            last_night[k] = max(best_d) if best_d else None
            first_night[k] = min(best_d) if best_d else None
            # a hideout is a night place: daytime presence (10-17h) means a relative's/friend's/work place
            dm = (hours >= 10) & (hours < 17)
            if dm.any():
                days = {t[i].date() for i in np.nonzero(dm)[0] if hav_m(lat[i], lon[i], M[k, 0], M[k, 1]) < 1000}
                score[k] -= 2.0 * len(days)
                day_pen[k] = len(days)
    # a move: a night-only place whose nights all come after the last night at another night-only place
    nightly = [k for k in range(len(M)) if night_sc[k] > 2.5 and day_pen[k] == 0]
    for j in nightly:
        for k in nightly:
            if j != k and first_night[j] > last_night[k] and hav_m(M[j, 0], M[j, 1], M[k, 0], M[k, 1]) > 1500:
                score[j] += 0.8 * night_sc[k]
    # recency: the place of her most recent away-night (he may have moved)
    ln = [(x, k) for k, x in enumerate(last_night) if x is not None and score[k] > 2.5]
    if ln:
        newest = max(x for x, _ in ln)
        for x, k in ln:
            if x == newest:
                score[k] += 6.0
    # where is there coverage? cell sites observed in call records (serving cells) and fix positions
    sites = set()
    for r in csv.DictReader(open(os.path.join(cd, "comms.csv"), encoding="utf-8")):
        for a, b in (("caller_lat", "caller_lon"), ("callee_lat", "callee_lon")):
            if r[a]:
                sites.add((round(float(r[a]), 4), round(float(r[b]), 4)))
    S = np.array(sorted(sites)) if sites else np.zeros((0, 2))
    dark = np.ones(len(M), bool)
    if len(S):
        dmin = np.array([hav_m(S[:, 0], S[:, 1], M[k, 0], M[k, 1]).min() for k in range(len(M))])
        dark = dmin > 4500.0
    # silences: last fix before a >= 4 h gap starting 17:00-02:00 away from home; first fix after
    ts = np.array([x.timestamp() for x in t])
    for i in np.nonzero(np.diff(ts) > 4 * 3600)[0]:
        if not (hours[i] >= 17 or hours[i] < 2):
            continue
        if hav_m(lat[i], lon[i], hl[0], hl[1]) < 1500:
            continue
        rec = 2.0 if (t_end - t[i]).days <= 10 else 1.0
        d1 = hav_m(M[:, 0], M[:, 1], lat[i], lon[i]); d2 = hav_m(M[:, 0], M[:, 1], lat[i + 1], lon[i + 1])
        score += rec * np.where(dark, 2.5, 0.5) * np.exp(-np.minimum(d1, d2) / 8000.0)
    # claims
    for la, lo, rad, w, pred in claims:
        d = hav_m(M[:, 0], M[:, 1], la, lo)
        r = max(rad, 1000)
        score += 2.0 * w * np.exp(-0.5 * (d / r) ** 2) * (1.5 if pred == "visits" else 1.0) * min(1.0, 3000 / r + 0.3)
    # aerial: known organisation plates, target person detections, described vehicle types
    owners = {e["id"] for e in ents if e["schema"] == "Person" and e["id"] != target}
    known = {"plate:" + p for e in ents if e["schema"] == "Vehicle" and set(e["properties"].get("owner", [])) & owners
             for p in e["properties"].get("registrationNumber", [])}
    described = {c["object"] for r in reps for c in r.get("claims", []) or [] if c.get("predicate") == "uses" and str(c.get("object", "")).startswith("vehicle:")}
    for r in sig:
        d = hav_m(M[:, 0], M[:, 1], float(r["lat"]), float(r["lon"]))
        near = d < 300
        s = r["subject"]
        if s in known:
            score += near * 2.0 * float(r["confidence"])
        elif s == target:
            score += near * 0.6 * float(r["confidence"])
        elif s in described:
            score += near * 0.2
    for e in ents:
        if e["schema"] == "Address" and e["properties"].get("latitude"):
            d = hav_m(M[:, 0], M[:, 1], float(e["properties"]["latitude"][0]), float(e["properties"]["longitude"][0]))
            score += (d < 300) * 0.8
    k = int(np.argmax(score))
    solve.last = (M, score)
    if night_sc[k] > 2.5:  # a place with her night fixes: the fixes locate it better than a claim centre
        away = night & (hav_m(lat, lon, hl[0], hl[1]) > 1200)
        la, lo = refine(lat, lon, acc, away, M[k, 0], M[k, 1], rad=900.0)
        # snap to an aerial/address site if one is right there
        for la2, lo2, pr in merged:
            if pr == 0 and hav_m(la, lo, la2, lo2) < 250:
                la, lo = la2, lo2
                break
        return float(la), float(lo), f"score {score[k]:.1f} (night fixes)"
    return float(M[k, 0]), float(M[k, 1]), f"score {score[k]:.1f}"


def main():
    root = sys.argv[1]
    res = defaultdict(list)
    for d in sorted(os.listdir(root)):
        cd = os.path.join(root, d)
        if not os.path.exists(os.path.join(cd, "case.toml")):
            continue
        la, lo, how = solve(cd)
        tr = json.load(open(os.path.join(cd, "truth.json")))
        err = float(hav_m(la, lo, tr["final"]["lat"], tr["final"]["lon"]))
        res[tr["difficulty"]].append(err)
        if "-v" in sys.argv:
            M, sc = solve.last
            dd = hav_m(M[:, 0], M[:, 1], tr["final"]["lat"], tr["final"]["lon"])
            tc = np.nonzero(dd < 300)[0]
            rank = (f"truth cand score {sc[tc].max():.1f} rank {int((sc > sc[tc].max()).sum()) + 1}/{len(sc)}" if len(tc) else "truth not a candidate")
            print(f"{d:12s} err={err/1000:8.2f} km {how} | {rank} {tr['traits']}")
    for diff in ("easy", "normal", "hard"):
        if diff in res:
            e = np.array(res[diff])
            print(f"careful {diff:7s} n={len(e):3d}  top1<=300m: {np.mean(e <= 300):.2f}   <=1km: {np.mean(e <= 1000):.2f}  <=5km: {np.mean(e <= 5000):.2f}")


if __name__ == "__main__":
    main()
