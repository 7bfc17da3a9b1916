"""Check the telemetry GPU paths on a real NVIDIA GPU; exit 0 saying so when there is none.

Checks, each printed as ``PASS``, ``FAIL`` or ``SKIP`` with its figures:

1. NVML readings are sane at rest: utilisation in [0, 100] %, memory used in
   (0, total], power in (0, 1500) W, an energy quality for every device.
2. Under a matrix-multiply load (torch or CuPy, ~5 s) inside
   ``monitor.window(sync=...)``: window joules > 0; the GPU energy counter rises
   over the load; power under load exceeds power at rest; peak utilisation >= 50 %;
   ``w.seconds`` agrees with ``time.perf_counter()`` within 1 %; the window's
   joules agree with the sampled power integrated over the window within a
   factor of 2 (NVML power is a ~1 s average on A100 and newer, so closer
   agreement is not to be expected); this process appears in the NVML process list.

Run: ``python benchmarks/gpu_check.py [--seconds S]``.  Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from lrsched.telemetry import Monitor

RESULTS: list[tuple[str, str, str]] = []


def report(status: str, name: str, detail: str) -> None:
    RESULTS.append((status, name, detail))
    print(f"{status:<4} {name}: {detail}", flush=True)


def check(name: str, ok: bool, detail: str) -> None:
    report("PASS" if ok else "FAIL", name, detail)


def make_load(seconds: float):
    """A ``(run, sync, label)`` triple driving the first GPU, or ``None`` without torch/CuPy."""
    try:
        import torch

        if torch.cuda.is_available():
            a = torch.randn(8192, 8192, device="cuda")
            b = torch.randn(8192, 8192, device="cuda")
            sync = torch.cuda.synchronize

            def run():
                end = time.perf_counter() + seconds
                while time.perf_counter() < end:
                    for _ in range(10):
                        a.copy_(a @ b / 8192.0)
                    sync()

            return run, sync, f"torch {torch.__version__} matmul 8192^2 fp32"
    except ImportError:
        pass
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            a = cupy.random.standard_normal((8192, 8192), dtype=cupy.float32)
            b = cupy.random.standard_normal((8192, 8192), dtype=cupy.float32)

            def sync():
                cupy.cuda.Device().synchronize()

            def run():
                end = time.perf_counter() + seconds
                while time.perf_counter() < end:
                    for _ in range(10):
                        a[...] = a @ b / 8192.0
                    sync()

            return run, sync, f"cupy {cupy.__version__} matmul 8192^2 fp32"
    except ImportError:
        pass
    return None


def check_rest(snap) -> None:
    for d in snap.devices:
        tag = f"GPU {d.index} ({d.name})"
        check(f"{tag} utilisation", d.util_percent is None or 0 <= d.util_percent <= 100,
              f"{d.util_percent} %")
        check(f"{tag} memory", d.memory_used_bytes is None
              or 0 < d.memory_used_bytes <= d.memory_total_bytes,
              f"{d.memory_used_bytes} of {d.memory_total_bytes} bytes")
        check(f"{tag} power", d.power_watts is None or 0 < d.power_watts < 1500,
              f"{d.power_watts} W")
        check(f"{tag} energy source", d.joules_quality in ("measured", "integrated"),
              d.joules_quality)


def check_load(monitor, seconds: float) -> None:
    load = make_load(seconds)
    if load is None:
        report("SKIP", "load checks", "neither torch with CUDA nor CuPy is installed")
        return
    run, sync, label = load
    sync()
    time.sleep(1.0)  # let the power reading settle at rest
    rest = monitor.sample_now()
    t0 = time.perf_counter()
    with monitor.window(sync=sync) as w:
        run()
    elapsed = time.perf_counter() - t0
    h = monitor.history()
    inside = (h["time_seconds"] >= w.begin.time_seconds) & (h["time_seconds"] <= w.end.time_seconds)
    print(f"     load: {label} for {w.seconds:.2f} s, {int(inside.sum())} samples", flush=True)
    check("window joules > 0", w.joules is not None and w.joules > 0,
          f"{w.joules} J ({w.joules_quality}), mean {(w.joules or 0) / w.seconds:.1f} W")
    energy = h["gpu_joules"][inside]
    check("energy counter rises under load",
          energy.size > 1 and energy[-1] > energy[0] and bool(np.all(np.diff(energy) >= 0)),
          f"{energy[0]:.1f} -> {energy[-1]:.1f} J over {energy.size} samples")
    power = h["gpu_power_watts"][inside]
    check("power under load > at rest", np.nanmax(power) > rest.gpu_power_watts,
          f"rest {rest.gpu_power_watts:.1f} W, load max {np.nanmax(power):.1f} W")
    if "gpu_util_percent" in h:
        util = np.nanmax(h["gpu_util_percent"][inside])
        check("peak utilisation >= 50 %", util >= 50, f"{util:.0f} %")
    rel = abs(w.seconds - elapsed) / elapsed
    check("window seconds vs perf_counter", rel < 0.01, f"{rel * 100:.3f} % apart")
    t = h["time_seconds"][inside]
    integrated = float(np.sum(0.5 * (power[1:] + power[:-1]) * np.diff(t)))
    ratio = integrated / w.joules if w.joules else float("nan")
    check("counter vs integrated power", 0.5 <= ratio <= 2.0,
          f"integrated {integrated:.1f} J / window {w.joules:.1f} J = {ratio:.3f}")
    mine = w.end.gpu_process_memory_bytes
    if mine is None:
        report("SKIP", "process memory", "this pid is not in NVML's list (PID namespace?)")
    else:
        check("process memory > 0", mine > 0, f"{mine / 1e6:.0f} MB")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="load duration (default 5)")
    args = ap.parse_args(argv)
    probe = Monitor(sources=["nvml"])
    (cap,) = probe.capabilities()
    probe.stop()
    if not cap.available:
        print(f"no NVIDIA GPU to check here: {cap.detail}. Nothing to do; exit 0.")
        return 0
    print(f"nvml: {cap.detail}")
    with Monitor(interval=0.1, sources=["process", "nvml"]) as monitor:
        time.sleep(0.3)
        check_rest(monitor.latest)
        check_load(monitor, args.seconds)
        stats = monitor.stats()
    print(f"     sampler: {stats['rate_hz']:.2f} Hz, lateness p50 {stats['lateness_ms_p50']:.2f} "
          f"ms, p99 {stats['lateness_ms_p99']:.2f} ms, dropped {stats['dropped']}")
    failed = [r for r in RESULTS if r[0] == "FAIL"]
    print(f"{len(RESULTS) - len(failed)} of {len(RESULTS)} checks passed or skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
