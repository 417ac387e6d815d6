"""Key-judgment rules: no certainty without support, and areas read together."""

import numpy as np

from fusioncell.infer.judgment import CAP_OTHERS_ONLY, CAP_SINGLE_TYPE, Support, apply_caps, areas, cap_for


def test_one_source_type_and_no_sighting_cannot_reach_090() -> None:
    cap = cap_for(Support(frozenset({"SIGINT"}), sighted_him=False, partner_evidence=True, person_evidence=True))
    assert cap.ceiling == CAP_SINGLE_TYPE < 0.9
    assert cap.would_change, "the chain must say what would lift the cap"


def test_two_independent_source_types_or_a_sighting_of_him_lift_the_cap() -> None:
    two = cap_for(Support(frozenset({"SIGINT", "IMINT"}), False, True, True))
    seen = cap_for(Support(frozenset({"IMINT"}), True, False, False))
    assert two.ceiling == 1.0 and seen.ceiling == 1.0


def test_a_place_only_lieutenants_support_stays_below_080() -> None:
    """The decoy failure: associates' nights (and a report) without his partner or a sighting of him."""
    cap = cap_for(Support(frozenset({"SIGINT", "HUMINT"}), False, partner_evidence=False, person_evidence=True))
    assert cap.ceiling == CAP_OTHERS_ONLY < 0.8
    assert "partner" in (cap.reason or "")


def test_capped_mass_goes_to_elsewhere_never_to_another_place() -> None:
    caps = [cap_for(Support(frozenset({"SIGINT"}), False, True, True)), cap_for(Support(frozenset(), False, False, False))]
    out = apply_caps(np.array([0.97, 0.02]), 0.01, caps)
    assert out.p[0] == CAP_SINGLE_TYPE
    assert out.p[1] == 0.02
    assert abs(out.elsewhere - (0.01 + 0.97 - CAP_SINGLE_TYPE)) < 1e-12
    assert abs(out.p.sum() + out.elsewhere - 1.0) < 1e-12


def test_four_places_within_500_m_are_one_area_holding_their_sum() -> None:
    # four points about 200 m apart in a row, one 30 km away
    base = [(19.9400 + k * 0.0018, -103.7500, 150.0, p) for k, p in enumerate((0.14, 0.12, 0.11, 0.09))]
    far = (20.2100, -103.7500, 150.0, 0.30)
    out = areas(base + [far])
    assert out[0].members == (0, 1, 2, 3)
    assert abs(out[0].probability - 0.46) < 1e-9
    assert out[1].members == (4,) and abs(out[1].probability - 0.30) < 1e-9
    assert out[0].radius_m > 300  # spans the row


def test_places_farther_than_the_link_stay_apart() -> None:
    out = areas([(19.0, -103.0, 100.0, 0.2), (19.0, -102.99, 100.0, 0.1)])  # ~1.05 km apart
    assert [a.members for a in out] == [(0,), (1,)]


def test_a_place_she_has_not_slept_at_since_two_nights_elsewhere_is_held_below_six_tenths() -> None:
    s = Support(frozenset({"SIGINT", "GEOINT"}), False, True, True, superseded_nights=2.0)
    cap = cap_for(s)
    assert cap.ceiling == 0.6
    assert "moved" in (cap.reason or "")
    # one night elsewhere is a visit, not a move; a sighting of him overrides
    assert cap_for(Support(frozenset({"SIGINT", "GEOINT"}), False, True, True, superseded_nights=1.0)).ceiling == 1.0
    assert cap_for(Support(frozenset({"SIGINT", "GEOINT"}), True, True, True, superseded_nights=3.0)).ceiling == 1.0


def test_a_place_she_is_overdue_at_is_held_below_seven_tenths() -> None:
    # she slept here every 2 days over 6 nights; the data end 5 days after the last one
    late = Support(frozenset({"SIGINT", "HUMINT"}), False, True, True, nights_here=6, usual_interval_days=2.0,
                   days_since_last=5.0)
    cap = cap_for(late)
    assert cap.ceiling == 0.7 and "5.0 days" in (cap.reason or "")
    # 3 days after a weekly rhythm is on time, and two nights are no rhythm: not overdue (only the freshness
    # rule holds them, at 0.75); a sighting of him overrides
    on_time = Support(frozenset({"SIGINT", "HUMINT"}), False, True, True, nights_here=6, usual_interval_days=7.0,
                      days_since_last=3.0)
    assert cap_for(on_time).ceiling == 0.75 and "overdue" not in (cap_for(on_time).reason or "")
    assert cap_for(Support(frozenset({"SIGINT", "HUMINT"}), False, True, True, nights_here=2, usual_interval_days=2.0,
                           days_since_last=9.0)).ceiling == 0.75
    assert cap_for(Support(frozenset({"SIGINT", "HUMINT"}), True, True, True, nights_here=6, usual_interval_days=2.0,
                           days_since_last=5.0)).ceiling == 1.0


def test_a_place_dated_a_day_and_a_half_back_is_discounted_by_the_chance_he_moved_since() -> None:
    # two source types, her nights here, the latest 1.5 days before the end: no ceiling, but a move may have
    # happened since — exp(-1.5/30) = 0.951 of the model's 0.8 stays, the rest goes to elsewhere
    s = Support(frozenset({"GEOINT", "HUMINT"}), False, True, True, nights_here=4, usual_interval_days=2.0,
                days_since_last=1.5)
    cap = cap_for(s)
    assert cap.ceiling == 1.0 and abs(cap.still_there - float(np.exp(-0.05))) < 1e-12
    assert cap.reason and "he may have moved since" in cap.reason
    out = apply_caps(np.array([0.8]), 0.2, [cap])
    assert abs(out.p[0] - 0.8 * float(np.exp(-0.05))) < 1e-12
    assert abs(out.elsewhere - (1.0 - out.p[0])) < 1e-12
    # a sighting of him is not discounted
    seen = Support(frozenset({"GEOINT", "IMINT"}), True, True, True, nights_here=4, days_since_last=3.0)
    assert cap_for(seen).still_there == 1.0


def test_the_hint_names_only_source_types_the_place_lacks() -> None:
    # her handset fixes (GEOINT) alone hold a place below the ceiling: asking for "handset fixes" would be asking
    # for what is already there
    cap = cap_for(Support(frozenset({"GEOINT"}), sighted_him=False, partner_evidence=True, person_evidence=True))
    hint = next(h for h in cap.would_change if h.startswith("an independent source type"))
    assert "handset fixes" not in hint
    assert "imagery of the site" in hint and "a graded report" in hint
    imagery = cap_for(Support(frozenset({"IMINT"}), False, True, True))
    hint = next(h for h in imagery.would_change if h.startswith("an independent source type"))
    assert "imagery" not in hint and "handset fixes" in hint


def test_a_place_only_her_silences_point_at_is_held_below_six_tenths() -> None:
    s = Support(frozenset({"GEOINT", "HUMINT"}), False, True, True, pinned=False)
    cap = cap_for(s)
    assert cap.ceiling == 0.6 and "only her silences" in (cap.reason or "")
    assert cap_for(Support(frozenset({"GEOINT", "HUMINT"}), False, True, True)).ceiling == 1.0  # pinned: no cap
    assert cap_for(Support(frozenset({"GEOINT"}), True, True, True, pinned=False)).ceiling == 1.0  # he was seen


def test_a_place_whose_latest_night_is_four_days_old_is_held_below_three_quarters() -> None:
    """He moved the day after her last visit: nothing says so for days. Four days on, the old house is where he
    was; 'very likely' (>= 0.8) about now needs a night of hers there within two days, or a sighting of him."""
    old = Support(frozenset({"GEOINT", "HUMINT"}), False, True, True, nights_here=5, usual_interval_days=3.5,
                  days_since_last=3.8)
    cap = cap_for(old)
    assert cap.ceiling == 0.75 and "3.8 days" in (cap.reason or "")
    fresh = Support(frozenset({"GEOINT", "HUMINT"}), False, True, True, nights_here=5, usual_interval_days=3.5,
                    days_since_last=0.8)
    assert cap_for(fresh).ceiling == 1.0
    seen = Support(frozenset({"GEOINT", "HUMINT"}), True, True, True, nights_here=5, days_since_last=3.8)
    assert cap_for(seen).ceiling == 1.0
