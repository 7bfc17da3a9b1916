"""Executors run trials and hand each outcome back to the driver, which alone writes the store.

An executor has ``start()`` (connect; a bad address fails here, before the
harness writes anything), ``run(payloads, on_result)`` and ``close()``.
``run`` executes :func:`~lrsched.bench.trial.run_trial` on every payload and
calls ``on_result(outcome)`` in the driver's thread as each trial finishes, in
completion order.  It owns no seeds, resume logic or results: the harness does.

``serial``
    In this process, one trial after the other.
``process``
    One fresh process per trial, at most ``workers`` at a time, so trials are
    isolated: a worker that dies (a segfault, ``os._exit``, the OOM killer)
    marks only its own trial ``failed``, with its exit code, and the others go
    on.  On Linux the processes are *forked* from the driver, which has already
    imported everything and loaded the suite's datasets (it built every spec to
    validate the suite) and has run one step of each (problem, optimizer) pair
    to compile kernels, so a trial starts in milliseconds; the driver keeps no
    threads while it forks (the live display refreshes from the driver's
    thread).  Elsewhere a *forkserver* that preloads lrsched (or ``spawn``) is
    used.  With ``workers > 1`` BLAS/OpenMP run one thread per worker.  A
    forked trial's RSS counts the pages it shares with the driver (imported
    modules, datasets), as a serial trial's counts the driver itself.
``dask``
    :mod:`lrsched.bench.dask_executor`.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import importlib.util
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from multiprocessing.connection import wait

from .trial import THREAD_VARIABLES, failed_outcome, run_trial, utc_now

__all__ = ["SerialExecutor", "ProcessExecutor", "make_executor", "EXECUTORS"]

EXECUTORS = ("serial", "process", "dask")

#: Modules the forkserver imports once, so forked trials start warm.
_PRELOAD = ("numpy", "lrsched.loop", "lrsched.bench.trial", "lrsched.problems",
            "lrsched.optim", "lrsched.schedules", "lrsched.policies", "lrsched.telemetry",
            "sklearn.datasets")


def default_workers() -> int:
    """Cores this process may use (``os.sched_getaffinity`` where available)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


class SerialExecutor:
    """Run trials one after the other in this process."""

    name = "serial"
    workers = 1

    def start(self) -> None:
        return None

    def close(self) -> None:
        return None

    def run(self, payloads: Sequence[dict], on_result: Callable[[dict], None]) -> None:
        for payload in payloads:
            on_result(run_trial(payload))


def _child(payload: dict, conn) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    outcome = run_trial(payload)
    try:
        conn.send(outcome)
    finally:
        conn.close()


class ProcessExecutor:
    """One process per trial, ``workers`` at a time.

    Parameters
    ----------
    workers : int, optional
        Trials run at once (default: the usable cores).
    start_method : str, optional
        ``"fork"`` (default on Linux), ``"forkserver"`` (default on other POSIX
        systems) or ``"spawn"``.
    imports : sequence of str
        Modules that register user components; preloaded by the forkserver.
    """

    name = "process"

    def __init__(self, workers: int | None = None, start_method: str | None = None,
                 imports: Sequence[str] = ()):
        self.workers = int(workers) if workers else default_workers()
        if self.workers < 1:
            raise ValueError(f"--workers {workers} is not allowed; use an integer >= 1")
        methods = multiprocessing.get_all_start_methods()
        if start_method is None:
            start_method = "fork" if sys.platform.startswith("linux") else (
                "forkserver" if "forkserver" in methods else "spawn")
        if start_method not in methods:
            raise ValueError(f"start method {start_method!r} is not available here; "
                             f"use one of {', '.join(methods)}")
        self.start_method = start_method
        self.imports = tuple(imports)

    def start(self) -> None:
        return None

    def close(self) -> None:
        return None

    def _context(self):
        ctx = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            found = [m for m in (*_PRELOAD, *self.imports) if _importable(m)]
            ctx.set_forkserver_preload(found)
        return ctx

    def run(self, payloads: Sequence[dict], on_result: Callable[[dict], None]) -> None:
        ctx = self._context()
        forked = self.start_method == "fork"
        # a forked child inherits the driver's one-thread BLAS setting; others set their own
        in_child = self.workers > 1 and not forked
        pending = collections.deque({**p, "single_thread": in_child} for p in payloads)
        if forked:
            _warm_up(payloads)
            # keep the children's garbage collector off the driver's objects: collecting
            # them would write to (and so copy) every inherited page
            gc.collect()
            gc.freeze()
        try:
            with _single_threaded(self.workers > 1):
                self._loop(ctx, pending, on_result)
        finally:
            if forked:
                gc.unfreeze()

    def _loop(self, ctx, pending, on_result) -> None:
        running: dict = {}  # receiving end -> (process, payload, started_at)
        finished: list[dict] = []
        try:
            while pending or running or finished:
                while pending and len(running) < self.workers:
                    payload = pending.popleft()
                    receive, send = ctx.Pipe(duplex=False)
                    process = ctx.Process(target=_child, args=(payload, send), daemon=True,
                                          name=f"lrsched-trial-{payload['trial_id']}")
                    process.start()
                    send.close()
                    running[receive] = (process, payload, utc_now())
                # hand results over only once the freed slots run again
                for outcome in finished:
                    on_result(outcome)
                finished.clear()
                if not running:
                    continue
                ready = set(wait([*running, *(p.sentinel for p, _, _ in running.values())]))
                for receive in [r for r, (p, _, _) in running.items()
                                if r in ready or p.sentinel in ready]:
                    process, payload, started = running.pop(receive)
                    finished.append(self._collect(receive, process, payload, started))
        finally:
            for receive, (process, _, _) in running.items():
                process.kill()
                process.join()
                receive.close()

    @staticmethod
    def _collect(receive, process, payload: dict, started: str) -> dict:
        outcome = None
        try:
            if receive.poll():
                outcome = receive.recv()
        except (EOFError, OSError):
            outcome = None
        finally:
            receive.close()
        process.join()
        if outcome is None:
            code = process.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else \
                f"exit code {code}"
            outcome = failed_outcome(payload["trial_id"],
                                     f"worker process died ({how}) before returning a result",
                                     started)
        return outcome


@contextlib.contextmanager
def _single_threaded(active: bool):
    """One BLAS/OpenMP thread in this process (and processes started from it) while active."""
    if not active:
        yield
        return
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: "1" for name in THREAD_VARIABLES})
    try:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            limits = contextlib.nullcontext()
        else:
            limits = threadpool_limits(1)
        with limits:
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _warm_up(payloads: Sequence[dict]) -> None:
    """Pay first-use costs once in the driver, so forked trials inherit them.

    One training step of each distinct (problem, optimizer, batch size, dtype)
    compiles JIT kernels (numba), fills the problems' caches and runs lazy
    imports; starting a monitor once imports and probes the telemetry sources.
    Failures are ignored: the trials report their own problems.
    """
    from ..loop import train

    try:
        from ..telemetry import Monitor

        with Monitor():
            pass
    except Exception:
        pass
    seen = set()
    for payload in payloads:
        spec = payload["spec"]
        key = (spec["problem"], spec["optimizer"], spec["batch_size"], spec["dtype"])
        if key in seen:
            continue
        seen.add(key)
        try:
            train(spec["problem"], spec["optimizer"], spec["schedule"], budget={"steps": 1},
                  batch_size=spec["batch_size"], dtype=spec["dtype"], monitor=None)
        except Exception:
            pass


def _importable(module: str) -> bool:
    try:  # the top-level package only: find_spec of a submodule would import its parent
        return importlib.util.find_spec(module.partition(".")[0]) is not None
    except (ImportError, ValueError):
        return False


def make_executor(name: str, workers: int | None = None, address: str | None = None,
                  imports: Sequence[str] = ()):
    """Build the executor called ``name`` (``serial``, ``process`` or ``dask``)."""
    if name not in EXECUTORS:
        raise ValueError(f"--executor {name!r} is not allowed; use one of {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise ValueError(f"--workers {workers} is not allowed; use an integer >= 1")
    if address is not None and name != "dask":
        raise ValueError("--address is only used with --executor dask")
    if name == "serial":
        if workers not in (None, 1):
            raise ValueError("--workers needs --executor process or dask")
        return SerialExecutor()
    if name == "process":
        return ProcessExecutor(workers, imports=imports)
    from .dask_executor import DaskExecutor

    return DaskExecutor(workers=workers, address=address)
