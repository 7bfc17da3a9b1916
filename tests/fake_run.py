"""A scripted run that drives training-run observers (LiveView, RunLog) the way
``lrsched.train`` does: ``start``, ``row`` after each history row, ``end``, ``close``."""

from __future__ import annotations

import math
from types import SimpleNamespace

from lrsched.progress import Budget, Progress
from lrsched.result import CORE_COLUMNS, History, Result

TELEMETRY = ("rss_bytes", "cpu_seconds", "cpu_percent", "gpu_util_percent", "gpu_memory_bytes",
             "gpu_power_watts", "joules")


def snapshot(time_seconds=0.0, joules=None, joules_quality="unavailable", **values):
    """A stand-in for a telemetry Snapshot: measures as attributes, ``row()`` in order."""
    snap = SimpleNamespace(time_seconds=time_seconds, joules=joules,
                           joules_quality=joules_quality, **values)
    snap.row = lambda: tuple(joules if n == "joules" else values.get(n) for n in TELEMETRY)
    return snap


class FakeRun:
    def __init__(self, observers, *, budget=None, telemetry=True, monitor=None, spec=None):
        budget = Budget(steps=100) if budget is None else budget
        self.observers = list(observers)
        self.budget = budget
        self.names = CORE_COLUMNS + (TELEMETRY if telemetry else ())
        self.history = History(self.names, capacity=16)
        self.progress = Progress()
        self.monitor = monitor
        self.spec = spec or {"problem": "fake(dim=3)", "optimizer": "sgd()",
                             "schedule": "constant(lr=0.1)", "budget": str(budget)}

    def start(self):
        for obs in self.observers:
            obs.start(self.spec, self.history.names, self.budget, self.monitor)
        return self

    def row(self, step, loss, *, lr=0.1, seconds=None, samples=None, train_loss=None,
            snap=None):
        p, h = self.progress, self.history
        p.step = step
        p.samples = step * 10 if samples is None else samples
        p.seconds = step * 0.01 if seconds is None else seconds
        p.lr = lr
        p.loss = loss if train_loss is None else train_loss
        p.snapshot = snap
        p.joules = None if snap is None else snap.joules
        p.fraction = self.budget.fraction(p)
        if h.size == h.capacity:
            h.grow()
        values = [step, p.epoch, p.samples, p.seconds, lr, loss, p.loss, 0.0]
        if len(self.names) > len(CORE_COLUMNS):
            extra = snap.row() if snap is not None else (None,) * len(TELEMETRY)
            values += [math.nan if v is None else v for v in extra]
        h.buffer[h.size] = values
        h.size += 1
        for obs in self.observers:
            obs.row(p, h)

    def end(self, status="done", **summary):
        cols = self.history.columns()
        result = Result(history=cols, spec=dict(self.spec), summary={
            "status": status, "reason": None, "steps": self.progress.step,
            "seconds": self.progress.seconds,
            "final_loss": float(cols["loss"][-1]) if len(cols["loss"]) else None,
            "best_loss": float(min(cols["loss"])) if len(cols["loss"]) else None, **summary})
        for obs in self.observers:
            obs.end(result)
        for obs in self.observers:
            obs.close()
        return result
