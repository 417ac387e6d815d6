"""Identifier → person attribution, analyst overrides, burner succession, caching."""

from __future__ import annotations

from test_network_factory import (
    C, F, L_NEW, L_OLD, M, P, S1, S2, W, X, Z_NEW, Z_OLD, Case, at, scenario,
)

from fusioncell.model.grading import p_true
from fusioncell.resolve import attributions, burner_successions, override, person_of, split


def test_entity_phones_and_graded_uses_claims_are_attributed() -> None:
    s = scenario().store()
    owner = person_of(s)
    assert owner[F] == "person-boss"
    assert owner[L_OLD] == "person-lt"
    # "alias:La Güera uses P" (B2): the alias is the person until an entity names her
    assert owner[P] == "alias:La Güera"
    assert owner[M] == "person-mother"
    assert C not in owner  # nobody claims the courier's phone
    conf = {a["identifier"]: a for a in attributions(s)}
    assert conf[P]["confidence"] == p_true("B", 2)
    assert conf[M]["confidence"] == p_true("C", 3)
    assert conf[P]["method"] == "claim" and "r-1" in conf[P]["evidence"][0]


def test_claim_through_an_alias_reaches_the_entity_that_declares_it() -> None:
    c = Case()
    c.person("person-x", aliases=("alias:El Flaco",))
    c.claim("alias:El Flaco", "uses", "+523311112222", "A", 1)
    assert person_of(c.store())["+523311112222"] == "person-x"


def test_corroborating_claims_combine_and_competing_claims_keep_the_alternative() -> None:
    c = Case()
    c.claim("person-a", "uses", "+523311110000", "C", 3)
    c.claim("person-a", "uses", "+523311110000", "C", 3)
    c.claim("person-b", "uses", "+523311110000", "D", 4)
    s = c.store()
    a = {x["identifier"]: x for x in attributions(s)}["+523311110000"]
    p = p_true("C", 3)
    assert a["person"] == "person-a"
    assert a["confidence"] == __import__("pytest").approx(1 - (1 - p) ** 2)
    assert any("alternative: person-b" in e for e in a["evidence"])


def test_weak_negative_claim_alone_does_not_attribute() -> None:
    c = Case()
    c.claim("person-a", "uses", "+523311110000", "E", 5)  # unreliable source, improbable
    assert person_of(c.store()) == {}


def test_analyst_split_and_override_win_and_are_reversible() -> None:
    s = scenario().store()
    assert person_of(s)[L_NEW] == "person-lt"  # merged through the burner succession
    split(s, L_NEW, analyst="ana", reason="different voice on intercept")
    assert L_NEW not in person_of(s)
    override(s, L_NEW, "person-other", analyst="ana", reason="source confirms")
    a = {x["identifier"]: x for x in attributions(s)}[L_NEW]
    assert a["person"] == "person-other" and a["method"] == "analyst" and a["confidence"] == 1.0
    override(s, L_NEW, "person-lt", analyst="ana", reason="undo")
    assert person_of(s)[L_NEW] == "person-lt"


def test_burner_succession_found_with_shared_contacts_and_cell_sites() -> None:
    s = scenario().store()
    pairs = burner_successions(s)
    found = {(b["old"], b["new"]) for b in pairs}
    assert (L_OLD, L_NEW) in found
    b = next(b for b in pairs if b["old"] == L_OLD)
    assert b["score"] >= 0.9
    assert b["evidence"]["n_shared"] == len(X) + 1  # six contacts plus the boss
    assert b["evidence"]["coloc"] == 1.0
    assert b["handover"].startswith("2026-01-20T")  # day 15 local
    assert b["handover"].endswith("-06:00")


def test_civilian_sim_change_without_shared_contacts_is_not_a_burner() -> None:
    found = {(b["old"], b["new"]) for b in burner_successions(scenario().store())}
    assert (Z_OLD, Z_NEW) not in found


def test_second_sim_used_in_parallel_is_not_a_burner() -> None:
    found = {frozenset((b["old"], b["new"])) for b in burner_successions(scenario().store())}
    assert frozenset((S1, S2)) not in found
    assert all(W[0] not in pair for pair in found)


def test_handsets_that_call_each_other_score_lower_than_silent_handover() -> None:
    def case(mutual: bool) -> float:
        c = Case()
        friends = [f"+5233177700{i:02d}" for i in range(5)]
        for d in range(20):
            ph = "+523317770100" if d < 10 else "+523317770101"
            for j, f in enumerate(friends):
                c.call(ph, f, at(d, 10 + j), 60)
        if mutual:  # the two phones talk to each other: two people, or a test call
            c.call("+523317770100", "+523317770101", at(9, 20), 60)
        pairs = burner_successions(c.store())
        return max((b["score"] for b in pairs), default=0.0)

    assert case(mutual=True) < case(mutual=False)


def test_timing_is_required_long_gap_is_not_a_handover() -> None:
    c = Case()
    friends = [f"+5233177700{i:02d}" for i in range(5)]
    for d in range(60):
        ph = "+523317770100" if d < 10 else ("+523317770101" if d >= 40 else None)
        if ph:
            for j, f in enumerate(friends):
                c.call(ph, f, at(d, 10 + j), 60)
    assert burner_successions(c.store()) == []


def test_derived_tables_are_cached_and_rebuilt_when_observations_change() -> None:
    s = scenario().store()
    person_of(s)
    run1 = s.con.execute("SELECT DISTINCT run_id FROM attributions").fetchall()
    person_of(s)
    assert s.con.execute("SELECT DISTINCT run_id FROM attributions").fetchall() == run1
    s.con.execute(
        "INSERT INTO claims (report_id, claim_no, source_id, agency, reliability, credibility, subject, predicate,"
        " object) VALUES ('r-new', 0, 'src', 'AG', 'A', 1, 'person-courier', 'uses', ?)", [C]
    )
    assert person_of(s)[C] == "person-courier"
    assert s.con.execute("SELECT DISTINCT run_id FROM attributions").fetchall() != run1


def test_splink_merges_person_records_of_two_agencies_and_split_undoes_it() -> None:
    from fusioncell.resolve import merged_persons

    c = Case()
    c.person("ent-a", phones=("+523310009999",), name="Ana Herrera Vargas", aliases=("alias:La Chula",),
             alias=["La Chula"])
    c.person("ent-b", phones=("+523310009999",), name="Ána Herrera", alias=["la chula"])
    c.person("ent-c", phones=("+523310008888",), name="Pedro López Ruiz")
    c.person("ent-d", name="Ana Hernández Soto")  # shares a name prefix only: not the same person
    c.call("+523310009999", "+523310008888", at(0, 12), 60)
    s = c.store()
    merged = merged_persons(s)
    assert [(m["entity_id"], m["canonical"]) for m in merged] == [("ent-b", "ent-a")]
    owner = person_of(s)
    assert owner["ent-b"] == "ent-a" and owner["+523310009999"] == "ent-a"
    split(s, "ent-b", analyst="ana", reason="different birth dates in passport records")
    assert "ent-b" not in person_of(s)
