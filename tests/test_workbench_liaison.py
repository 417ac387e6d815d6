"""A partner agency in the browser: the liaison sees only the tearline, the owner previews it; canaries never leak.

The example case with canaries (tests/server_case.py: a protected witness
with releasable calls and fixes, a withheld informant report) is served to
chromium. A PARTNER-US liaison's page must show exactly the product
``fusioncell share --to PARTNER-US`` builds (:func:`fusioncell.products.share.tearline`,
the independent reference) and no canary — the witness's number, id or
name, the withheld report's id, text or claimed number, a source id or a
collection method, the case's title or legal authority — may appear in its
page or in any API answer the page received. The owner's analyst previews
the same product in the Share panel, with the withheld list beside it, and
still sees the witness only as a pseudonym.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from test_workbench_browser import Session, browser  # noqa: F401  (the module's chromium fixture)
from tests.server_case import PARTNER, PROTECTED, WITHHELD, canary_folder
from workbench_server import PASSWORD, running_workbench

PARTNER_LIAISON = "lou"


@pytest.fixture(scope="module")
def canary_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], dict[str, Any], list[str]]:
    """The canary case ingested, a PARTNER-US liaison added; the tearline share builds for PARTNER-US."""
    from fusioncell.ingest import ingest_case
    from fusioncell.products.share import tearline
    from fusioncell.server.auth import add_user
    from fusioncell.store import CaseStore

    root = tmp_path_factory.mktemp("liaison")
    folder = canary_folder(root / "case")
    path = root / "case.duckdb"
    with CaseStore.open(path, folder=folder) as cs:
        ingest_case(folder, cs, quiet=True)
        add_user(cs, PARTNER_LIAISON, "liaison", PARTNER, PASSWORD)
        product, withheld = tearline(cs, PARTNER)
        info = cs.case()
        case_strings = [info.title or "", info.legal_authority]
    return path, product, withheld, case_strings


@pytest.fixture(scope="module")
def server(canary_case, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("srv") / "case.duckdb"
    shutil.copy(canary_case[0], path)
    with running_workbench(path) as url:
        yield url


def _leaks(texts: list[str], canaries: list[str]) -> list[str]:
    return sorted({k for k in canaries if k and any(re.search(re.escape(k), t, re.I) for t in texts)})


def _without_created(p: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in p.items() if k != "created"}  # the time the product was built


def test_a_liaison_sees_the_tearline_share_writes_and_no_canary(browser, server, canary_case) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _, product, _, case_strings = canary_case
    s = Session(browser, server, "liaison", name=PARTNER_LIAISON).ready()
    try:
        assert _without_created(s.js("fc.product")) == _without_created(product)
        tearline = s.page.locator("#tearline").inner_text()
        for k in product["key_judgments"]:
            assert k in tearline
        assert s.page.locator("#tearline .product-hyps > li").count() == len(product["hypotheses"]) > 0
        assert s.page.locator("#hyp-list .hyp-btn").count() == len(product["hypotheses"])
        assert s.page.locator("#marking-top").inner_text().startswith(product["marking"]["tlp"])
        assert s.page.locator("#graph-pane").is_hidden() and s.page.locator("#alerts").is_hidden()
        # the map draws what the product carries, and nothing else: no cell coverage, no stays, no tracks
        assert s.page.locator("#map .hyp-marker").count() == len(product["hypotheses"])
        assert s.js("[fc.scene.coverage.length, fc.scene.stays.length, fc.scene.tracks.length]") == [0, 0, 0]
        # a hypothesis opens its evidence chain as the product words it (sources generic)
        s.page.locator("#hyp-list .hyp-btn").first.click()
        assert s.page.locator("ol.evidence > li").count() == len(product["hypotheses"][0]["evidence"])
        called = {u.split("/api/v1/")[1].split("?")[0] for u in s.requests if "/api/v1/" in u}
        assert called <= {"case", "share/preview", "login"}, called  # the page asks for the tearline only
        leaked = _leaks([s.page.content(), *s.api_bodies], PROTECTED + WITHHELD + case_strings)
        assert leaked == []
        assert s.errors == []
    finally:
        s.context.close()


def test_the_owners_analyst_previews_the_tearline_with_what_it_withholds(browser, server, canary_case) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _, product, withheld, _ = canary_case
    s = Session(browser, server, "analyst").ready()
    try:
        assert PARTNER in s.js("fc.case.partners")
        s.page.click("#share-btn")
        s.page.wait_for_selector("#share-title", timeout=60_000)
        if s.page.input_value("#share-to") != PARTNER:
            s.page.select_option("#share-to", PARTNER)
            s.wait(f"fc.sharePreview && fc.sharePreview.to === {PARTNER!r}", 60)
            s.page.wait_for_selector("#share-title", timeout=60_000)
        assert _without_created(s.js("fc.sharePreview.product")) == _without_created(product)
        panel = s.page.locator("#detail-body").inner_text()
        for k in product["key_judgments"]:
            assert k in panel
        held = [src["source_id"] for src in withheld["sources"]]
        assert held and s.page.locator("table.withheld tr").count() == len(held) + 1
        assert all(h in panel for h in held)  # the owner sees what stays home
        assert s.page.locator("#detail-body a[download]").count() == 6
        # the command line wraps between words, never inside one ("PARTNE" / "R-US" in a narrow panel)
        lines_per_word = s.js(f"""(() => {{
            const code = [...document.querySelectorAll('#detail-body code')].find(e => e.textContent.includes({PARTNER!r}));
            const text = code.firstChild, at = text.textContent.indexOf({PARTNER!r});
            let k = at;
            return {PARTNER!r}.split('-').map(w => {{
                const r = document.createRange(); r.setStart(text, k); r.setEnd(text, k + w.length); k += w.length + 1;
                return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }});
        }})()""")
        assert lines_per_word == [1] * len(PARTNER.split("-")), lines_per_word
        # the protected witness reaches even the owner's page only as a pseudonym
        where = [u for u, b in zip(s.api_urls, s.api_bodies) if _leaks([b], PROTECTED)]
        assert _leaks([s.page.content(), *s.api_bodies], PROTECTED) == [], where
        assert s.errors == []
    finally:
        s.context.close()
