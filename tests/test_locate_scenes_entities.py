"""Scenes where the case observes a *person* under her entity id, not a phone: the case format lets an entity
id stand wherever an identifier may (a tracker on her, fixes a partner agency already resolved to her, an
observer who saw her). Our simulator never writes that; an independent one may.
"""

from __future__ import annotations

from pathlib import Path

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
