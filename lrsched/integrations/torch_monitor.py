"""Monitor a PyTorch training loop you own: live view, run log and alerts.

:class:`RunMonitor` gives a user's loop what :func:`lrsched.train` gives ours:
the live view (:mod:`lrsched.live`), the run log (:mod:`lrsched.runs`), alerts
and a :class:`~lrsched.progress.Progress` on the run's clocks, including
telemetry (seconds, joules, the budget fraction), so that a schedule can run
on them.  The loop calls ``mon.step(loss=...)`` once per optimizer step::

    with RunMonitor(optimizer, budget=Budget(seconds=60), log="run.jsonl") as mon:
        while not mon.done:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad(); loss.backward(); optimizer.step()
            mon.step(loss=loss, samples=len(x))

What a row holds (one per ``record_every`` steps, or spaced in time, plus the
last step): ``step`` (steps done), ``seconds`` (time in the ``with`` block less
the time spent in ``with mon.paused():`` blocks, e.g. evaluation), ``samples``,
``epoch`` (with ``n_samples``), ``lr`` (``optimizer.param_groups[0]["lr"]`` when
the row is taken: the rate of the next step once the scheduler has stepped, as
in :func:`lrsched.train`'s rows), ``train_loss`` (the last loss reported), ``loss`` (the mean
of the losses reported since the previous row, less noisy than one minibatch;
the last loss reported when there was none),
``probes`` (0) and the telemetry columns.  Passing a tensor as ``loss`` calls
``float()`` on it, which waits for the device: report the loss only when you
already synchronise, or pass ``loss=None`` on other steps.

This module imports no torch: any optimizer with ``param_groups`` works.
"""

from __future__ import annotations

import contextlib
import math
import time

import numpy as np

from ..observers import monitor_for, observers_for
from ..progress import Budget, Progress
from ..result import CORE_COLUMNS, History, Result

__all__ = ["RunMonitor"]


class RunMonitor:
    """Context manager that monitors a user's training loop.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer or object with ``param_groups``
        The learning rate is read from ``param_groups[0]["lr"]``.
    budget : Budget, dict, str or int, optional
        Limits of the run; :attr:`done` turns true when one is reached (the
        loop decides whether to stop).  ``None``: no limit.
    log : path or RunLog, optional
        Write a run log (see :mod:`lrsched.runs`).
    progress : ``"auto"``, bool or LiveView
        Live view: ``"auto"`` in a terminal only, ``True`` always (plain lines
        when not a terminal), ``False`` never.
    monitor : ``"auto"``, None or Monitor
        Telemetry, as in :func:`lrsched.train`.
    record_every : int, optional
        Steps between history rows.  Default: about 1000 rows over a step budget;
        otherwise rows spaced by a thousandth of a time budget (at least 1 ms),
        or 0.1 s without one.
    n_samples : int, optional
        Training-set size, so that ``epoch = samples / n_samples``.
    alerts : AlertRules, optional
        Thresholds of the alerts (see :mod:`lrsched.alerts`).
    spec : dict, optional
        Describes the run in the log's header and the plot's legend, e.g.
        ``{"model": "mlp(64)", "schedule": "cosine(...)"}``.
    clock : callable
        Monotonic clock in seconds (injectable for tests).

    Attributes
    ----------
    progress : Progress
        Updated in place by :meth:`step`; share it with a schedule.
    result : Result or None
        The run's history and summary, once the ``with`` block has ended.
    """

    def __init__(self, optimizer, *, budget=None, log=None, progress="auto", monitor="auto",
                 record_every: int | None = None, n_samples: int | None = None, alerts=None,
                 spec: dict | None = None, clock=time.perf_counter):
        groups = getattr(optimizer, "param_groups", None)
        if not groups or "lr" not in groups[0]:
            raise ValueError(f"RunMonitor: optimizer={type(optimizer).__name__} has no "
                             "param_groups[0]['lr']; pass a torch.optim.Optimizer")
        if record_every is not None and (isinstance(record_every, bool)
                                         or int(record_every) != record_every or record_every < 1):
            raise ValueError(f"RunMonitor: record_every={record_every!r} is not allowed; "
                             "use an integer >= 1")
        if n_samples is not None and not (isinstance(n_samples, int) and n_samples > 0):
            raise ValueError(f"RunMonitor: n_samples={n_samples!r} is not allowed; "
                             "use an integer > 0")
        self.optimizer = optimizer
        self.budget = (None if budget is None else Budget.coerce(budget, "RunMonitor"))
        self._groups = groups
        self._log, self._progress_arg, self._monitor_arg = log, progress, monitor
        self._alerts = alerts
        self._n_samples = n_samples
        self._clock = clock
        self._record_every = None if record_every is None else int(record_every)
        self._record_seconds = 0.1
        if record_every is None and self.budget is not None:
            if self.budget.steps is not None:
                self._record_every = max(1, math.ceil(self.budget.steps / 1000))
            elif self.budget.seconds is not None:
                self._record_seconds = max(self.budget.seconds / 1000, 1e-3)
        self.spec = {
            "optimizer": f"{type(optimizer).__name__}(lr={groups[0]['lr']:g})",
            "budget": str(self.budget) if self.budget is not None else None,
            "loop": "RunMonitor",
            **(spec or {}),
        }
        self.progress = Progress()
        self.result: Result | None = None
        self._entered = False
        self._scheduler = None

    def scheduler(self, schedule, **kwargs):
        """An :class:`lrsched.integrations.torch.LRScheduler` on this monitor's clocks.

        Its progress follows the monitor's: the same steps, training seconds (pauses
        excluded), samples, joules and budget fraction, so a schedule on
        ``clock="fraction"`` reaches its end exactly when :attr:`done` turns true.
        :meth:`step` steps it (after counting the step), so the loop does not call
        its ``step``.  Call this before the ``with`` block starts.

        Parameters
        ----------
        schedule : Schedule, policy or spec string (or one per param group)
        **kwargs
            Passed to ``LRScheduler`` (``budget`` defaults to the monitor's).

        Examples
        --------
        >>> mon = RunMonitor(opt, budget="seconds=60", log="run.jsonl")   # doctest: +SKIP
        >>> mon.scheduler("cosine(peak=0.1, horizon=1.0, clock='fraction')")  # doctest: +SKIP
        >>> with mon:                                                      # doctest: +SKIP
        ...     while not mon.done:
        ...         ...; opt.step(); mon.step(loss=loss)
        """
        from ..spec import spec as spec_of
        from .torch import LRScheduler

        if self._entered:
            raise RuntimeError("RunMonitor.scheduler: call it before the `with` block starts")
        if self._scheduler is not None:
            raise RuntimeError("RunMonitor.scheduler: this monitor already drives a scheduler")
        kwargs.setdefault("budget", self.budget)
        # the scheduler's clock is the monitor's training seconds, updated by step()
        sched = LRScheduler(self.optimizer, schedule, time_fn=lambda: self.progress.seconds,
                            **kwargs)
        self._scheduler = sched
        self.spec["schedule"] = ", ".join(spec_of(s) for s in sched.schedules[:1])
        self.progress.lr = self._groups[0]["lr"]
        return sched

    # -- context -------------------------------------------------------------------
    def __enter__(self) -> RunMonitor:
        if self._entered:
            raise RuntimeError("RunMonitor is single-use; make a new one for another run")
        self._entered = True
        self._fraction = self.budget.fraction_function() if self.budget is not None else None
        self._monitor, self._owned = monitor_for(self._monitor_arg, "RunMonitor")
        self._observers = observers_for(self._progress_arg, self._log, self._alerts)
        try:
            if self._owned:
                self._monitor.start()
            columns = tuple(self._monitor.columns) if self._monitor is not None else ()
            self._history = History(CORE_COLUMNS + columns, capacity=1024)
            for obs in self._observers:
                obs.start(self.spec, self._history.names, self.budget, self._monitor)
        except BaseException:
            self._shutdown()
            raise
        self._core = len(CORE_COLUMNS)
        self._loss_sum, self._loss_n = 0.0, 0
        self._first_loss = math.nan
        self._non_finite_at = None
        self._last_row_step = -1
        self._next_row_seconds = 0.0
        self._paused = 0.0
        self._spent = False
        self._start = self._clock()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            self.progress.seconds = self._clock() - self._start - self._paused
            if self._last_row_step != self.progress.step and self.progress.step > 0:
                self._record()
            self.result = self._result(exc_type, exc)
            for obs in self._observers:
                obs.end(self.result)
        finally:
            self._shutdown()
        return False

    def _shutdown(self) -> None:
        try:
            for obs in self._observers:
                obs.close()
        finally:
            if self._owned and self._monitor is not None:
                self._monitor.stop()

    # -- the loop's calls ----------------------------------------------------------------
    def step(self, loss=None, samples: int | None = None) -> None:
        """Count one optimizer step.

        Parameters
        ----------
        loss : float, 0-d tensor or None
            The loss of this step's minibatch.
        samples : int, optional
            Samples in this step's minibatch.
        """
        now = self._clock()
        p = self.progress
        p.step += 1
        if samples is not None:
            p.samples += int(samples)
            if self._n_samples:
                p.epoch = p.samples / self._n_samples
        if loss is not None:
            try:
                item = getattr(loss, "item", None)  # tensors and NumPy scalars
                value = float(item() if item is not None else loss)
            except (TypeError, ValueError, RuntimeError):
                raise ValueError(f"RunMonitor.step: loss={loss!r} is not allowed; pass a number "
                                 "or a 0-d tensor") from None
            p.loss = value
            self._loss_sum += value  # a nan or inf carries into the row's mean
            self._loss_n += 1
            if value - value == 0.0:
                if self._first_loss != self._first_loss:
                    self._first_loss = value
            elif self._non_finite_at is None:
                self._non_finite_at = p.step
        p.lr = self._groups[0]["lr"]
        p.seconds = now - self._start - self._paused
        if self._monitor is not None:
            snap = self._monitor.latest
            p.snapshot = snap
            if snap is not None:
                p.joules = snap.joules
        if self._fraction is not None:
            p.fraction = self._fraction(p)
        if self._scheduler is not None:  # writes the next step's learning rate
            self._scheduler.step(loss=None if loss is None else value, epoch=p.epoch,
                                 samples=p.samples, joules=p.joules)
        if self._record_every is not None:
            due = p.step % self._record_every == 0 or p.step == 1
        else:
            due = p.seconds >= self._next_row_seconds
        if due or (p.fraction >= 1.0 and not self._spent):
            self._spent = p.fraction >= 1.0
            t0 = self._clock()
            self._record()
            self._paused += self._clock() - t0  # observers are off the clock

    @property
    def done(self) -> bool:
        """Whether the budget is spent (never, without a budget)."""
        return self.progress.fraction >= 1.0

    @contextlib.contextmanager
    def paused(self):
        """Exclude a block (an evaluation, a checkpoint) from the run's seconds."""
        t0 = self._clock()
        try:
            yield self
        finally:
            self._paused += self._clock() - t0

    # -- internals ---------------------------------------------------------------------
    def _record(self) -> None:
        p, h = self.progress, self._history
        if h.size == h.capacity:
            h.grow()
        # mean of the losses reported since the last row; the last one when none was
        mean = self._loss_sum / self._loss_n if self._loss_n else p.loss
        self._loss_sum, self._loss_n = 0.0, 0
        row = h.buffer[h.size]
        lr = float(self._groups[0]["lr"])  # the next step's, once a scheduler has stepped
        row[: self._core] = (p.step, p.epoch, p.samples, p.seconds, lr, mean, p.loss, 0.0)
        snap = p.snapshot
        if snap is not None and h.width > self._core:
            row[self._core:] = [math.nan if v is None else v for v in snap.row()]
        h.size += 1
        p.eval_loss = mean
        self._last_row_step = p.step
        self._next_row_seconds = p.seconds + self._record_seconds
        for obs in self._observers:
            obs.row(p, h)

    def _result(self, exc_type, exc) -> Result:
        columns = self._history.columns()
        p = self.progress
        loss = columns["loss"]
        finite = loss[np.isfinite(loss)]
        if exc_type is not None:
            status = "interrupted" if issubclass(exc_type, KeyboardInterrupt) else "failed"
            reason = f"{exc_type.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
        elif self._non_finite_at is not None:
            status, reason = "diverged", f"non-finite loss at step {self._non_finite_at}"
        else:
            status, reason = "done", None
        rss = columns.get("rss_bytes")
        peak = int(np.nanmax(rss)) if rss is not None and np.isfinite(rss).any() else None
        snap = p.snapshot
        summary = {
            "status": status,
            "reason": reason,
            "initial_loss": None if math.isnan(self._first_loss) else self._first_loss,
            "final_loss": float(loss[-1]) if len(loss) and np.isfinite(loss[-1]) else None,
            "best_loss": float(finite.min()) if len(finite) else None,
            "f_star": None,
            "gap": None,
            "steps": p.step,
            "epochs": p.epoch,
            "samples": p.samples,
            "seconds": p.seconds,
            "joules": p.joules,
            "joules_quality": getattr(snap, "joules_quality", None) if p.joules is not None else None,
            "probes": 0,
            "final_lr": None if math.isnan(p.lr) else float(p.lr),
            "peak_rss_bytes": peak,
        }
        return Result(history=columns, summary=summary, spec=dict(self.spec))
