"""locate and plan on the hand-written example case: the public JSON contract."""

import shutil
from pathlib import Path

import pytest

from fusioncell.errors import NotFound
from fusioncell.infer.locate import locate
from fusioncell.infer.plan import plan
from fusioncell.store import open_case

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "op-tapalpa"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("case") / "op-tapalpa"
    shutil.copytree(EXAMPLE, folder)
    cs = open_case(folder)
    yield cs
    cs.close()


def test_locate_follows_the_contract_shape(store) -> None:  # type: ignore[no-untyped-def]
    r = locate(store, top=3)
    assert r["case"] == "op-tapalpa" and r["target"] == "person-target"
    hyps = r["hypotheses"]
    assert 1 <= len(hyps) <= 3
    assert [h["rank"] for h in hyps] == list(range(1, len(hyps) + 1))
    probs = [h["probability"] for h in hyps]
    assert probs == sorted(probs, reverse=True)
    assert sum(probs) <= 1.0 + 1e-9
    for h in hyps:
        assert -90 <= h["lat"] <= 90 and -180 <= h["lon"] <= 180 and h["radius_m"] > 0
        for e in h["evidence"]:
            assert set(e) >= {"kind", "summary", "weight", "event_ids", "source_ids"}


def test_evidence_points_back_to_rows_of_the_case(store) -> None:  # type: ignore[no-untyped-def]
    r = locate(store, top=5)
    sources = {s for (s,) in store.con.execute("SELECT source_id FROM sources").fetchall()}
    events = {e for (e,) in store.con.execute(
        "SELECT event_id FROM comms UNION SELECT event_id FROM locations UNION SELECT event_id FROM sightings "
        "UNION SELECT report_id FROM reports").fetchall()}
    for h in r["hypotheses"]:
        for e in h["evidence"]:
            assert set(e["source_ids"]) <= sources
            assert set(e["event_ids"]) <= events


def test_unknown_target_is_a_clear_error(store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound, match="person-nobody"):
        locate(store, target="person-nobody")


def test_plan_never_recommends_an_identifier_already_tracked(store) -> None:  # type: ignore[no-untyped-def]
    tracked = {i for (i,) in store.con.execute("SELECT DISTINCT identifier FROM locations").fetchall()}
    r = plan(store, budget=5)
    assert r["recommendations"], "the example case names an untracked partner phone"
    assert not tracked & {x["identifier"] for x in r["recommendations"]}
    gains = [x["expected_gain"] for x in r["recommendations"]]
    assert gains == sorted(gains, reverse=True)


def test_windows_are_sorted_and_do_not_overlap(store) -> None:  # type: ignore[no-untyped-def]
    for h in locate(store, top=5)["hypotheses"]:
        spans = [(w["from"], w["to"]) for w in h["windows"]]
        assert all(a < b for a, b in spans)
        assert all(prev[1] < nxt[0] for prev, nxt in zip(spans, spans[1:]))
