#!/usr/bin/env python3
"""Evidence audit (uses truth.json; NOT a solver): how much evidence about the final hideout is in each case,
and do simple giveaway heuristics work? Prints one line per case plus giveaway rates."""
import csv, json, os, sys
from collections import Counter, defaultdict
from datetime import datetime
import numpy as np
sys.path.insert(0, os.path.dirname(__file__))
from plain_solver import hav_m, load_jsonl


def audit(cd):
    tr = json.load(open(os.path.join(cd, "truth.json")))
    F = tr["final"]
    sig = list(csv.DictReader(open(os.path.join(cd, "sightings.csv"))))
    reps = load_jsonl(os.path.join(cd, "reports.jsonl"))
    ents = load_jsonl(os.path.join(cd, "entities.jsonl"))
    known_plates = {"plate:" + p for e in ents if e["schema"] == "Vehicle" for p in e["properties"].get("registrationNumber", [])}
    at_true = [r for r in sig if hav_m(float(r["lat"]), float(r["lon"]), F["lat"], F["lon"]) < 300]
    plates_true = sum(1 for r in at_true if r["subject"] in known_plates)
    # true located_near reports
    tgt = tr["target_entity_id"]
    ln = [(c, r) for r in reps for c in r.get("claims", []) if c.get("predicate") == "located_near" and c.get("subject") == tgt]
    true_ln = sum(1 for c, r in ln if hav_m(c["lat"], c["lon"], F["lat"], F["lon"]) < max(c["radius_m"], 1000))
    # giveaway 1: most sighted site; giveaway 2: best-graded located_near claim; 3: site with most person-target sightings
    cells = Counter((round(float(r["lat"]), 2), round(float(r["lon"]), 2)) for r in sig)
    most = cells.most_common(1)[0][0] if cells else (0, 0)
    g1 = hav_m(most[0], most[1], F["lat"], F["lon"]) < 1500
    src = {r["source_id"]: r for r in csv.DictReader(open(os.path.join(cd, "sources.csv")))}
    best = None
    for c, r in ln:
        k = ("ABCDEF".index(src[r["source_id"]]["reliability"]), r["credibility"], c["radius_m"])
        if best is None or k < best[0]:
            best = (k, c)
    g2 = best is not None and hav_m(best[1]["lat"], best[1]["lon"], F["lat"], F["lon"]) < 1500
    pt = Counter((round(float(r["lat"]), 2), round(float(r["lon"]), 2)) for r in sig if r["subject"] == tgt)
    g3 = bool(pt) and hav_m(pt.most_common(1)[0][0][0], pt.most_common(1)[0][0][1], F["lat"], F["lon"]) < 1500
    # silence onset distances of the partner's phone on visit nights
    loc = [r for r in csv.DictReader(open(os.path.join(cd, "locations.csv"))) if r["identifier"] == tr["partner_phone"]]
    near_fix_nights = len({r["observed"][:10] for r in loc if hav_m(float(r["lat"]), float(r["lon"]), F["lat"], F["lon"]) < 1000})
    return dict(case=os.path.basename(cd), diff=tr["difficulty"], true_sightings=len(at_true), known_plate_reads=plates_true,
                true_reports=true_ln, all_loc_reports=len(ln), days_with_fix_near=near_fix_nights,
                g_most_sighted=g1, g_best_graded=g2, g_person_sightings=g3)


def main():
    root = sys.argv[1]
    rows = [audit(os.path.join(root, d)) for d in sorted(os.listdir(root)) if os.path.exists(os.path.join(root, d, "truth.json"))]
    for r in rows:
        print(" ".join(f"{k}={v}" for k, v in r.items()))
    for diff in ("easy", "normal", "hard"):
        rr = [r for r in rows if r["diff"] == diff]
        if rr:
            print(diff, "giveaways (hit rate): most-sighted %.2f  best-graded-report %.2f  most person-sightings %.2f | any fix within 1km of final: %.2f" % (
                np.mean([r["g_most_sighted"] for r in rr]), np.mean([r["g_best_graded"] for r in rr]),
                np.mean([r["g_person_sightings"] for r in rr]), np.mean([r["days_with_fix_near"] > 0 for r in rr])))


if __name__ == "__main__":
    main()
