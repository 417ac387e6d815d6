"""Time from opening the workbench to an interactive graph, in Debian's chromium (headless).

    nice python bench/workbench_load.py STORE [--max-nodes N] [--screenshots DIR]

STORE is an ingested case store (it is copied; the copy gets the test accounts).
The derived tables (ties, attributions, stay points) are built first and not
timed: they are built once per case and kept in the store. The server is then
started as ``fusioncell serve`` starts it (computing the first graph and
scene while it starts; that warm-up is timed apart), and for a first and a
second visit it reports:

* ``graph_ms``: from the page's start (after login) to the graph drawn and
  clickable (``fc.graphLoadMs``: the /views/graph request + Cytoscape);
* ``open_ms``: from the login click to the graph drawn, as the analyst sees it.

With ``--screenshots DIR`` it also saves the workbench, each view and the
evidence and plan panels as PNG files.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from workbench_server import ACCOUNTS, CHROMIUM, CHROMIUM_ARGS, PASSWORD, running_workbench  # noqa: E402


def _visit(browser, url: str) -> tuple[object, dict[str, float]]:
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    page.goto(url)
    page.fill("#login-name", ACCOUNTS["analyst"][0])
    page.fill("#login-password", PASSWORD)
    t0 = time.perf_counter()
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#graph[data-ready='1']", timeout=600_000)
    open_ms = (time.perf_counter() - t0) * 1000
    graph_ms = page.evaluate("fc.graphLoadMs")
    fetch_ms = page.evaluate("fc.graphFetchMs")
    # interactive: a tap on a node selects it
    page.evaluate("fc.cy.nodes()[0].emit('tap')")
    page.wait_for_selector("#app[data-ready='1']", timeout=600_000)
    counts = page.evaluate("[fc.cy.nodes().length, fc.cy.edges().length, fc.graph.total.nodes, fc.graph.total.edges]")
    return (ctx, page), {"open_ms": round(open_ms), "graph_ms": round(graph_ms), "of_which_fetch_ms": round(fetch_ms), "nodes": counts[0], "edges": counts[1],
                         "case_nodes": counts[2], "case_edges": counts[3]}


def _screenshots(page, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    page.evaluate("fc.cy.$(':selected').unselect()")
    page.keyboard.press("Escape")
    page.evaluate("fc.cy.fit(undefined, 20)")
    page.wait_for_timeout(800)
    page.screenshot(path=out / "workbench.png")
    tracked = page.evaluate("fc.scene.subjects[0]")
    page.fill("#find", tracked)
    page.press("#find", "Enter")
    page.wait_for_timeout(1200)
    page.screenshot(path=out / "workbench-selected.png")
    page.locator("#graph-pane").screenshot(path=out / "graph.png")
    page.locator("#map-pane").screenshot(path=out / "map.png")
    page.locator(".timeline-pane").screenshot(path=out / "timeline.png")
    page.keyboard.press("Escape")
    page.evaluate("(() => { const s = Date.parse(fc.scene.period.start); "
                  "document.querySelector('#win-from').value = new Date(s + 2 * 864e5).toISOString().slice(0, 16); "
                  "document.querySelector('#win-to').value = new Date(s + 2.5 * 864e5).toISOString().slice(0, 16); })()")
    page.click("#win-apply")
    page.wait_for_timeout(1200)
    page.screenshot(path=out / "window.png")
    page.click("#win-clear")
    page.locator(".hyp-btn").first.click()
    page.wait_for_timeout(1200)
    page.screenshot(path=out / "evidence.png")
    page.click("#plan-btn")
    page.wait_for_selector("#plan-title", timeout=120_000)
    page.screenshot(path=out / "plan.png")


def main() -> None:
    from playwright.sync_api import sync_playwright

    from fusioncell.server import views
    from fusioncell.store import CaseStore

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store", type=Path)
    ap.add_argument("--screenshots", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.duckdb"
        shutil.copy(args.store, path)
        t = time.perf_counter()
        with CaseStore.open(path) as cs:  # derived tables, as after the first CLI command
            views.graph_view(cs, max_nodes=10)
            views.scene_view(cs)
        print(f"derived tables built in {time.perf_counter() - t:.1f} s (not timed below)")
        t = time.perf_counter()
        with running_workbench(path, warm=True) as url, sync_playwright() as p:
            print(f"server warm-up (first graph and scene, as `fusioncell serve` does at start) {time.perf_counter() - t:.1f} s")
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for label in ("first visit", "second visit"):
                (ctx, page), r = _visit(browser, url)
                print(f"{label}: {r}")
                if args.screenshots and label == "second visit":
                    _screenshots(page, args.screenshots)
                ctx.close()
            browser.close()


if __name__ == "__main__":
    main()
