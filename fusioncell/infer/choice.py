"""A conditional-logit ("discrete choice") model over candidate places.

Each case offers a set of candidate places with feature vectors ``f_c``;
the target is at one of them or *elsewhere*. The model says

    P(c) = exp(beta . f_c) / (exp(beta_0) + sum_c' exp(beta . f_c'))
    P(elsewhere) = exp(beta_0) / (...)

``beta`` is fitted by maximum likelihood (L2-regularised, Newton steps) on
simulated training cases, where the chosen alternative is the candidate
within the hit radius of the true location, or *elsewhere* when none is.
Because it is fitted on the likelihood of the true outcome, the
probabilities it gives are calibrated on cases like the training cases; the
reliability diagram in docs/benchmarks.md checks that on held-out seeds.

Positive-evidence coefficients are constrained to be non-negative: more
evidence of a kind that means "he is here" may never lower a place's score.

>>> import numpy as np
>>> m = ChoiceModel(names=("a",), beta=np.array([1.0]), beta0=0.0)
>>> p, elsewhere = m.probabilities(np.array([[0.0], [1.0]]))  # e^0, e^1 and e^0 for elsewhere
>>> [round(float(x), 3) for x in p], round(elsewhere, 3)
([0.212, 0.576], 0.212)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ChoiceModel:
    """Fitted coefficients: ``beta`` per feature name, ``beta0`` for *elsewhere*."""

    names: tuple[str, ...]
    beta: FloatArray
    beta0: float
    nonneg: tuple[bool, ...] = field(default_factory=tuple)
    meta: dict[str, object] = field(default_factory=dict)

    def utilities(self, features: FloatArray) -> FloatArray:
        return np.asarray(features, dtype=float) @ self.beta

    def probabilities(self, features: FloatArray, elsewhere_u: float = 0.0) -> tuple[FloatArray, float]:
        """(probability of each candidate, probability of elsewhere); ``elsewhere_u`` adds to elsewhere's
        utility (evidence for a place no candidate stands for)."""
        u = self.utilities(features)
        if u.size == 0:
            return u, 1.0
        u0 = self.beta0 + float(elsewhere_u)
        top = max(float(u.max()), u0)
        e = np.exp(u - top)
        e0 = float(np.exp(u0 - top))
        z = e.sum() + e0
        return e / z, float(e0 / z)

    def contributions(self, features: FloatArray) -> FloatArray:
        """Per-feature contribution to each candidate's utility (nats)."""
        return np.asarray(features, dtype=float) * self.beta[None, :]

    def to_json(self) -> str:
        return json.dumps(
            {
                "names": list(self.names),
                "beta": [float(b) for b in self.beta],
                "beta0": float(self.beta0),
                "nonneg": list(self.nonneg),
                "meta": self.meta,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> "ChoiceModel":
        d = json.loads(text)
        return cls(
            names=tuple(d["names"]),
            beta=np.array(d["beta"], dtype=float),
            beta0=float(d["beta0"]),
            nonneg=tuple(d.get("nonneg", [])),
            meta=dict(d.get("meta", {})),
        )

    @classmethod
    def load(cls, path: Path) -> "ChoiceModel":
        return cls.from_json(path.read_text(encoding="utf-8"))


def fit_choice_model(
    cases: Sequence[tuple[FloatArray, int]],
    names: Sequence[str],
    *,
    nonneg: Sequence[bool] | None = None,
    l2: float = 0.1,
    iters: int = 200,
    prior_mean: Sequence[float] | None = None,
) -> ChoiceModel:
    """Fit by maximum likelihood.

    ``cases`` is a list of ``(features[n_c, k], chosen)`` where ``chosen`` is
    the index of the true candidate or ``-1`` for *elsewhere*. Projected
    Newton steps with backtracking; coefficients flagged ``nonneg`` are
    clipped at zero.

    ``prior_mean``: the L2 penalty pulls each coefficient toward this value
    instead of zero (a Gaussian prior). Evidence that is a likelihood ratio
    by construction — a graded claim's log-odds, a sighting's confidence —
    has a documented prior coefficient, so that a simulator in which that
    evidence happens to be uninformative cannot teach the model to ignore it
    altogether; the data still move it.
    """
    k = len(names)
    nn = np.array(nonneg if nonneg is not None else [False] * k, dtype=bool)
    mu = np.array(prior_mean if prior_mean is not None else [0.0] * k, dtype=float)
    theta = np.zeros(k + 1)  # beta..., beta0
    theta[:k] = mu

    def nll_grad_hess(th: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        beta, b0 = th[:k], th[k]
        nll = 0.5 * l2 * float((beta - mu) @ (beta - mu))
        g = np.zeros(k + 1)
        g[:k] = l2 * (beta - mu)
        h = np.zeros((k + 1, k + 1))
        h[:k, :k] = l2 * np.eye(k)
        for feats, chosen in cases:
            x = np.zeros((feats.shape[0] + 1, k + 1))
            x[:-1, :k] = feats
            x[-1, k] = 1.0
            u = x @ th
            m = u.max()
            p = np.exp(u - m)
            p /= p.sum()
            idx = chosen if chosen >= 0 else feats.shape[0]
            nll -= float(u[idx] - m - np.log(np.exp(u - m).sum()))
            xbar = p @ x
            g += xbar - x[idx]
            xc = x - xbar
            h += (xc * p[:, None]).T @ xc
        return nll, g, h

    for _ in range(iters):
        nll, g, h = nll_grad_hess(theta)
        step = np.linalg.solve(h + 1e-9 * np.eye(k + 1), g)
        t = 1.0
        while True:
            cand = theta - t * step
            cand[:k][nn] = np.maximum(cand[:k][nn], 0.0)
            if nll_grad_hess(cand)[0] <= nll - 1e-12 or t < 1e-6:
                break
            t *= 0.5
        if np.max(np.abs(cand - theta)) < 1e-7:
            theta = cand
            break
        theta = cand
    return ChoiceModel(
        names=tuple(names), beta=theta[:k].copy(), beta0=float(theta[k]), nonneg=tuple(bool(b) for b in nn)
    )
