"""``armijo``: stochastic line search with step reset, SLS (Vaswani et al., 2019)."""

from __future__ import annotations

import math

from .. import _checks
from ..spec import register
from .base import Policy, decode_float, encode_float

__all__ = ["Armijo"]


@register("policy", "armijo")
class Armijo(Policy):
    r"""Backtracking Armijo line search on the current minibatch, with step reset.

    Each step starts from the previous accepted step grown by
    :math:`\gamma^{1/b}` (``b`` = minibatches per epoch, so the step may at most
    double, for ``gamma=2``, over an epoch), and backtracks on the *same*
    minibatch until the Armijo condition holds:

    .. math::

        \eta \leftarrow \eta_{k-1}\,\gamma^{1/b};\qquad
        \text{while } f_{S_k}(x_k - \eta g_k) > f_{S_k}(x_k) - c\,\eta\,\lVert g_k\rVert^2:
        \ \eta \leftarrow \beta\,\eta .

    The first step starts from ``init``.  Each trial evaluates
    ``progress.probe(eta)`` (the loop evaluates the minibatch at
    ``params - eta * grad``, counts it in the ``probes`` history column and
    charges its time to the run).  After ``max_backtracks`` failed trials the
    step is ``start * beta**max_backtracks`` (2.7e-5 times the start for the
    defaults; SLS uses 1e-6 there).  ``b`` is read from the progress as
    ``step / epoch`` (1 for full batches and problems without data).  The
    condition is written for plain SGD; with momentum or Adam the search still
    probes along ``-grad``.

    Parameters
    ----------
    init : float
        First trial step.
    c : float
        Sufficient-decrease constant, in (0, 1).
    beta : float
        Backtracking factor, in (0, 1).
    gamma : float
        Growth of the starting step per epoch (>= 1; 1 disables the reset growth).
    max_backtracks : int
        Most backtracking trials per step.

    Examples
    --------
    On ``f(x) = x**2`` at ``x = 1`` (``g = 2``), the trial ``eta = 1`` lands on
    ``x = -1`` with ``f = 1 > 1 - 0.1*1*4``, so it backtracks (``beta = 0.5``)
    to ``eta = 0.5``, which reaches ``x = 0``:

    >>> from lrsched.progress import Progress
    >>> p = Progress(step=0, loss=1.0, grad_norm=2.0, probe=lambda eta: (1 - 2 * eta) ** 2)
    >>> Armijo(beta=0.5).lr(p)
    0.5

    References
    ----------
    S. Vaswani, A. Mishkin, I. Laradji, M. Schmidt, G. Gidel, S. Lacoste-Julien,
    "Painless stochastic gradient: interpolation, line-search, and convergence
    rates", NeurIPS 2019 (Algorithms 1 and 2, reset option 1).
    L. Armijo, "Minimization of functions having Lipschitz continuous first
    partial derivatives", Pacific J. Math. 16 (1966).
    """

    needs = frozenset({"loss", "grad_norm", "probe"})

    def __init__(self, init=1.0, c=0.1, beta=0.9, gamma=2.0, max_backtracks=100):
        owner = "armijo"
        self.init = _checks.number(owner, "init", init, low=0, low_open=True)
        self.c = _checks.number(owner, "c", c, low=0, high=1, low_open=True, high_open=True)
        self.beta = _checks.number(owner, "beta", beta, low=0, high=1, low_open=True,
                                   high_open=True)
        self.gamma = _checks.number(owner, "gamma", gamma, low=1)
        self.max_backtracks = _checks.integer(owner, "max_backtracks", max_backtracks, low=0)
        super().__init__()

    def _reset(self) -> None:
        self.accepted = None  # the last accepted step

    def _state(self) -> dict:
        return {"accepted": encode_float(self.accepted)}

    def _load_state(self, state: dict) -> None:
        value = decode_float("armijo", "accepted", state["accepted"])
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise ValueError(f"armijo.load_state_dict: accepted={value!r} must be a number > 0")
        self.accepted = value

    def start(self, progress) -> float:
        """The first trial step of this step (reset option 1 of SLS)."""
        if self.accepted is None:
            return self.init
        epoch = progress.epoch
        batches = progress.step / epoch if epoch and epoch > 0 else 1.0
        return self.accepted * self.gamma ** (1.0 / batches)

    def _update(self, progress) -> float:
        eta = self.start(progress)
        loss = progress.loss
        g2 = progress.grad_norm * progress.grad_norm
        if g2 == 0.0:  # a stationary point: any step is accepted, keep the start
            self.accepted = eta
            return eta
        probe = progress.probe
        decrease = self.c * g2
        for _ in range(self.max_backtracks):
            trial = probe(eta)
            if trial <= loss - decrease * eta:  # nan never passes
                break
            eta *= self.beta
        self.accepted = eta
        return eta
