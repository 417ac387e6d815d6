#!/usr/bin/env python3
"""Shortcut heuristics that must NOT find the answer (simulator-realism.md).
Usage: giveaways.py OUT_ROOT"""
import csv, json, math, os, re, sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from solve import dist_m, rcsv


def near_truth(p, tr, r=300):
    return any(dist_m(p, (h["lat"], h["lon"])) <= r for h in tr["hideouts"][1:])


def main(root):
    stats = defaultdict(lambda: defaultdict(list))
    sizes = defaultdict(list)
    for n in sorted(os.listdir(root)):
        c = os.path.join(root, n)
        if not os.path.exists(os.path.join(c, "truth.json")):
            continue
        tr = json.load(open(os.path.join(c, "truth.json")))
        D = tr["difficulty"]
        srcs = {r["source_id"]: r for r in rcsv(os.path.join(c, "sources.csv"))}
        sig = rcsv(os.path.join(c, "sightings.csv"))
        comms = rcsv(os.path.join(c, "comms.csv"))
        locs = rcsv(os.path.join(c, "locations.csv"))
        sizes[D].append((tr["n_days"], len(comms), len(sig), len({r["caller"] for r in comms} | {r["callee"] for r in comms})))
        # 1. most-imaged site (imagery rows clustered at 300 m)
        im = [(float(r["lat"]), float(r["lon"])) for r in sig if srcs[r["source_id"]]["discipline"] == "IMINT"]
        cl = []
        for p in im:
            for q in cl:
                if dist_m(p, q[0]) < 300:
                    q[1] += 1
                    break
            else:
                cl.append([p, 1])
        if cl:
            best = max(cl, key=lambda q: q[1])[0]
            stats[D]["most_imaged_site_is_hideout"].append(near_truth(best, tr))
            stats[D]["share_imaged_sites_that_are_hideouts"].append(sum(near_truth(q[0], tr) for q in cl) / len(cl))
        # 2. highest-confidence target sighting
        tid = tr["target_entity_id"]
        ts = [r for r in sig if r["subject"] == tid]
        if ts:
            b = max(ts, key=lambda r: float(r["confidence"]))
            stats[D]["best_target_sighting_within_1km"].append(near_truth((float(b["lat"]), float(b["lon"])), tr, 1000))
        # 3. located_near claims from A/B sources with credibility <= 2: centre within 300 m / 2 km of truth
        reps = [json.loads(l) for l in open(os.path.join(c, "reports.jsonl"))]
        for r in reps:
            for cl_ in r.get("claims", []):
                if cl_["predicate"] == "located_near":
                    good = srcs[r["source_id"]]["reliability"] in "AB" and r["credibility"] <= 2
                    ok = near_truth((cl_["lat"], cl_["lon"]), tr, cl_["radius_m"])
                    stats[D]["located_near_true(in radius) good-graded" if good else "located_near_true(in radius) other"].append(ok)
        # 4. Address entities that point at a hideout
        for l in open(os.path.join(c, "entities.jsonl")):
            e = json.loads(l)
            if e["schema"] == "Address":
                p = (float(e["properties"]["latitude"][0]), float(e["properties"]["longitude"][0]))
                stats[D]["address_points_at_hideout"].append(near_truth(p, tr))
        # 5. activity: share of active days, org phones vs civilians
        org = {tr["partner_phone"], tr["seed_lead_phone"]} | {p for x in tr["lieutenants"] + tr["couriers"] for p in x["phones"]}
        days = defaultdict(set)
        for r in comms:
            for k in ("caller", "callee"):
                days[r[k]].add(r["start"][:10])
        for num, ds in days.items():
            stats[D]["active_day_share_org" if num in org else "active_day_share_civ"].append(len(ds) / tr["n_days"])
        # 6. handset fixes: does the partner go silent at night more than the lead?
    for D in ("easy", "normal", "hard"):
        print("==", D)
        for k, v in stats[D].items():
            print("  %-48s n=%4d mean=%.2f" % (k, len(v), sum(v) / len(v)))
        s = sizes[D]
        print("  sizes: days %d-%d, comms %d-%d, sightings %d-%d, phones %d-%d" % (
            min(x[0] for x in s), max(x[0] for x in s), min(x[1] for x in s), max(x[1] for x in s),
            min(x[2] for x in s), max(x[2] for x in s), min(x[3] for x in s), max(x[3] for x in s)))


if __name__ == "__main__":
    main(sys.argv[1])
