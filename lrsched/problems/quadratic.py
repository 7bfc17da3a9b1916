"""Strongly convex quadratics with a prescribed spectrum, optionally noisy.

.. math::

    f(x) = \\tfrac12 x^\\top A x, \\qquad f^* = 0,\\quad x^* = 0,

with eigenvalues ``λ_1 = μ = L/κ ≤ … ≤ λ_dim = L`` spaced linearly
(``spectrum="linear"``) or geometrically (``"log"``).  ``A = diag(λ)`` (an
elementwise product, O(dim) per gradient) unless ``rotate=True``, where
``A = Q diag(λ) Qᵀ`` with a Haar-random orthogonal ``Q`` drawn from ``seed``
(QR of a Gaussian matrix with the signs of ``diag(R)`` fixed; dense, O(dim²)).

Noise (``noise > 0``): each draw of the minibatch stream is ``ξ ~ noise·N(0, I)/√b``
(``b = batch_size``, 1 when ``None``) drawn in NumPy float64 from
``default_rng(seed)``, and the minibatch objective is ``f_ξ(x) = f(x) + ξ·x``,
so its gradient is ``Ax + ξ``: an unbiased gradient with isotropic noise whose
variance falls as ``1/b``, and loss and gradient stay consistent.  The full
objective (``batch=None``) is noiseless.  ``n_samples`` is ``None``; each draw
counts ``b`` samples.

``init(seed)`` draws ``x0 ~ N(0, I)`` from ``default_rng(seed)`` in NumPy
float64, so every backend starts from the same point.  Theory anchors (gradient
descent with step ``1/L`` contracts the gap by ``1 − 1/κ``) are in
REFERENCES.md.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import backend
from .._checks import boolean, integer, number, one_of
from ..spec import register
from ._data import CachedProblem

__all__ = ["quadratic", "spectrum_values"]

MAX_DENSE_DIM = 20_000


def spectrum_values(dim: int, mu: float, L: float, spectrum: str) -> np.ndarray:
    """The eigenvalues from ``mu`` to ``L``: ``linspace`` or ``geomspace`` (``dim = 1``: ``[L]``)."""
    if dim == 1:
        return np.array([L])
    values = np.linspace(mu, L, dim) if spectrum == "linear" else np.geomspace(mu, L, dim)
    values[0], values[-1] = mu, L
    return values


@register("problem", "quadratic")
class quadratic(CachedProblem):
    """Quadratic 1/2 x'Ax with eigenvalues from L/kappa to L; f* = 0, optional gradient noise.

    Parameters
    ----------
    dim : int
        Dimension (>= 1; ``dim = 1`` needs ``kappa = 1``).
    kappa : float
        Condition number ``L/μ`` (>= 1).
    L : float
        Largest eigenvalue, the smoothness constant (> 0).
    rotate : bool
        Dense ``A = Q diag(λ) Qᵀ`` with a random rotation instead of a diagonal.
    noise : float
        Standard deviation of the additive gradient noise per sample (>= 0).
    spectrum : {"linear", "log"}
        Spacing of the eigenvalues.
    seed : int
        Seed of the rotation.

    Examples
    --------
    >>> q = quadratic(dim=3, kappa=4.0, L=2.0)
    >>> q.eigenvalues.tolist(), q.smoothness, q.strong_convexity, q.f_star
    ([0.5, 1.25, 2.0], 2.0, 0.5, 0.0)
    >>> q.loss_and_grad(np.ones(3))[0]
    1.875
    """

    n_samples = None

    def __init__(self, dim=100, kappa=100.0, L=1.0, rotate=False, noise=0.0, spectrum="linear",
                 seed=0):
        owner = "quadratic"
        self.dim = integer(owner, "dim", dim, low=1)
        self.kappa = number(owner, "kappa", kappa, low=1.0)
        self.L = number(owner, "L", L, low=0.0, low_open=True)
        self.rotate = boolean(owner, "rotate", rotate)
        self.noise = number(owner, "noise", noise, low=0.0)
        self.spectrum = one_of(owner, "spectrum", spectrum, ("linear", "log"))
        self.seed = integer(owner, "seed", seed, low=0)
        if self.dim == 1 and self.kappa != 1.0:
            raise ValueError(f"quadratic: kappa={kappa!r} is not allowed with dim=1; use kappa=1.0")
        if self.rotate and self.dim > MAX_DENSE_DIM:
            raise ValueError(
                f"quadratic: dim={dim!r} is not allowed with rotate=True; a dense A needs "
                f"dim <= {MAX_DENSE_DIM} (use rotate=False)"
            )
        self.smoothness = self.L
        self.strong_convexity = self.L / self.kappa
        self.eigenvalues = spectrum_values(self.dim, self.strong_convexity, self.L, self.spectrum)

    @property
    def f_star(self) -> float:
        return 0.0

    def matrix(self) -> np.ndarray:
        """``A`` as a dense NumPy float64 matrix."""
        if not self.rotate:
            return np.diag(self.eigenvalues)
        rng = np.random.default_rng(self.seed)
        Q, R = np.linalg.qr(rng.standard_normal((self.dim, self.dim)))
        Q *= np.sign(np.diag(R))
        A = (Q * self.eigenvalues) @ Q.T
        return (A + A.T) / 2

    def _prepare(self):
        return (), (self.matrix() if self.rotate else self.eigenvalues.copy(),)

    def _start(self, seed: int) -> np.ndarray:
        return np.random.default_rng(seed).standard_normal(self.dim)

    def loss(self, params, batch=None) -> float:
        A = self._data(params).consts[0]
        Ax = A @ params if self.rotate else A * params
        value = 0.5 * float(Ax @ params)
        if batch is not None:
            value += float(batch @ params)
        return value

    def loss_and_grad(self, params, batch=None):
        A = self._data(params).consts[0]
        g = A @ params if self.rotate else A * params
        value = 0.5 * float(g @ params)
        if batch is not None:
            value += float(batch @ params)
            g = g + batch
        return value, g

    def batches(self, seed: int, batch_size: int | None, *, xp=None, device=None, dtype=None):
        """Noise draws ``(ξ, b)`` (see the module docstring); ``(None, b)`` when ``noise=0``."""
        seed = integer("quadratic", "seed", seed, low=0)
        batch_size = integer("quadratic", "batch_size", batch_size, low=1, none=True)
        b = 1 if batch_size is None else batch_size
        if self.noise == 0.0:
            return itertools.repeat((None, b))
        entry = self._entry_for(xp, device, dtype)
        return self._noise(entry, seed, b)

    def _noise(self, entry, seed: int, b: int):
        rng = np.random.default_rng(seed)
        scale = self.noise / np.sqrt(b)
        while True:
            draw = rng.standard_normal(self.dim) * scale
            yield backend.asarray(draw, xp=entry.xp, device=entry.device, dtype=entry.dtype), b
