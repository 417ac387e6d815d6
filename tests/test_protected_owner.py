"""A protected person as the owner and every partner see her: a pseudonym everywhere, unless unmasked with a reason.

Generated worlds (the simulator), each with other people protected the way
an analyst would do it: ``"protected": true`` on *her own* entity (the one
the case already holds, with her name and alias), her numbers declared on
it. A graded report then writes about her in free text — her name, her bare
alias and her number spelled with spaces — so the masking cannot rely on
the normalised form.

The canaries are what the case itself ties to her (not the simulator's
hidden truth): her entity id, her names, her alias (with and without the
``alias:`` prefix) and her numbers in any grouping of their digits. None may
appear in any owner command's text or JSON (``locate``, ``plan``,
``network``, ``meetings``, ``pattern`` — even when her number is what the
analyst typed), GraphML/GEXF, locate's GeoJSON/KML, the report's HTML and PDF text, any partner
product in any format, or any ``/api/v1`` answer read by the owner's
analyst. ``fusioncell unmask ... --reason`` shows her number to the owner,
and lands in the audit log with the reason.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fusioncell.cli import app
from tests.protected_world import SHARE_FORMATS, WORLDS, _spelled, leaks, one_tearline_per_agency


@pytest.fixture(scope="module", params=WORLDS, ids=lambda w: f"seed{w[0]}")
def world(request: pytest.FixtureRequest, protected_worlds: Any) -> tuple[Path, dict[str, Any]]:
    return protected_worlds(request.param)  # built once a session, shared with test_protected_root.py


def test_the_canary_check_itself_finds_every_spelling() -> None:
    canaries = {"words": ["La Güera", "ent-1"], "phones": ["3312345678"]}
    assert leaks("vive con la güera", canaries) == ["La Güera"]
    assert leaks("+52 (33) 1234-5678", canaries) == ["3312345678"]
    assert leaks("masked:phone-3312a45678bc masked:alias-0a1b2c3d4e5f", canaries) == []


def test_no_owner_command_shows_her_in_any_format_or_file(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder, canaries = world
    runner = CliRunner()
    typed = canaries["phone_e164"]
    graphml, gexf = tmp_path / "g.graphml", tmp_path / "g.gexf"
    geojson, kml = tmp_path / "where.geojson", tmp_path / "where.kml"
    commands = [["locate", "--top", "10", "--geojson", str(geojson), "--kml", str(kml)], ["plan", "--budget", "10"],
                ["network", "--graphml", str(graphml), "--gexf", str(gexf)], ["meetings"],
                ["meetings", "--ids", typed], ["pattern", "--id", typed]]
    seen = 0
    for cmd in commands:
        for fmt in ("json", "text"):
            r = runner.invoke(app, [cmd[0], str(folder), *cmd[1:], "--format", fmt])
            assert r.exit_code == 0 or (r.exit_code == 1 and cmd[0] in ("locate", "plan")), (cmd, r.output)
            assert r.stdout.strip() and not leaks(r.stdout, canaries), (cmd, fmt, leaks(r.stdout, canaries))
            seen += "masked:" in r.stdout
    assert seen >= 4  # she is in the analysis, as a pseudonym
    for f in (graphml, gexf, geojson, kml):
        assert not leaks(f.read_text(encoding="utf-8"), canaries), f.name


def test_the_report_html_and_pdf_text_show_her_only_as_a_pseudonym(world, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import fusioncell.products.report as report

    folder, canaries = world
    pdf_text: list[str] = []
    blocks = report.pdf_blocks

    def spy(ctx: Any) -> Any:
        out = blocks(ctx)
        pdf_text.extend(t for _, t in out)
        return out

    monkeypatch.setattr(report, "pdf_blocks", spy)
    r = CliRunner().invoke(app, ["report", str(folder), "--out", str(tmp_path / "rep")])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert not leaks(html, canaries)
    assert pdf_text and not leaks("\n".join(pdf_text), canaries)
    assert not leaks(r.stdout, canaries)


def test_no_partner_product_in_any_format_carries_her(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder, canaries = world
    runner = CliRunner()
    assert canaries["agencies"]
    with one_tearline_per_agency():  # one product per agency, every format through the CLI
        for agency in canaries["agencies"]:
            for fmt in SHARE_FORMATS:
                out = tmp_path / f"{agency}-{fmt}" / "product"
                out.parent.mkdir()
                r = runner.invoke(app, ["share", str(folder), "--to", agency, "--format", fmt, "--out", str(out)])
                assert r.exit_code in (0, 1) and r.stdout.startswith("wrote"), r.output
                assert not leaks(r.stdout, canaries)
                for f in out.parent.iterdir():
                    if "OWNER-ONLY" in f.name:
                        continue  # the owner's own list of what was withheld
                    assert not leaks(f.name, canaries)
                    assert not leaks(f.read_text(encoding="utf-8", errors="replace"), canaries), (agency, fmt, f.name)


def test_no_api_route_answers_the_owners_analyst_with_her(world) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from fusioncell.server.app import create_app
    from fusioncell.server.auth import add_user
    from fusioncell.store import open_case

    folder, canaries = world
    with open_case(folder) as cs:
        add_user(cs, "ana", "analyst", cs.case().owner_agency, "s3cret-enough")
        app_ = create_app(cs)
        with TestClient(app_) as c:
            r = c.post("/api/v1/login", json={"name": "ana", "password": "s3cret-enough"})
            assert r.status_code == 200
            doc = c.get("/openapi.json").json()
            typed = canaries["phone_e164"]
            params = {"id": typed, "node": typed, "ids": typed, "focus": typed, "limit": 1000, "top": 5,
                      "budget": 5, "to": canaries["agencies"][0], "format": "json"}
            gets = sorted(p for p, ops in doc["paths"].items() if p.startswith("/api/v1") and "get" in ops)
            answered = 0
            for path in gets:
                names = {q["name"] for q in doc["paths"][path]["get"].get("parameters", []) if q.get("in") == "query"}
                url = re.sub(r"\{[^}]+\}", "1", path)
                r = c.get(url, params={k: v for k, v in params.items() if k in names})
                answered += r.status_code == 200
                assert r.status_code < 500, (path, r.status_code)
                assert not leaks(r.text, canaries), (path, leaks(r.text, canaries))
            assert answered >= len(gets) - 3, answered  # nearly every route answered, not refused


def test_unmasking_with_a_reason_shows_her_number_and_is_audited(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.security.minimise import mask_protected
    from fusioncell.store import open_case

    shared, canaries = world
    folder = shutil.copytree(shared, tmp_path / "case")  # unmasking writes: the shared world stays as built
    phone = canaries["phone_e164"]
    runner = CliRunner()
    reason = "the prosecutor needs the witness's calls"
    r = runner.invoke(app, ["unmask", str(folder), phone, "--reason", reason])
    assert r.exit_code == 0, r.output
    with open_case(folder) as cs:
        shown = mask_protected(cs, {"why": f"nights of {phone}; also {_spelled(phone[3:])}"})["why"]
        assert shown.count(phone[3:6]) == 2 and "masked:" not in shown  # in clear, in both spellings
        rows = cs.con.execute("SELECT action, why FROM audit_log WHERE action = 'unmask'").fetchall()
    assert (("unmask", reason) in [tuple(x) for x in rows])
    r = runner.invoke(app, ["audit", str(folder), "--verify"])
    assert r.exit_code == 0, r.output
