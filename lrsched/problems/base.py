"""The problem protocol: a differentiable objective on one flat parameter vector.

Every problem keeps all its parameters in **one flat vector** so optimizers
update them in a single pass.  Conventions: a loss is the mean over samples plus
``(l2/2)·‖w‖²``; features are standardised; linear models include an
unpenalised bias term.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["Problem"]


class Problem:
    """Abstract base of all problems.

    Attributes
    ----------
    n_samples : int or None
        Training samples (``None`` for problems without data, e.g. Rosenbrock).
    dim : int
        Length of the flat parameter vector.
    smoothness : float or None
        Lipschitz constant of the gradient (L) when known.
    strong_convexity : float or None
        mu when known.
    """

    spec_name: str
    spec_kind = "problem"
    n_samples: int | None = None
    dim: int
    smoothness: float | None = None
    strong_convexity: float | None = None

    def init(self, seed: int = 0, *, xp=None, device=None, dtype=None) -> Any:
        """Initial parameters (a flat vector in ``xp``), the same values on every backend."""
        raise NotImplementedError

    def loss(self, params, batch=None) -> float:
        """Objective at ``params`` on ``batch`` (full objective when ``None``) as a Python float."""
        raise NotImplementedError

    def loss_and_grad(self, params, batch=None) -> tuple[float, Any]:
        """``(loss, gradient)``; the gradient is a new flat array in the namespace of ``params``."""
        raise NotImplementedError

    def batches(self, seed: int, batch_size: int | None, *, xp=None, device=None,
                dtype=None) -> Iterator[tuple[Any, int]]:
        """Infinite iterator of ``(batch, n)`` pairs: an opaque batch and its sample count.

        Epochs sample without replacement with a seeded permutation; ``batch_size=None``
        yields full batches (``batch is None``).
        """
        raise NotImplementedError

    @property
    def f_star(self) -> float | None:
        """Minimum of the full objective when known or computable (cached on disk)."""
        return None
