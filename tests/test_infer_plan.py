"""Expected information gain of tracking one more identifier."""

import numpy as np

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
