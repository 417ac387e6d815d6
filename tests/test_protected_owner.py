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

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fusioncell.cli import app
from fusioncell.sim import simulate
from tests.casefolder import CaseFolder

#: (seed, difficulty, roles protected)
WORLDS = [(1003, "normal", ("seed_lead", "partner")), (1004, "hard", ("partner",))]
SHARE_FORMATS = ("stix", "ftm", "html", "json", "geojson", "kml")


def _spelled(digits: str) -> str:
    """Her national number with spaces, as an informant writes it: '342 575 9401'."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def _protect_world(root: Path, seed: int, difficulty: str, roles: tuple[str, ...]) -> tuple[Path, dict[str, Any]]:
    """Simulate a world, track the seed lead and the partner, protect ``roles``; return folder and canaries."""
    probe = root / "probe"
    simulate(probe, seed=seed, scale="small", days=20, difficulty=difficulty)
    truth = json.loads((probe / "truth.json").read_text(encoding="utf-8"))
    partner = truth["persons"][truth["roles"]["partner"]]
    track = [truth["seed_lead_identifier"]] + [p["identifier"] for p in partner["phones"][:1]]
    folder = root / "case"
    simulate(folder, seed=seed, scale="small", days=20, difficulty=difficulty, track=track)
    (folder / "truth.json").unlink()  # nothing a product could read
    people = [truth["persons"][truth["roles"][r]] for r in roles]
    canaries: set[str] = set()
    phones: list[str] = []
    entities = [json.loads(ln) for ln in (folder / "entities.jsonl").read_text(encoding="utf-8").splitlines()]
    by_id = {e["id"]: e for e in entities}
    for p in people:
        numbers = [x["identifier"] for x in p["phones"]]
        e = by_id.get(p["entity_id"] or "")
        if e is None:  # the case holds no entity for her yet: the analyst writes one
            p["entity_id"] = p["entity_id"] or f"person-protected-{numbers[0][-4:]}"
            e = {"id": p["entity_id"], "schema": "Person", "properties": {"name": [p["name"]]}}
            entities.append(e)
        e["protected"] = True  # the analyst marks her own entity and writes down her numbers
        e["properties"]["phone"] = sorted(set(e["properties"].get("phone", [])) | set(numbers))
        canaries |= {e["id"], *e["properties"].get("name", []), *e["properties"].get("alias", [])}
        canaries |= {f"alias:{a}" for a in e["properties"].get("alias", [])}
        phones += [n[3:] for n in numbers]
    (folder / "entities.jsonl").write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities), encoding="utf-8")
    # a graded report about her in free text, from a source partners may see
    with open(folder / "sources.csv", newline="", encoding="utf-8") as fh:
        sources = list(csv.DictReader(fh))
    src = next((s for s in sources if s["releasable_to"]), sources[0])
    first = people[0]
    words = [first["name"], *([first["alias"]] if first.get("alias") else [])]
    extra = CaseFolder()
    extra.report(src["source_id"], _case_time(folder), 2,
                 text=f"{' alias '.join(words)} contesta en el {_spelled(first['phones'][0]['identifier'][3:])}"
                 if first["phones"] else " / ".join(words),
                 claims=[{"subject": _target(folder), "predicate": "associate_of", "object": first["entity_id"]}])
    with open(folder / "reports.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(extra.reports[-1], ensure_ascii=False) + "\n")
    return folder, {"words": sorted(c for c in canaries if isinstance(c, str) and len(c) >= 4), "phones": sorted(phones),
                    "agencies": _partners(sources), "phone_e164": "+52" + phones[0] if phones else None}


def _target(folder: Path) -> str:
    text = (folder / "case.toml").read_text(encoding="utf-8")
    return re.search(r'entity_id\s*=\s*"([^"]+)"', text).group(1)  # type: ignore[union-attr]


def _case_time(folder: Path) -> Any:
    from datetime import datetime

    with open(folder / "comms.csv", newline="", encoding="utf-8") as fh:
        first = next(csv.DictReader(fh))
    return datetime.fromisoformat(first["start"])


def _partners(sources: list[dict[str, str]]) -> list[str]:
    owner = "SEDENA-INT"
    named = {s["agency"] for s in sources} | {a for s in sources for a in s["releasable_to"].split(";") if a}
    return sorted(named - {owner})


def leaks(text: str, canaries: dict[str, Any]) -> list[str]:
    """Canaries found in ``text``: words case-insensitively, numbers in any grouping of their digits."""
    found = [w for w in canaries["words"] if re.search(re.escape(w), text, re.I)]
    for digits in canaries["phones"]:
        if re.search(r"[\s.()/-]{0,2}".join(digits), text):
            found.append(digits)
    return found


@pytest.fixture(scope="module", params=WORLDS, ids=lambda w: f"seed{w[0]}")
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    seed, difficulty, roles = request.param
    return _protect_world(tmp_path_factory.mktemp(f"owner-{seed}"), seed, difficulty, roles)


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


def test_unmasking_with_a_reason_shows_her_number_and_is_audited(world) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.security.minimise import mask_protected
    from fusioncell.store import open_case

    folder, canaries = world
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
