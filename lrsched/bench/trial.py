"""One trial of a suite: its identity, and the function a worker runs to execute it.

Identity
--------
A trial is identified by a hash of its *canonical trial spec*: the canonical
specs of problem, optimizer and schedule (``lrsched.spec.spec`` of the built
objects, so ``cosine(horizon=300, peak=0.1)`` and ``cosine(peak=0.1,
horizon=300)`` are the same trial), the budget, batch size, seed, dtype,
evaluation period, telemetry settings and the package version::

    trial_id = sha256(json.dumps(identity, sort_keys=True)).hexdigest()[:16]

Labels (the schedule's name in the suite, the learning rate of the grid point,
the ruleset) are metadata, not identity: renaming a schedule in a suite does
not re-run it.  Targets are not part of the identity either, since
times-to-target are computed afterwards from the recorded curves.

Execution
---------
:func:`run_trial` takes the plain-dict payload of :meth:`Trial.payload`, so it
can be shipped to a process or a Dask worker, and returns a plain dict.  It
never raises: an exception becomes status ``"failed"`` with its one-line
reason, a divergence is the loop's status ``"diverged"``.  Warm-up stays off
the clock (:func:`lrsched.train` does it before timing).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import platform
import socket
import sys
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from .._version import __version__

__all__ = ["Trial", "run_trial", "trial_id", "limit_threads", "utc_now", "THREAD_VARIABLES"]

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS")


def trial_id(identity: dict) -> str:
    """Short hex sha256 of a canonical trial spec (a JSON-serialisable dict)."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Trial:
    """One (problem, optimizer, schedule, budget, batch size, seed) run of a suite.

    The fields down to ``version`` are the identity; the rest are labels.
    """

    problem: str
    optimizer: str
    schedule: str
    budget: str
    batch_size: int | None
    seed: int
    dtype: str = "float64"
    eval_every: int | None = None
    telemetry: dict = field(default_factory=lambda: {"monitor": True})
    version: str = __version__
    # labels (not identity)
    label: str = ""
    kind: str = "schedule"
    lr: float | None = None
    ruleset: str = "self"
    problem_label: str = ""

    IDENTITY = ("problem", "optimizer", "schedule", "budget", "batch_size", "seed", "dtype",
                "eval_every", "telemetry", "version")

    def identity(self) -> dict:
        """The canonical trial spec the id is computed from."""
        return {k: getattr(self, k) for k in self.IDENTITY}

    @property
    def trial_id(self) -> str:
        return trial_id(self.identity())

    def labels(self) -> dict:
        return {"label": self.label or self.schedule, "kind": self.kind, "lr": self.lr,
                "ruleset": self.ruleset, "problem_label": self.problem_label or self.problem}

    def payload(self, imports=(), single_thread: bool = False) -> dict:
        """Plain-dict form for :func:`run_trial` (picklable everywhere)."""
        return {"trial_id": self.trial_id, "spec": asdict(self), "imports": list(imports),
                "single_thread": bool(single_thread)}

    def describe(self) -> str:
        lr = "" if self.lr is None else f" lr={self.lr:g}"
        return f"{self.problem_label or self.problem} | {self.label}{lr} | seed {self.seed}"


def limit_threads() -> None:
    """Use one thread for BLAS/OpenMP in this process (workers share the cores)."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _host() -> dict:
    return {"hostname": socket.gethostname(), "pid": os.getpid(), "platform": platform.platform(),
            "machine": platform.machine(), "processor": platform.processor() or None,
            "cpu_count": os.cpu_count(), "python": platform.python_version()}


def _versions() -> dict:
    out = {"lrsched": __version__}
    for name in ("numpy", "scipy", "torch", "cupy", "sklearn", "numba", "psutil"):
        module = sys.modules.get(name)
        if module is not None:
            out[name] = getattr(module, "__version__", None)
    return out


def _monitor(telemetry: dict):
    if not telemetry.get("monitor", True):
        return None
    watts = telemetry.get("estimate_watts_per_core")
    if watts is None:
        return "auto"
    from ..telemetry import Monitor

    return Monitor(estimate_watts_per_core=watts)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run_trial(payload: dict) -> dict:
    """Run one trial from its payload; never raises.

    Returns
    -------
    dict
        ``trial_id``, ``status`` (``done``, ``diverged`` or ``failed``), ``reason``,
        ``summary`` (the loop's summary, JSON-safe), ``history`` (dict of float64
        arrays, empty when failed), ``started_at``/``ended_at`` (UTC ISO) and
        ``provenance`` (host and package versions of the worker).
    """
    if payload.get("single_thread"):
        limit_threads()
    started = utc_now()
    spec = payload["spec"]
    history: dict = {}
    summary: dict = {}
    error = None
    try:
        for module in payload.get("imports", ()):
            importlib.import_module(module)
        from ..loop import train

        result = train(spec["problem"], spec["optimizer"], spec["schedule"],
                       budget=spec["budget"], batch_size=spec["batch_size"], seed=spec["seed"],
                       dtype=spec["dtype"], eval_every=spec["eval_every"],
                       monitor=_monitor(spec["telemetry"]))
        status = result.summary["status"]
        reason = result.summary.get("reason")
        summary = jsonable(result.summary)
        history = {k: v for k, v in result.history.items()}
    except Exception as exc:  # a failed trial is a result, never the end of the suite
        status, reason = "failed", _one_line(exc)
        error = traceback.format_exc(limit=20)
    return {"trial_id": payload["trial_id"], "status": status, "reason": reason,
            "summary": summary, "history": history, "error": error,
            "started_at": started, "ended_at": utc_now(),
            "provenance": {"host": _host(), "versions": _versions()}}


def failed_outcome(trial_id: str, reason: str, started_at: str | None = None) -> dict:
    """The outcome recorded for a trial whose worker never returned (crashed or lost)."""
    return {"trial_id": trial_id, "status": "failed", "reason": reason, "summary": {},
            "history": {}, "error": None, "started_at": started_at or utc_now(),
            "ended_at": utc_now(), "provenance": {}}


def jsonable(value):
    """Plain JSON types: numpy scalars unwrapped, nan → None, ±inf kept as strings."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value
