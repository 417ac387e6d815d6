"""``GET /api/v1/alerts``: the standing watches' alerts, as ``fusioncell alerts`` lists them, behind the read filter.

The example case is ingested, then a watch on the partner's phone is
evaluated on the case's own deliveries (``comms.csv``, ``locations.csv``):
the alerts it must raise are worked out from the rows (one per delivery
that names the phone, with every such row as evidence), not read off the
output, and the route must answer what the CLI prints.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from fusioncell.server.app import create_app  # noqa: E402
from fusioncell.store import CaseStore  # noqa: E402

PASSWORD = "correct horse battery"
PHONE = "+523312345678"  # the target's partner in the example case


@pytest.fixture()
def watched(store_file: Path):  # type: ignore[no-untyped-def]
    from fusioncell.server.auth import add_user
    from fusioncell.watch import add_watch, evaluate_watches

    with CaseStore.open(store_file) as cs:
        add_watch(cs, "identifier", [PHONE], note="the partner's handset")
        evaluate_watches(cs, ["comms.csv", "locations.csv"], "run-test")
        add_user(cs, "ana", "analyst", cs.case().owner_agency, PASSWORD)
        add_user(cs, "lee", "liaison", "PARTNER-US", PASSWORD)
        yield cs


def _login(app, name: str) -> TestClient:  # type: ignore[no-untyped-def]
    c = TestClient(app)
    assert c.post("/api/v1/login", json={"name": name, "password": PASSWORD}).status_code == 200
    return c


def test_alerts_are_the_rows_that_fired_and_answer_as_the_cli(watched, store_file: Path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from fusioncell.cli import app as cli

    cs = watched
    # by reasoning: one alert per delivery with a row naming the phone; its evidence is every such row
    expect = {"comms.csv": cs.con.execute("SELECT count(*) FROM comms WHERE caller = ? OR callee = ?",
                                          [PHONE, PHONE]).fetchone()[0],
              "locations.csv": cs.con.execute("SELECT count(*) FROM locations WHERE identifier = ?",
                                              [PHONE]).fetchone()[0]}
    assert all(expect.values())
    with _login(create_app(cs), "ana") as c:
        body = c.get("/api/v1/alerts").json()
        later = c.get("/api/v1/alerts", params={"since": "2999-01-01T00:00:00Z"}).json()
        bad = c.get("/api/v1/alerts", params={"since": "yesterday"})
    assert body["total"] == 2 and later["total"] == 0
    assert {a["delivery_id"]: a["n_rows"] for a in body["items"]} == expect
    assert {a["delivery_id"]: len(a["evidence"]) for a in body["items"]} == expect
    for a in body["items"]:
        assert a["why"] == f"identifier {PHONE}: any new row that names it — the partner's handset"
        assert {e["identifier"] for e in a["evidence"]} | {e["other"] for e in a["evidence"]} >= {PHONE}
    assert bad.status_code == 422 and bad.json()["field"] == "since"
    cs.con.execute("CHECKPOINT")
    r = CliRunner().invoke(cli, ["alerts", str(store_file), "--format", "json"])
    assert r.exit_code == 0, r.output
    printed = json.loads(r.stdout)["alerts"]
    assert [{k: v for k, v in a.items() if k != "why"} for a in body["items"]] == printed


def test_alerts_are_the_owners_and_every_read_is_audited(watched) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.security import audit

    cs = watched
    app = create_app(cs)
    with _login(app, "lee") as c:
        assert c.get("/api/v1/alerts").status_code == 403
    with TestClient(app) as anon:
        assert anon.get("/api/v1/alerts").status_code == 401
    before = len(audit.entries(cs))
    with _login(app, "ana") as c:
        assert c.get("/api/v1/alerts").status_code == 200
    reads = [e for e in audit.entries(cs)[before:] if e.action == "read"]
    assert [e.actor for e in reads] == ["ana@SEDENA-INT"] and "alerts" in json.dumps(reads[0].to_dict())


def test_an_alerts_rows_are_listed_oldest_first(watched, store_file: Path) -> None:  # type: ignore[no-untyped-def]
    # the page lists "the first 50" rows: the store keeps them by table and event id ("l10…" before "l2…"), so
    # the list jumped from June to July and back; the API and `fusioncell alerts` list them oldest first
    from datetime import datetime

    from typer.testing import CliRunner

    from fusioncell.cli import app as cli

    # event ids that sort against time (as "l10…" sorts before "l2…"): the newest row's id comes first
    watched.con.execute("""UPDATE alerts SET evidence = list_transform(evidence, lambda e: {
        'tbl': e.tbl, 'event_id': 'x' || CAST(4102444800 - epoch(e.t) AS BIGINT) || '-' || e.event_id,
        'source_id': e.source_id, 't': e.t, 'identifier': e.identifier, 'other': e.other,
        'delivery_id': e.delivery_id})""")
    stored = [[e["t"] for e in x] for (x,) in watched.con.execute("SELECT list_sort(evidence) FROM alerts").fetchall()]
    assert any(ts != sorted(ts) for ts in stored)  # the store's own order is not the order of time here
    with _login(create_app(watched), "ana") as c:
        items = c.get("/api/v1/alerts").json()["items"]
    watched.con.execute("CHECKPOINT")
    printed = json.loads(CliRunner().invoke(cli, ["alerts", str(store_file), "--format", "json"]).stdout)["alerts"]
    for alerts in (items, printed):
        assert alerts
        for a in alerts:
            times = [datetime.fromisoformat(e["t"]) for e in a["evidence"]]
            assert len(set(times)) > 1 and times == sorted(times), a["delivery_id"]
