#!/usr/bin/env python3
"""Empirical trait frequencies per difficulty from truth.json. Usage: traitfreq.py ROOT [ROOT...]"""
import json, os, sys
from collections import Counter, defaultdict
agg = defaultdict(lambda: defaultdict(Counter))
n = Counter()
for root in sys.argv[1:]:
    for c in os.listdir(root):
        p = os.path.join(root, c, "truth.json")
        if not os.path.exists(p):
            continue
        tr = json.load(open(p)); D = tr["difficulty"]; v = tr["trait_values"]; n[D] += 1
        agg[D]["coverage(actual)"][v["hideout_coverage_actual"]] += 1
        agg[D]["discipline"][v["partner_discipline"]] += 1
        agg[D]["late_move"][("move,%dvisits" % v["late_move_visits_actual"]) if v["late_move"] else "no"] += 1
        agg[D]["decoys"][v["n_decoys"]] += 1
        agg[D]["planted>0"][v["planted_reports"] > 0] += 1
        agg[D]["stale>0"][v["stale_reports"] > 0] += 1
        agg[D]["partner_number_known"][v["partner_number_known"]] += 1
        agg[D]["weak_target_sightings"][v["weak_target_sightings"]] += 1
        agg[D]["partner_burner_switch"][v["partner_burner_switch"]] += 1
for D in ("easy", "normal", "hard"):
    print("==", D, "n=%d" % n[D])
    for k, c in agg[D].items():
        print("  %-22s " % k + "  ".join("%s:%.2f" % (kk, vv / n[D]) for kk, vv in sorted(c.items(), key=lambda x: str(x[0]))))
