"""``lrsched telemetry``: what this machine can measure, then live samples.

Prints one line per source (available and what it gives, or why not), then one
row per sample for ``--seconds`` at ``--interval``.  ``--json`` prints one JSON
object instead: ``{"capabilities": [...], "columns": [...], "samples": [...],
"stats": {...}}``.  ``--seconds 0`` prints the capability report only.
"""

from __future__ import annotations

import json
import math
import sys
import time

from .. import _checks

__all__ = ["add_parser", "run"]

_SHORT = {"rss_bytes": "rss_MB", "peak_rss_bytes": "peak_rss_MB",
          "available_memory_bytes": "avail_mem_MB", "gpu_memory_bytes": "gpu_mem_MB",
          "gpu_process_memory_bytes": "gpu_proc_mem_MB"}


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "telemetry", help="report available telemetry sources and show live samples",
        description="Report which telemetry sources work here (and why not), then print "
                    "live samples.")
    p.add_argument("--seconds", type=float, default=3.0,
                   help="how long to sample (default 3; 0 prints the capability report only)")
    p.add_argument("--interval", type=float, default=0.5,
                   help="seconds between samples (default 0.5)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("--estimate-watts-per-core", type=float, default=None, metavar="W",
                   help="estimate CPU energy as CPU seconds x W where no counter exists")
    p.set_defaults(run=run)


def _cell(name: str, value) -> str:
    if value is None:
        return "-"
    if name.endswith("_bytes"):
        return f"{value / 1e6:.1f}"
    return f"{value:.4g}"


def _collect(monitor, seconds: float, interval: float, emit) -> None:
    """Call ``emit(snapshot)`` for every new sample during ``seconds``."""
    clock = time.monotonic
    end = clock() + seconds
    last = -1
    while True:
        snap = monitor.latest
        if snap is not None and snap.index != last:
            last = snap.index
            emit(snap)
        remaining = end - clock()
        if remaining <= 0:
            break
        time.sleep(min(interval / 4, remaining))


def run(args) -> int:
    from ..telemetry import Monitor

    seconds = _checks.number("telemetry", "--seconds", args.seconds, low=0.0)
    interval = _checks.number("telemetry", "--interval", args.interval, low=0.0, low_open=True)
    watts = _checks.number("telemetry", "--estimate-watts-per-core",
                           args.estimate_watts_per_core, low=0.0, low_open=True, none=True)
    monitor = Monitor(interval=interval, estimate_watts_per_core=watts)
    caps = monitor.capabilities()
    columns = monitor.columns
    out = sys.stdout
    if args.json:
        samples = []
        if seconds > 0:
            with monitor:
                _collect(monitor, seconds, interval, samples.append)
        monitor.stop()
        doc = {"capabilities": [c._asdict() for c in caps], "columns": list(columns),
               "samples": [s.as_dict() for s in samples], "stats": monitor.stats()}
        json.dump(_finite(doc), out, indent=1, allow_nan=False)
        out.write("\n")
        return 0
    width = max(len(c.source) for c in caps)
    print("telemetry sources:", file=out)
    for c in caps:
        print(f"  {c.source:<{width}}  {'yes' if c.available else 'no ':<3}  {c.detail}", file=out)
    if seconds == 0:
        monitor.stop()
        return 0
    heads = ["time_s"] + [_SHORT.get(c, c) for c in columns]
    widths = [max(len(h), 9) for h in heads]
    print(f"samples every {interval:g} s for {seconds:g} s:", file=out)
    print("  ".join(h.rjust(w) for h, w in zip(heads, widths)), file=out, flush=True)

    def emit(snap):
        cells = [f"{snap.time_seconds:.2f}"] + [
            _cell(c, snap.joules if c == "joules" else snap.values.get(c)) for c in columns]
        print("  ".join(x.rjust(w) for x, w in zip(cells, widths)), file=out, flush=True)

    with monitor:
        _collect(monitor, seconds, interval, emit)
    quality = monitor.latest.joules_quality if monitor.latest is not None else "unavailable"
    if "joules" in columns:
        print(f"joules quality: {quality}", file=out)
    return 0


def _finite(value):
    """``value`` with non-finite floats replaced by ``None`` (strict JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
