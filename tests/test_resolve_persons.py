"""One resolution layer: an analyst's merge, split or undo changes locate, plan, pattern and meetings alike.

The scene (tests/test_locate_scenes.py): his partner's phone P, attributed to
her by a B2 report, spends 8 nights at the compound; her sister S (the seed
lead) is tracked. Here a third phone X, untracked, calls S every day at noon
from the town: a report-less number that *may* be the partner's second phone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from casefolder import at
from fusioncell.infer.locate import locate
from fusioncell.infer.plan import plan
from fusioncell.resolve import Persons, persons
from fusioncell.resolve.decisions import decisions, merge, split_off, undo
from fusioncell.spacetime.report import meetings_report, pattern_report
from fusioncell.store import open_case
from test_network_factory import Case
from test_locate_scenes import COMPOUND, DAYS, HOME_P, NIGHTS, P, S, _base, _dist, _partner

X = "+523315550000"
PARTNER_KINDS = {"nights_partner", "nights_partner_coarse", "silent_nights", "isolated_nights"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    c = _base(compound_covered=True)
    _partner(c, NIGHTS, silent=False)
    for d in range(DAYS):
        c.call(X, S, at(d, 12.5), c.cell(*HOME_P))  # type: ignore[attr-defined]
    return c.write(tmp_path_factory.mktemp("onehouse") / "case")


def _kinds(result: dict) -> set[str]:  # type: ignore[type-arg]
    return {e["kind"] for h in result["hypotheses"] for e in h["evidence"]}


def _member(result: dict, ident: str) -> dict:  # type: ignore[type-arg]
    return next(m for m in result["circle"] if m["identifier"] == ident)


def test_persons_applies_the_decisions_in_order_and_undo_pops_the_newest() -> None:
    c = Case()
    c.person("person-a", phones=("+523300000001",))
    s = c.store()
    before = persons(s)
    assert isinstance(before, Persons) and before.person_of("+523300000001") == "person-a"
    split_off(s, "+523300000001", analyst="a", reason="not his")
    assert persons(s).person_of("+523300000001") is None
    assert not persons(s).allows("+523300000001", {"person-a"})
    merge(s, ["+523300000001"], "person-a", analyst="a", reason="his after all")  # newer decision wins
    assert persons(s).person_of("+523300000001") == "person-a"
    assert persons(s).by_identifier["+523300000001"].method == "analyst"
    assert [d.person for d in decisions(s)] == ["person-a", None]  # newest first
    undo(s)
    assert persons(s).person_of("+523300000001") is None  # back to the split
    undo(s)
    assert persons(s).by_identifier == before.by_identifier  # back to the derived attribution


def test_a_split_after_a_merge_of_the_same_phone_wins() -> None:
    """The newest decision wins even when it is a split (person NULL): DuckDB's arg_max skips NULLs, so
    the older merge used to stay in force."""
    c = Case()
    c.person("person-a", phones=("+523300000001",))
    c.person("person-b", phones=("+523300000002",))
    s = c.store()
    merge(s, ["+523300000002"], "person-a", analyst="a", reason="same handset")
    assert persons(s).person_of("+523300000002") == "person-a"
    split_off(s, "+523300000002", analyst="a", reason="not hers after all")
    assert persons(s).person_of("+523300000002") is None
    assert not persons(s).allows("+523300000002", {"person-a"})


def test_splitting_her_phone_off_her_loses_the_partner_nights_and_undo_restores_every_answer(folder: Path) -> None:
    with open_case(folder) as cs:
        loc0, plan0, pat0 = locate(cs, top=5), plan(cs, budget=3), pattern_report(cs, P)
        split_off(cs, P, analyst="ana", reason="another woman's voice on the intercept")
        loc1, pat1 = locate(cs, top=5), pattern_report(cs, P)
        undo(cs)
        loc2, plan2, pat2 = locate(cs, top=5), plan(cs, budget=3), pattern_report(cs, P)
    # before: her nights at the compound carry the answer
    top0 = loc0["hypotheses"][0]
    assert _dist(top0, COMPOUND) <= 300 and top0["support"]["partner_located"]
    assert "nights_partner" in _kinds(loc0)
    assert _member(loc0, P)["role"] == "partner" and pat0["person"] == "person-partner"
    # split: P is nobody's now, only a tracked lead; no hypothesis may cite a partner's night
    assert _member(loc1, P)["role"] == "tracked" and _member(loc1, P)["person"] is None
    assert not _kinds(loc1) & PARTNER_KINDS
    assert not any(h["support"]["partner_located"] for h in loc1["hypotheses"])
    assert loc1["hypotheses"][0]["probability"] < top0["probability"]
    assert pat1["person"] is None and pat1["person_identifiers"] == []
    # undo: exactly the previous answers
    assert loc2 == loc0 and plan2 == plan0 and pat2 == pat0


def test_merging_a_second_phone_into_her_makes_plan_send_us_to_it_and_undo_restores(folder: Path) -> None:
    with open_case(folder) as cs:
        loc0, plan0 = locate(cs, top=5), plan(cs, budget=3)
        merge(cs, [X], "person-partner", analyst="ana", reason="subscriber check: her second SIM")
        loc1, plan1 = locate(cs, top=5), plan(cs, budget=3)
        undo(cs)
        loc2, plan2 = locate(cs, top=5), plan(cs, budget=3)
    # before: X is only a guess at her number (a frequent contact of her sister), not attributed
    x0 = _member(loc0, X)
    gain0 = next(r["expected_gain"] for r in plan0["recommendations"] if r["identifier"] == X)
    # after: the analyst's decision makes X hers for certain (p_identity 1 > the B2 report's for P),
    # so X heads her circle and tracking it is worth more than before; P stays tracked, never recommended
    x1 = _member(loc1, X)
    assert x1["role"] == "partner" and x1["relevance"] > x0["relevance"]
    assert loc1["circle"][0]["identifier"] == X
    rec1 = plan1["recommendations"][0]
    assert rec1["identifier"] == X and rec1["role"] == "partner" and rec1["expected_gain"] > 2 * gain0
    assert P not in {r["identifier"] for r in plan1["recommendations"]}
    assert loc2 == loc0 and plan2 == plan0


def test_meetings_and_pattern_read_persons_through_the_one_layer(folder: Path) -> None:
    with open_case(folder) as cs:
        before = pattern_report(cs, P)
        merge(cs, [X], "person-partner", analyst="ana", reason="her second SIM")
        after = pattern_report(cs, P)
        meet = meetings_report(cs, None)
        who = persons(cs)
        undo(cs)
    assert X not in before["person_identifiers"] and X in after["person_identifiers"]
    for m in meet["meetings"]:
        assert (m["person_a"], m["person_b"]) == (who.person_of(m["id_a"]), who.person_of(m["id_b"]))
        assert m["same_person"] == (m["person_a"] is not None and m["person_a"] == m["person_b"])


def test_override_commands_write_list_and_undo_and_refuse_bad_input_with_exit_2(folder: Path, tmp_path: Path) -> None:
    import shutil

    case = tmp_path / "case"
    shutil.copytree(folder, case, ignore=shutil.ignore_patterns(".fusioncell", "*.duckdb*"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "fusioncell.cli", "override", *args], capture_output=True,
                              text=True, timeout=300)

    r = run("merge", str(case), X, "--into", "person-partner", "--reason", "her second SIM")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("merged ") and f"{X} → person-partner" in r.stdout
    r = run("list", str(case))
    assert r.returncode == 0 and f"{X} → person-partner" in r.stdout and "her second SIM" in r.stdout
    assert run("undo", str(case), "--reason", "wrong").returncode == 0
    for args in (("undo", str(case), "--reason", "nothing left"),
                 ("split", str(case), "+520000000000", "--reason", "r"),
                 ("merge", str(case), "person-partner", "--into", "person-partner", "--reason", "r")):
        r = run(*args)
        assert r.returncode == 2, (args, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("fusioncell: error: ") and "Traceback" not in r.stderr
    assert "(no analyst decisions)" in run("list", str(case)).stdout
