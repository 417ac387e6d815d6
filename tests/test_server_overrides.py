"""Merge, split and undo over HTTP: every answer changes after a merge and is restored by undo; CSRF; audit."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from fusioncell.server.app import create_app  # noqa: E402
from fusioncell.store import CaseStore  # noqa: E402

PW = "s3cret-enough"
UNATTRIBUTED = "+523336401122"  # calls the partner in the example case; nobody is said to use it
PLATE = "plate:JAL-4821-B"  # the courier's pickup, sighted by the UAV near the ranch


@pytest.fixture()
def analyst(store_file: Path):
    from fusioncell.server.auth import add_user

    with CaseStore.open(store_file) as cs:
        add_user(cs, "ana", "analyst", cs.case().owner_agency, PW)
        with TestClient(create_app(cs)) as c:
            r = c.post("/api/v1/login", json={"name": "ana", "password": PW})
            c.headers["X-CSRF-Token"] = r.json()["csrf"]
            yield c, cs


def _n_overrides(cs: CaseStore) -> int:
    from fusioncell.resolve.cache import ensure_tables

    ensure_tables(cs)
    return int(cs.con.execute("SELECT count(*) FROM attribution_overrides").fetchone()[0])


def _nodes(c: TestClient) -> set[str]:
    ties = c.get("/api/v1/network/ties", params={"limit": 1000}).json()["items"]
    return {t["a"] for t in ties} | {t["b"] for t in ties}


def _answers(c: TestClient) -> tuple[list, list]:  # type: ignore[type-arg]
    ties = c.get("/api/v1/network/ties", params={"limit": 1000}).json()["items"]
    loc = c.get("/api/v1/locate", params={"top": 5}).json()
    return ties, {"hypotheses": loc["hypotheses"], "circle": loc["circle"]}


def test_a_merge_changes_network_and_locate_and_undo_restores_both(analyst) -> None:  # type: ignore[no-untyped-def]
    c, _ = analyst
    before = _answers(c)
    assert UNATTRIBUTED in _nodes(c)
    r = c.post("/api/v1/persons/merge", json={"members": [UNATTRIBUTED, PLATE], "into": "person-target",
                                              "reason": "the target's second phone and his pickup"})
    assert r.status_code == 200, r.text
    assert sorted(r.json()["identifiers"]) == sorted([UNATTRIBUTED, PLATE]) and r.json()["person"] == "person-target"
    after = _answers(c)
    # the phone is now the target's: it is no longer a node of its own, and the target gains its ties
    assert UNATTRIBUTED not in _nodes(c)
    assert after[0] != before[0]
    # locate follows the same resolution: the pickup is no longer the courier's in his circle
    assert after[1] != before[1]
    courier_plate = [m for m in before[1]["circle"] if m["identifier"] == PLATE]
    assert courier_plate and courier_plate[0]["person"] == "person-courier"
    assert all(m["person"] != "person-courier" for m in after[1]["circle"] if m["identifier"] == PLATE)
    u = c.post("/api/v1/persons/undo", json={"reason": "wrong merge"})
    assert u.status_code == 200 and sorted(u.json()["identifiers"]) == sorted([UNATTRIBUTED, PLATE])
    assert _answers(c) == before
    assert c.get("/api/v1/persons/overrides").json()["total"] == 0


def test_merging_a_person_takes_every_identifier_attributed_to_it(analyst) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.resolve import person_of

    c, cs = analyst
    courier = sorted(i for i, p in person_of(cs).items() if p == "person-courier")
    assert len(courier) >= 2  # the example gives the courier a phone, a plate, an alias and an email
    r = c.post("/api/v1/persons/merge", json={"members": ["person-courier"], "into": "person-lt1", "reason": "r"})
    assert r.status_code == 200, r.text
    owner = person_of(cs)
    assert all(owner[i] == "person-lt1" for i in courier)
    assert "person-courier" not in _nodes(c)


def test_split_detaches_an_identifier_and_undo_gives_it_back(analyst) -> None:  # type: ignore[no-untyped-def]
    c, _ = analyst
    partner_phone = "+523312345678"
    assert partner_phone not in _nodes(c)  # folded into person-partner
    r = c.post("/api/v1/persons/split", json={"identifier": partner_phone, "reason": "another woman's voice"})
    assert r.status_code == 200 and r.json()["person"] is None
    assert partner_phone in _nodes(c)
    c.post("/api/v1/persons/undo", json={"reason": "same voice after all"})
    assert partner_phone not in _nodes(c)


def test_writes_need_the_csrf_token_and_write_nothing_without_it(analyst) -> None:  # type: ignore[no-untyped-def]
    c, cs = analyst
    token = c.headers.pop("X-CSRF-Token")
    r = c.post("/api/v1/persons/split", json={"identifier": UNATTRIBUTED, "reason": "r"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = c.post("/api/v1/persons/split", json={"identifier": UNATTRIBUTED, "reason": "r"},
               headers={"X-CSRF-Token": token + "x"})
    assert r.status_code == 403
    assert _n_overrides(cs) == 0


def test_each_decision_is_audited_with_its_reason_and_analyst(analyst) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.security import audit

    c, cs = analyst
    c.post("/api/v1/persons/split", json={"identifier": UNATTRIBUTED, "reason": "a neighbour's phone"})
    c.post("/api/v1/persons/undo", json={"reason": "checked: it is his"})
    last = [e for e in audit.entries(cs) if e.action == "override"]
    assert [(e.actor, e.why) for e in last[-2:]] == [("ana@SEDENA-INT", "a neighbour's phone"),
                                                     ("ana@SEDENA-INT", "checked: it is his")]
    assert audit.verify(cs).ok


@pytest.mark.parametrize("path, body, status", [
    ("/api/v1/persons/undo", {"reason": "nothing to undo"}, 404),
    ("/api/v1/persons/merge", {"members": ["+520000000000"], "into": "person-target", "reason": "r"}, 404),
    ("/api/v1/persons/merge", {"members": ["person-target"], "into": "person-target", "reason": "r"}, 400),
    ("/api/v1/persons/merge", {"members": [], "into": "person-target", "reason": "r"}, 422),
    ("/api/v1/persons/split", {"identifier": UNATTRIBUTED, "reason": ""}, 422),
])
def test_bad_overrides_answer_in_the_error_shape(analyst, path: str, body: dict, status: int) -> None:  # type: ignore[no-untyped-def,type-arg]
    c, cs = analyst
    r = c.post(path, json=body)
    assert r.status_code == status, r.text
    assert set(r.json()) == {"status", "code", "message", "field"}
    assert _n_overrides(cs) == 0


def test_a_pseudonym_from_a_listing_is_accepted_and_the_identifier_recorded(analyst) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.security.minimise import Minimiser

    c, cs = analyst
    m = Minimiser(cs)
    bystander = sorted(i for i in m.known if m.is_masked(i))[0]
    r = c.post("/api/v1/persons/merge", json={"members": [m.mask(bystander)], "into": "person-target", "reason": "r"})
    assert r.status_code == 200, r.text
    assert r.json()["identifiers"] == [m.mask(bystander)]  # still shown masked
    assert cs.con.execute("SELECT identifier FROM attribution_overrides").fetchall() == [(bystander,)]
