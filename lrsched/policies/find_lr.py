"""The learning-rate range test (Smith 2017; fastai ``lr_find``; ``torch-lr-finder``).

A tool, not a policy: it trains a throw-away copy of the parameters for a few
steps while the rate grows exponentially, and suggests a rate from the loss
curve.  Available as :func:`lrsched.find_lr` and ``lrsched find-lr``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import _checks, backend
from ..spec import parse, spec

__all__ = ["find_lr", "LRFinderResult", "suggest_steepest", "suggest_minimum"]


def suggest_steepest(lrs, losses, skip_start: int = 10, skip_end: int = 5) -> float | None:
    """The rate where the (smoothed) loss falls fastest: ``argmin`` of ``np.gradient(loss)``.

    The first ``skip_start`` and last ``skip_end`` points are left out (the
    start is flat and the end diverges).  With log-spaced rates the gradient
    with respect to the index is the gradient with respect to ``log(lr)``, so
    this is fastai's ``steep`` and torch-lr-finder's ``steepest gradient``.
    ``None`` when fewer than two points remain.
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    losses = np.asarray(losses, dtype=np.float64)
    end = len(lrs) - skip_end if skip_end else len(lrs)
    lrs, losses = lrs[skip_start:end], losses[skip_start:end]
    if len(losses) < 2:
        return None
    return float(lrs[int(np.argmin(np.gradient(losses)))])


def suggest_minimum(lrs, losses) -> float | None:
    """The rate at the minimum of the (smoothed) loss, divided by 10 (fastai's ``minimum``)."""
    losses = np.asarray(losses, dtype=np.float64)
    if len(losses) == 0:
        return None
    return float(np.asarray(lrs, dtype=np.float64)[int(np.nanargmin(losses))] / 10.0)


@dataclass
class LRFinderResult:
    """What the range test saw and what it suggests.

    Attributes
    ----------
    lrs, losses, smoothed : numpy arrays
        The rate of each step, the minibatch loss at the parameters that step
        started from, and the bias-corrected exponential average of the losses.
    steepest : float or None
        Rate of steepest descent of the smoothed loss (the recommended choice).
    minimum : float or None
        Rate at the smoothed loss minimum, divided by 10.
    diverged : bool
        True when the test stopped early because the loss diverged.
    spec : dict
        Problem and optimizer specs and the test's settings.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    steepest: float | None
    minimum: float | None
    diverged: bool
    spec: dict = field(default_factory=dict)

    @property
    def suggestion(self) -> float | None:
        """The suggested rate: ``steepest``, or ``minimum`` when the curve is too short."""
        return self.steepest if self.steepest is not None else self.minimum

    def to_csv(self) -> str:
        rows = ["lr,loss,smoothed"]
        rows += [f"{a!r},{b!r},{c!r}" for a, b, c in zip(self.lrs.tolist(), self.losses.tolist(),
                                                        self.smoothed.tolist())]
        return "\n".join(rows)

    def plot(self, out=None, ax=None):
        """Draw the smoothed loss against the rate (log scale) with the suggestions."""
        from ..plots.find_lr import plot_find_lr

        return plot_find_lr(self, out=out, ax=ax)


def find_lr(problem, optimizer="sgd", *, start=1e-7, end=10.0, steps=100, smooth=0.98,
            diverge=4.0, batch_size=None, seed=0, skip_start=10, skip_end=5, xp=None,
            device=None, dtype=None) -> LRFinderResult:
    r"""Run the LR range test and suggest a learning rate.

    Step ``i`` (``0 <= i < steps``) computes the minibatch loss ``L_i`` at the
    current parameters, then takes an optimizer step with

    .. math::

        \eta_i = \text{start}\,(\text{end}/\text{start})^{i/(\text{steps}-1)} .

    The loss is smoothed with a bias-corrected exponential average,
    :math:`a_i = \beta a_{i-1} + (1-\beta) L_i`, :math:`\bar L_i = a_i/(1-\beta^{i+1})`
    (``beta = smooth``; 0 keeps the raw losses), and the test stops after the
    first step where :math:`\bar L_i > \text{diverge}\cdot\min_{j\le i}\bar L_j`
    or the loss is not finite.  Suggestions: the rate of steepest descent of
    :math:`\bar L` (:func:`suggest_steepest`, the default suggestion) and the
    rate at its minimum divided by 10 (:func:`suggest_minimum`).  The problem's
    parameters are not kept: every call starts from ``problem.init(seed)``.

    Parameters
    ----------
    problem, optimizer : object or spec string
    start, end : float
        Range of rates, ``0 < start < end``.
    steps : int
        Steps of the sweep (>= 2).
    smooth : float
        ``beta`` of the exponential average, in ``[0, 1)``.
    diverge : float
        Stop when the smoothed loss exceeds this multiple of its minimum (> 1).
    batch_size : int, optional
        Minibatch size (``None``: full batch).
    seed : int
        Initial parameters and minibatch order.
    skip_start, skip_end : int
        Points left out of the steepest-descent search (as torch-lr-finder).
    xp, device, dtype
        Array backend (NumPy float64 by default).

    Returns
    -------
    LRFinderResult

    Examples
    --------
    >>> r = find_lr("logistic(dataset='breast_cancer')", "sgd", steps=60)
    >>> 0.05 < r.suggestion < 50
    True

    References
    ----------
    L. N. Smith, "Cyclical learning rates for training neural networks", WACV 2017.
    fastai ``Learner.lr_find``; D. Tavares, ``torch-lr-finder`` (``LRFinder.range_test``).
    """
    owner = "find_lr"
    start = _checks.number(owner, "start", start, low=0, low_open=True)
    end = _checks.number(owner, "end", end, low=0, low_open=True)
    if not end > start:
        raise ValueError(f"{owner}: end={end!r} is not allowed; end must be > start={start!r}")
    steps = _checks.integer(owner, "steps", steps, low=2)
    smooth = _checks.number(owner, "smooth", smooth, low=0, high=1, high_open=True)
    diverge = _checks.number(owner, "diverge", diverge, low=1, low_open=True)
    batch_size = _checks.integer(owner, "batch_size", batch_size, low=1, none=True)
    seed = _checks.integer(owner, "seed", seed, low=0)
    skip_start = _checks.integer(owner, "skip_start", skip_start, low=0)
    skip_end = _checks.integer(owner, "skip_end", skip_end, low=0)
    problem = parse(problem, "problem")
    optimizer = parse(optimizer, "optimizer")

    xp = backend.resolve(xp)
    params = problem.init(seed, xp=xp, device=device, dtype=dtype)
    state = optimizer.init(params)
    stream = problem.batches(seed, batch_size, xp=backend.namespace(params), device=device,
                             dtype=dtype)
    ratio = end / start
    lrs, losses, smoothed = [], [], []
    avg, best, diverged = 0.0, math.inf, False
    for i in range(steps):
        lr = start * ratio ** (i / (steps - 1))
        batch, _ = next(stream)
        loss, grad = problem.loss_and_grad(params, batch)
        loss = float(loss)
        avg = smooth * avg + (1.0 - smooth) * loss
        value = avg / (1.0 - smooth ** (i + 1))
        lrs.append(lr)
        losses.append(loss)
        smoothed.append(value)
        if not math.isfinite(value) or value > diverge * best:
            diverged = True
            break
        best = min(best, value)
        params = optimizer.step(params, grad, lr, state)

    lrs_a = np.asarray(lrs)
    smoothed_a = np.asarray(smoothed)
    finite = np.isfinite(smoothed_a)
    return LRFinderResult(
        lrs=lrs_a,
        losses=np.asarray(losses),
        smoothed=smoothed_a,
        steepest=suggest_steepest(lrs_a[finite], smoothed_a[finite], skip_start, skip_end),
        minimum=suggest_minimum(lrs_a[finite], smoothed_a[finite]),
        diverged=diverged,
        spec={"problem": spec(problem), "optimizer": spec(optimizer), "start": start,
              "end": end, "steps": steps, "smooth": smooth, "diverge": diverge,
              "batch_size": batch_size, "seed": seed},
    )
