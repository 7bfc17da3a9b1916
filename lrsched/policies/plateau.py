"""``plateau``: reduce the rate when a metric stops improving (torch ReduceLROnPlateau).

The rule is PyTorch's ``ReduceLROnPlateau`` applied as a *multiplier* on any
inner schedule, policy or constant, which torch cannot do (its plateau
scheduler has another signature and cannot be chained).
"""

from __future__ import annotations

import math

from .. import _checks
from ..spec import register
from .base import Wrapper, decode_float, encode_float

__all__ = ["Plateau"]

_METRICS = ("loss", "eval_loss")


@register("policy", "plateau")
class Plateau(Wrapper):
    r"""Reduce the rate by ``factor`` when ``metric`` has not improved for ``patience`` checks.

    Every ``every`` steps (a *check*, torch's "epoch") the metric ``a`` is
    compared with the best value so far (``best`` starts at ``+inf`` in
    ``"min"`` mode, ``-inf`` in ``"max"`` mode, so the first check always
    improves):

    ========  ===========  ====================================
    mode      threshold    ``a`` improves on ``best`` when
    ========  ===========  ====================================
    min       rel          ``a < best * (1 - threshold)``
    min       abs          ``a < best - threshold``
    max       rel          ``a > best * (1 + threshold)``
    max       abs          ``a > best + threshold``
    ========  ===========  ====================================

    An improvement sets ``best = a`` and zeroes the bad-check count, otherwise
    the count grows by one; during a cooldown the count is held at zero.  When
    the count *exceeds* ``patience`` the rate is reduced, the cooldown
    (``cooldown`` checks) starts and the count restarts.  A reduction takes the
    current rate ``old`` to ``new = max(old * factor, min_lr)`` and happens only
    if ``old - new > eps`` (torch's rule).  Here the rate is
    ``lr = min(inner, max(inner * scale, min_lr))`` with ``scale`` the product
    of the reductions: for a constant inner this is exactly torch's sequence of
    rates, and for a decaying inner schedule ``min_lr`` floors the reductions
    without ever raising the rate above the inner schedule.

    Parameters
    ----------
    inner : schedule, policy or float
        The rate to multiply (a number is a constant rate).
    factor : float
        Multiplier of a reduction, in (0, 1).
    patience : int
        Bad checks tolerated before a reduction (a reduction happens at the
        ``patience + 1``-th consecutive bad check).
    threshold : float
        Least improvement that counts, relative or absolute (``threshold_mode``).
    threshold_mode : {"rel", "abs"}
    cooldown : int
        Checks after a reduction during which bad checks are not counted.
    min_lr : float
        Floor of the reduced rate.
    mode : {"min", "max"}
        Whether a smaller or a larger metric is better.
    every : int
        Steps between checks (1 = every step).
    metric : {"loss", "eval_loss"}
        ``"loss"`` reads ``progress.loss`` (the current minibatch loss);
        ``"eval_loss"`` reads ``progress.eval_loss`` (the full objective at the
        last evaluation; checks before the first evaluation are skipped).  Use
        ``every`` equal to the loop's ``eval_every`` so each evaluation is
        checked once.
    eps : float
        Smallest change of rate that is applied (torch's ``eps``).

    Examples
    --------
    A constant metric with ``patience=2`` (torch's documented behaviour):

    >>> from lrsched.progress import Progress
    >>> p = Plateau(1.0, factor=0.5, patience=2)
    >>> [p.lr(Progress(step=k, loss=3.0)) for k in range(7)]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]

    References
    ----------
    PyTorch, ``torch.optim.lr_scheduler.ReduceLROnPlateau`` (2.x).
    """

    own_needs = frozenset({"loss"})

    def __init__(self, inner, factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0.0, mode="min", every=1, metric="loss", eps=1e-8):
        owner = "plateau"
        self.inner = self.check_inner(owner, inner)
        self.factor = _checks.number(owner, "factor", factor, low=0, high=1,
                                     low_open=True, high_open=True)
        self.patience = _checks.integer(owner, "patience", patience, low=0)
        self.threshold = _checks.number(owner, "threshold", threshold, low=0)
        self.threshold_mode = _checks.one_of(owner, "threshold_mode", threshold_mode,
                                             ("rel", "abs"))
        self.cooldown = _checks.integer(owner, "cooldown", cooldown, low=0)
        self.min_lr = _checks.number(owner, "min_lr", min_lr, low=0)
        self.mode = _checks.one_of(owner, "mode", mode, ("min", "max"))
        self.every = _checks.integer(owner, "every", every, low=1)
        self.metric = _checks.one_of(owner, "metric", metric, _METRICS)
        self.eps = _checks.number(owner, "eps", eps, low=0)
        if metric == "eval_loss":
            self.own_needs = frozenset()
        super().__init__()

    # -- state ---------------------------------------------------------------------------
    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad = 0
        self.cooldown_counter = 0
        self.scale = 1.0

    def _state(self) -> dict:
        return {
            "best": encode_float(self.best),
            "num_bad": self.num_bad,
            "cooldown_counter": self.cooldown_counter,
            "scale": encode_float(self.scale),
        }

    def _load_state(self, state: dict) -> None:
        owner = "plateau"
        best = decode_float(owner, "best", state["best"])
        scale = decode_float(owner, "scale", state["scale"])
        num_bad = _checks.integer(owner, "num_bad", state["num_bad"], low=0)
        cooldown_counter = _checks.integer(owner, "cooldown_counter",
                                           state["cooldown_counter"], low=0)
        if not (scale is not None and 0.0 <= scale <= 1.0):
            raise ValueError(f"plateau.load_state_dict: scale={scale!r} must be in [0, 1]")
        if best is None or math.isnan(best):
            raise ValueError(f"plateau.load_state_dict: best={best!r} must be a number")
        self.best, self.scale = best, scale
        self.num_bad, self.cooldown_counter = num_bad, cooldown_counter

    # -- rule ----------------------------------------------------------------------------
    def _improves(self, a: float) -> bool:
        best, thr = self.best, self.threshold
        if self.mode == "min":
            return a < best * (1.0 - thr) if self.threshold_mode == "rel" else a < best - thr
        return a > best * (1.0 + thr) if self.threshold_mode == "rel" else a > best + thr

    def _rate(self, inner: float) -> float:
        if self.scale == 1.0:
            return inner
        return min(inner, max(inner * self.scale, self.min_lr))

    def _update(self, progress) -> float:
        inner = self.inner_lr(progress)
        if progress.step % self.every == 0:
            value = progress.loss if self.metric == "loss" else progress.eval_loss
            if value is not None and not math.isnan(value):
                self.check(float(value), inner)
        return self._rate(inner)

    def check(self, value: float, inner: float = 1.0) -> None:
        """One plateau check of ``value`` (torch's ``scheduler.step(value)``)."""
        if self._improves(value):
            self.best = value
            self.num_bad = 0
        else:
            self.num_bad += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad = 0
        if self.num_bad > self.patience:
            old = self._rate(inner)
            new = max(old * self.factor, self.min_lr)
            if old - new > self.eps:
                self.scale *= self.factor
            self.cooldown_counter = self.cooldown
            self.num_bad = 0
