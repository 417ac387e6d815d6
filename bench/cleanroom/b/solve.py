#!/usr/bin/env python3
"""Plain analyst solver: seed lead -> partner phone -> her night places -> hideout.

Reads only the case folder (truth.json is used only for scoring, after answering).
Usage: solve.py OUT_ROOT   (every sub-folder with a case.toml)
"""
import csv, json, math, os, re, sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

LOCAL = timezone(timedelta(hours=-7))
CLUSTER_M = 400     # leader-clustering radius for nightly points (brief: ~300 m; 400 absorbs rural fix noise)
HOME_EXCL_M = 1000  # night clusters this close to her home count as home


def ptime(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(LOCAL)


def dist_m(a, b):
    dy = (a[0] - b[0]) * 111200
    dx = (a[1] - b[1]) * 111200 * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dx, dy)


def rcsv(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def solve(case):
    toml = open(os.path.join(case, "case.toml"), encoding="utf-8").read()
    target = re.search(r'entity_id\s*=\s*"([^"]+)"', toml).group(1)
    ents = [json.loads(l) for l in open(os.path.join(case, "entities.jsonl"), encoding="utf-8") if l.strip()]
    reps = [json.loads(l) for l in open(os.path.join(case, "reports.jsonl"), encoding="utf-8") if l.strip()]
    sources = {r["source_id"]: r for r in rcsv(os.path.join(case, "sources.csv"))}
    comms = rcsv(os.path.join(case, "comms.csv"))
    locs = rcsv(os.path.join(case, "locations.csv"))
    tracked = Counter(r["identifier"] for r in locs)

    # partner identity: aliases/entities named partner_of the target
    partner_ids = set()
    for r in reps:
        for c in r.get("claims", []):
            if c.get("predicate") == "partner_of":
                if c.get("subject") == target and c.get("object"):
                    partner_ids.add(c["object"])
                elif c.get("object") == target:
                    partner_ids.add(c["subject"])
    for e in ents:
        if e["schema"] == "Person" and any(("alias:" + a) in partner_ids for a in e["properties"].get("alias", [])):
            partner_ids.add(e["id"])
    claimed = Counter()
    for r in reps:
        for c in r.get("claims", []):
            if c.get("predicate") == "uses" and c.get("subject") in partner_ids and str(c.get("object", "")).startswith("+"):
                claimed[c["object"]] += 1
    # seed lead: the intercepted handset (entity description or lawful-intercept source)
    lead = None
    for e in ents:
        if "seed lead" in " ".join(e["properties"].get("description", [])).lower():
            lead = (e["properties"].get("phone") or [None])[0]
    if lead is None:
        li = {s for s, r in sources.items() if "intercept" in r["method"].lower()}
        cnt = Counter()
        for r in comms:
            if r["source_id"] in li:
                cnt[r["caller"]] += 1
                cnt[r["callee"]] += 1
        lead = cnt.most_common(1)[0][0] if cnt else None
    how = None
    partner = [p for p, _ in claimed.most_common() if p in tracked and p != lead]
    if partner:
        how = "uses-claim"
    else:
        cnt = Counter()
        for r in comms:
            if r["caller"] == lead:
                cnt[r["callee"]] += 1
            elif r["callee"] == lead:
                cnt[r["caller"]] += 1
        tr = [(n, p) for p, n in cnt.items() if p in tracked and p != lead]
        if tr:
            partner = [max(tr)[1]]
        elif cnt:
            partner = [cnt.most_common(1)[0][0]]
        how = "lead-top-contact"
    # successor numbers (burner switch): other tracked handsets that are not the lead
    partner += [p for p in tracked if p != lead and p not in partner]
    fixes = sorted((ptime(r["observed"]), float(r["lat"]), float(r["lon"])) for r in locs if r["identifier"] in partner)
    accs = {(ptime(r["observed"]), float(r["lat"]), float(r["lon"])): float(r["accuracy_m"] or 500) for r in locs if r["identifier"] in partner}
    winpts = [(t, la, lo) for t, la, lo in fixes if 0 <= t.hour < 5]
    if not fixes:
        return None, {"how": how, "partner": partner, "lead": lead}
    pts = []   # (night_key, lat, lon)
    for t, la, lo in fixes:
        if 0 <= t.hour < 5:
            pts.append(((t - timedelta(hours=12)).date(), la, lo, "win"))
    for (t1, a1, o1), (t2, a2, o2) in zip(fixes[:-1], fixes[1:]):
        if (t2 - t1) > timedelta(hours=3):
            # does the gap cover part of 00-05 local?
            d = t1.replace(hour=0, minute=0, second=0)
            hit = False
            while d < t2:
                for s in (d, d + timedelta(days=1)):
                    if s < t2 and s + timedelta(hours=5) > t1:
                        hit = True
                        key = (s - timedelta(hours=12)).date()
                d += timedelta(days=1)
            if hit:
                pts.append((key, a1, o1, "gap"))
                pts.append((key, a2, o2, "gap"))
    # one representative point per night: the densest group of that night's points (500 m), median
    bynight = defaultdict(list)
    gaps = defaultdict(list)
    for key, la, lo, kind in pts:
        (bynight if kind == "win" else gaps)[key].append((la, lo))
    reps = []
    for key in sorted(set(bynight) | set(gaps)):
        ps = bynight.get(key, [])
        best = None
        if ps:
            best = max(ps, key=lambda p: sum(dist_m(p, q) < 500 for q in ps))
            grp = [q for q in ps if dist_m(best, q) < 500]
            best = (sorted(q[0] for q in grp)[len(grp) // 2], sorted(q[1] for q in grp)[len(grp) // 2])
            reps.append((key, best[0], best[1], "win"))
        for g in gaps.get(key, []):   # last fix before / first after a night-time silence
            if best is None or dist_m(best, g) > 1000:
                reps.append((key, g[0], g[1], "gap"))
    # leader clustering of the nightly points at 300 m
    cl = []   # [lat, lon, n, nights:set, members]
    for key, la, lo, kind in reps:
        best = None
        for c in cl:
            d = dist_m((la, lo), (c[0], c[1]))
            if d < CLUSTER_M and (best is None or d < best[0]):
                best = (d, c)
        if best is None:
            cl.append([la, lo, 1, {key}, [(la, lo)], {kind}])
        else:
            c = best[1]
            c[2] += 1
            c[0] += (la - c[0]) / c[2]
            c[1] += (lo - c[1]) / c[2]
            c[3].add(key)
            c[4].append((la, lo))
            c[5].add(kind)
    cl.sort(key=lambda c: (len(c[3]), c[2]), reverse=True)
    if len(cl) < 2:
        return None, {"how": how, "partner": partner, "lead": lead}
    home = cl[0]
    rest = [c for c in cl[1:] if dist_m((c[0], c[1]), (home[0], home[1])) > HOME_EXCL_M]
    if not rest:
        return None, {"how": how, "partner": partner, "lead": lead}
    ans = rest[0]
    # careful variant: recency-weighted night count (tau = 4 days) over non-home places
    last = max(k for c in cl for k in c[3])
    rec = max(rest, key=lambda c: sum(math.exp(-(last - k).days / 4.0) for k in c[3]))
    visible = [(c[0], c[1]) for c in rest]
    # final position: accuracy-weighted mean of all night fixes of the chosen place (1/acc^2)
    def refine(c):
        sel = [(la, lo, accs[(t, la, lo)]) for t, la, lo in winpts
               if (t - timedelta(hours=12)).date() in c[3] and dist_m((la, lo), (c[0], c[1])) < 800]
        if len(sel) < 2:
            return c[0], c[1]
        for _ in range(2):
            w = [1 / a ** 2 for _, _, a in sel]
            m = (sum(x[0] * wi for x, wi in zip(sel, w)) / sum(w), sum(x[1] * wi for x, wi in zip(sel, w)) / sum(w))
            sel2 = [x for x in sel if dist_m((x[0], x[1]), m) < max(400, 2 * x[2])]
            sel = sel2 if len(sel2) >= 2 else sel
        return m
    lat, lon = refine(ans)
    rec_c = rec
    rec = refine(rec)
    return (lat, lon), {"how": how, "partner": partner, "lead": lead, "home": (home[0], home[1]),
                        "ans_nights": ans[3], "rec_nights": rec_c[3], "rec_win": "win" in rec_c[5], "last_night": last,
                        "recency": rec, "visible": visible,
                        "nights": len(ans[3]), "home_nights": len(home[3])}


def chain(case, ans, info):
    """Careful-analyst variant: follow the target's vehicles from her main night place to a newer site
    (imagery), else prefer a night place that replaced the main one, else the plain answer."""
    toml = open(os.path.join(case, "case.toml"), encoding="utf-8").read()
    target = re.search(r'entity_id\s*=\s*"([^"]+)"', toml).group(1)
    reps = [json.loads(l) for l in open(os.path.join(case, "reports.jsonl"), encoding="utf-8") if l.strip()]
    sources = {r["source_id"]: r for r in rcsv(os.path.join(case, "sources.csv"))}
    sig = [r for r in rcsv(os.path.join(case, "sightings.csv")) if sources[r["source_id"]]["discipline"] == "IMINT"
           and r["subject"].startswith("plate:")]
    plates = {c["object"] for r in reps for c in r.get("claims", [])
              if c.get("predicate") == "uses" and c.get("subject") == target and str(c.get("object", "")).startswith("plate:")}
    pos = lambda r: (float(r["lat"]), float(r["lon"]))
    last_at = {}
    if ans:
        for r in sig:
            if dist_m(pos(r), ans) < 400:
                plates.add(r["subject"])
                last_at[r["subject"]] = max(last_at.get(r["subject"], ptime(r["observed"])), ptime(r["observed"]))
    home = info.get("home")
    moved = []
    for r in sig:
        if r["subject"] not in plates or (ans and dist_m(pos(r), ans) < 1000) or (home and dist_m(pos(r), home) < 500):
            continue
        t = ptime(r["observed"])
        if r["subject"] in last_at and t <= last_at[r["subject"]]:
            continue
        if ans and r["subject"] not in last_at and info.get("ans_nights") and t.date() <= max(info["ans_nights"]):
            continue
        moved.append(r)
    if moved:
        lastr = max(moved, key=lambda r: ptime(r["observed"]))
        grp = [pos(r) for r in moved if dist_m(pos(r), pos(lastr)) < 400]
        return (sum(p[0] for p in grp) / len(grp), sum(p[1] for p in grp) / len(grp)), "vehicle-followed"
    if ans and info.get("rec_nights") and info["rec_nights"] is not info.get("ans_nights") and \
            min(info["rec_nights"]) > max(info["ans_nights"]) and info["rec_win"] and \
            (info["last_night"] - max(info["ans_nights"])).days >= 4:
        return info["recency"], "newer-night-place"
    return ans, "plain"


def main():
    root = sys.argv[1]
    res = defaultdict(list)
    for name in sorted(os.listdir(root)):
        case = os.path.join(root, name)
        if not os.path.exists(os.path.join(case, "case.toml")):
            continue
        ans, info = solve(case)
        tr = json.load(open(os.path.join(case, "truth.json")))
        d = dist_m(ans, (tr["final"]["lat"], tr["final"]["lon"])) if ans else float("inf")
        anyh = min((dist_m(ans, (h["lat"], h["lon"])) for h in tr["hideouts"][1:]), default=1e9) if ans else float("inf")
        ph_ok = tr["partner_phone"] in info["partner"]
        fin = (tr["final"]["lat"], tr["final"]["lon"])
        rec_ok = bool(ans) and dist_m(info["recency"], fin) <= 300
        vis = bool(ans) and any(dist_m(v, fin) <= 300 for v in info["visible"])
        ch, chow = chain(case, ans, info)
        ch_ok = bool(ch) and dist_m(ch, fin) <= 300
        res[tr["difficulty"]].append((d <= 300, d <= 1000, anyh <= 300, ph_ok, rec_ok, vis, ch_ok))
        print("%-10s %-9s phone_ok=%-5s how=%-16s dist_final=%8.0f m  dist_any_hideout=%8.0f m  chain=%-17s %-5s %s" % (
            name, tr["difficulty"], ph_ok, info["how"], d, anyh, chow, ch_ok, " ".join(t for t in tr["traits"] if not t.startswith(("rented", "lt_", "rhythm")))))
    print()
    for diff in ("easy", "normal", "hard"):
        r = res.get(diff)
        if r:
            n = len(r)
            print("%-7s n=%2d top1<=300m(final)=%.2f  <=1km=%.2f  <=300m(any hideout in window)=%.2f  partner phone found=%.2f"
                  "  | recency-weighted top1<=300m=%.2f  final visible among her night places=%.2f  | chain top1<=300m=%.2f" % (
                      diff, n, sum(x[0] for x in r) / n, sum(x[1] for x in r) / n, sum(x[2] for x in r) / n, sum(x[3] for x in r) / n,
                      sum(x[4] for x in r) / n, sum(x[5] for x in r) / n, sum(x[6] for x in r) / n))


if __name__ == "__main__":
    main()
