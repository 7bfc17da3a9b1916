"""Use lrsched schedules and policies in a plain PyTorch training loop.

:class:`LRScheduler` is a real ``torch.optim.lr_scheduler.LRScheduler``: it works
wherever torch expects one (Lightning, Accelerate, checkpointing code), but it
keeps an explicit :class:`~lrsched.progress.Progress` instead of torch's
``last_epoch`` sentinel, so any lrsched clock works: steps, epochs, samples,
wall seconds (a monotonic clock, injectable for tests), joules, or the share of
a :class:`~lrsched.progress.Budget` (``clock="fraction"``).

Convention: constructing the scheduler writes ``s(0)`` into the optimizer and
does not advance; after ``k`` calls to :meth:`step`, the learning rate is
``s(k)`` (on the step clock).  This is torch's convention for its own
schedulers, without the ``last_epoch=-1`` argument.

This module imports torch only when :class:`LRScheduler` is first used, so
``import lrsched`` and ``import lrsched.integrations.torch`` work without torch.

>>> import torch                                              # doctest: +SKIP
>>> from lrsched.integrations.torch import LRScheduler        # doctest: +SKIP
>>> opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)   # doctest: +SKIP
>>> sched = LRScheduler(opt, "warmup(cosine(peak=0.1, horizon=900), steps=100)")  # doctest: +SKIP
>>> for x, y in batches:                                      # doctest: +SKIP
...     loss = loss_fn(model(x), y); opt.zero_grad(); loss.backward()
...     opt.step(); sched.step(loss=loss)
"""

from __future__ import annotations

import contextlib
import math
import time

from ..progress import Budget, Progress
from ..spec import parse, spec
from .torch_monitor import RunMonitor

__all__ = ["LRScheduler", "RunMonitor"]  # noqa: F822 - LRScheduler is built on first access

#: ``state_dict()["format"]``; bump ``_VERSION`` when the schema changes.
_FORMAT = "lrsched.integrations.torch.LRScheduler"
_VERSION = 1
_PROGRESS_FIELDS = ("step", "epoch", "samples", "seconds", "joules", "fraction", "loss",
                    "grad_norm", "lr", "eval_loss")
#: Signals this adapter can feed to a policy (it has no access to a probe or the flat params).
_SUPPORTED_NEEDS = frozenset({"loss", "grad_norm"})


def __getattr__(name):
    if name == "LRScheduler":
        cls = _build_lr_scheduler()
        globals()["LRScheduler"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _json_number(value):
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _build_lr_scheduler():
    try:
        import torch
        from torch.optim.lr_scheduler import LRScheduler as _TorchLRScheduler
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ImportError(
            "lrsched.integrations.torch.LRScheduler needs PyTorch; install torch"
        ) from exc

    class LRScheduler(_TorchLRScheduler):
        """Drive a torch optimizer's learning rate (and momentum) from an lrsched schedule.

        Parameters
        ----------
        optimizer : torch.optim.Optimizer
        schedule : Schedule, policy, spec string, or a list of them
            One for all param groups (each group gets the same absolute lr), or one per
            param group.  Policies (``plateau``, ``polyak``, ...) may read ``loss`` and
            ``grad_norm``; give the loss to :meth:`step`.
        budget : Budget or str, optional
            Limits for the ``fraction`` clock (``Budget(seconds=600)`` or ``"seconds=600"``);
            required when a schedule runs on ``clock="fraction"``.
        steps_per_epoch : int, optional
            Sets ``progress.epoch = step / steps_per_epoch`` (or pass ``epoch=`` to :meth:`step`).
        batch_size : int, optional
            Adds ``batch_size`` to ``progress.samples`` per step (or pass ``samples=``).
        time_fn : callable, optional
            Monotonic clock in seconds (default :func:`time.monotonic`); inject a fake in tests.
        monitor : lrsched.telemetry.Monitor, optional
            A running monitor: each step puts its latest snapshot in ``progress.snapshot``
            (for telemetry-reading policies such as ``guard``) and the energy used since
            this scheduler was built in ``progress.joules`` (for ``clock="joules"`` and
            ``Budget(joules=...)``), unless :meth:`step` is given ``joules=``.

        Notes
        -----
        Momentum cycling (``onecycle``, ``cyclic``) writes ``group["momentum"]`` (SGD,
        RMSprop) or ``group["betas"][0]`` (Adam family) each step, as torch does.

        ``state_dict()`` is JSON-serialisable::

            {"format": "lrsched.integrations.torch.LRScheduler", "version": 1,
             "schedules": ["cosine(peak=0.1, horizon=1000)"],
             "states": [{}],                       # policies' own state_dict()
             "progress": {"step": 500, "epoch": 0.0, "samples": 0, "seconds": 12.5,
                          "joules": None, "fraction": 0.5, "loss": 0.31, ...},
             "last_lr": [0.05], "last_momentum": [None]}

        ``load_state_dict`` checks the format, the version and that the schedules are the
        same, then restores the progress (wall seconds continue from the saved value) and
        the last learning rates, so the remaining sequence is the one an uninterrupted run
        would have produced.
        """

        def __init__(self, optimizer, schedule, *, budget=None, steps_per_epoch=None,
                     batch_size=None, time_fn=time.monotonic, monitor=None):
            groups = optimizer.param_groups
            items = list(schedule) if isinstance(schedule, (list, tuple)) else [schedule]
            if len(items) == 1:
                items = items * len(groups)
            if len(items) != len(groups):
                raise ValueError(
                    f"LRScheduler: got {len(items)} schedules for {len(groups)} param groups; "
                    "give one schedule, or one per param group"
                )
            self.schedules = [parse(s) if isinstance(s, str) else s for s in items]
            for s in self.schedules:
                if not callable(getattr(s, "lr", None)):
                    raise ValueError(f"LRScheduler: {s!r} is not a schedule or policy")
                extra = set(getattr(s, "needs", ())) - _SUPPORTED_NEEDS
                if extra:
                    raise ValueError(
                        f"LRScheduler: {spec(s)} needs {sorted(extra)}, which this adapter "
                        "cannot provide (only loss and grad_norm); use lrsched.train"
                    )
            self.budget = Budget.parse(budget) if isinstance(budget, str) else budget
            clocks = {getattr(s, "clock", "step") for s in self.schedules}
            if "fraction" in clocks and self.budget is None:
                raise ValueError(
                    "LRScheduler: a schedule runs on clock='fraction' but no budget= was given; "
                    "pass budget=Budget(seconds=...) or budget='steps=1000'"
                )
            self.steps_per_epoch = steps_per_epoch
            self.batch_size = batch_size
            self.monitor = monitor
            self._time_fn = time_fn
            self._cycling = [getattr(s, "cycles_momentum", False) for s in self.schedules]
            for i, (group, cycling) in enumerate(zip(groups, self._cycling)):
                if cycling and "betas" not in group and "momentum" not in group:
                    raise ValueError(
                        f"LRScheduler: {spec(self.schedules[i])} cycles the momentum but param "
                        f"group {i} has neither 'momentum' nor 'betas'; give the schedule "
                        "cycle_momentum=False"
                    )
            self._needs_grad_norm = any("grad_norm" in getattr(s, "needs", ())
                                        for s in self.schedules)
            self.progress = Progress()
            self._joules_origin = getattr(getattr(monitor, "latest", None), "joules", None)
            if self._joules_origin is not None:  # energy of this run, from now on
                self.progress.joules = 0.0
            self._origin = time_fn()
            self._paused_seconds = 0.0
            self._last_momentum = [None] * len(groups)
            super().__init__(optimizer)

        # -- torch's protocol -------------------------------------------------------
        def _initial_step(self):
            """Write ``s(0)`` into the optimizer without advancing (no ``last_epoch`` trap)."""
            self._step_count = 0
            self.last_epoch = 0
            self._apply()

        def get_lr(self):
            """The learning rates in effect (those the last :meth:`step` wrote)."""
            return list(self._last_lr)

        def step(self, loss=None, *, epoch=None, samples=None, joules=None):
            """Advance one optimizer step and write the next learning rates.

            Call it after ``optimizer.step()``.  ``loss`` (a float or a 0-d tensor) is stored
            in ``progress.loss`` for policies; ``epoch``, ``samples`` and ``joules`` override
            the progress fields for runs that measure them themselves.
            """
            p = self.progress
            p.step += 1
            self._step_count += 1
            self.last_epoch = p.step
            p.seconds = self._time_fn() - self._origin - self._paused_seconds
            if epoch is not None:
                p.epoch = float(epoch)
            elif self.steps_per_epoch:
                p.epoch = p.step / self.steps_per_epoch
            if samples is not None:
                p.samples = samples
            elif self.batch_size:
                p.samples += self.batch_size
            if self.monitor is not None:
                snapshot = self.monitor.latest
                p.snapshot = snapshot
                if joules is None and getattr(snapshot, "joules", None) is not None:
                    p.joules = snapshot.joules - (self._joules_origin or 0.0)
            if joules is not None:
                p.joules = float(joules)
            if loss is not None:
                p.loss = float(loss.detach() if isinstance(loss, torch.Tensor) else loss)
            if self._needs_grad_norm:
                p.grad_norm = self._grad_norm()
            if self.budget is not None:
                p.fraction = self.budget.fraction(p)
            self._apply()

        def _apply(self):
            p = self.progress
            lrs = []
            for i, (group, s) in enumerate(zip(self.optimizer.param_groups, self.schedules)):
                lr = float(s.lr(p))
                _set(group, "lr", lr)
                lrs.append(lr)
                if self._cycling[i]:
                    m = s.momentum(p)
                    _set_momentum(group, m)
                    self._last_momentum[i] = m
            self._last_lr = lrs
            p.lr = lrs[0]

        def _grad_norm(self):
            norms = [q.grad.detach().norm() for g in self.optimizer.param_groups
                     for q in g["params"] if q.grad is not None]
            if not norms:
                return None
            return float(torch.linalg.vector_norm(torch.stack(norms)))

        # -- time accounting ---------------------------------------------------------
        @contextlib.contextmanager
        def paused(self):
            """Exclude a block (evaluation, checkpointing) from ``progress.seconds``."""
            start = self._time_fn()
            try:
                yield self
            finally:
                self._paused_seconds += self._time_fn() - start

        @property
        def exhausted(self) -> bool:
            """True once the budget is used up (always False without a budget)."""
            return self.budget is not None and self.budget.exhausted(self.progress)

        # -- state ---------------------------------------------------------------------
        def state_dict(self):
            p = self.progress
            return {
                "format": _FORMAT,
                "version": _VERSION,
                "schedules": [spec(s) for s in self.schedules],
                "states": [s.state_dict() if hasattr(s, "state_dict") else {}
                           for s in self.schedules],
                "progress": {
                    "step": int(p.step),
                    "epoch": float(p.epoch),
                    "samples": int(p.samples),
                    **{k: _json_number(getattr(p, k))
                       for k in _PROGRESS_FIELDS if k not in ("step", "epoch", "samples")},
                },
                "last_lr": [float(v) for v in self._last_lr],
                "last_momentum": [None if m is None else float(m)
                                  for m in self._last_momentum],
            }

        def load_state_dict(self, state_dict):
            state = dict(state_dict)
            if state.get("format") != _FORMAT or state.get("version") != _VERSION:
                raise ValueError(
                    f"LRScheduler.load_state_dict: not a {_FORMAT} state of version {_VERSION} "
                    f"(got format={state.get('format')!r}, version={state.get('version')!r})"
                )
            mine = [spec(s) for s in self.schedules]
            if list(state["schedules"]) != mine:
                raise ValueError(
                    f"LRScheduler.load_state_dict: the state was saved for {state['schedules']} "
                    f"but this scheduler runs {mine}"
                )
            for s, sub in zip(self.schedules, state["states"]):
                if hasattr(s, "load_state_dict"):
                    s.load_state_dict(sub)
            p = self.progress
            for key, value in state["progress"].items():
                if key in ("joules", "grad_norm"):
                    setattr(p, key, value)
                elif key in _PROGRESS_FIELDS:
                    setattr(p, key, math.nan if value is None else value)
            self._step_count = self.last_epoch = p.step
            self._origin = self._time_fn() - p.seconds
            now_joules = getattr(getattr(self.monitor, "latest", None), "joules", None)
            if now_joules is not None and p.joules is not None:  # energy continues too
                self._joules_origin = now_joules - p.joules
            self._paused_seconds = 0.0
            self._last_lr = [float(v) for v in state["last_lr"]]
            self._last_momentum = list(state["last_momentum"])
            for group, lr, m in zip(self.optimizer.param_groups, self._last_lr,
                                    self._last_momentum):
                _set(group, "lr", lr)
                if m is not None:
                    _set_momentum(group, m)

    def _set(group, key, value):
        current = group[key]
        if isinstance(current, torch.Tensor):
            current.fill_(value)
        else:
            group[key] = value

    def _set_momentum(group, m):
        if "betas" in group:
            group["betas"] = (m, *tuple(group["betas"])[1:])
        else:
            group["momentum"] = m

    LRScheduler.__module__ = __name__
    LRScheduler.__qualname__ = "LRScheduler"
    return LRScheduler
