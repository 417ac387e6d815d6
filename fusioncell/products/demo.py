"""``make demo``: the whole story on a simulated case, told in the terminal.

1. Simulate a normal-difficulty case: a cartel leader with no phone, his
   partner, her sister (the seed lead, the only handset tracked at first),
   couriers, lieutenants, decoy safe houses, two agencies' collection.
2. Ingest it into a case store.
3. The collection loop, a few rounds: ``plan`` names the identifier whose
   tracking would most reduce the uncertainty about where he is; the
   simulator replays the *same world* with that identifier tracked as well;
   ``locate`` ranks where he is. Each round prints the leading hypothesis and,
   because this is a simulation, its distance from the truth.
4. Write the intelligence product (HTML report, offline) for the last round.

The truth file is read here only to score the demo; the analysis never sees it.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from fusioncell.spacetime.geo import haversine_m

STORY = (
    "A cartel leader carries no phone. An informant named his partner. Investigators monitor one person "
    "in her close circle (the seed lead). fusioncell fuses call records, handset fixes, aerial sightings and "
    "graded informant reports to answer: where is he, and whom should we watch next?"
)


#: The loop stops once the top hypothesis is "very likely" (ICD 203: 80-95 %) or surer.
STOP_P = 0.8  # "very likely" begins at 80 %; one source type alone is capped at 0.85 (infer/judgment.py)


def _distance_m(h: dict[str, Any], truth: dict[str, Any]) -> float:
    tf = truth["target_final"]
    return float(haversine_m(h["lat"], h["lon"], tf["lat"], tf["lon"]))


def run_demo(out: Path, *, seed: int = 1002, rounds: int = 3, difficulty: str = "normal", scale: str = "small",
             console: Console | None = None) -> dict[str, Any]:
    """Run the demo; returns a summary (rounds, distances, report path)."""
    from fusioncell.infer.locate import locate
    from fusioncell.infer.plan import plan
    from fusioncell.products.language import estimative
    from fusioncell.sim import simulate
    from fusioncell.store import CaseStore
    from fusioncell.ingest import ingest_case

    con = console or Console()
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    con.print(Panel(STORY, title="fusioncell demo", expand=False))

    t0 = time.perf_counter()
    case0 = out / "round-0" / "case"
    with con.status("Simulating the world (seed %d, %s difficulty) …" % (seed, difficulty)):
        simulate(case0, seed=seed, scale=scale, days=30, difficulty=difficulty, track=None)
    truth = json.loads((case0 / "truth.json").read_text(encoding="utf-8"))
    tracked: list[str] = list(truth.get("tracked") or [truth["seed_lead_identifier"]])
    con.print(f"[bold]Simulated[/] a {scale} case in {time.perf_counter() - t0:.1f} s: {case0}")
    con.print(f"Seed lead (tracked from the start): [cyan]{', '.join(tracked)}[/]")

    summary: dict[str, Any] = {"rounds": []}
    table = Table(title="Collection loop", show_lines=False)
    for col in ("round", "tracked", "top hypothesis", "p", "error*", "plan: track next"):
        table.add_column(col, overflow="fold")
    case = case0
    result: dict[str, Any] = {}
    for rnd in range(rounds + 1):
        if rnd > 0:
            case = out / f"round-{rnd}" / "case"
            with con.status(f"Round {rnd}: replaying the same world with {len(tracked)} tracked identifiers …"):
                simulate(case, seed=seed, scale=scale, days=30, difficulty=difficulty, track=tracked)
        store_path = case.parent / "case.duckdb"
        with con.status(f"Round {rnd}: ingesting and analysing …"):
            with CaseStore.open(store_path, folder=case) as cs:
                ingest_case(case, cs, quiet=True)
                result = locate(cs, top=5)
                pl = plan(cs, budget=3)
        hyps = result["hypotheses"]
        top = hyps[0] if hyps else None
        err = _distance_m(top, truth) if top else float("nan")
        nxt = pl["recommendations"][0] if pl["recommendations"] else None
        table.add_row(
            str(rnd), str(len(tracked)),
            f"{top['lat']:.4f}, {top['lon']:.4f}" if top else "—",
            f"{top['probability']:.2f} {estimative(top['probability'])}" if top else "—",
            (f"{err:,.0f} m" + (" ✔" if err <= 300 else "")) if top else "—",
            f"{nxt['identifier']} ({nxt.get('role') or nxt.get('person') or ''})" if nxt and rnd < rounds and not (top and top["probability"] >= STOP_P) else "",
        )
        con.print(f"Round {rnd}: top hypothesis p={top['probability']:.2f}, {err:,.0f} m from where he really is"
                  if top else f"Round {rnd}: no hypothesis yet")
        summary["rounds"].append({"round": rnd, "tracked": list(tracked), "error_m": err,
                                  "p": top["probability"] if top else None})
        if top and top["probability"] >= STOP_P and rnd < rounds:
            con.print(f"  Stop: he is {estimative(top['probability'])} there (p={top['probability']:.2f}): "
                      "collection can stop; the next step is confirmation on the ground.")
            break
        if rnd < rounds:
            if nxt is None:
                con.print("Nothing left to recommend; stopping the loop.")
                break
            con.print(f"  plan → track [cyan]{nxt['identifier']}[/]: {nxt['why']}")
            confirm = [x for x in pl.get("imagery") or [] if x["kind"] == "confirm"]
            if confirm and not summary.get("confirm"):  # once: it says the same each round it holds
                con.print(f"  plan → and confirm {confirm[0]['lat']:.4f}, {confirm[0]['lon']:.4f} from the air before "
                          f"acting on it: {confirm[0]['why']} (this demo goes on tracking; it simulates no imagery)")
                summary["confirm"] = confirm[0]
            tracked.append(nxt["identifier"])
    con.print(table)
    tf = truth["target_final"]
    con.print(f"* distance from where he really is ({tf['lat']:.4f}, {tf['lon']:.4f}) — known only because "
              "this is a simulation; ✔ = within 300 m")
    con.print("One case is an anecdote: how often this loop finds him, and where it fails, is measured on "
              "held-out simulated cases in docs/benchmarks.md (other worlds: fusioncell demo --seed N).")
    if result.get("hypotheses"):
        from fusioncell.infer.locate import render_text

        con.print(Panel(render_text(result), title="locate (final round)", expand=False))
    report_dir = out / "report"
    try:
        from fusioncell.products.report import write_report

        with con.status("Writing the intelligence product …"):
            with CaseStore.open(case.parent / "case.duckdb", folder=case) as cs:
                paths = write_report(cs, report_dir)
        for p in paths:
            con.print(f"Report: [green]{p}[/]")
        summary["report"] = [str(p) for p in paths]
    except Exception as exc:  # the demo still tells the story without the product
        con.print(f"[yellow]Report not written: {exc}[/]")
    con.print(f"Done in {time.perf_counter() - t0:.0f} s. Open {report_dir / 'report.html'} in a browser (works offline).")
    return summary
