"""Resource telemetry: a background :class:`Monitor` of CPU, memory, GPU and energy.

Quick use::

    from lrsched.telemetry import Monitor

    with Monitor() as monitor:            # 10 Hz sampler thread
        with monitor.window() as w:       # time / CPU / energy over a block
            work()
    print(w.seconds, w.cpu_seconds, w.joules, w.joules_quality)
    print(monitor.capabilities())         # each source: available, or why not

Sources (probed once at start): ``process`` (psutil: ``cpu_seconds``,
``rss_bytes``, ``peak_rss_bytes``), ``system`` (``cpu_percent`` over the CPUs
this process may use, ``available_memory_bytes``), ``nvml`` (NVIDIA GPUs:
``gpu_util_percent``, ``gpu_memory_bytes``, ``gpu_process_memory_bytes``,
``gpu_power_watts``, ``gpu_joules``), ``rapl`` (``rapl_package_joules``,
``rapl_dram_joules``) and the opt-in ``estimate`` (``estimated_joules`` = CPU
seconds × ``estimate_watts_per_core``).  Each value has a quality:
``measured``, ``integrated``, ``estimated`` or ``unavailable`` (value ``None``).
``joules`` sums the energy measures since the monitor started.

Loop integration (how ``lrsched.train`` uses it; a couple of attribute reads
per step)::

    monitor.start()                   # or: with monitor:
    columns = monitor.columns         # history columns, fixed until stop()
    for each step:
        snap = monitor.latest         # immutable Snapshot, swapped atomically
        progress.snapshot = snap
        progress.joules = snap.joules # float, or None without an energy source
        if recording:
            row = snap.row()          # floats in `columns` order, nan for None
    monitor.stop()

``snap.row()`` returns a tuple built when the sample was taken, so it costs a
method call; the same snapshot is returned until the next tick (10 Hz), so a
loop recording every step repeats values between ticks.

Testing: :mod:`lrsched.telemetry.testing` has a manual clock, a fake NVML module,
a fake powercap tree and a failing source; :class:`ReplaySource` replays a CSV
written by :meth:`Monitor.save_csv`; ``Monitor.sample_now()`` samples without
the thread.
"""

from ._derived import EstimateSource, ReplayExhausted, ReplaySource
from ._history import next_tick
from ._host import ProcessSource, SystemSource
from ._monitor import SOURCE_NAMES, Monitor
from ._nvml import NvmlSource
from ._rapl import RaplSource
from ._snapshot import (
    ENERGY_MEASURES,
    ESTIMATED,
    INTEGRATED,
    MEASURED,
    MEASURES,
    QUALITIES,
    UNAVAILABLE,
    Capability,
    GpuReading,
    Snapshot,
)
from ._source import Source
from ._window import Window

__all__ = [
    "Monitor",
    "Window",
    "Snapshot",
    "GpuReading",
    "Capability",
    "Source",
    "ProcessSource",
    "SystemSource",
    "NvmlSource",
    "RaplSource",
    "EstimateSource",
    "ReplaySource",
    "ReplayExhausted",
    "next_tick",
    "MEASURES",
    "ENERGY_MEASURES",
    "QUALITIES",
    "MEASURED",
    "INTEGRATED",
    "ESTIMATED",
    "UNAVAILABLE",
    "SOURCE_NAMES",
]
