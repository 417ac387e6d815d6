"""The conditional-logit location model: probabilities and maximum-likelihood fit."""

import numpy as np

from fusioncell.infer.choice import ChoiceModel, fit_choice_model


def test_probabilities_sum_to_one_with_elsewhere() -> None:
    m = ChoiceModel(names=("a", "b"), beta=np.array([0.5, 2.0]), beta0=1.0)
    p, rest = m.probabilities(np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]]))
    assert abs(p.sum() + rest - 1.0) < 1e-12
    # by hand: utilities 0.5, 2.0, 5.0 and 1.0 for elsewhere
    z = np.exp(0.5) + np.exp(2.0) + np.exp(5.0) + np.exp(1.0)
    assert np.allclose(p, [np.exp(0.5) / z, np.exp(2.0) / z, np.exp(5.0) / z])


def test_no_candidates_means_elsewhere_for_sure() -> None:
    m = ChoiceModel(names=("a",), beta=np.array([1.0]), beta0=0.0)
    p, rest = m.probabilities(np.zeros((0, 1)))
    assert p.size == 0 and rest == 1.0


def test_fit_recovers_the_coefficients_that_generated_the_choices() -> None:
    rng = np.random.default_rng(12345)
    true_beta, true_b0 = np.array([1.5, 0.0, 0.7]), 0.5
    gen = ChoiceModel(names=("x", "y", "z"), beta=true_beta, beta0=true_b0)
    cases = []
    for _ in range(3000):
        n = int(rng.integers(2, 8))
        f = rng.exponential(1.0, size=(n, 3))
        p, rest = gen.probabilities(f)
        k = int(rng.choice(n + 1, p=np.append(p, rest)))
        cases.append((f, k if k < n else -1))
    fit = fit_choice_model(cases, ["x", "y", "z"], l2=1e-3)
    assert np.allclose(fit.beta, true_beta, atol=0.12)
    assert abs(fit.beta0 - true_b0) < 0.15


def test_nonnegative_coefficients_stay_nonnegative() -> None:
    rng = np.random.default_rng(7)
    cases = []
    for _ in range(500):
        f = rng.exponential(1.0, size=(4, 1))
        cases.append((f, int(np.argmin(f[:, 0]))))  # the chosen one has the *least* of it
    fit = fit_choice_model(cases, ["evidence"], nonneg=[True])
    assert fit.beta[0] == 0.0


def test_json_round_trip() -> None:
    m = ChoiceModel(names=("a",), beta=np.array([0.25]), beta0=-1.0, nonneg=(True,), meta={"seeds": "0-99"})
    back = ChoiceModel.from_json(m.to_json())
    assert back.names == m.names and back.beta0 == -1.0 and back.meta == {"seeds": "0-99"}
    assert np.array_equal(back.beta, m.beta)


def test_the_shipped_model_ranks_her_nights_in_town_above_an_isolated_address_only_a_report_names() -> None:
    """Two candidates as the analysis measured them in a held-out simulated town hideout (seed 1001,
    hard): the house in town where the partner's phone spent 40% of nights, other contacts 34%, with
    daytime fixes and one claim; and an isolated address that reports name (claims 1.25) where nobody
    of the circle was ever seen. A place's isolation is a prior, not evidence: it may not outrank
    where she sleeps. (The fitted coefficient, +3.4, learnt from worlds where he always hides at a
    ranch, put the isolated address first, 0.21 against 0.02.)"""
    from fusioncell.infer.features import FEATURES, isolated_presence
    from fusioncell.infer.locate import load_model

    town = {"nights_partner": 0.40, "nights_partner_coarse": 0.09, "nights_others": 0.34, "days_fine": 0.54,
            "days_coarse": 1.10, "dark": 0.01, "silent_nights": 0.02, "silent_reach": 0.02, "claims": 1.00,
            "lead_margin": 0.02, "home_of_member": 0.06, "superseded": 0.53}
    isolated = {"nights_partner_coarse": 0.01, "nights_others": 0.01, "days_coarse": 0.05, "silent_nights": 0.07,
                "silent_reach": 0.01, "claims": 1.25, "remote": 1.0}
    F = np.array([[c.get(n, 0.0) for n in FEATURES] for c in (town, isolated)])
    F[:, list(FEATURES).index("isolated_presence")] = isolated_presence(F)
    p, _ = load_model().probabilities(F)
    assert p[0] > p[1], p
