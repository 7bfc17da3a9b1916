"""``guard``: protect a run from memory exhaustion and throughput collapse, read from telemetry."""

from __future__ import annotations

import math

from .. import _checks
from ..spec import register
from .base import Wrapper, decode_float, encode_float

__all__ = ["Guard", "STOP_KEY"]

#: Key of ``progress.extra`` under which a policy asks the loop for a clean stop.
STOP_KEY = "stop"


@register("policy", "guard")
class Guard(Wrapper):
    r"""Watch memory and throughput; anneal early or ask for a clean stop.

    The rate is ``scale * inner`` with ``scale = 1`` until the guard acts.

    *Memory.*  When the resident set size (``progress.snapshot.rss_bytes``)
    reaches ``max_rss_bytes`` the guard asks the loop to stop
    (``progress.extra["stop"] = reason``) and returns a rate of 0 from then on,
    so whatever step the loop still takes leaves the parameters unchanged.  A
    smaller rate does not make a run use less memory, so stopping is the only
    useful reaction: the run ends with its results and log written, instead of
    being killed by the operating system a little later with nothing saved.

    *Throughput.*  Every ``window`` steps the guard measures the step rate
    over the window on the run's training clock (``progress.seconds``,
    evaluation excluded) and keeps the best window rate seen.  A window slower
    than ``min_throughput_ratio`` times that best is a *collapse* (thermal
    throttling, a co-tenant, swapping).  With ``action="reduce"`` the rate is
    multiplied by ``factor`` once per collapse and the reference becomes the
    new, slower rate (a later collapse relative to it reduces again); with
    ``action="stop"`` the guard asks for a stop as above.  Why anneal: a run
    on a time or energy budget that slows down gets fewer steps than planned,
    so a step-planned decay would be cut off while the rate is still high, and
    the final loss of SGD is set by the rate it ends with (its noise floor is
    proportional to the rate).  Lowering the rate when the slowdown is seen
    brings the annealing forward.  (A schedule on the ``fraction`` clock over
    a time budget adapts to the slowdown by construction; the guard is for
    step-planned schedules and adaptive policies.)

    Parameters
    ----------
    inner : schedule, policy or float
        The rate to protect.
    max_rss_bytes : int, optional
        Memory limit (resident set size in bytes); ``None`` disables the check.
        Needs a telemetry monitor (``train(monitor="auto")``).
    min_throughput_ratio : float, optional
        Collapse threshold in (0, 1); ``None`` disables the check.
    factor : float
        Multiplier applied at each collapse with ``action="reduce"``, in (0, 1).
    window : int
        Steps per throughput measurement.
    action : {"reduce", "stop"}
        Reaction to a throughput collapse.

    Notes
    -----
    The loop ends a run whose policy sets ``progress.extra["stop"]`` (status
    ``"done"``, with the reason).  With a loop that does not read it, the run
    goes on with a zero rate until its budget ends.

    Examples
    --------
    >>> from lrsched.progress import Progress
    >>> g = Guard(0.1, min_throughput_ratio=0.5, window=10)
    >>> rates = [g.lr(Progress(step=k, seconds=0.01 * k if k <= 20 else 0.2 + 0.05 * (k - 20)))
    ...          for k in range(31)]
    >>> rates[20], rates[30]   # the third window took 5x longer: the rate is halved
    (0.1, 0.05)
    """

    def __init__(self, inner, max_rss_bytes=None, min_throughput_ratio=None, factor=0.5,
                 window=50, action="reduce"):
        owner = "guard"
        self.inner = self.check_inner(owner, inner)
        self.max_rss_bytes = _checks.integer(owner, "max_rss_bytes", max_rss_bytes, low=1,
                                             none=True)
        self.min_throughput_ratio = _checks.number(owner, "min_throughput_ratio",
                                                   min_throughput_ratio, low=0, high=1,
                                                   low_open=True, high_open=True, none=True)
        self.factor = _checks.number(owner, "factor", factor, low=0, high=1, low_open=True,
                                     high_open=True)
        self.window = _checks.integer(owner, "window", window, low=1)
        self.action = _checks.one_of(owner, "action", action, ("reduce", "stop"))
        super().__init__()

    def _reset(self) -> None:
        self.scale = 1.0
        self.stopped = None          # the reason of a stop request
        self.best_rate = 0.0         # best window throughput (steps per second)
        self.window_step = 0         # start of the current window
        self.window_seconds = 0.0
        self.collapses = 0

    def _state(self) -> dict:
        return {
            "scale": encode_float(self.scale),
            "stopped": self.stopped,
            "best_rate": encode_float(self.best_rate),
            "window_step": self.window_step,
            "window_seconds": encode_float(self.window_seconds),
            "collapses": self.collapses,
        }

    def _load_state(self, state: dict) -> None:
        owner = "guard"
        scale = decode_float(owner, "scale", state["scale"])
        best = decode_float(owner, "best_rate", state["best_rate"])
        seconds = decode_float(owner, "window_seconds", state["window_seconds"])
        window_step = _checks.integer(owner, "window_step", state["window_step"], low=0)
        collapses = _checks.integer(owner, "collapses", state["collapses"], low=0)
        stopped = state["stopped"]
        if stopped is not None and not isinstance(stopped, str):
            raise ValueError(f"guard.load_state_dict: stopped={stopped!r} must be a string or None")
        for key, value in (("scale", scale), ("best_rate", best), ("window_seconds", seconds)):
            if value is None or not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"guard.load_state_dict: {key}={value!r} must be finite and >= 0")
        self.scale, self.best_rate, self.window_seconds = scale, best, seconds
        self.window_step, self.collapses, self.stopped = window_step, collapses, stopped

    # -- rule ----------------------------------------------------------------------------
    def _request_stop(self, progress, reason: str) -> None:
        self.stopped = reason
        progress.extra[STOP_KEY] = reason

    def _update(self, progress) -> float:
        rate = self.inner_lr(progress)
        if self.stopped is not None:
            progress.extra[STOP_KEY] = self.stopped
            return 0.0
        if self.max_rss_bytes is not None:
            rss = getattr(progress.snapshot, "rss_bytes", None)
            if rss is not None and rss >= self.max_rss_bytes:
                self._request_stop(progress, f"guard: rss {rss / 2**20:.0f} MiB reached the "
                                             f"limit {self.max_rss_bytes / 2**20:.0f} MiB")
                return 0.0
        if self.min_throughput_ratio is not None:
            self._watch_throughput(progress)
            if self.stopped is not None:
                return 0.0
        return self.scale * rate

    def _watch_throughput(self, progress) -> None:
        steps = progress.step - self.window_step
        if steps < self.window:
            return
        elapsed = progress.seconds - self.window_seconds
        self.window_step, self.window_seconds = progress.step, progress.seconds
        if not elapsed > 0:
            return
        rate = steps / elapsed
        if rate < self.min_throughput_ratio * self.best_rate:
            self.collapses += 1
            if self.action == "stop":
                self._request_stop(progress, f"guard: throughput fell to {rate:.3g} steps/s, "
                                             f"below {self.min_throughput_ratio:g} x "
                                             f"{self.best_rate:.3g}")
                return
            self.scale *= self.factor
            self.best_rate = rate
        elif rate > self.best_rate:
            self.best_rate = rate
