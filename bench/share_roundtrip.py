"""Does a partner's tearline help the receiving agency find the target? (share → import → locate)

    .venv/bin/python bench/share_roundtrip.py --seeds 1000-1002

For each simulated case (seeds ≥ 1000, held out; cases cached by
bench/_cases.py) the case is split by agency: PARTNER-US holds only its own
sources, SEDENA-INT only its own (both know the target from
entities.jsonl). The sender shares a sanitised tearline (STIX 2.1) with the
receiver, which imports it (``--direction to-owner``: PARTNER-US → SEDENA-INT
as in the story; ``to-partner``: the reverse). Compared on the distance from
the top hypothesis to the true hideout and the probability mass placed
within 1 km of it:

* ``receiver alone``   — the receiver's own sources only;
* ``+ tearline``       — plus the sender's imported STIX tearline;
* ``+ raw releasable data`` — the receiver's releasability view of the full
  case (holding the sender's releasable *raw* records: what sharing
  everything releasable, not just the tearline, would give);

and the cost of ``share`` (view + locate + network + STIX) and ``import``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fusioncell.infer.locate import locate
from fusioncell.ingest import ingest_case
from fusioncell.products.share import serialise, tearline
from fusioncell.products.stix_import import import_bundle
from fusioncell.security.releasability import view_for
from fusioncell.store import CaseStore

OWNER, PARTNER = "SEDENA-INT", "PARTNER-US"


def _seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(x) for x in text.split(",")]


def _dist_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p = math.pi / 180
    x = (lon2 - lon1) * p * math.cos((lat1 + lat2) * p / 2)
    y = (lat2 - lat1) * p
    return 6_371_000 * math.hypot(x, y)


def split_case(folder: Path, agency: str, out: Path) -> Path:
    """A copy of ``folder`` as ``agency``'s own case: its sources and their rows only."""
    out.mkdir(parents=True)
    toml = (folder / "case.toml").read_text(encoding="utf-8")
    toml = toml.replace(f'owner_agency = "{OWNER}"', f'owner_agency = "{agency}"')
    (out / "case.toml").write_text(toml, encoding="utf-8")
    with (folder / "sources.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    own = {r["source_id"] for r in rows if r["agency"] == agency}
    for name in ("sources.csv", "comms.csv", "locations.csv", "sightings.csv"):
        src = folder / name
        if not src.exists():
            continue
        with src.open(encoding="utf-8", newline="") as f, (out / name).open("w", encoding="utf-8", newline="") as g:
            reader = csv.DictReader(f)
            writer = csv.DictWriter(g, fieldnames=reader.fieldnames or [])
            writer.writeheader()
            writer.writerows(r for r in reader if r["source_id"] in own)
    if (folder / "reports.jsonl").exists():
        lines = [ln for ln in (folder / "reports.jsonl").read_text(encoding="utf-8").splitlines()
                 if ln.strip() and json.loads(ln)["source_id"] in own]
        (out / "reports.jsonl").write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    if (folder / "entities.jsonl").exists():
        shutil.copy(folder / "entities.jsonl", out / "entities.jsonl")
    return out


def _store(folder: Path) -> CaseStore:
    cs = CaseStore.memory()
    ingest_case(folder, cs, quiet=True)
    return cs


def _score(result: dict[str, Any], truth: dict[str, Any]) -> tuple[float, float]:
    t = truth["target_final"]
    hyps = result.get("hypotheses") or []
    if not hyps:
        return math.inf, 0.0
    top = _dist_m(hyps[0]["lat"], hyps[0]["lon"], t["lat"], t["lon"])
    mass = sum(h["probability"] for h in hyps if _dist_m(h["lat"], h["lon"], t["lat"], t["lon"]) <= 1000)
    return top, mass


def run_seed(seed: int, work: Path, reliability: str = "F", direction: str = "to-owner",
             scenario: str = "seed") -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _cases import OUT, partner_case, seed_case

    (partner_case if scenario == "partner" else seed_case)(seed, "normal")
    folder = OUT / f"normal-{seed}-{scenario}"
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    sender_agency, receiver_agency = (PARTNER, OWNER) if direction == "to-owner" else (OWNER, PARTNER)
    sender = _store(split_case(folder, sender_agency, work / f"sender-{seed}-{scenario}"))
    receiver = _store(split_case(folder, receiver_agency, work / f"receiver-{seed}-{scenario}"))
    full = _store(folder)
    out: dict[str, Any] = {"seed": seed}
    out["receiver alone"] = _score(locate(receiver), truth)
    t0 = time.process_time()
    product, _ = tearline(sender, receiver_agency)
    bundle = serialise(product, "stix")
    out["share_cpu_s"] = time.process_time() - t0
    t0 = time.process_time()
    res = import_bundle(receiver, bundle, name=f"partner-{seed}.json", reliability=reliability)
    out["import_cpu_s"] = time.process_time() - t0
    out["imported"] = res["claims"] + res["sightings"]
    out["+ tearline"] = _score(locate(receiver), truth)
    # Upper bound: the receiver holding the sender's releasable *raw* records.
    out["+ raw releasable data"] = _score(locate(view_for(full, receiver_agency)), truth)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1000-1002")
    ap.add_argument("--reliability", default="F", help="the receiver's grade of the partner (import --reliability)")
    ap.add_argument("--direction", choices=["to-owner", "to-partner"], default="to-owner",
                    help="to-owner: PARTNER-US shares with SEDENA-INT (the story); to-partner: the reverse")
    ap.add_argument("--scenario", choices=["seed", "partner"], default="seed",
                    help="seed: only the seed lead tracked; partner: the target's partner tracked too")
    args = ap.parse_args(argv)
    seeds = _seeds(args.seeds)
    if min(seeds) < 1000:
        print("seeds must be >= 1000 (held out)", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            rows.append(run_seed(seed, Path(tmp), args.reliability, args.direction, args.scenario))
            r = rows[-1]
            print(f"seed {seed}: " + ", ".join(f"{k} top={v[0]:.0f} m mass1km={v[1]:.2f}" for k, v in r.items()
                                             if isinstance(v, tuple)) + f"; imported {r['imported']} rows", file=sys.stderr)
    configs = ["receiver alone", "+ tearline", "+ raw releasable data"]
    print(f"\nshare → import → locate, {args.direction}, scenario {args.scenario}, seeds {args.seeds}"
          f" ({len(rows)} cases, difficulty normal, sender graded {args.reliability})\n")
    print(f"| {'configuration':<20} | median top-1 error (m) | top-1 within 1 km | mean P within 1 km |")
    print(f"|{'-' * 22}|------------------------|-------------------|--------------------|")
    for c in configs:
        tops = [r[c][0] for r in rows]
        med = statistics.median(tops)
        hit = sum(t <= 1000 for t in tops) / len(tops)
        mass = statistics.mean(r[c][1] for r in rows)
        print(f"| {c:<20} | {med:>22.0f} | {hit:>17.0%} | {mass:>18.2f} |")
    print(f"\nshare (view + locate + network + STIX): median {statistics.median(r['share_cpu_s'] for r in rows):.2f} s CPU;"
          f" import: median {statistics.median(r['import_cpu_s'] for r in rows):.3f} s CPU"
          f" for a median {statistics.median(r['imported'] for r in rows):.0f} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
