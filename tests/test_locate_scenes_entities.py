"""Scenes where the case observes a *person* under her entity id, not a phone: the case format lets an entity
id stand wherever an identifier may (a tracker on her, fixes a partner agency already resolved to her, an
observer who saw her). Our simulator never writes that; an independent one may.
"""

from __future__ import annotations

from pathlib import Path

from casefolder import at

from test_locate_scenes import COMPOUND, DECOY, NIGHTS, _base, _dist, _lieutenants_at_the_decoy, _p_near, _partner, _run


def test_her_fixes_under_her_entity_id_are_hers_and_find_the_compound(tmp_path: Path) -> None:
    """The decoy scene (three graded lieutenants sleep at the safe house on 16 nights each, a B2 report names
    it), but the partner agency delivers *her* fixes under her entity id ``person-partner`` (the entity whose
    alias the partner_of claim names), not under her number. Her eight nights at the compound are hers as
    surely as her phone's would be: the compound leads and the decoy stays below half. Before, an entity id
    in locations.csv was an unknown lead (relevance 0.3, a third of a partner's), and the lieutenants' safe
    house led."""
    c = _base(compound_covered=True)
    _partner(c, NIGHTS, silent=False, ident="person-partner")
    _lieutenants_at_the_decoy(c)
    r = _run(c, tmp_path)
    top = r["hypotheses"][0]
    assert _dist(top, COMPOUND) <= 300, [(round(_dist(h, COMPOUND)), h["probability"]) for h in r["hypotheses"][:3]]
    assert _p_near(r, DECOY) < 0.5
    nights = [e["summary"] for e in top["evidence"] if e["kind"] == "nights_partner"]
    assert nights, [e["kind"] for e in top["evidence"]]


def test_a_vehicle_seen_under_its_entity_id_and_read_by_its_plate_is_one_vehicle(tmp_path: Path) -> None:
    """The move scene of test_his_guards_pickup_parked_at_the_compound_then_at_the_new_house_settles_the_move
    (her last night at the compound on day 19, her latest at a new house on day 21; a pickup parked at the
    compound on days 5 and 11, read at the new house on day 22), but the imagery analysts named the pickup by
    the case's Vehicle entity (``veh-pickup``, registration JKL-12-34) on days 11 and 22 and by its plate on
    day 5. One car: it lived at the compound and went with him, so the answer must be the one the plate
    reads alone give (the new house leads, the compound falls below 0.35, the move cites the plate). Before,
    ``veh-pickup`` and ``plate:JKL-12-34`` were two vehicles each read once at the compound: no household
    there, no departure, and the toss-up stayed."""
    from test_locate_scenes import NEW_COMPOUND, _old_then

    c = _base(compound_covered=True)
    _old_then(c, {21: NEW_COMPOUND})
    c.entities.append({"id": "veh-pickup", "schema": "Vehicle", "properties": {"registrationNumber": ["JKL-12-34"]}})
    for d, place, subject in ((5, COMPOUND, "plate:JKL-12-34"), (11, COMPOUND, "veh-pickup"),
                              (22, NEW_COMPOUND, "veh-pickup")):
        c.sighting(subject, at(d, 12.0), place[0] + 0.0002, place[1] - 0.0002, 0.8, note="UAV EO pass")
        c.sighting(f"plate:PAS-{d:02d}-00", at(d, 12.0), place[0] - 0.0003, place[1], 0.6, note="UAV EO pass")
    r = _run(c, tmp_path)
    assert _dist(r["hypotheses"][0], NEW_COMPOUND) <= 300, r["hypotheses"][:2]
    assert _p_near(r, COMPOUND) < 0.35
    moved = [e for e in r["hypotheses"][0]["evidence"] if e["kind"] == "moved_here"]
    assert any("plate:JKL-12-34" in e["identifiers"] for e in moved), moved


def test_sightings_of_her_under_her_entity_id_are_read_where_her_phone_is_silent(tmp_path: Path) -> None:
    """Her phone goes silent on her nights at the compound (switched off), and an observer reports *her*
    (``person-partner``, the entity the partner_of claim's alias names) at the compound on three of those
    evenings. The sightings are hers: cited at the compound under her entity id. Before, a sighting whose
    subject was a person's entity id was not of the circle at all and was dropped from the evidence."""
    c = _base(compound_covered=False)
    _partner(c, NIGHTS, silent=True)
    for d in NIGHTS[-3:]:
        c.sighting("person-partner", at(d, 20.5), COMPOUND[0] + 0.0003, COMPOUND[1], 0.8, "observer")
    r = _run(c, tmp_path)
    comp = [h for h in r["hypotheses"] if _dist(h, COMPOUND) <= 300]
    assert comp, [(round(_dist(h, COMPOUND)), h["probability"]) for h in r["hypotheses"][:3]]
    seen = [e for e in comp[0]["evidence"] if e["kind"] == "sighting_vehicle"]
    assert seen and "person-partner" in seen[0]["summary"], [e["summary"] for e in comp[0]["evidence"]]
