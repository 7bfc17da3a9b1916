"""The training loop: :func:`train` drives a problem and an optimizer with a schedule.

One step, in order:

1. take the next minibatch and compute ``loss, grad`` at the current parameters;
2. update :class:`~lrsched.progress.Progress` (loss, and the gradient norm or
   other signals only when the schedule or policy ``needs`` them);
3. end the run as ``"diverged"`` if the loss is not finite or above
   ``divergence_factor`` × the initial loss (a result, never an exception);
4. record a history row when an evaluation is due (the full-objective loss is
   free for full-batch runs; otherwise it is computed off the clock);
5. ``lr = schedule.lr(progress)`` (and ``schedule.momentum(progress)`` for
   momentum-cycling schedules), then ``optimizer.step(params, grad, lr, state)``;
6. advance the clocks (step, samples, epoch, training seconds, joules) and the
   budget fraction; stop when the budget is spent.

Observers (the live view of :mod:`lrsched.live`, the run log of
:mod:`lrsched.runs`) implement ``start(run_spec, column_names, budget, monitor)``,
``row(progress, history)`` (called after each history row is written, off the
clock; the row is ``history.buffer[history.size - 1]``), ``end(result)`` and
``close()`` (always called, also when the run raises).

Training time excludes evaluations, history writes, observers and
callbacks; it includes every loss evaluation a policy asks for (line searches
pay for their probes).  The loop's own cost per step is a performance budget
measured by ``benchmarks/bench_loop.py`` against a bare NumPy loop.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from . import backend
from .observers import monitor_for, observers_for
from .progress import Budget, Progress
from .result import CORE_COLUMNS, History, Result
from .spec import parse, spec

__all__ = ["train"]

_SIGNALS = frozenset({"loss", "grad_norm", "grad", "params", "probe"})


def _as_schedule(schedule):
    obj = parse(schedule)
    kind = getattr(obj, "spec_kind", None)
    if kind not in ("schedule", "policy") and not callable(getattr(obj, "lr", None)):
        raise ValueError(
            f"train: schedule={schedule!r} is a {kind}; pass a schedule or a policy spec"
        )
    return obj


def _default_eval_every(budget: Budget, steps_per_epoch: float, step_seconds: float,
                        eval_seconds: float) -> int:
    """About 1000 history rows per run, whatever the budget's unit; and, when an
    evaluation is not free, evaluations spaced so they cost at most about a tenth
    of the training time (they are off the clock, but they are still wall time)."""
    if budget.steps is not None:
        return max(1, math.ceil(budget.steps / 1000))
    if budget.epochs is not None and steps_per_epoch:
        return max(1, math.ceil(budget.epochs * steps_per_epoch / 1000))
    if budget.samples is not None and steps_per_epoch:
        return max(1, math.ceil(budget.samples / 1000 / max(1.0, 1.0 / steps_per_epoch)))
    # time or energy budgets: space rows by the measured warm-up step time
    step_seconds = max(step_seconds, 1e-9)
    row_seconds = budget.seconds / 1000 if budget.seconds is not None else 0.01
    by_rows = int(row_seconds / step_seconds)
    by_cost = math.ceil(10.0 * eval_seconds / step_seconds)
    return max(1, by_rows, by_cost)


def _copy(xp, a):
    return xp.asarray(a, copy=True)


def train(
    problem,
    optimizer,
    schedule,
    *,
    budget,
    batch_size: int | None = None,
    seed: int = 0,
    monitor: Any = "auto",
    eval_every: int | None = None,
    target: float | None = None,
    stop_at_target: bool = False,
    callbacks: Iterable[Callable[[Progress], Any]] = (),
    progress: bool | str = False,
    log=None,
    xp=None,
    device=None,
    dtype=None,
    divergence_factor: float = 1e6,
    warmup: bool = True,
    blas_threads: int | str | None = "auto",
) -> Result:
    """Train ``problem`` with ``optimizer`` at the learning rate given by ``schedule``.

    Parameters
    ----------
    problem, optimizer, schedule : object or str
        Components or their specs, e.g. ``"logistic(dataset='breast_cancer')"``,
        ``"sgd(momentum=0.9)"``, ``"cosine(peak=0.5, horizon=1000)"``.  ``schedule``
        may be an adaptive policy; a policy's state is reset at the start of
        the run, since the run starts at step 0.
    budget : Budget, dict, str or int
        Limits of the run; it stops when any is reached (an int means steps).
    batch_size : int, optional
        Minibatch size; ``None`` is full batch.
    seed : int
        Seeds the initial parameters and the minibatch order.
    monitor : ``"auto"``, None or Monitor
        Telemetry; ``None`` turns it off, an instance is used as given.
    eval_every : int, optional
        Steps between evaluations of the full objective (and history rows).
        Default: about 1000 rows over a step budget; every step for full-batch
        runs on time or energy budgets; four per epoch otherwise.
    target : float, optional
        A loss value; the summary reports steps, seconds and joules to reach it.
    stop_at_target : bool
        End the run at the first evaluation that reaches ``target``.
    callbacks : iterable of callables
        Called as ``cb(progress)`` at each evaluation, off the clock; returning
        ``True`` stops the run.
    progress : bool, ``"auto"`` or LiveView
        Show a live view of progress and consumption (``"auto"``: only when
        stdout is a terminal; plain periodic lines otherwise when ``True``).
    log : str, path or RunLog, optional
        Write a JSON Lines (or ``.csv``) run log there (see :mod:`lrsched.runs`).
    xp, device, dtype
        Array backend (NumPy float64 by default).
    divergence_factor : float
        A loss above this multiple of the initial loss counts as divergence.
    warmup : bool
        Run two throw-away steps on copies before the clock starts, so
        just-in-time compilation and first-touch costs are not timed.
    blas_threads : ``"auto"``, int or None
        BLAS threads during the run (through ``threadpoolctl`` when installed).
        ``"auto"`` uses one thread when a step's matrices are small (batch rows ×
        parameters ≤ 2**20): there, extra OpenBLAS threads only spin, doubling
        the CPU time (and the estimated energy) for no speed.  ``None`` leaves
        the setting alone.

    Returns
    -------
    Result
        ``history`` (columns) and ``summary`` (status, losses, time, energy, ...).

    Examples
    --------
    >>> from lrsched import train
    >>> r = train("quadratic(dim=10, kappa=10.0)", "sgd", "constant(lr=1.0)",
    ...           budget="steps=50", monitor=None)
    >>> r.status, r.summary["final_loss"] < 1e-3
    ('done', True)
    """
    problem = parse(problem, "problem")
    optimizer = parse(optimizer, "optimizer")
    schedule = _as_schedule(schedule)
    budget = Budget.coerce(budget, "train")
    if batch_size is not None:
        batch_size = int(batch_size)
        if batch_size <= 0:
            raise ValueError(f"train: batch_size={batch_size} is not allowed; use an integer > 0")
    if not (blas_threads is None or blas_threads == "auto"
            or (isinstance(blas_threads, int) and blas_threads >= 1)):
        raise ValueError(f"train: blas_threads={blas_threads!r} is not allowed; "
                         "use 'auto', None or an integer >= 1")
    if eval_every is not None and (int(eval_every) != eval_every or eval_every < 1):
        raise ValueError(f"train: eval_every={eval_every!r} is not allowed; use an integer >= 1")
    needs = frozenset(getattr(schedule, "needs", frozenset()))
    unknown = needs - _SIGNALS
    if unknown:
        raise ValueError(f"train: {_label(schedule)} needs unknown signals {sorted(unknown)}")
    reset = getattr(schedule, "reset", None)  # a policy starts fresh with the run
    if reset is not None:
        reset()
    bind = getattr(schedule, "bind", None)  # policies read problem constants (polyak: f*)
    if bind is not None:
        bind(problem)

    xp = backend.resolve(xp)
    params = problem.init(seed, xp=xp, device=device, dtype=dtype)
    xp = backend.namespace(params)
    state = optimizer.init(params)

    n_samples = problem.n_samples
    if n_samples is None and (budget.epochs is not None or budget.samples is not None):
        raise ValueError(
            f"train: Budget({budget}) counts epochs or samples but {_label(problem)} has no "
            "data set; give steps=, seconds= or joules= instead"
        )
    full_batch = batch_size is None or n_samples is None or batch_size >= n_samples
    stream = problem.batches(seed, None if full_batch else batch_size,
                             xp=xp, device=device, dtype=dtype)
    steps_per_epoch = (n_samples / (batch_size or n_samples)) if n_samples else 0.0
    eval_is_free = full_batch and optimizer.eval_params(params, state) is params

    run_spec = {
        "problem": _label(problem),
        "optimizer": _label(optimizer),
        "schedule": _label(schedule),
        "budget": str(budget),
        "batch_size": batch_size,
        "seed": seed,
        "backend": backend.xp_name(xp),
        "dtype": str(params.dtype),
    }
    step_rows = (batch_size if not full_batch else n_samples) or 1
    with _blas_limits(blas_threads, step_rows * problem.dim):
        warm_batch = None
        if not full_batch:
            warm_stream = problem.batches(seed + 1, batch_size, xp=xp, device=device, dtype=dtype)
            warm_batch = next(warm_stream)[0]
        step_seconds, eval_seconds = (_warm_up(problem, optimizer, params, xp, warm_batch)
                                      if warmup else (1e-3, 0.0))
        if eval_every is None:
            eval_every = _default_eval_every(budget, steps_per_epoch, step_seconds,
                                             0.0 if eval_is_free else eval_seconds)
        eval_every = int(eval_every)
        observers = observers_for(progress, log)

        monitor, owned = monitor_for(monitor, "train")
        if owned:
            monitor.start()
        try:
            if budget.joules is not None:
                _require_energy(monitor)
            telemetry_columns = tuple(monitor.columns) if monitor is not None else ()
            history = History(CORE_COLUMNS + telemetry_columns,
                              capacity=(budget.steps // eval_every + 4) if budget.steps else 1024)
            for obs in observers:
                obs.start(run_spec, history.names, budget, monitor)
            result = _run(problem, optimizer, schedule, budget, params, state, stream, xp,
                          n_samples, eval_every, eval_is_free, needs, monitor, history, target,
                          stop_at_target, tuple(callbacks), observers, divergence_factor)
            result.spec = run_spec
            for obs in observers:
                obs.end(result)
        finally:
            if owned and monitor is not None:
                monitor.stop()
            for obs in observers:
                obs.close()
        return result


def _blas_limits(blas_threads, step_size: int):
    """A context that sets the BLAS thread count for the run (a no-op when not wanted)."""
    if blas_threads is None or (blas_threads == "auto" and step_size > 2**20):
        return contextlib.nullcontext()
    limit = 1 if blas_threads == "auto" else int(blas_threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=limit, user_api="blas")


def _label(obj) -> str:
    """The spec of a registered component, or ``<ClassName>`` for a user's own object."""
    try:
        return spec(obj)
    except TypeError:
        return f"<{type(obj).__name__}>"


def _require_energy(monitor) -> None:
    joules = None
    if monitor is not None:
        snap = monitor.latest if monitor.latest is not None else monitor.sample_now()
        joules = getattr(snap, "joules", None)
    if joules is None:
        raise ValueError(
            "train: Budget(joules=...) needs an energy measurement and none is available here; "
            "pass monitor=Monitor(estimate_watts_per_core=W) to use an estimate"
        )


def _warm_up(problem, optimizer, params, xp, batch) -> tuple[float, float]:
    """Two steps on copies (on ``batch``, a minibatch or ``None``), so compilation and
    first-touch costs stay off the clock.  Returns the seconds of the second step and
    of one full-objective evaluation: the estimates that space the evaluations."""
    trial = _copy(xp, params)
    state = optimizer.init(trial)
    step_seconds = 0.0
    for _ in range(2):
        t0 = time.perf_counter()
        _, grad = problem.loss_and_grad(trial, batch)
        trial = optimizer.step(trial, grad, 0.0, state)
        backend.synchronize(xp)
        step_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    problem.loss(optimizer.eval_params(trial, state))
    return step_seconds, time.perf_counter() - t0


def _run(problem, optimizer, schedule, budget, params, state, stream, xp, n_samples,
         eval_every, eval_is_free, needs, monitor, history, target, stop_at_target,
         callbacks, observers, divergence_factor) -> Result:
    clock = time.perf_counter
    progress = Progress()
    fraction_of = budget.fraction_function()

    loss_and_grad = problem.loss_and_grad
    opt_step = optimizer.step
    schedule_lr = schedule.lr
    cycles_momentum = bool(getattr(schedule, "cycles_momentum", False))
    momentum_of = schedule.momentum if cycles_momentum else None
    want_norm = "grad_norm" in needs
    want_grad = "grad" in needs
    want_params = "params" in needs
    want_probe = "probe" in needs
    norm = getattr(getattr(xp, "linalg", None), "vector_norm", None) or np.linalg.norm

    width = history.width
    telemetry_width = width - len(CORE_COLUMNS)
    flat = history.flat
    capacity = history.capacity

    # initial evaluation, off the clock
    initial_loss = problem.loss(optimizer.eval_params(params, state))
    limit = divergence_factor * max(abs(initial_loss), 1e-12)
    best_loss = initial_loss
    status, reason = "done", None
    to_target = None
    probes = [0]
    excluded = 0.0
    step = 0
    samples = 0
    next_eval = 0
    last_eval_loss = initial_loss
    snapshot = None
    row_of, row = None, None
    batch = None

    def probe_factory(batch, grad, base_params):
        def probe(lr):
            probes[0] += 1
            return problem.loss(base_params - lr * grad, batch)
        return probe

    extra = progress.extra
    if monitor is not None:  # row 0 carries the monitor's first sample
        progress.snapshot = monitor.latest
        progress.joules = getattr(progress.snapshot, "joules", None)
    start = clock()
    while True:
        batch, n = next(stream)
        loss, grad = loss_and_grad(params, batch)
        progress.loss = loss
        if want_norm:
            progress.grad_norm = float(norm(grad))
        if want_grad:
            progress.grad = grad
        if want_params:
            progress.params = params
        if want_probe:
            progress.probe = probe_factory(batch, grad, params)

        if not loss <= limit:  # nan, inf, or exploding
            status = "diverged"
            reason = "non-finite loss" if not math.isfinite(loss) else (
                f"loss {loss:.3g} exceeded {divergence_factor:g} x the initial loss")
            break

        evaluate = step == next_eval
        if evaluate:  # before the policy reads progress, so eval_loss is this iterate's
            if eval_is_free and batch is None:  # a noisy problem may hand out noise batches
                eval_loss = loss
            else:
                t0 = clock()
                eval_loss = problem.loss(optimizer.eval_params(params, state))
                excluded += clock() - t0
            last_eval_loss = eval_loss
            progress.eval_loss = eval_loss
            if eval_loss < best_loss:
                best_loss = eval_loss

        lr = schedule_lr(progress)
        if not lr == lr or lr < 0.0:  # a policy may produce nan or a negative rate
            status = "diverged"
            reason = f"learning rate became {lr!r}"
            break
        if extra and "stop" in extra:  # a policy asks for a clean stop (guard)
            reason = f"stopped by the policy: {extra['stop']}"
            break

        if evaluate:
            t0 = clock()
            if history.size == capacity:
                history.grow()
                flat = history.flat
                capacity = history.capacity
            j = history.size * width
            flat[j] = step
            flat[j + 1] = progress.epoch
            flat[j + 2] = samples
            flat[j + 3] = progress.seconds
            flat[j + 4] = lr
            flat[j + 5] = eval_loss
            flat[j + 6] = loss
            flat[j + 7] = probes[0]
            if telemetry_width:
                snapshot = progress.snapshot
                if snapshot is not None:
                    if snapshot is not row_of:
                        row_of, row = snapshot, _row_array(snapshot)
                    flat[j + 8: j + width] = row
            history.size += 1
            next_eval += eval_every
            stop = False
            if target is not None and to_target is None and eval_loss <= target:
                to_target = (step, progress.seconds, progress.joules)
                stop = stop_at_target
            for cb in callbacks:
                if cb(progress):
                    stop = True
            for obs in observers:
                obs.row(progress, history)
            excluded += clock() - t0
            if stop:
                break

        if cycles_momentum:
            params = opt_step(params, grad, lr, state, momentum=momentum_of(progress))
        else:
            params = opt_step(params, grad, lr, state)
        progress.lr = lr
        step += 1
        samples += n
        progress.step = step
        progress.samples = samples
        progress.epoch = samples / n_samples if n_samples else 0.0
        progress.seconds = clock() - start - excluded
        if monitor is not None:
            snapshot = monitor.latest
            progress.snapshot = snapshot
            if snapshot is not None:
                progress.joules = snapshot.joules
        fraction = fraction_of(progress)
        progress.fraction = fraction
        if fraction >= 1.0:
            break

    backend.synchronize(xp)
    seconds = clock() - start - excluded
    progress.seconds = seconds

    # final evaluation and row, off the clock
    final_params = optimizer.eval_params(params, state)
    if status == "done":
        final_loss = problem.loss(final_params)
        if final_loss < best_loss:
            best_loss = final_loss
        if target is not None and to_target is None and final_loss <= target:
            to_target = (step, seconds, progress.joules)
    else:
        final_loss = math.nan if not math.isfinite(progress.loss) else progress.loss
    last_row_step = flat[(history.size - 1) * width] if history.size else -1
    if last_row_step != step:
        if history.size == capacity:
            history.grow()
            flat = history.flat
        j = history.size * width
        values = (step, progress.epoch, samples, seconds, progress.lr, final_loss,
                  progress.loss, probes[0])
        for k, v in enumerate(values):
            flat[j + k] = np.nan if v is None else float(v)
        if telemetry_width and monitor is not None:
            snap = monitor.sample_now() if monitor.running else monitor.latest  # a fresh last row
            if snap is not None:
                if snap.joules is not None:
                    progress.joules = snap.joules
                flat[j + 8: j + width] = _row_array(snap)
        history.size += 1
        for obs in observers:
            obs.row(progress, history)
    columns = history.columns()

    f_star = getattr(problem, "f_star", None) if status == "done" else None
    joules = progress.joules
    peak_rss = None
    if "rss_bytes" in columns and np.isfinite(columns["rss_bytes"]).any():
        peak_rss = int(np.nanmax(columns["rss_bytes"]))
    summary = {
        "status": status,
        "reason": reason,
        "initial_loss": float(initial_loss),
        "final_loss": float(final_loss),
        "best_loss": float(best_loss),
        "f_star": None if f_star is None else float(f_star),
        "gap": None if (f_star is None or status != "done") else float(final_loss - f_star),
        "steps": step,
        "epochs": progress.epoch,
        "samples": samples,
        "seconds": seconds,
        "joules": joules,
        "joules_quality": getattr(snapshot, "joules_quality", None) if joules is not None else None,
        "probes": probes[0],
        "final_lr": None if math.isnan(progress.lr) else float(progress.lr),
        "target": target,
        "steps_to_target": None if to_target is None else to_target[0],
        "seconds_to_target": None if to_target is None else to_target[1],
        "joules_to_target": None if to_target is None else to_target[2],
        "peak_rss_bytes": peak_rss,
        "eval_every": eval_every,
        "last_eval_loss": float(last_eval_loss),
    }
    return Result(history=columns, summary=summary, params=final_params)


def _row_array(snapshot):
    """Telemetry values of a snapshot (``row()`` has ``nan`` for unavailable) as a float64
    buffer that slice-assigns into the history's flat memoryview."""
    return memoryview(np.asarray(snapshot.row(), dtype=np.float64)).cast("B").cast("d")

