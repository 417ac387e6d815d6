"""locate on case folders two clean-room simulators wrote: worlds whose habits nobody on the team chose.

``bench/cleanroom/a`` and ``bench/cleanroom/b`` were each written (session 28) by an agent that read only the
four spec files in ../shared/spec — never fusioncell's code, docs, tests, benches or simulator output — with
a brief naming the mission's tradecraft (holes, phones left home, decoys, weak evidence, late moves, group
switches, planted reports) and asking for its own modelling and format choices. They stand in for the
independent simulator the project is judged on. Each ships its own plain analyst solver (the peer here).

For each case: ``fusioncell ingest`` (strict; on refusal the refusal is recorded and ``--quarantine`` tried),
``fusioncell locate``, scored against ``truth.json``'s final hideout (top-1 within 300 m, hit@3, the
probability of the first answer, confident errors: a wrong first answer at p ≥ 0.8 / ≥ 0.9).

Usage::

    PYTHONPATH=. .venv/bin/python bench/locate_cleanroom.py --sims a,b --seeds 0-19 --cache /tmp/cr --workers 2
"""

from __future__ import annotations

import argparse
import fcntl
import json
import math
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIMS = {"a": ("gen.py", ["--batch"], "plain_solver.py"), "b": ("gen.py", ["--batch"], "solve.py")}
FC = [sys.executable, "-m", "fusioncell.cli"]


def _dist_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371000.0 * math.asin(math.sqrt(h))


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1][:300] if lines else "?"


def run_case(case: Path, store: Path) -> dict[str, Any]:
    """Ingest (strict, then --quarantine if refused) and locate one case; score its first answers."""
    truth = json.loads((case / "truth.json").read_text(encoding="utf-8"))
    final = (truth["final"]["lat"], truth["final"]["lon"])
    rec: dict[str, Any] = {"case": case.name, "difficulty": truth.get("difficulty"), "traits": truth.get("traits")}
    store.unlink(missing_ok=True)
    g = subprocess.run([*FC, "ingest", str(case), "--store", str(store)], capture_output=True, text=True)
    if g.returncode:
        rec["strict_refusal"] = _last_line(g.stderr)
        store.unlink(missing_ok=True)
        g = subprocess.run([*FC, "ingest", str(case), "--store", str(store), "--quarantine"], capture_output=True,
                           text=True)
        if g.returncode:
            rec["error"] = "ingest: " + _last_line(g.stderr)
            return rec
    r = subprocess.run([*FC, "locate", str(store), "--format", "json", "--top", "5"], capture_output=True, text=True)
    if r.returncode:
        rec["error"] = "locate: " + _last_line(r.stderr)
        return rec
    out = json.loads(r.stdout)
    hs = out["hypotheses"]
    ds = [_dist_m((h["lat"], h["lon"]), final) for h in hs]
    decoys = [(d["lat"], d["lon"]) for d in truth.get("decoys", [])]
    rec.update(
        p1=float(hs[0]["probability"]) if hs else 0.0, err_m=round(ds[0]) if ds else None,
        top1=bool(ds and ds[0] <= 300), hit3=any(x <= 300 for x in ds[:3]),
        p_true=sum(float(h["probability"]) for h, x in zip(hs, ds) if x <= 300),
        elsewhere=out.get("elsewhere"),
        at_decoy=bool(hs) and any(_dist_m((hs[0]["lat"], hs[0]["lon"]), d) <= 300 for d in decoys),
        blind_holds=any(_dist_m((b["lat"], b["lon"]), final) <= b["radius_m"] for b in out.get("blind_spots") or []),
    )
    return rec


def _plain(sim: str, root: Path) -> dict[str, float]:
    """The simulator's own plain solver: top-1 within 300 m of the final hideout, per difficulty."""
    solver = HERE / "cleanroom" / sim / SIMS[sim][2]
    out = subprocess.run([sys.executable, str(solver), str(root)], capture_output=True, text=True).stdout
    pat = r"^(easy|normal|hard)\s+n=\s*\d+\s+top1<=300m(?:\(final\))?[:=]\s*([0-9.]+)"
    return {m.group(1): float(m.group(2)) for m in re.finditer(pat, out, re.M)}


def _generate(sim: str, root: Path, seeds: str, diffs: str) -> None:
    gen, flag, _ = SIMS[sim]
    want = [f"{d}-{s}" for d in diffs.split(",") for s in _seeds(seeds)]
    if all((root / w / "truth.json").exists() for w in want):
        return
    subprocess.run([sys.executable, str(HERE / "cleanroom" / sim / gen), *flag, str(root), "--seeds", seeds,
                    "--difficulties", diffs], check=True, capture_output=True)


def _seeds(spec: str) -> list[int]:
    lo, _, hi = spec.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def _table(recs: list[dict[str, Any]], plain: dict[tuple[str, str], float]) -> list[str]:
    rows = ["| sim | difficulty | n | refused strict | top-1 ≤ 300 m | hit@3 | wrong at p ≥ 0.8 / ≥ 0.9 | highest wrong p"
            " | first at a decoy | his own plain solver |", "|" + "---|" * 10]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in recs:
        groups.setdefault((r["sim"], r["difficulty"]), []).append(r)
    for (sim, diff), rs in sorted(groups.items()):
        ok = [r for r in rs if "error" not in r]
        wrong = [r["p1"] for r in ok if not r["top1"]]
        rows.append(f"| {sim} | {diff} | {len(rs)} | {sum('strict_refusal' in r for r in rs)} | "
                    f"{sum(r['top1'] for r in ok) / max(len(rs), 1):.2f} | {sum(r['hit3'] for r in ok) / max(len(rs), 1):.2f} | "
                    f"{sum(p >= 0.8 for p in wrong)} / {sum(p >= 0.9 for p in wrong)} | {max(wrong, default=0):.2f} | "
                    f"{sum(r['at_decoy'] for r in ok)} | {plain.get((sim, diff), float('nan')):.2f} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", default="a,b")
    ap.add_argument("--seeds", default="0-9")
    ap.add_argument("--difficulties", default="easy,normal,hard")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("FUSIONCELL_CLEANROOM_CASES", "/tmp/fc-cleanroom")))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    a.cache.mkdir(parents=True, exist_ok=True)
    lock = open(a.cache / ".bench.lock", "w")  # noqa: SIM115 -- held until the process ends
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        # two runs on one cache re-ingest each other's stores between ingest and locate (session 29)
        sys.exit(f"locate_cleanroom: another run is using {a.cache}; give each run its own --cache")
    recs: list[dict[str, Any]] = []
    plain: dict[tuple[str, str], float] = {}
    for sim in a.sims.split(","):
        root = a.cache / sim
        _generate(sim, root, a.seeds, a.difficulties)
        names = [f"{d}-{s}" for d in a.difficulties.split(",") for s in _seeds(a.seeds)]
        (a.cache / f"{sim}-stores").mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(a.workers) as ex:
            got = list(ex.map(lambda n: run_case(root / n, a.cache / f"{sim}-stores" / f"{n}.duckdb"), names))
        recs += [{**r, "sim": sim} for r in got]
        plain.update({(sim, d): v for d, v in _plain(sim, root).items()})
    print("\n".join(_table(recs, plain)))
    for r in recs:
        if "error" in r or "strict_refusal" in r:
            print(f"  {r['sim']} {r['case']}: {r.get('error') or 'strict: ' + r['strict_refusal']}")
    if a.json:
        a.json.write_text(json.dumps(recs, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
