"""Decays from recent training practice: ``inverse_sqrt``, ``wsd`` and ``rex``."""

from __future__ import annotations

import math

from .._checks import number, one_of
from ..spec import register
from .base import Schedule, check_clock, keep, where
from .basic import non_negative, positive

__all__ = ["InverseSqrt", "WSD", "Rex"]


@register("schedule", "inverse_sqrt")
class InverseSqrt(Schedule):
    """Linear warmup to ``peak``, then decay as the inverse square root of time.

    With ``W = warmup`` and ``τ = timescale`` (default ``W``, or 10 000 when ``W = 0``),

    .. math:: s(t) = \\mathrm{peak}\\, t / W \\;(t < W), \\qquad
              \\mathrm{peak} \\big/ \\sqrt{(t - W + τ)/τ} \\;(t \\ge W)

    Same as Hugging Face ``transformers.get_inverse_sqrt_schedule(opt, W, timescale)``
    (base lr ``peak``), which follows big_vision.  Differs only for ``0 < W < 1``, where HF
    divides by ``max(1, W)`` and ours by ``W`` (so the warmup always ends at ``peak``).

    Reference: Vaswani et al., "Attention Is All You Need", 2017 (the rsqrt decay).

    Examples
    --------
    >>> s = InverseSqrt(peak=1.0, warmup=100)
    >>> [s(t) for t in (0, 50, 100, 400)]
    [0.0, 0.5, 1.0, 0.5]
    """

    def __init__(self, peak, warmup, timescale=None, clock="step"):
        owner = "inverse_sqrt"
        self._peak = positive(owner, "peak", peak)
        self._warmup = non_negative(owner, "warmup", warmup)
        self._timescale = number(owner, "timescale", timescale, low=0, low_open=True, none=True)
        tau = self._timescale if self._timescale is not None else (self._warmup or 10_000.0)
        self._shift = tau - self._warmup
        self._tau = tau
        self._slope = self._peak / self._warmup if self._warmup > 0 else 0.0
        self.peak, self.warmup = keep(peak, self._peak), keep(warmup, self._warmup)
        self.timescale = None if timescale is None else keep(timescale, self._timescale)
        self.clock = check_clock(owner, clock)

    def _scalar(self, t):
        if t < self._warmup:
            return self._slope * t
        return self._peak / math.sqrt((t + self._shift) / self._tau)

    def _array(self, t, xp):
        after = self._peak / xp.sqrt((xp.clip(t, min=self._warmup) + self._shift) / self._tau)
        return xp.where(t < self._warmup, self._slope * t, after)


_SHAPES = ("linear", "cosine", "1-sqrt")


@register("schedule", "wsd")
class WSD(Schedule):
    """Warmup-stable-decay: warm up, hold ``peak``, then decay over the last ``decay`` share.

    With ``T = horizon``, ``W = warmup`` (clock units), ``D = decay·T`` and ``S = T - D``,

    .. math:: s(t) = f + (\\mathrm{peak} - f)\\,\\begin{cases}
              t/W & t < W \\\\ 1 & W \\le t < S \\\\ \\phi((t - S)/D) & S \\le t < T \\\\ 0 & t \\ge T
              \\end{cases}

    with ``f = floor`` and ``φ(p) = 1 - p`` (``shape="linear"``), ``(1 + cos(πp))/2``
    (``"cosine"``) or ``1 - sqrt(p)`` (``"1-sqrt"``).  The warmup starts at ``floor``.

    Same as Hugging Face ``transformers.get_wsd_schedule(opt, num_warmup_steps=W,
    num_decay_steps=D, num_training_steps=T, decay_type=shape, min_lr_ratio=floor/peak)``
    with base lr ``peak`` (HF's default decay is cosine, ours linear, as in the contract).
    ``D = decay·T`` is snapped to the nearest integer when it is within 1e-9 of one, so
    that ``decay=D/T`` starts the decay exactly at step ``T - D``.

    References: Hu et al., "MiniCPM", 2024; Hägele et al., "Scaling Laws and
    Compute-Optimal Training Beyond Fixed Training Durations", 2024 (1-sqrt cooldown).

    Examples
    --------
    >>> s = WSD(peak=1.0, horizon=100, warmup=10, decay=0.2)
    >>> [s(t) for t in (0, 5, 10, 80, 90, 100)]
    [0.0, 0.5, 1.0, 1.0, 0.5, 0.0]
    """

    def __init__(self, peak, horizon, warmup=0, decay=0.1, shape="linear", floor=0.0,
                 clock="step"):
        owner = "wsd"
        self._peak = positive(owner, "peak", peak)
        self._horizon = positive(owner, "horizon", horizon)
        self._decay = number(owner, "decay", decay, low=0, high=1, low_open=True)
        length = self._decay * self._horizon
        # decay=D/T gives D·(1 ± 1e-16): snap it, or a 1-sqrt decay would start at 1 - 1e-8
        self._decay_length = float(round(length)) if abs(length - round(length)) <= 1e-9 * max(
            1.0, length) else length
        self._stable_end = self._horizon - self._decay_length
        # a warmup that overshoots the stable phase by rounding alone (1e-16) ends with it
        slack = 1e-9 * max(1.0, self._horizon)
        self._warmup = min(number(owner, "warmup", warmup, low=0, high=self._stable_end + slack),
                           self._stable_end)
        self.shape = one_of(owner, "shape", shape, _SHAPES)
        self._floor = number(owner, "floor", floor, low=0, high=self._peak)
        self._amp = self._peak - self._floor
        self.peak, self.horizon, self.warmup, self.decay, self.floor = (
            keep(peak, self._peak), keep(horizon, self._horizon), keep(warmup, self._warmup),
            keep(decay, self._decay), keep(floor, self._floor))
        self.clock = check_clock(owner, clock)

    def _scalar(self, t):
        if t < self._warmup:
            return self._floor + self._amp * (t / self._warmup)
        if t < self._stable_end:
            return self._peak
        if t >= self._horizon:
            return self._floor
        p = (t - self._stable_end) / self._decay_length
        if self.shape == "linear":
            phi = 1.0 - p
        elif self.shape == "cosine":
            phi = 0.5 * (1.0 + math.cos(math.pi * p))
        else:
            phi = 1.0 - math.sqrt(p)
        return self._floor + self._amp * phi

    def _array(self, t, xp):
        p = (xp.clip(t, min=self._stable_end, max=self._horizon) - self._stable_end) \
            / self._decay_length
        if self.shape == "linear":
            phi = 1.0 - p
        elif self.shape == "cosine":
            phi = 0.5 * (1.0 + xp.cos(math.pi * p))
        else:
            phi = 1.0 - xp.sqrt(p)
        out = where(xp, t >= self._horizon, self._floor, self._floor + self._amp * phi)
        out = where(xp, t < self._stable_end, self._peak, out)
        if self._warmup > 0:
            ramp = self._floor + self._amp * (xp.clip(t, max=self._warmup) / self._warmup)
            out = xp.where(t < self._warmup, ramp, out)
        return out


@register("schedule", "rex")
class Rex(Schedule):
    """REX: a reflected-exponential decay to zero at ``horizon``.

    .. math:: s(t) = \\mathrm{peak}\\, \\frac{1 - z}{1 - z/2}, \\qquad z = \\min(t, T)/T

    It stays higher than linear decay for most of the run and drops to 0 at ``T``.

    Reference: Chen, Wolfe & Kyrillidis, "REX: Revisiting Budgeted Training with an
    Improved Schedule", MLSys 2022.

    Examples
    --------
    >>> s = Rex(peak=1.0, horizon=100)
    >>> [round(s(t), 6) for t in (0, 50, 100)]
    [1.0, 0.666667, 0.0]
    """

    def __init__(self, peak, horizon, clock="step"):
        owner = "rex"
        self._peak = positive(owner, "peak", peak)
        self._horizon = positive(owner, "horizon", horizon)
        self.peak, self.horizon = keep(peak, self._peak), keep(horizon, self._horizon)
        self.clock = check_clock(owner, clock)

    def _scalar(self, t):
        if t >= self._horizon:
            return 0.0
        z = t / self._horizon
        return self._peak * (1.0 - z) / (1.0 - z / 2)

    def _array(self, t, xp):
        z = xp.clip(t, max=self._horizon) / self._horizon
        return where(xp, t >= self._horizon, 0.0, self._peak * (1.0 - z) / (1.0 - z / 2))
