"""Why a collection-loop run missed: was his partner's phone tracked, and if not, what did plan pick and why.

    FUSIONCELL_BENCH_CASES=... .venv/bin/python bench/loop_diagnosis.py loop.json

``loop.json`` is bench/locate_families.py ``--json`` output (it records each
round's first recommendation in ``loop_trail``). For every unsolved run: if
the partner's phone (truth.json roles.partner → persons[..].phones[0]) was
the seed lead or tracked in some round, the miss is locate's; otherwise each
round prints plan's pick (role, roles, why) and where her phone stood: its
rank in the recommendations and among the ``identify`` candidates. The
cases are re-opened from the same cache (no new simulation).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cases import case_for, partner_phone, seed_case  # noqa: E402

from fusioncell.infer.locate import analyse, load_model  # noqa: E402
from fusioncell.infer.plan import plan  # noqa: E402
from fusioncell.store import CaseStore  # noqa: E402


def _round(seed: int, diff: str, fam: str, rnd: int, tracked: list[str], pick: str, her: str) -> str:
    tag = "seed" if rnd == 0 else f"loop{rnd}-" + "-".join(t[-4:] for t in tracked)
    store, _ = case_for(seed, diff, None if rnd == 0 else tracked, tag=tag, family=fam)
    with CaseStore.open(store) as cs:
        pl = plan(cs, budget=50, model=load_model())
        members = analyse(cs, None).circle.members
    recs = pl["recommendations"]
    rank = next((x["rank"] for x in recs if x["identifier"] == her), None)
    cands = [c["identifier"] for x in pl["identify"] for c in x["candidates"]]
    m = members.get(pick)
    roles = {k: round(v, 2) for k, v in (m.roles if m else {}).items()}
    return (f"  round {rnd + 1}: picked {pick} ({m.role if m else '?'} {roles}); her phone: rank {rank} of "
            f"{len(recs)}, candidate {cands.index(her) + 1 if her in cands else None} of {len(cands)}; "
            f"why: {recs[0]['why'][:160] if recs else ''}")


def main() -> None:
    res = json.loads(Path(sys.argv[1]).read_text())
    counts: Counter[str] = Counter()
    for r in res:
        if r["rounds"] is not None:
            continue
        fam, seed, diff = r["family"], r["seed"], r["difficulty"]
        _, truth = seed_case(seed, diff, fam)
        her = partner_phone(truth) or ""
        tracked = [truth["seed_lead_identifier"]]
        picks = [t["recommendations"][0]["identifier"] for t in r["loop_trail"] if t["recommendations"]]
        head = f"{fam} {diff} {seed}"
        if her in tracked or her in picks:
            counts["her phone tracked: locate's miss"] += 1
            print(f"{head}: her phone tracked (round {picks.index(her) + 1 if her in picks else 0}): locate's miss")
            continue
        counts["her phone never tracked: plan's miss"] += 1
        print(f"{head}: her phone {her} never tracked")
        for rnd, pick in enumerate(picks):
            print(_round(seed, diff, fam, rnd, tracked, pick, her))
            tracked = tracked + [pick]
    print(dict(counts))


if __name__ == "__main__":
    main()
