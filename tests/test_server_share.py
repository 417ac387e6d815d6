"""Evidence chains, share previews and exports, unmask with a reason: answers, audit, roles."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from fusioncell.server.app import create_app  # noqa: E402
from fusioncell.store import CaseStore  # noqa: E402

PW = "s3cret-enough"
PARTNER = "PARTNER-US"


@pytest.fixture()
def app_store(store_file: Path):
    from fusioncell.server.auth import add_user

    with CaseStore.open(store_file) as cs:
        owner = cs.case().owner_agency
        add_user(cs, "ana", "analyst", owner, PW)
        add_user(cs, "sue", "supervisor", owner, PW)
        add_user(cs, "lee", "liaison", PARTNER, PW)
        yield create_app(cs), cs, store_file


def _login(app, name: str) -> TestClient:  # type: ignore[no-untyped-def]
    c = TestClient(app)
    r = c.post("/api/v1/login", json={"name": name, "password": PW})
    assert r.status_code == 200
    c.headers["X-CSRF-Token"] = r.json()["csrf"]
    return c


def _without_created(product: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in product.items() if k != "created"}


def test_the_preview_is_the_json_share_writes(app_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from fusioncell.cli import app as cli

    app, cs, path = app_store
    with _login(app, "ana") as c:
        got = c.get("/api/v1/share/preview", params={"to": PARTNER}).json()
    cs.con.execute("CHECKPOINT")
    out = tmp_path / "p.json"
    r = CliRunner().invoke(cli, ["share", str(path), "--to", PARTNER, "--format", "json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert _without_created(got["product"]) == _without_created(json.loads(out.read_text(encoding="utf-8")))
    held = json.loads((tmp_path / "p.json.OWNER-ONLY.withheld.json").read_text(encoding="utf-8"))
    assert got["withheld"]["sources"] == held["sources"]


def test_a_partner_previews_its_own_product_only_and_never_the_withheld_list(app_store) -> None:  # type: ignore[no-untyped-def]
    app, cs, _ = app_store
    with _login(app, "lee") as c:
        own = c.get("/api/v1/share/preview", params={"to": PARTNER})
        other = c.get("/api/v1/share/preview", params={"to": cs.case().owner_agency})
        export = c.get("/api/v1/share/export", params={"to": PARTNER})
    assert own.status_code == 200 and own.json()["withheld"] is None
    assert own.json()["product"]["to"] == PARTNER
    assert other.status_code == 403 and export.status_code == 403


def test_an_export_is_the_file_share_writes_and_is_audited_as_a_share(app_store) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.security import audit

    app, cs, _ = app_store
    with _login(app, "ana") as c:
        r = c.get("/api/v1/share/export", params={"to": PARTNER, "format": "json", "why": "liaison meeting"})
        preview = c.get("/api/v1/share/preview", params={"to": PARTNER}).json()["product"]
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith("attachment;")
    digest = hashlib.sha256(r.content).hexdigest()
    assert r.headers["x-content-sha256"] == digest
    shares = [e for e in audit.entries(cs) if e.action == "share"]
    assert len(shares) == 1
    what = json.loads(shares[0].what)
    assert (what["sha256"], what["to"], what["format"]) == (digest, PARTNER, "json")
    assert (shares[0].actor, shares[0].why) == ("ana@SEDENA-INT", "liaison meeting")
    assert _without_created(json.loads(r.content)) == _without_created(preview)


@pytest.mark.parametrize("fmt, starts", [("stix", b"{"), ("html", b"<!"), ("kml", b"<?xml")])
def test_every_format_downloads(app_store, fmt: str, starts: bytes) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = app_store
    with _login(app, "ana") as c:
        r = c.get("/api/v1/share/export", params={"to": PARTNER, "format": fmt})
    assert r.status_code == 200, r.text
    assert r.content.lstrip()[:len(starts)].lower() == starts.lower()


def test_previews_are_audited_under_the_user(app_store) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.security import audit

    app, cs, _ = app_store
    with _login(app, "lee") as c:
        c.get("/api/v1/share/preview", params={"to": PARTNER})
    last = audit.entries(cs)[-1]
    assert (last.actor, last.action, json.loads(last.what)["api"]) == ("lee@PARTNER-US", "read", "share/preview")


def test_the_evidence_chain_lists_each_cited_event_with_its_source_and_grade(app_store) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.infer.locate import locate

    app, cs, _ = app_store
    with _login(app, "ana") as c:
        chains = [c.get(f"/api/v1/locate/{k}/evidence").json() for k in (1, 2, 3)]
    hyps = locate(cs, top=5)["hypotheses"]
    grades = dict(cs.con.execute("SELECT source_id, reliability FROM sources").fetchall())
    cited = 0
    for chain, h in zip(chains, hyps):
        assert (chain["rank"], chain["probability"]) == (h["rank"], h["probability"])
        assert [e["kind"] for e in chain["evidence"]] == [e["kind"] for e in h["evidence"]]
        for item, ev in zip(chain["evidence"], h["evidence"]):
            assert {e["event_id"] for e in item["events"]} == set(ev.get("event_ids") or [])
            assert {e["source_id"] for e in item["events"]} <= {s["source_id"] for s in item["sources"]}
            for s in item["sources"]:
                assert s["reliability"] == grades[s["source_id"]] and s["grade"].endswith(f"({s['reliability']})")
            cited += len(item["events"])
    assert cited > 0


def test_a_partner_evidence_chain_is_its_tearline_hypothesis(app_store) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = app_store
    with _login(app, "lee") as c:
        chain = c.get("/api/v1/locate/1/evidence").json()
        product = c.get("/api/v1/share/preview", params={"to": PARTNER}).json()["product"]
        missing = c.get("/api/v1/locate/50/evidence")
    assert chain["evidence"] == product["hypotheses"][0]["evidence"]
    assert all("event_ids" not in e and "events" not in e for e in chain["evidence"])
    assert missing.status_code == 404 and set(missing.json()) == {"status", "code", "message", "field"}


def test_unmask_is_for_supervisors_with_a_reason_and_is_audited(app_store) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.security import audit
    from fusioncell.security.minimise import Minimiser

    app, cs, _ = app_store
    m = Minimiser(cs)
    bystander = sorted(i for i in m.known if m.is_masked(i))[0]
    masked = m.mask(bystander)
    with _login(app, "ana") as c:
        assert c.post("/api/v1/unmask", json={"pseudonym": masked, "reason": "r"}).status_code == 403
    with _login(app, "sue") as c:
        assert c.post("/api/v1/unmask", json={"pseudonym": masked}).status_code == 422
        listed = c.get("/api/v1/identifiers", params={"limit": 1000}).text
        assert masked in listed and bystander not in listed
        r = c.post("/api/v1/unmask", json={"pseudonym": masked, "reason": "the prosecutor asks who called"})
        assert r.status_code == 200 and r.json()["identifier"] == bystander
        listed = c.get("/api/v1/identifiers", params={"limit": 1000}).text
        assert bystander in listed and masked not in listed
    entry = [e for e in audit.entries(cs) if e.action == "unmask"][-1]
    assert (entry.actor, entry.why) == ("sue@SEDENA-INT", "the prosecutor asks who called")
