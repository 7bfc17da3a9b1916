"""The live view of a run: progress and consumption, refreshed in place in a terminal.

:class:`LiveView` is a training-run observer (see :mod:`lrsched.loop`).  In a
terminal it draws one refreshing display with ``rich``; elsewhere (a pipe, a CI
log) it prints a plain line every ``plain_seconds`` and one at the end.  It
shows:

- step, epoch and samples; the budget's fraction as a bar and what is left of
  the limit that binds (steps, or seconds, or joules ...), with an ETA: exact
  for a time budget, extrapolated from the recent rate otherwise;
- the objective at the last row, the best so far, and the learning rate;
- throughput (steps/s and samples/s over the training clock since the last
  refresh);
- resources from the latest telemetry snapshot: process CPU % (CPU seconds
  over monitor seconds since the last refresh, so 200 % is two busy cores),
  system CPU %, RSS, GPU utilisation, memory and power where a GPU is
  monitored, and the joules so far with their quality;
- alerts (see :mod:`lrsched.alerts`), in red, as they are raised.

Cost: each row costs a comparison for the best loss, the alert checks and one
clock read; the display is rebuilt at most ``refresh_hz`` times a second (about
1 ms per refresh with rich, so ~0.4 % at the default 4 Hz), and ``rich`` is
imported only when a terminal display starts.  ``benchmarks/bench_monitoring.py``
measures the overhead against a silent run.
"""

from __future__ import annotations

import math
import sys
import time

from .alerts import AlertRules, AlertWatch

__all__ = ["LiveView"]

BAR_WIDTH = 40
_UNITS = {"steps": "steps", "epochs": "epochs", "samples": "samples", "seconds": "s",
          "joules": "J"}
_USED = {"steps": "step", "epochs": "epoch", "samples": "samples", "seconds": "seconds",
         "joules": "joules"}


def _g(x, digits: int = 4) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


def _count(x) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _epoch(x) -> str:
    return f"{x:.3g}" if x < 100 else f"{x:,.0f}"


def _rate(x) -> str:
    if x is None or x != x:
        return "-"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.3g}"


def _bytes(n) -> str:
    if n is None or n != n:
        return "-"
    if n >= 2**30:
        return f"{n / 2**30:.2f} GiB"
    return f"{n / 2**20:.0f} MiB"


def _duration(s) -> str:
    if s is None or not math.isfinite(s):
        return "-"
    if s < 0.1:
        return f"{s * 1000:.3g} ms"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def _value(snapshot, name):
    v = getattr(snapshot, name, None) if snapshot is not None else None
    return None if v is None or v != v else v


class _Stats:
    """What the view shows, updated at each refresh from the progress and the snapshot."""

    def __init__(self, budget):
        self.budget = budget
        self.step = self.samples = 0
        self.epoch = self.seconds = self.fraction = 0.0
        self.loss = self.lr = math.nan
        self.best = math.inf
        self.steps_per_s = self.samples_per_s = None
        self.joules = None
        self.joules_quality = None
        self.cpu_process = self.cpu_system = self.rss = None
        self.gpu_util = self.gpu_memory = self.gpu_power = None
        self.telemetry = False
        self._last = (0, 0, 0.0)  # (step, samples, seconds) at the previous refresh
        self._last_cpu = None  # (cpu_seconds, time_seconds) at the previous refresh

    def baseline(self, snapshot) -> None:
        """Start the process-CPU rate from the snapshot the run starts with."""
        cpu, t = _value(snapshot, "cpu_seconds"), getattr(snapshot, "time_seconds", None)
        if cpu is not None and t is not None:
            self._last_cpu = (cpu, t)

    def update(self, progress, loss, lr) -> None:
        step, samples, seconds = progress.step, progress.samples, progress.seconds
        if seconds > self._last[2]:
            dt = seconds - self._last[2]
            self.steps_per_s = (step - self._last[0]) / dt
            self.samples_per_s = (samples - self._last[1]) / dt
            self._last = (step, samples, seconds)
        self.step, self.samples, self.seconds = step, samples, seconds
        self.epoch, self.fraction = progress.epoch, progress.fraction
        self.loss, self.lr = loss, lr
        snap = progress.snapshot
        self.telemetry = snap is not None
        if snap is None:
            return
        self.joules = getattr(snap, "joules", None)
        self.joules_quality = getattr(snap, "joules_quality", None)
        self.rss = _value(snap, "rss_bytes")
        self.cpu_system = _value(snap, "cpu_percent")
        cpu, t = _value(snap, "cpu_seconds"), getattr(snap, "time_seconds", None)
        if cpu is not None and t is not None:
            if self._last_cpu is not None and t > self._last_cpu[1]:
                self.cpu_process = 100.0 * (cpu - self._last_cpu[0]) / (t - self._last_cpu[1])
                self._last_cpu = (cpu, t)
            elif self._last_cpu is None:
                self._last_cpu = (cpu, t)
        self.gpu_util = _value(snap, "gpu_util_percent")
        self.gpu_memory = _value(snap, "gpu_memory_bytes")
        self.gpu_power = _value(snap, "gpu_power_watts")

    def remaining(self) -> str:
        """What is left of the binding limit, with an ETA."""
        if self.budget is None:
            return ""
        limits = self.budget.limits
        best_name, best_share = None, -1.0
        for name, limit in limits.items():
            used = getattr(self, _USED[name], None)
            share = (used or 0.0) / limit
            if share > best_share:
                best_name, best_share = name, share
        limit = limits[best_name]
        used = getattr(self, _USED[best_name]) or 0.0
        left = max(limit - used, 0.0)
        unit = _UNITS[best_name]
        if best_name == "seconds":
            return f"{_g(used, 3)}/{_g(limit, 3)} s · {_duration(left)} left"
        if best_name == "steps" and self.steps_per_s:
            eta = left / self.steps_per_s
        elif 0.0 < self.fraction < 1.0:
            eta = self.seconds * (1.0 - self.fraction) / self.fraction
        else:
            eta = None
        text = _count(left) if best_name in ("steps", "samples") else _g(left, 4)
        return f"{text} {unit} left · ETA {_duration(eta)}"

    def fields(self) -> list[tuple[str, str]]:
        """``(label, text)`` pairs, in display order."""
        out = [
            ("step", f"{_count(self.step)}   epoch {_epoch(self.epoch)}   "
                     f"samples {_count(self.samples)}"),
            ("loss", f"{_g(self.loss)}   best {_g(self.best if self.best < math.inf else None)}"),
            ("lr", _g(self.lr)),
            ("speed", f"{_rate(self.steps_per_s)} steps/s"
             + (f"   {_rate(self.samples_per_s)} samples/s" if self.samples else "")),
        ]
        if not self.telemetry:
            out.append(("resources", "telemetry off"))
            return out
        out.append(("cpu", f"{_rate(self.cpu_process)} % process   "
                           f"{_rate(self.cpu_system)} % system   rss {_bytes(self.rss)}"))
        if self.gpu_util is not None or self.gpu_memory is not None or self.gpu_power is not None:
            out.append(("gpu", f"{_rate(self.gpu_util)} % util   mem {_bytes(self.gpu_memory)}   "
                               f"{_rate(self.gpu_power)} W"))
        out.append(("energy", "unavailable" if self.joules is None
                    else f"{_g(self.joules)} J ({self.joules_quality})"))
        return out


class LiveView:
    """Live display of a run's progress and consumption (a training-run observer).

    Parameters
    ----------
    file : file object, optional
        Where to draw (default ``sys.stdout`` when the run starts).
    rich : bool, optional
        ``True`` draws with rich, ``False`` prints plain lines; default: rich
        when ``file`` is a terminal and rich is installed.
    refresh_hz : float
        Most refreshes per second of the rich display.
    plain_seconds : float
        Seconds between plain lines.
    alerts : AlertRules, optional
        When to raise alerts (defaults of :class:`~lrsched.alerts.AlertRules`).
    clock : callable
        Monotonic clock for the rate limit (injectable for tests).
    title : str, optional
        First line of the display (default: the run's specs).
    """

    def __init__(self, *, file=None, rich: bool | None = None, refresh_hz: float = 4.0,
                 plain_seconds: float = 2.0, alerts: AlertRules | None = None,
                 clock=time.monotonic, title: str | None = None):
        if not (isinstance(refresh_hz, (int, float)) and refresh_hz > 0):
            raise ValueError(f"LiveView: refresh_hz={refresh_hz!r} is not allowed; "
                             "refresh_hz must be a number > 0")
        if not (isinstance(plain_seconds, (int, float)) and plain_seconds >= 0):
            raise ValueError(f"LiveView: plain_seconds={plain_seconds!r} is not allowed; "
                             "plain_seconds must be a number >= 0")
        self._file = file
        self._rich = rich
        self._interval = 1.0 / refresh_hz
        self._plain_seconds = float(plain_seconds)
        self._rules = alerts
        self._clock = clock
        self._title = title
        self._live = None
        self._last_row = None
        self._next = 0.0
        self.refreshes = 0
        self.alerts: list = []

    @classmethod
    def auto(cls, **kwargs) -> LiveView | None:
        """A view when stdout is a terminal, else ``None`` (``progress="auto"``)."""
        stream = kwargs.get("file") or sys.stdout
        isatty = getattr(stream, "isatty", None)
        return cls(**kwargs) if isatty is not None and isatty() else None

    # -- observer protocol -------------------------------------------------------
    def start(self, run_spec: dict, column_names, budget, monitor) -> None:
        """Prepare the display; in a terminal, start rich's live region."""
        names = tuple(column_names)
        self._width = len(names)
        self._i_loss = names.index("loss")
        self._i_lr = names.index("lr")
        self._watch = AlertWatch(self._rules, names, monitor)
        self._stats = _Stats(budget)
        self._stats.baseline(getattr(monitor, "latest", None))
        self._spec = dict(run_spec)
        if self._title is None:
            parts = [str(run_spec[k]) for k in ("problem", "model", "optimizer", "schedule")
                     if run_spec.get(k)]
            self._title = " · ".join(parts) or "run"
        self._budget_text = str(budget) if budget is not None else "no budget"
        out = self._file if self._file is not None else sys.stdout
        self._out = out
        use_rich = self._rich
        if use_rich is None:
            isatty = getattr(out, "isatty", None)
            use_rich = bool(isatty and isatty())
        self._live = None
        if use_rich:
            try:
                from rich.console import Console
                from rich.live import Live
            except ImportError:  # the `live` extra is not installed: plain lines
                use_rich = False
            else:
                console = Console(file=out, force_terminal=True if self._rich else None)
                self._live = Live(self._render(None), console=console, auto_refresh=False,
                                  transient=False)
                self._live.start()
        self._plain = not use_rich
        if self._plain:
            self._line(f"lrsched: {self._title}  budget {self._budget_text}")
        self._next = self._clock() + (self._interval if use_rich else self._plain_seconds)

    def row(self, progress, history) -> None:
        """Take in a new history row; refresh when the rate limit allows."""
        flat = history.flat
        j = (history.size - 1) * self._width
        loss = flat[j + self._i_loss]
        stats = self._stats
        if loss < stats.best:
            stats.best = loss
        alerts = self._watch.check(flat[j: j + self._width], progress.snapshot)
        if alerts:
            self.alerts.extend(alerts)
            if self._plain:
                for a in alerts:
                    self._line(f"ALERT step {a.step}: {a.message}")
        self._last_row = (progress, history)
        now = self._clock()
        if alerts or now >= self._next:
            stats.update(progress, loss, flat[j + self._i_lr])
            self._refresh(None)
            self._next = now + (self._plain_seconds if self._plain else self._interval)

    def end(self, result) -> None:
        """Show the final state and the run's status."""
        s = result.summary
        status = s.get("status", "?") + (f" ({s['reason']})" if s.get("reason") else "")
        final = (f"{status}: {_count(s.get('steps'))} steps in {_duration(s.get('seconds'))}, "
                 f"final loss {_g(s.get('final_loss'))}, best {_g(s.get('best_loss'))}")
        if self._last_row is not None:  # the last row may have come between refreshes
            progress, history = self._last_row
            j = (history.size - 1) * self._width
            self._stats.update(progress, history.flat[j + self._i_loss],
                               history.flat[j + self._i_lr])
        self._refresh(final)

    def close(self) -> None:
        """Stop the live region (always called, also after an error)."""
        live, self._live = self._live, None
        if live is not None:
            live.stop()

    # -- drawing -----------------------------------------------------------------
    def _line(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    def _refresh(self, final: str | None) -> None:
        self.refreshes += 1
        if self._plain:
            if final is not None:
                self._line(f"lrsched: {final}")
            else:
                fields = self._stats.fields()
                left = self._stats.remaining()
                parts = [f"{self._stats.fraction:4.0%}"] + [f"{k} {' '.join(v.split())}"
                                                             for k, v in fields]
                self._line(" | ".join(parts + ([left] if left else [])))
        elif self._live is not None:
            self._live.update(self._render(final), refresh=True)

    def _render(self, final: str | None):
        """The display: a title, the budget bar, one line per field, alerts, the end.

        Plain styled ``Text`` (no tables or panels): about 1 ms to draw.
        """
        from rich.console import Group
        from rich.text import Text

        stats = getattr(self, "_stats", None)
        head = Text.assemble(("lrsched ", "bold cyan"), self._title or "",
                             ("   budget ", "dim"), self._budget_text)
        if stats is None:
            return head
        filled = round(BAR_WIDTH * min(max(stats.fraction, 0.0), 1.0))
        bar = Text.assemble(("━" * filled, "magenta"), ("━" * (BAR_WIDTH - filled), "grey23"),
                            f" {stats.fraction:4.0%}  ", (stats.remaining(), "dim"))
        lines = [Text.assemble((f"{label:<9}", "bold"), value) for label, value in stats.fields()]
        for a in self.alerts[-3:]:
            lines.append(Text(f"ALERT    step {a.step}: {a.message}", style="bold red"))
        if final is not None:
            lines.append(Text(final, style="bold green" if final.startswith("done") else "bold red"))
        return Group(head, bar, Text("\n").join(lines))
