"""Scenes with sightings of *him* (the case format's ``person-target`` subject): our simulator writes none, an
independent one may. A sighting lifts locate's holds on certainty only when it is sure (the sightings at the
place together at least 0.7 likely to be him) and recent (within two days of the end of the data); otherwise
it is evidence for the model and dates the place as her nights do.
"""

from __future__ import annotations

from pathlib import Path

from casefolder import at
from test_locate_scenes import (
    COMPOUND,
    DECOY,
    NEW_COMPOUND,
    NIGHTS,
    _base,
    _dist,
    _lieutenants_who_might_be_hers,
    _p_near,
    _partner,
    _nights_at,
    _partner_path,
    _run,
)


def test_a_look_alike_half_seen_at_the_decoy_does_not_lift_its_hold(tmp_path: Path) -> None:
    """The scene of test_lieutenants_who_might_be_her_phone_do_not_make_their_safe_house_certain (three
    lieutenants, each a candidate for the alias-only partner's phone, sleep at their safe house; a B2 report names
    it; the model puts the safe house near 1 and only the holds keep it at 0.75), plus one sighting "of him" at
    the safe house yesterday, confidence 0.5: an observer unsure it is him. Before session 18 any sighting of
    weight counted as "he was seen" and lifted every hold, and the safe house went to 0.99. It must stay held
    at 0.75, and its support must not say he was sighted, while the sighting is still read."""
    c = _lieutenants_who_might_be_hers()
    c.source("imint", "IMINT", "B")
    c.sighting("person-target", at(23, 11.0), DECOY[0] + 0.0003, DECOY[1], 0.5, "observer, unsure")
    r = _run(c, tmp_path)
    assert _p_near(r, DECOY) <= 0.75 + 1e-9, [(h["probability"], round(_dist(h, DECOY))) for h in r["hypotheses"][:3]]
    decoys = [h for h in r["hypotheses"] if _dist(h, DECOY) <= 500]
    assert decoys and not any(h["support"]["sighted_him"] for h in decoys)
    assert max(h["support"]["seen_p"] for h in decoys) >= 0.45  # the sighting is read and weighed, not dropped
    assert "sighting_him" in {e["kind"] for h in decoys for e in h["evidence"]}


def test_a_sure_sighting_at_his_first_house_three_weeks_ago_does_not_hold_him_there(tmp_path: Path) -> None:
    """He lives at the compound: her nights there on days 1, 4, 7, 10, 13, and an observer sure it is him (0.9)
    on day 5. Then he moves: her nights on days 16, 19 and 22 are at a new house 32 km west. The sighting says
    where he *was*; after three nights of hers elsewhere the compound is held at 0.6 (she has since slept
    away) and discounted for the 19 days since, and the new house leads."""
    c = _base(compound_covered=True)
    _partner_path(c, _nights_at(([1, 4, 7, 10, 13], COMPOUND), ([16, 19, 22], NEW_COMPOUND)))
    c.sighting("person-target", at(5, 10.0), COMPOUND[0], COMPOUND[1] + 0.0004, 0.9, "observer, sure")
    r = _run(c, tmp_path)
    top = r["hypotheses"][0]
    assert _dist(top, NEW_COMPOUND) <= 300, [(round(_dist(h, NEW_COMPOUND)), h["probability"]) for h in r["hypotheses"][:3]]
    old = [h for h in r["hypotheses"] if _dist(h, COMPOUND) <= 300]
    assert old and all(h["probability"] <= 0.6 for h in old)
    assert not any(h["support"]["sighted_him"] for h in old) and old[0]["support"]["seen_p"] >= 0.85
    assert old[0]["support"]["may_have_moved"]  # products then state no more than moderate confidence in it
    assert not top["support"]["may_have_moved"]


def test_a_sure_sighting_yesterday_where_her_nights_are_may_be_almost_certain(tmp_path: Path) -> None:
    """Her nights at the compound (one source type, held below 0.85 without a sighting: see
    test_her_nights_away_put_him_at_the_compound) and an observer sure it is him there yesterday: a direct
    sighting, so the single-type hold is lifted."""
    c = _base(compound_covered=True)
    _partner(c, NIGHTS, silent=False)
    c.sighting("person-target", at(23, 10.0), COMPOUND[0], COMPOUND[1], 0.9, "observer, sure")
    r = _run(c, tmp_path)
    top = r["hypotheses"][0]
    assert _dist(top, COMPOUND) <= 300 and top["support"]["sighted_him"]
    assert top["probability"] > 0.85
    seen = [e["summary"] for e in top["evidence"] if e["kind"] == "sighting_him"]
    assert seen and seen[0].startswith("the target person-target: sighted here"), seen  # him, not a phone handle


def test_one_observer_unsure_on_three_days_is_not_a_sure_sighting(tmp_path: Path) -> None:
    """The look-alike scene above, but the observer reports "maybe him" at the safe house on three days running
    (0.55 each): taken as independent the three would be a sure sighting (1 - 0.45^3 = 0.91), lift every hold and
    put the safe house near 1. They are one observer's one mistake repeated (a look-alike who lives there is there
    every day): a source's unsure identifications count once, at its strongest, towards "he was sighted" — the
    model still reads all three. A second, independent source seeing him there would count (the next test)."""
    c = _lieutenants_who_might_be_hers()
    c.source("imint", "IMINT", "B")
    for day in (21, 22, 23):
        c.sighting("person-target", at(day, 11.0), DECOY[0] + 0.0003, DECOY[1], 0.55, "observer, unsure")
    r = _run(c, tmp_path)
    assert _p_near(r, DECOY) <= 0.75 + 1e-9, [(h["probability"], round(_dist(h, DECOY))) for h in r["hypotheses"][:3]]
    decoys = [h for h in r["hypotheses"] if _dist(h, DECOY) <= 500]
    assert decoys and not any(h["support"]["sighted_him"] for h in decoys)
    assert max(h["support"]["seen_p"] for h in decoys) < 0.7  # one source: its strongest sighting, 0.55 at most


def test_two_sources_unsure_of_him_at_one_place_together_are_a_sighting(tmp_path: Path) -> None:
    """Two independent sources each half-sure it is him at the safe house yesterday (an imagery analyst 0.55, a
    surveillance team 0.55): their errors are not one error, so together they are 1 - 0.45^2 = 0.80 likely him,
    a sighting that lifts the holds (the lone 0.5 of the first test does not)."""
    c = _lieutenants_who_might_be_hers()
    c.source("imint", "IMINT", "B")
    c.source("team", "HUMINT", "B")
    c.sighting("person-target", at(23, 11.0), DECOY[0] + 0.0003, DECOY[1], 0.55, "imagery analyst, unsure",
               source_id="imint")
    c.sighting("person-target", at(23, 15.0), DECOY[0], DECOY[1] + 0.0003, 0.55, "surveillance team, unsure",
               source_id="team")
    r = _run(c, tmp_path)
    decoys = [h for h in r["hypotheses"] if _dist(h, DECOY) <= 500]
    assert decoys and any(h["support"]["sighted_him"] for h in decoys)
    assert max(h["support"]["seen_p"] for h in decoys) >= 0.79
