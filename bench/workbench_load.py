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

With ``--screenshots DIR`` it also saves the workbench, each view, the
evidence and plan panels, a merge, an alert, a share preview and a partner's
tearline view as PNG files (the copy then also gets a standing watch on the
first tracked phone, evaluated on the case's deliveries, and a liaison of
the first partner agency).
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
    _more_screenshots(page, out)


def _more_screenshots(page, out: Path) -> None:
    """Merge (two nodes marked), an alert selected, the owner's share preview."""
    ids = page.evaluate("fc.graphView.nodes.filter(n => n.kind === 'person' && !n.target && !n.label.startsWith('masked:'))"
                        ".slice(0, 2).map(n => n.id)")
    for node in ids:
        page.evaluate(f"fc.graph.onSelect({{source: 'bench', node: {node!r}}})")
        page.locator("#graph").press("x")
    page.fill("#ovr-reason", "one man, two handsets (seen together at his house)")
    page.evaluate("document.querySelector('#ovr').scrollIntoView()")
    page.wait_for_timeout(800)
    page.screenshot(path=out / "merge.png")
    page.click("#ovr-clear")
    if page.locator(".alert-btn").count():
        page.locator(".alert-btn").first.click()
        page.wait_for_timeout(1200)
        page.screenshot(path=out / "alert.png")
    page.keyboard.press("Escape")
    page.click("#share-btn")
    page.wait_for_selector("#share-title", timeout=120_000)
    page.wait_for_timeout(500)
    page.screenshot(path=out / "share.png")


def _liaison_screenshot(browser, url: str, out: Path) -> None:
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    page.goto(url)
    page.fill("#login-name", "bench-liaison")
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app[data-ready='1']", timeout=600_000)
    page.wait_for_timeout(1200)
    page.screenshot(path=out / "liaison.png")
    ctx.close()


def _prepare_screenshots(cs) -> None:  # type: ignore[no-untyped-def]
    """A watch with alerts and a partner's liaison on the copy (for the alert and liaison screenshots)."""
    from fusioncell.security.releasability import known_agencies
    from fusioncell.server.auth import add_user
    from fusioncell.watch import add_watch, evaluate_watches

    phone = cs.con.execute("SELECT min(identifier) FROM locations").fetchone()[0]
    add_watch(cs, "identifier", [phone], note="the tracked lead's handset")
    deliveries = [r[0] for r in cs.con.execute("SELECT delivery_id FROM comms UNION SELECT delivery_id FROM locations "
                                               "UNION SELECT delivery_id FROM sightings").fetchall()]
    evaluate_watches(cs, deliveries, "bench-screenshots")
    partners = sorted(known_agencies(cs) - {cs.case().owner_agency})
    if partners:
        add_user(cs, "bench-liaison", "liaison", partners[0], PASSWORD)


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
            if args.screenshots:
                _prepare_screenshots(cs)
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
            if args.screenshots:
                _liaison_screenshot(browser, url, args.screenshots)
            browser.close()


if __name__ == "__main__":
    main()
