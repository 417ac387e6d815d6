"""Why a locate answer missed: no candidate near him (recall), or a candidate there ranked below another.

    .venv/bin/python bench/locate_recall.py --families all --difficulties normal,hard --seeds 1000-1009

For each partner-tracked case of bench/_cases.py (the cases bench/locate_families.py scores): the
candidate place nearest to where he is at the end of the data, its distance, its rank under the shipped
model and its probability; and the *data ceiling*: the distance from him to the nearest observation of
any kind in the store (a handset fix, a serving cell site, a sighting, a claim's point, a known address).
A miss with a candidate within 300 m is a ranking error (the model's to fix); a miss without one but with
an observation within 300 m is a candidate-generation error; a miss with neither cannot be found to
300 m from this data by any ranking. Session 21 wrote it (docs/benchmarks.md, "Locate, session 21").
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cases import parse_seeds, partner_case  # noqa: E402
from accuracy import HIT_M  # noqa: E402

from fusioncell.infer.locate import analyse, load_model, posterior  # noqa: E402
from fusioncell.sim.families import FAMILIES  # noqa: E402
from fusioncell.spacetime.geo import haversine_m  # noqa: E402
from fusioncell.store import CaseStore  # noqa: E402

#: Every point an observation puts on the map, one (kind, lat, lon) row each.
_POINTS = """
SELECT 'fix' AS kind, lat, lon FROM locations
UNION ALL SELECT 'cell', caller_lat, caller_lon FROM comms WHERE caller_lat IS NOT NULL
UNION ALL SELECT 'cell', callee_lat, callee_lon FROM comms WHERE callee_lat IS NOT NULL
UNION ALL SELECT 'sighting', lat, lon FROM sightings
UNION ALL SELECT 'claim', lat, lon FROM claims WHERE lat IS NOT NULL
UNION ALL SELECT 'address', TRY_CAST(json_extract_string(properties, '$.latitude[0]') AS DOUBLE),
                 TRY_CAST(json_extract_string(properties, '$.longitude[0]') AS DOUBLE)
          FROM entities WHERE schema = 'Address'
"""


def nearest_observation(cs: CaseStore, lat: float, lon: float) -> dict[str, float]:
    """Per kind of observation, the distance (m) from (lat, lon) to the nearest one (haversine in SQL)."""
    rows = cs.con.execute(
        f"""
        SELECT kind, min(2 * 6371008.8 * asin(sqrt(
            pow(sin(radians(lat - ?) / 2), 2) + cos(radians(?)) * cos(radians(lat)) * pow(sin(radians(lon - ?) / 2), 2))))
        FROM ({_POINTS}) WHERE lat IS NOT NULL AND lon IS NOT NULL GROUP BY kind
        """, [lat, lat, lon]).fetchall()
    return {k: float(d) for k, d in rows}


def evaluate(job: tuple[str, str, int]) -> dict[str, Any]:
    family, diff, seed = job
    store, truth = partner_case(seed, diff, family)
    where = truth["target_final"]
    out: dict[str, Any] = {"family": family, "difficulty": diff, "seed": seed}
    with CaseStore.open(store, read_only=True) as cs:
        near = nearest_observation(cs, where["lat"], where["lon"])
        an = analyse(cs)
        c = an.candidates
        out["data_m"] = round(min(near.values())) if near else None
        out["data_kinds"] = sorted(k for k, d in near.items() if d <= HIT_M)
        if c.lat.size == 0:
            return out | {"cand_m": None, "rank": None, "p": 0.0, "top1": False}
        p = posterior(an, load_model())[1].p
    d = haversine_m(where["lat"], where["lon"], c.lat, c.lon)
    j = int(np.argmin(d))
    rank = int((p > p[j]).sum()) + 1
    return out | {"cand_m": round(float(d[j])), "origin": c.origin[j], "rank": rank, "p": round(float(p[j]), 3),
                  "top1": bool(d[j] <= HIT_M and rank == 1)}


def table(res: list[dict[str, Any]]) -> list[str]:
    rows = ["| family | difficulty | n | top-1 | candidate ≤ 300 m | ranked below another | no candidate, data ≤ 300 m "
            "| nothing observed ≤ 300 m |", "|---|---|---|---|---|---|---|---|"]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in res:
        groups[(r["family"], r["difficulty"])].append(r)
    for (fam, diff), g in sorted(groups.items()) + [(("all", ""), res)]:
        cand = [r for r in g if r["cand_m"] is not None and r["cand_m"] <= HIT_M]
        missing = [r for r in g if r not in cand]
        rows.append(f"| {fam} | {diff} | {len(g)} | {sum(r['top1'] for r in g)} | {len(cand)} | "
                    f"{sum(not r['top1'] for r in cand)} | {sum(bool(r['data_kinds']) for r in missing)} | "
                    f"{sum(not r['data_kinds'] for r in missing)} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--families", default="all")
    ap.add_argument("--difficulties", default="normal,hard")
    ap.add_argument("--seeds", default="1000-1009")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    fams = list(FAMILIES) if a.families == "all" else a.families.split(",")
    jobs = [(f, d, s) for f in fams for d in a.difficulties.split(",") for s in parse_seeds(a.seeds)]
    with ProcessPoolExecutor(a.workers) as ex:
        res = list(ex.map(evaluate, jobs))
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    print("\n".join(table(res)))
    print("\nmisses with an observation within 300 m but no candidate:")
    for r in res:
        if (r["cand_m"] is None or r["cand_m"] > HIT_M) and r["data_kinds"]:
            print(f"  {r['family']} {r['difficulty']} {r['seed']}: nearest candidate {r['cand_m']} m; "
                  f"observed within 300 m: {', '.join(r['data_kinds'])}")


if __name__ == "__main__":
    main()
