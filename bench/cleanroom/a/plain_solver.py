#!/usr/bin/env python3
"""Plain analyst solver for clean-room cases.

solve(case_dir) reads ONLY the case folder (never truth.json) and returns (lat, lon, how).
`plain_solver.py OUT_ROOT` solves every case folder below OUT_ROOT and then (scorer part) compares with
truth.json, printing per-difficulty top-1 hit rates (within 300 m and 1 km of the final hideout).
`plain_solver.py CASE_DIR --one` prints the answer for one case.
"""
import csv, json, math, os, re, sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
import numpy as np

CELL_DEG = 0.0027  # ~300 m


def read_toml_min(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r'\s*(\w+)\s*=\s*"(.*)"', line)
        if m and m.group(1) not in out:
            out[m.group(1)] = m.group(2)
    return out


def load_jsonl(p):
    if not os.path.exists(p):
        return []
    return [json.loads(l) for l in open(p, encoding="utf-8") if l.strip()]


def hav_m(lat1, lon1, lat2, lon2):
    R = 6371000.0
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1; dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R * np.arcsin(np.sqrt(a))


def find_partner_phone(case_dir, case, tracked):
    target = case.get("entity_id")
    reps = load_jsonl(os.path.join(case_dir, "reports.jsonl"))
    ents = load_jsonl(os.path.join(case_dir, "entities.jsonl"))
    aliases = Counter()
    for r in reps:
        for c in r.get("claims", []) or []:
            if c.get("predicate") == "partner_of" and c.get("subject") == target:
                aliases[c.get("object")] += 1
    # partner entity (Associate 'pareja' of target) aliases too
    ent_by_id = {e["id"]: e for e in ents}
    for e in ents:
        if e["schema"] == "Associate" and target in e["properties"].get("person", []):
            for a in e["properties"].get("associate", []):
                pe = ent_by_id.get(a)
                if pe and "pareja" in e["properties"].get("relationship", []):
                    for al in pe["properties"].get("alias", []):
                        aliases["alias:" + al] += 1
                    for ph in pe["properties"].get("phone", []):
                        if ph in tracked:
                            return ph, "entity phone"
    nums = Counter()
    for r in reps:
        for c in r.get("claims", []) or []:
            if c.get("predicate") == "uses" and c.get("subject") in aliases and str(c.get("object", "")).startswith("+"):
                nums[c["object"]] += aliases[c["subject"]] * (7 - int(r.get("credibility", 6))) / 6.0 + 0.01
    for n, _ in nums.most_common():
        if n in tracked:
            return n, "uses claim"
    # else: the seed lead is the tracked phone known in entities; partner = its most-called tracked contact
    ent_phones = set()
    for e in ents:
        for ph in e["properties"].get("phone", []):
            ent_phones.add(ph)
    seeds = [t for t in tracked if t in ent_phones] or list(tracked)[:1]
    seedp = seeds[0] if seeds else None
    cnt = Counter()
    p = os.path.join(case_dir, "comms.csv")
    if seedp and os.path.exists(p):
        for row in csv.DictReader(open(p, encoding="utf-8")):
            if row["caller"] == seedp:
                cnt[row["callee"]] += 1
            elif row["callee"] == seedp:
                cnt[row["caller"]] += 1
    for n, _ in cnt.most_common():
        if n in tracked and n != seedp:
            return n, "seed top tracked contact"
    others = [t for t in tracked if t != seedp]
    if others:
        return others[0], "other tracked"
    return (cnt.most_common(1)[0][0] if cnt else None), "seed top contact"


def refine(lat, lon, acc, mask, la0, lo0, rad=1500.0):
    """accuracy-weighted mean of the masked fixes within rad of a start point, re-centred twice."""
    la, lo = la0, lo0
    for _ in range(3):
        m = mask & (hav_m(lat, lon, la, lo) < rad)
        if not m.any():
            break
        w = 1.0 / np.maximum(acc[m], 50.0) ** 2
        la, lo = float((lat[m] * w).sum() / w.sum()), float((lon[m] * w).sum() / w.sum())
        rad = max(600.0, rad * 0.6)
    return la, lo


def solve(case_dir):
    meta = read_toml_min(os.path.join(case_dir, "case.toml"))
    tz = ZoneInfo(meta.get("timezone", "America/Mexico_City"))
    rows = list(csv.DictReader(open(os.path.join(case_dir, "locations.csv"), encoding="utf-8")))
    tracked = sorted(set(r["identifier"] for r in rows))
    phone, how = find_partner_phone(case_dir, meta, set(tracked))
    fx = [r for r in rows if r["identifier"] == phone]
    if not fx:
        return None, None, "no fixes"
    t = [datetime.fromisoformat(r["observed"]).astimezone(tz) for r in fx]
    order = np.argsort([x.timestamp() for x in t])
    t = [t[i] for i in order]
    lat = np.array([float(fx[i]["lat"]) for i in order]); lon = np.array([float(fx[i]["lon"]) for i in order])
    acc = np.array([float(fx[i]["accuracy_m"] or 500) for i in order])
    coslat = math.cos(math.radians(float(np.median(lat))))
    gy = np.round(lat / CELL_DEG).astype(int); gx = np.round(lon * coslat / CELL_DEG).astype(int)
    hours = np.array([x.hour for x in t])
    # "night" n = the night beginning on the evening of date n; 00-05 belongs to previous date
    night_date = [(x - timedelta(hours=12)).date() for x in t]
    # home: the cell neighbourhood with the most fixes overall (all hours; weekends/evenings count)
    def nb_sum(c, C):
        return sum(C.get((c[0] + a, c[1] + b), 0) for a in (-1, 0, 1) for b in (-1, 0, 1))
    night = (hours >= 0) & (hours < 5)
    nights_at = defaultdict(set)
    for i in np.nonzero(night)[0]:
        nights_at[(gy[i], gx[i])].add(night_date[i])
    # home: a place of nights AND of weekend daytime (a hideout sees only nights, work only weekdays)
    wkend_day = np.array([x.weekday() >= 5 and 10 <= x.hour < 18 for x in t])
    days_at = defaultdict(set)
    for i in np.nonzero(wkend_day)[0]:
        days_at[(gy[i], gx[i])].add(t[i].date())
    homescore = Counter()
    for c in set(nights_at) | set(days_at):
        homescore[c] = len(nights_at.get(c, ())) + 1.5 * len(days_at.get(c, ()))
    if not homescore:
        homescore = Counter(zip(gy, gx))
    home = max(homescore, key=lambda c: nb_sum(c, homescore))
    home_ll = refine(lat, lon, acc, night | wkend_day, home[0] * CELL_DEG, home[1] * CELL_DEG / coslat, rad=900.0)
    def nb_nights(c):
        s = set()
        for a in (-1, 0, 1):
            for b in (-1, 0, 1):
                s |= nights_at.get((c[0] + a, c[1] + b), set())
        return s
    cands = []
    for c in nights_at:
        cy, cx = c[0] * CELL_DEG, c[1] * CELL_DEG / coslat
        if hav_m(cy, cx, home_ll[0], home_ll[1]) < 1500:
            continue
        ns = nb_nights(c)
        cands.append((len(ns), max(ns), c))
    cands.sort(key=lambda x: (x[0], x[1]), reverse=True)
    best = cands[0] if cands else None
    # fallback: last fix before a night-time silence (>= 3 h gap starting 18:00-02:00)
    silence = Counter(); silence_pts = defaultdict(list)
    ts = np.array([x.timestamp() for x in t])
    gaps = np.diff(ts)
    for i in np.nonzero(gaps > 3 * 3600)[0]:
        if hours[i] >= 18 or hours[i] < 2:
            c = (gy[i], gx[i])
            if hav_m(lat[i], lon[i], home_ll[0], home_ll[1]) < 1000:
                continue
            silence[c] += 1; silence_pts[c].append(i)
    away = night & (hav_m(lat, lon, home_ll[0], home_ll[1]) > 1200)
    if best and best[0] >= 2:
        c = best[2]
        la, lo = refine(lat, lon, acc, away, c[0] * CELL_DEG, c[1] * CELL_DEG / coslat, rad=900.0)
        return la, lo, f"night place ({best[0]} nights) via {how}"
    if silence:
        c = max(silence, key=lambda c: (nb_sum(c, silence), max(silence_pts[c])))
        if nb_sum(c, silence) >= 2 or not best:
            ii = [j for (a, b), v in silence_pts.items() if abs(a - c[0]) <= 1 and abs(b - c[1]) <= 1 for j in v]
            return float(lat[ii].mean()), float(lon[ii].mean()), f"silence onset ({len(ii)}x) via {how}"
    if best:
        c = best[2]
        la, lo = refine(lat, lon, acc, away, c[0] * CELL_DEG, c[1] * CELL_DEG / coslat, rad=900.0)
        return la, lo, f"night place (1 night) via {how}"
    return float(home_ll[0]), float(home_ll[1]), "home (nothing else)"


def main():
    root = sys.argv[1]
    if "--one" in sys.argv:
        print(solve(root)); return
    res = defaultdict(list)
    for d in sorted(os.listdir(root)):
        cd = os.path.join(root, d)
        if not os.path.exists(os.path.join(cd, "case.toml")):
            continue
        lat, lon, how = solve(cd)
        tr = json.load(open(os.path.join(cd, "truth.json")))  # scorer only
        err = float(hav_m(lat, lon, tr["final"]["lat"], tr["final"]["lon"])) if lat is not None else 1e9
        res[tr["difficulty"]].append((d, err, how, tr["traits"]))
        print(f"{d:12s} err={err/1000:8.2f} km  {'HIT ' if err <= 300 else 'miss'}  {how:45s} traits={','.join(tr['traits'])}")
    print()
    for diff in ("easy", "normal", "hard"):
        if diff in res:
            e = np.array([x[1] for x in res[diff]])
            print(f"{diff:7s} n={len(e):3d}  top1<=300m: {np.mean(e <= 300):.2f}   <=1km: {np.mean(e <= 1000):.2f}   median err {np.median(e)/1000:.2f} km")


if __name__ == "__main__":
    main()
