"""Expected information gain of tracking one more identifier."""

import numpy as np
import pytest

from fusioncell.infer.plan import expected_information_gain


def test_a_track_that_always_leads_to_him_removes_all_uncertainty() -> None:
    prior = np.array([0.25, 0.25, 0.25, 0.25])  # three places and elsewhere
    gain = expected_information_gain(prior, 1.0, np.array([0.0, 0.0, 0.0, 1.0]))
    assert abs(gain - 2.0) < 1e-9  # log2(4) bits


def test_a_track_that_never_leads_to_him_is_worthless() -> None:
    prior = np.array([0.6, 0.3, 0.1])
    assert expected_information_gain(prior, 0.0, np.array([0.2, 0.5, 0.3])) == 0.0


def test_gain_grows_with_the_chance_the_track_leads_to_him() -> None:
    prior = np.array([0.4, 0.3, 0.2, 0.1])
    base = np.array([0.1, 0.1, 0.1, 0.7])
    gains = [expected_information_gain(prior, q, base) for q in (0.1, 0.4, 0.7, 0.95)]
    assert gains == sorted(gains) and gains[0] > 0


def test_nothing_to_learn_when_already_certain() -> None:
    assert expected_information_gain(np.array([1.0, 0.0, 0.0]), 0.9, np.array([0.3, 0.3, 0.4])) == 0.0


def test_gain_never_exceeds_prior_entropy() -> None:
    rng = np.random.default_rng(99)
    for _ in range(200):
        n = int(rng.integers(1, 8))
        prior = rng.dirichlet(np.ones(n + 1))
        base = rng.dirichlet(np.ones(n + 1))
        h = -(prior[prior > 0] * np.log2(prior[prior > 0])).sum()
        g = expected_information_gain(prior, float(rng.uniform()), base)
        assert -1e-12 <= g <= h + 1e-9


def test_the_roles_a_number_may_stand_in_add_up_as_independent_chances() -> None:
    from fusioncell.infer.plan import ROLE_LEAD_P, lead_probability

    one = lead_probability({"partner": 0.4}, 1.0, 0.5)
    both = lead_probability({"partner": 0.4, "meets": 0.6}, 1.0, 0.5)
    expected = 1 - (1 - ROLE_LEAD_P["partner"] * 0.4) * (1 - ROLE_LEAD_P["meets"] * 0.6)
    assert both == pytest.approx(expected)
    assert both > one


def test_a_phone_that_is_rarely_on_or_never_roams_leads_less_often() -> None:
    from fusioncell.infer.plan import lead_probability

    full = lead_probability({"partner": 1.0}, 1.0, 0.5)
    assert lead_probability({"partner": 1.0}, 0.1, 0.5) == pytest.approx(full * 0.4)
    assert lead_probability({"partner": 1.0}, 1.0, 0.0) == pytest.approx(full * 0.5)


def test_nights_away_from_her_usual_bed_are_never_explained_as_habit() -> None:
    from fusioncell.infer.plan import habit_baseline

    # candidates: her home town and a remote compound 80 km away
    cand_lat, cand_lon = np.array([20.60, 19.90]), np.array([-103.30, -103.70])
    # 6 nights at home, 4 at the compound
    lat = np.array([20.60] * 6 + [19.90] * 4)
    lon = np.array([-103.30] * 6 + [-103.70] * 4)
    b = habit_baseline(cand_lat, cand_lon, lat, lon, np.full(10, 200.0), (20.60, -103.30, 600.0))  # her home
    assert b[1] == 0.0  # the compound: what tracking her is for
    assert b[0] == pytest.approx(0.6)  # home: 6 of 10 nights
    assert b.sum() == pytest.approx(1.0)


def test_habit_mass_is_capped_so_a_track_can_always_surprise() -> None:
    from fusioncell.infer.plan import habit_baseline

    b = habit_baseline(np.array([20.60]), np.array([-103.30]), np.full(5, 20.60), np.full(5, -103.30),
                       np.full(5, 100.0), (20.60, -103.30, 600.0))
    assert b[0] == pytest.approx(0.8) and b[1] == pytest.approx(0.2)


def test_without_a_known_home_nothing_is_habit() -> None:
    from fusioncell.infer.plan import habit_baseline

    b = habit_baseline(np.array([20.60]), np.array([-103.30]), np.full(5, 20.60), np.full(5, -103.30),
                       np.full(5, 100.0), None)
    assert b.tolist() == [0.0, 1.0]


def test_plan_results_are_typed_and_keep_the_contract_shape() -> None:
    from fusioncell.infer.plan import PhoneToFind, Recommendation

    r = Recommendation("+523312345678", "alias:La Güera", 0.74, "probable partner of target; not yet tracked", "partner")
    # spec/cli-contract.md: rank, identifier, person, expected_gain, why (role is an extension)
    assert r.as_json(1) == {"rank": 1, "identifier": "+523312345678", "person": "alias:La Güera",
                            "expected_gain": 0.74, "why": "probable partner of target; not yet tracked",
                            "role": "partner"}
    f = PhoneToFind("alias:La Güera", (("+523312345678", 0.41234, False),), "confirm it")
    assert f.as_json() == {"person": "alias:La Güera", "role": "partner", "how": "confirm it",
                           "candidates": [{"identifier": "+523312345678", "p": 0.412, "tracked": False}]}


def test_an_alias_only_partner_is_valued_as_her_not_as_one_of_five_phones() -> None:
    """Five candidate phones for his partner (0.20, 0.17, 0.14, 0.04, 0.04: 59% that one is hers) against a
    lieutenant worth 0.34 bits. Tracking her is worth 1.5 bits were her phone known; the likeliest candidate
    is worth 0.59 x 1.5 = 0.885 bits (confirm, then track), and goes first; the others keep their own value."""
    from fusioncell.infer.plan import Recommendation, _value_the_person

    recs = [Recommendation("+lt", None, 0.34, "associate", "associate"),
            Recommendation("+a", "alias:La Güera", 0.30, "partner?", "partner"),
            Recommendation("+b", "alias:La Güera", 0.26, "partner?", "partner")]
    ident = [{"person": "alias:La Güera", "role": "partner", "candidates": [
        {"identifier": i, "p": p, "tracked": False}
        for i, p in (("+a", 0.20), ("+b", 0.17), ("+c", 0.14), ("+d", 0.04), ("+e", 0.04))]}]
    by = {r.identifier: r for r in _value_the_person(recs, ident, lambda i: 1.5)}
    assert abs(by["+a"].expected_gain - 0.885) < 1e-9
    assert "confirm it first" in by["+a"].why
    assert by["+b"].expected_gain == 0.26 and by["+lt"].expected_gain == 0.34
    # a candidate already tracked is not the one to confirm: the next one is
    ident[0]["candidates"][0]["tracked"] = True
    recs2 = _value_the_person([Recommendation("+b", "alias:La Güera", 0.26, "partner?", "partner")], ident,
                              lambda i: 1.0)
    assert abs(recs2[0].expected_gain - 0.39) < 1e-9  # (0.17 + 0.14 + 0.04 + 0.04) x 1.0


def test_a_tracked_candidate_that_has_not_found_him_hands_its_chance_to_the_others() -> None:
    """Her candidates: +a (p 0.4, tracked), +b (0.2) and +c (0.1) not yet tracked. Were +a hers, its track
    would have shown his place with chance 0.5 (silence); it has not, so 0.4 x 0.5 = 0.2 of the mass is
    ruled out and the untracked candidates hold (0.2 + 0.1) / (1 - 0.2) = 0.375: +b, worth 1 bit were it
    hers, is worth 0.375 bits, not 0.3."""
    from fusioncell.infer.plan import Recommendation, _value_the_person

    ident = [{"person": "alias:La Güera", "role": "partner", "candidates": [
        {"identifier": "+a", "p": 0.4, "tracked": True}, {"identifier": "+b", "p": 0.2, "tracked": False},
        {"identifier": "+c", "p": 0.1, "tracked": False}]}]
    recs = [Recommendation("+b", "alias:La Güera", 0.1, "partner?", "partner")]
    out = _value_the_person(recs, ident, lambda i: 1.0, lambda i: 0.5)
    assert abs(out[0].expected_gain - 0.375) < 1e-9
    assert "p=0.25 hers" in out[0].why  # 0.2 / 0.8
    # without silence (main's rule) the tracked candidate keeps its whole chance
    assert abs(_value_the_person(recs, ident, lambda i: 1.0)[0].expected_gain - 0.3) < 1e-9


def test_her_old_and_new_number_count_once_in_the_chance_that_her_phone_is_among_the_candidates() -> None:
    """+b (0.3) took over from +a (0.3): one owner, 0.3 that she is theirs, not 0.6; with +c (0.1) the
    candidates hold 0.4 of her, and +b, worth 1 bit were it hers, is worth 0.4 bits, not 0.7."""
    from fusioncell.infer.plan import Recommendation, _value_the_person

    ident = [{"person": "alias:La Güera", "role": "partner", "candidates": [
        {"identifier": "+b", "p": 0.3, "tracked": False, "owner": "+a"},
        {"identifier": "+a", "p": 0.3, "tracked": False}, {"identifier": "+c", "p": 0.1, "tracked": False}]}]
    out = _value_the_person([Recommendation("+b", "alias:La Güera", 0.1, "partner?", "partner")], ident,
                            lambda i: 1.0)
    assert abs(out[0].expected_gain - 0.4) < 1e-9
