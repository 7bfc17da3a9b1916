"""Synthetic data sets with an exactly controlled feature covariance.

Both generators draw features whose *sample* covariance (after the usual
standardisation) is exactly a random correlation matrix ``C`` with eigenvalues
spaced geometrically from ``kappa`` times the smallest to the smallest,
normalised so ``trace(C) = d``:

1. ``e_i = kappa^{-(i-1)/(d-1)}`` scaled to sum to ``d``; ``C`` is a random
   correlation matrix with spectrum ``e`` (Davies & Higham 2000, via
   :data:`scipy.stats.random_correlation`) with eigenvectors ``V``;
2. ``U`` (n, d) has orthonormal columns orthogonal to the ones vector (QR of a
   centred Gaussian matrix);
3. ``X = sqrt(n) U diag(sqrt(e)) V^T``, so ``X`` has column means 0, column
   standard deviations 1 and ``X^T X / n = C`` exactly: the condition number of
   the feature covariance is ``kappa``.

Targets come from a random ground truth ``w*`` with ``N(0, 4/d)`` entries (so
the signal ``x . w*`` has a standard deviation of about 2):

* regression: ``y = X w* + noise * N(0, 1)`` (then standardised like all targets);
* classification: logits ``X W*`` (one column per class); labels are
  ``argmax(X W* + Gumbel noise)``, a draw from ``softmax(X W*)``, or
  ``argmax(X W*)`` when ``separable=True`` (linearly separable by construction).

References
----------
P. I. Davies and N. J. Higham, "Numerically stable generation of correlation
matrices and their factors", BIT 40 (2000).
"""

from __future__ import annotations

import numpy as np

from .._checks import boolean, integer, number
from ..spec import register, spec
from .datasets import Dataset

__all__ = ["synthetic_classification", "synthetic_regression", "conditioned_features"]


def conditioned_features(n: int, d: int, kappa: float, rng: np.random.Generator) -> np.ndarray:
    """Features with column mean 0, std 1 and ``X^T X / n`` of condition number ``kappa``.

    See the module docstring for the construction.
    """
    if d == 1:
        z = rng.standard_normal((n, 1))
        z -= z.mean()
        return z / np.sqrt((z * z).mean())
    e = kappa ** (-np.arange(d) / (d - 1))
    e *= d / e.sum()
    if kappa == 1.0:
        C = np.eye(d)
    else:
        from scipy.stats import random_correlation

        C = random_correlation.rvs(e, random_state=rng, tol=1e-10)
        C = (C + C.T) / 2
        np.fill_diagonal(C, 1.0)
    evals, V = np.linalg.eigh(C)
    evals = np.clip(evals, 0.0, None)
    Z = rng.standard_normal((n, d))
    Z -= Z.mean(axis=0)
    U, _ = np.linalg.qr(Z)
    return np.sqrt(n) * (U * np.sqrt(evals)) @ V.T


def _check_shape(owner: str, n, d) -> tuple[int, int]:
    n = integer(owner, "n", n, low=2)
    d = integer(owner, "d", d, low=1)
    if n < d + 1:
        raise ValueError(f"{owner}: n={n} is not allowed; n must be >= d + 1 = {d + 1}")
    return n, d


@register("dataset", "synthetic_classification")
class synthetic_classification(Dataset):
    """Synthetic classification data with feature covariance of condition number kappa.

    Parameters
    ----------
    n, d : int
        Samples and features (``n >= d + 1``).
    classes : int
        Number of classes (>= 2); a class that happens to get no sample is dropped.
    separable : bool
        Labels ``argmax(X W*)`` (linearly separable) instead of a draw from
        ``softmax(X W*)``.
    kappa : float
        Condition number of ``X^T X / n`` (>= 1).
    seed : int
        Seed of the generator.

    Examples
    --------
    >>> ds = synthetic_classification(n=200, d=5, classes=3, kappa=50.0)
    >>> ds.X.shape, ds.n_classes
    ((200, 5), 3)
    >>> round(float(np.linalg.cond(ds.X.T @ ds.X / 200)), 6)
    50.0
    """

    def __init__(self, n=1000, d=20, classes=2, separable=False, kappa=10.0, seed=0):
        owner = "synthetic_classification"
        self.n, self.d = _check_shape(owner, n, d)
        self.classes = integer(owner, "classes", classes, low=2)
        self.separable = boolean(owner, "separable", separable)
        self.kappa = number(owner, "kappa", kappa, low=1.0)
        self.seed = integer(owner, "seed", seed, low=0)
        rng = np.random.default_rng([self.seed, 1])
        X = conditioned_features(self.n, self.d, self.kappa, rng)
        W = rng.standard_normal((self.d, self.classes)) * (2.0 / np.sqrt(self.d))
        logits = X @ W
        if not self.separable:
            logits = logits + rng.gumbel(size=logits.shape)
        y = np.argmax(logits, axis=1)
        self._set_data(X, y, name=spec(self), task="classification")


@register("dataset", "synthetic_regression")
class synthetic_regression(Dataset):
    """Synthetic linear regression data with feature covariance of condition number kappa.

    ``y = X w* + noise * N(0, 1)``, then standardised.

    Parameters
    ----------
    n, d : int
        Samples and features (``n >= d + 1``).
    kappa : float
        Condition number of ``X^T X / n`` (>= 1).
    noise : float
        Standard deviation of the additive target noise (>= 0).
    seed : int
        Seed of the generator.

    Examples
    --------
    >>> ds = synthetic_regression(n=100, d=4, noise=0.0)
    >>> ds.task, ds.X.shape
    ('regression', (100, 4))
    """

    def __init__(self, n=1000, d=20, kappa=10.0, noise=0.1, seed=0):
        owner = "synthetic_regression"
        self.n, self.d = _check_shape(owner, n, d)
        self.kappa = number(owner, "kappa", kappa, low=1.0)
        self.noise = number(owner, "noise", noise, low=0.0)
        self.seed = integer(owner, "seed", seed, low=0)
        rng = np.random.default_rng([self.seed, 2])
        X = conditioned_features(self.n, self.d, self.kappa, rng)
        w = rng.standard_normal(self.d) * (2.0 / np.sqrt(self.d))
        y = X @ w + self.noise * rng.standard_normal(self.n)
        self._set_data(X, y, name=spec(self), task="regression")
