"""Accuracy of resolve/ and network/ on simulated cases, against truth.json.

For each difficulty and seed: simulate a case (``fusioncell.sim.simulate``),
ingest it, run the network stage and compare with the hidden truth:

* **burner P/R/F1** — proposed (old, new) pairs vs truth ``burner_successions``
  (both ``burner`` and civilian ``sim_change`` kinds: the same person moved to
  a new number); ``F1 (≥5 events)`` counts as missed only pairs whose two
  handsets each have at least 5 events (a phone used once or twice leaves no
  fingerprint); ``org burner recall`` counts only the organisation's burners;
* **partner first** — in the seed lead's close circle, restricted to
  organisation members (roles other than civilian/family), the partner is
  ranked first (the story: the seed lead's circle leads to the partner);
* **close-circle recall@20** — share of the seed lead's and the partner's true
  (non-weak) contacts present in their top-20 close circle;
* **label accuracy** — predicted relationship of the tie between two truth
  persons (their phones mapped through our attributions) vs the truth kind,
  for partner/family/logistics/work/friend ties with communications, and
  per kind.

Tuning happened on seeds 0–999; the reported table uses held-out seeds ≥ 1000::

    .venv/bin/python bench/network_accuracy.py --seeds 1000-1019 --difficulty easy,normal,hard
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cases import parse_seeds  # noqa: E402

from fusioncell.ingest import ingest_case  # noqa: E402
from fusioncell.network import burner_successions, close_circle, contact_ties, person_of
from fusioncell.resolve import group_switches
from fusioncell.sim import simulate
from fusioncell.store import CaseStore

ORG_EXCLUDE = {"civilian", "family"}
KINDS = ("partner", "family", "logistics", "work", "friend")
MIN_OBS = 5


def evaluate(store: CaseStore, truth: dict[str, Any]) -> dict[str, Any]:
    persons = truth["persons"]
    owner = person_of(store)
    phone_nodes: dict[str, set[str]] = defaultdict(set)
    for pid, p in persons.items():
        for ph in p["phones"]:
            phone_nodes[pid].add(owner.get(ph["identifier"], ph["identifier"]))
        if p.get("entity_id"):
            phone_nodes[pid].add(p["entity_id"])
    node_person: dict[str, str] = {}
    for pid, nodes in phone_nodes.items():
        for n in nodes:
            node_person.setdefault(n, pid)
    res: dict[str, Any] = {}

    # burner successions
    found = {(b["old"], b["new"]) for b in burner_successions(store)}
    # group switches count as successions too, as `fusioncell network` lists them
    found |= {(g["old"], g["new"]) for g in group_switches(store)}
    true_pairs = {(b["old"], b["new"]): b.get("kind", "burner") for b in truth["burner_successions"]}
    tp = len(found & set(true_pairs))
    res["burner_tp"], res["burner_fp"], res["burner_fn"] = tp, len(found) - tp, len(true_pairs) - tp
    # observable: both handsets have at least MIN_OBS events (a phone used once or twice
    # leaves no contact fingerprint to link)
    counts = dict(store.con.execute(
        "SELECT ident, count(*) FROM (SELECT caller AS ident FROM comms UNION ALL SELECT callee FROM comms)"
        " GROUP BY ident").fetchall())
    obs = {k for k in true_pairs if counts.get(k[0], 0) >= MIN_OBS and counts.get(k[1], 0) >= MIN_OBS}
    res["obs_tp"], res["obs_fn"] = len(found & obs), len(obs - found)
    org_b = {k for k, v in true_pairs.items() if v == "burner"}
    res["org_burners"], res["org_burners_found"] = len(org_b), len(org_b & found)
    grp = {k for k, v in true_pairs.items() if v == "group"}  # the group-switch family's pairs
    res["group"], res["group_found"] = len(grp), len(grp & found)
    res["closed"] = bool((truth.get("family", {}).get("params", {}).get("group_switch") or {}).get("closed"))

    roles = truth["roles"]
    partner, lead = roles["partner"], roles["seed_lead"]
    ties_true: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in truth["ties"]:
        ties_true[t["a"]].append(t)
        ties_true[t["b"]].append(t)

    def circle_of(pid: str) -> list[dict[str, Any]]:
        phones = [ph["identifier"] for ph in persons[pid]["phones"]]
        if not phones:
            return []
        return close_circle(store, phones[0], k=20)

    lead_circle = circle_of(lead)
    org = [r for r in lead_circle if persons.get(node_person.get(r["node"], ""), {}).get("role", "civilian")
           not in ORG_EXCLUDE]
    res["partner_first"] = bool(org) and node_person.get(org[0]["node"]) == partner
    res["partner_rank_lead_circle"] = next(
        (r["rank"] for r in lead_circle if node_person.get(r["node"]) == partner), None)
    rec_hit = rec_all = 0
    for focus in (lead, partner):
        circ = {node_person.get(r["node"]) for r in circle_of(focus)}
        for t in ties_true[focus]:
            if t.get("weak"):
                continue
            other = t["b"] if t["a"] == focus else t["a"]
            if not persons[other]["phones"] and not persons[other].get("entity_id"):
                continue
            rec_all += 1
            rec_hit += other in circ
    res["circle_hit"], res["circle_all"] = rec_hit, rec_all

    # relationship labels
    tbl = contact_ties(store, "person").to_pylist()
    by_pair: dict[tuple[str, str], dict[str, Any]] = {}
    for r in tbl:
        pa, pb = node_person.get(r["a"]), node_person.get(r["b"])
        if pa and pb and pa != pb:
            key = (min(pa, pb), max(pa, pb))
            if key not in by_pair or r["n_events"] > by_pair[key]["n_events"]:
                by_pair[key] = r
    conf: Counter[tuple[str, str]] = Counter()
    for t in truth["ties"]:
        if t.get("weak") or t["kind"] not in KINDS:
            continue
        r = by_pair.get((min(t["a"], t["b"]), max(t["a"], t["b"])))
        if r is None or r["n_events"] == 0:
            continue
        conf[(t["kind"], r["relationship"])] += 1
    res["labels"] = dict((f"{a}>{b}", n) for (a, b), n in conf.items())
    return res


def run_case(seed: int, difficulty: str, workdir: Path, family: str | None = None) -> dict[str, Any]:
    case = workdir / f"case-{difficulty}-{seed}"
    if case.exists():
        shutil.rmtree(case)
    simulate(case, seed=seed, difficulty=difficulty, family=family)
    truth = json.loads((case / "truth.json").read_text())
    store = CaseStore.open(workdir / f"case-{difficulty}-{seed}.duckdb")
    try:
        ingest_case(case, store)
        t0 = time.perf_counter()
        res = evaluate(store, truth)
        res["seconds"] = time.perf_counter() - t0
    finally:
        store.close()
        shutil.rmtree(case, ignore_errors=True)
        (workdir / f"case-{difficulty}-{seed}.duckdb").unlink(missing_ok=True)
    return res


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tp = sum(r["burner_tp"] for r in rows)
    fp = sum(r["burner_fp"] for r in rows)
    fn = sum(r["burner_fn"] for r in rows)
    p = tp / (tp + fp) if tp + fp else 1.0
    rc = tp / (tp + fn) if tp + fn else 1.0
    otp = sum(r["obs_tp"] for r in rows)
    ofn = sum(r["obs_fn"] for r in rows)
    orc = otp / (otp + ofn) if otp + ofn else 1.0
    labels: Counter[str] = Counter()
    for r in rows:
        labels.update(r["labels"])
    per_kind = {}
    for k in KINDS:
        tot = sum(n for key, n in labels.items() if key.startswith(k + ">"))
        ok = labels.get(f"{k}>{k}", 0)
        per_kind[k] = (ok, tot)
    ok_all = sum(ok for ok, _ in per_kind.values())
    tot_all = sum(t for _, t in per_kind.values())
    return {
        "n": len(rows), "tp": tp, "fp": fp, "fn": fn,
        "burner_p": p, "burner_r": rc, "burner_f1": 2 * p * rc / (p + rc) if p + rc else 0.0,
        "obs_f1": 2 * p * orc / (p + orc) if p + orc else 0.0,
        "org_burner_recall": (sum(r["org_burners_found"] for r in rows) / max(1, sum(r["org_burners"] for r in rows))),
        "partner_first": sum(r["partner_first"] for r in rows) / len(rows),
        "circle_recall": sum(r["circle_hit"] for r in rows) / max(1, sum(r["circle_all"] for r in rows)),
        "label_acc": ok_all / tot_all if tot_all else float("nan"),
        "per_kind": per_kind,
        "group": sum(r["group"] for r in rows), "group_found": sum(r["group_found"] for r in rows),
        "closed": sum(r["group"] for r in rows if r["closed"]),
        "closed_found": sum(r["group_found"] for r in rows if r["closed"]),
        "labels": labels,
        "seconds": sum(r["seconds"] for r in rows) / len(rows),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1000-1019")
    ap.add_argument("--difficulty", default="easy,normal,hard")
    ap.add_argument("--family", default=None, help="a world family (sim/families.py), e.g. group-switch")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    seeds = parse_seeds(args.seeds)
    table = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="fc-netacc-") as tmp:
        for diff in args.difficulty.split(","):
            rows = []
            for s in seeds:
                try:
                    r = run_case(s, diff, Path(tmp), args.family)
                except Exception as exc:  # a simulator failure must not hide the other seeds
                    print(f"{diff} seed {s}: case failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                    failed.append(f"{diff}:{s}")
                    continue
                rows.append(r)
                if args.verbose:
                    print(diff, s, {k: v for k, v in r.items() if k != "labels"}, r["labels"], file=sys.stderr)
            table.append((diff, summarise(rows)))
    print(f"Network accuracy on simulated cases, seeds {args.seeds}\n")
    # three decimals and the counts (net15): 0.896 printed as 0.90 read as the 0.9 target met
    print("| difficulty | seeds | burner found / false / missed | burner P | burner R | burner F1 | F1 (≥5 events) | "
          "org burner recall | partner first | circle recall@20 | label acc | partner | family | logistics | work | "
          "friend | s/case |")
    print("|---|" + "---|" * 16)
    for diff, s in table:
        pk = s["per_kind"]
        kinds = " | ".join(f"{ok}/{tot}" for ok, tot in (pk[k] for k in KINDS))
        print(f"| {diff} | {s['n']} | {s['tp']} / {s['fp']} / {s['fn']} | {s['burner_p']:.3f} | {s['burner_r']:.3f} | "
              f"{s['burner_f1']:.3f} | {s['obs_f1']:.2f} | "
              f"{s['org_burner_recall']:.2f} | {s['partner_first']:.0%} | {s['circle_recall']:.2f} | "
              f"{s['label_acc']:.2f} | {kinds} | {s['seconds']:.1f} |")
    for diff, s in table:
        if s["group"]:
            print(f"\n{diff}: group-switch pairs found {s['group_found']} of {s['group']}; in worlds where the new "
                  f"phones call only each other {s['closed_found']} of {s['closed']}")
    if failed:
        print(f"\ncases that failed to simulate or ingest (excluded): {', '.join(failed)}")
    if args.verbose:
        for diff, s in table:
            print(diff, "confusion (truth>predicted):", dict(sorted(s["labels"].items())), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
