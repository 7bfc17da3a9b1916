"""The :class:`Monitor`: one background thread sampling telemetry sources.

Lifecycle
---------
``start()`` probes every source once (logging one INFO line on logger
``lrsched.telemetry`` for each unavailable one), takes sample 0 at once, so
``latest`` is never ``None`` while running, then starts a daemon thread that
samples at ``start + k·interval`` on the monitor clock (missed deadlines are
skipped, not bunched).  ``stop()`` sets an event and joins the thread, then
closes the sources (NVML is shut down with its last user).  ``with Monitor() as m``
does both.  The thread holds only a weak reference to the monitor, so a monitor
dropped without ``stop()`` is stopped by ``__del__``; an ``atexit`` hook stops
any still running at interpreter exit.

Failures
--------
A source whose ``read`` raises is dropped with one WARNING log line; its values
become ``None`` (quality ``unavailable``) and sampling goes on.  Energy stays
monotone: a dropped source's last energy reading is kept in ``joules``.  No
exception escapes the thread.

Thread-free use
---------------
``sample_now()`` probes on first use and samples synchronously, for
deterministic tests (with an injected clock) and for window boundaries.
"""

from __future__ import annotations

import atexit
import csv
import logging
import math
import threading
import time
import weakref

from .. import _checks
from ._derived import EstimateSource
from ._history import History, next_tick
from ._host import ProcessSource, SystemSource
from ._nvml import NvmlSource
from ._rapl import RaplSource
from ._snapshot import (
    ENERGY_MEASURES,
    MEASURES,
    UNAVAILABLE,
    Capability,
    Snapshot,
    make_row,
    worst_quality,
)
from ._source import Source
from ._window import Window

__all__ = ["Monitor", "SOURCE_NAMES", "logger"]

logger = logging.getLogger("lrsched.telemetry")

#: Names accepted in ``Monitor(sources=[...])``, in probing order for ``"auto"``.
SOURCE_NAMES = ("process", "system", "nvml", "rapl", "estimate")
THREAD_NAME = "lrsched-telemetry"
_live: weakref.WeakSet = weakref.WeakSet()


class Monitor:
    """Background sampler of process, system, GPU and energy telemetry.

    Parameters
    ----------
    interval : float
        Seconds between samples (default 0.1, i.e. 10 Hz; NVML updates at about
        10 Hz, so faster sampling gains nothing on GPUs).
    sources : "auto" or sequence of str or Source
        ``"auto"`` probes ``process, system, nvml, rapl, estimate``; a list may
        name those or give :class:`Source` instances (fakes, replay, a RAPL root).
    estimate_watts_per_core : float, optional
        Turns on the ``estimated_joules`` source (CPU seconds × this); it stands
        aside where RAPL measures CPU energy.
    clock : callable
        Monotonic clock in seconds (injectable for tests).
    buffer_size : int
        Samples kept in the ring buffer (:meth:`history`).
    gpus : "all" or sequence of int
        NVML device indices to monitor.
    children : bool
        Count child processes in ``cpu_seconds`` and ``rss_bytes``.

    Examples
    --------
    >>> with Monitor(interval=0.05) as m:
    ...     with m.window() as w:
    ...         _ = sum(range(10000))
    >>> w.seconds >= 0 and m.latest.rss_bytes > 0
    True
    """

    def __init__(self, interval: float = 0.1, sources="auto", estimate_watts_per_core=None,
                 clock=time.monotonic, buffer_size: int = 8192, gpus="all",
                 children: bool = False):
        self.interval = _checks.number("Monitor", "interval", interval, low=0.0, low_open=True)
        self.buffer_size = _checks.integer("Monitor", "buffer_size", buffer_size, low=2)
        if not callable(clock):
            raise ValueError(f"Monitor: clock={clock!r} is not allowed; clock must be a callable "
                             "returning seconds")
        self._clock = clock
        if sources == "auto":
            sources = SOURCE_NAMES
        if isinstance(sources, (str, Source)) or not hasattr(sources, "__iter__"):
            raise ValueError(f"Monitor: sources={sources!r} is not allowed; sources must be "
                             f"'auto' or a list of names ({', '.join(SOURCE_NAMES)}) or Sources")
        built = {"process": lambda: ProcessSource(children=children),
                 "system": SystemSource,
                 "nvml": lambda: NvmlSource(gpus=gpus),
                 "rapl": RaplSource,
                 "estimate": lambda: EstimateSource(estimate_watts_per_core)}
        EstimateSource(estimate_watts_per_core)  # range-check even when not named
        NvmlSource(gpus=gpus)
        self._sources: list[Source] = []
        for s in sources:
            if isinstance(s, Source):
                self._sources.append(s)
            elif s in built:
                self._sources.append(built[s]())
            else:
                raise ValueError(f"Monitor: source {s!r} is not allowed; use one of "
                                 f"{', '.join(SOURCE_NAMES)} or a Source instance")
        #: The latest snapshot (``None`` before the first sample); swapped atomically.
        self.latest: Snapshot | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._probed = False
        self._columns: tuple | None = None
        self._capabilities: list[Capability] = []
        self._active: list[Source] = []
        self._history: History | None = None
        self._t0 = 0.0
        self._index = 0
        self._ticks = self._skipped = 0

    # -- probing -----------------------------------------------------------------
    def _probe(self) -> None:
        self._close_sources()
        now = self._clock()
        provided: set[str] = set()
        self._quality: dict[str, str] = {}
        self._capabilities, self._active = [], []
        for src in self._sources:
            try:
                cap = src.probe(now, frozenset(provided))
            except ValueError:  # a user mistake (e.g. gpus=[3] on a 1-GPU machine): loud
                self._close_sources()
                raise
            except Exception as exc:  # a probe must never stop the run
                cap = Capability(src.name, False, f"probe failed: {type(exc).__name__}: {exc}")
            self._capabilities.append(cap)
            if cap.available:
                self._active.append(src)
                provided.update(src.provides)
                self._quality.update(src.qualities)
            else:
                src.close()
                logger.info("telemetry source %s unavailable: %s", src.name, cap.detail)
        self._energy = tuple(m for m in ENERGY_MEASURES if m in provided)
        self._names = tuple(m for m in MEASURES if m in provided)
        self._columns = self._names + (("joules",) if self._energy else ())
        self._dropped: list[tuple[str, str]] = []
        self._reset()
        self._probed = True

    def _reset(self) -> None:
        """Start time, energy and the sample buffer over from the next sample."""
        self._rebase = True
        self._energy_zero: dict[str, float] = {}
        self._energy_last: dict[str, float] = {}
        self._history = History(self._columns, self.buffer_size)
        self._index = self._ticks = self._skipped = 0

    def _ensure_probed(self) -> None:
        if not self._probed:
            with self._lock:
                if not self._probed:
                    self._probe()

    def _close_sources(self) -> None:
        for src in self._sources:  # close() is idempotent
            try:
                src.close()
            except Exception:
                logger.debug("closing telemetry source %s failed", src.name, exc_info=True)
        self._active = []
        self._probed = False

    @property
    def columns(self) -> tuple:
        """History column names this monitor fills, fixed from the probe until ``stop()``:
        the measures of its available sources in :data:`MEASURES` order, then ``joules``
        when any energy source is available."""
        if self._columns is None:
            self._ensure_probed()
        return self._columns

    def capabilities(self) -> list[Capability]:
        """``(source, available, detail)`` for every source, probing if not yet done."""
        if not self._probed and not self._capabilities:
            self._ensure_probed()
        return list(self._capabilities)

    # -- sampling ----------------------------------------------------------------
    def _sample(self, lateness: float) -> Snapshot:
        clock_now = self._clock()
        if self._rebase:
            self._t0 = clock_now
        now = clock_now - self._t0
        values = dict.fromkeys(self._names)
        devices: tuple = ()
        for src in tuple(self._active):
            try:
                got = src.read(clock_now, values)
                for k in src.provides:  # a source returning garbage is broken too
                    v = got.get(k)
                    v = None if v is None else float(v)
                    values[k] = None if v is None or math.isnan(v) else v
                devices += src.devices()
            except Exception as exc:
                for k in src.provides:
                    values[k] = None
                self._drop(src, exc)
        quality = {k: (UNAVAILABLE if v is None else self._quality[k]) for k, v in values.items()}
        for name in self._energy:  # energy since the start: rebased on the first sample
            v = values[name]
            if v is not None:
                if self._rebase or name not in self._energy_zero:
                    self._energy_zero[name] = v
                v = values[name] = v - self._energy_zero[name]
                self._energy_last[name] = v
        self._rebase = False
        if self._energy_last:
            joules = sum(self._energy_last.values())
            joules_quality = worst_quality(self._quality[k] for k in self._energy_last)
        else:
            joules, joules_quality = None, UNAVAILABLE
        row = make_row(self._columns, values, joules)
        snap = Snapshot(self._index, now, values, quality, joules, joules_quality, devices, row)
        self._index += 1
        self._history.append(now, row, lateness)
        self.latest = snap
        return snap

    def _drop(self, src: Source, exc: BaseException) -> None:
        self._active.remove(src)
        detail = f"failed mid-run and was dropped: {type(exc).__name__}: {exc}"
        self._dropped.append((src.name, detail))
        self._capabilities = [Capability(c.source, False, detail) if c.source == src.name else c
                              for c in self._capabilities]
        logger.warning("telemetry source %s %s (sampling goes on)", src.name, detail)
        try:
            src.close()
        except Exception:
            pass

    def sample_now(self) -> Snapshot:
        """Take one sample synchronously (probing first if needed) and make it ``latest``."""
        self._ensure_probed()
        with self._lock:
            return self._sample(math.nan)

    def _tick(self, lateness: float) -> None:
        with self._lock:
            if self._probed:
                self._ticks += 1
                self._sample(lateness)

    def window(self, sync=None) -> Window:
        """A context manager measuring time, CPU time and energy over a block.

        ``sync`` is called (a callable) or passed to :func:`lrsched.backend.synchronize`
        (an array namespace) at both ends, so queued device work is counted.
        """
        return Window(self, sync)

    # -- lifecycle ---------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether the sampler thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Monitor:
        """Probe the sources, take sample 0 and start the sampler thread."""
        if self._thread is not None:
            raise RuntimeError("Monitor is already running; call stop() before start()")
        self._ensure_probed()
        with self._lock:
            self._reset()
            first = self._sample(math.nan)
        self._stop_event = threading.Event()
        self._thread = threading.Thread(
            target=_run, name=THREAD_NAME, daemon=True,
            args=(weakref.ref(self), self._stop_event, self._clock, self.interval,
                  self._t0 + first.time_seconds))
        self._thread.start()
        _live.add(self)
        return self

    def stop(self) -> None:
        """Stop and join the sampler thread, then close the sources; idempotent."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop_event.set()
            if thread is not threading.current_thread():
                thread.join(timeout=5.0 + 2 * self.interval)
                if thread.is_alive():
                    logger.warning("telemetry sampler did not stop within 5 s; it is a daemon "
                                   "thread and ends with the interpreter")
        _live.discard(self)
        with self._lock:
            if self._probed:
                self._close_sources()

    close = stop

    def __enter__(self) -> Monitor:
        return self.start()

    def __exit__(self, *exc) -> bool:
        self.stop()
        return False

    def __del__(self):
        try:
            if self._thread is not None or self._probed:
                self.stop()
        except Exception:
            pass

    # -- results -----------------------------------------------------------------
    def history(self) -> dict:
        """The kept samples as NumPy arrays, oldest first (see :class:`History`)."""
        if self._history is None:
            self._ensure_probed()
        with self._lock:
            return self._history.arrays()

    def stats(self) -> dict:
        """Sampler health: samples, ticks, skipped ticks, rate (Hz), lateness (ms), drops."""
        with self._lock:
            hist = self._history
            out = {"samples": hist.count if hist else 0, "ticks": self._ticks,
                   "skipped_ticks": self._skipped}
            out.update(hist.tick_stats() if hist else {})
            out["dropped"] = list(getattr(self, "_dropped", []))
        return out

    def save_csv(self, path) -> None:
        """Write the kept samples as CSV (``time_seconds`` + columns; empty for ``nan``),
        readable by :class:`ReplaySource`."""
        data = self.history()
        names = ["time_seconds", *self._columns]
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(names)
            for i in range(len(data["time_seconds"])):
                w.writerow(["" if math.isnan(data[n][i]) else repr(float(data[n][i]))
                            for n in names])

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"Monitor(interval={self.interval:g}, sources={self._sources!r}, {state})"


def _run(ref, stop: threading.Event, clock, interval: float, start: float) -> None:
    """Sampler thread body: deadline-scheduled ticks until ``stop`` or the monitor is gone."""
    k = 1
    complained = False
    try:
        while not stop.is_set():
            deadline = start + k * interval
            delay = deadline - clock()
            if delay > 0 and stop.wait(delay):
                break
            monitor = ref()
            if monitor is None or stop.is_set():
                break
            try:
                monitor._tick(clock() - deadline)
                k, skipped = next_tick(k, start, interval, clock())
                monitor._skipped += skipped
            except Exception:  # a bug in the monitor itself: log once, keep sampling
                if not complained:
                    logger.exception("telemetry sampler error (sampling goes on)")
                    complained = True
                k += 1
            del monitor
    except BaseException:  # pragma: no cover - nothing may escape the thread
        logger.exception("telemetry sampler stopped by an unexpected error")


def _stop_all() -> None:  # atexit: no sampler may run into interpreter shutdown
    for monitor in list(_live):
        try:
            monitor.stop()
        except Exception:
            pass


atexit.register(_stop_all)
