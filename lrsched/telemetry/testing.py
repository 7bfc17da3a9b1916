"""Test doubles for telemetry: a manual clock, a fake NVML module, a fake powercap
tree and a scriptable source.

Typical use with pytest::

    clock = ManualClock()
    nvml = FakeNVML([FakeGpu(power_watts=100.0)], clock=clock)
    monkeypatch.setitem(sys.modules, "pynvml", nvml)   # patched where it is imported
    m = Monitor(sources=["nvml"], clock=clock)
    m.sample_now(); clock.advance(2.0); snap = m.sample_now()
    assert snap.gpu_joules == 200.0

The fake NVML keeps the real module's error protocol: ``NVMLError(code)`` with a
``value`` attribute, the ``NVML_ERROR_*`` constants with the real codes, and
``NVML_ERROR_UNINITIALIZED`` from any call made before ``nvmlInit``.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping
from types import SimpleNamespace

from ._snapshot import MEASURED, Capability
from ._source import Source

__all__ = ["ManualClock", "FakeGpu", "FakeNVML", "NVMLError", "FakePowercap",
           "denying_reader", "FakeSource"]


class ManualClock:
    """A clock that moves only when told: ``clock()`` returns ``clock.now``.

    ``step`` (default 0) is added after every call, for code that needs time to pass.
    """

    def __init__(self, start: float = 0.0, step: float = 0.0):
        self.now = float(start)
        self.step = float(step)

    def __call__(self) -> float:
        t = self.now
        self.now += self.step
        return t

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- fake NVML -----------------------------------------------------------------
_ERROR_NAMES = {1: "Uninitialized", 2: "Invalid Argument", 3: "Not Supported",
                4: "Insufficient Permissions", 9: "Driver Not Loaded",
                12: "NVML Shared Library Not Found", 15: "GPU is lost", 999: "Unknown Error"}


class NVMLError(Exception):
    """Like ``pynvml.NVMLError``: ``NVMLError(code)`` builds the subclass for the code."""

    _by_code: dict = {}

    def __new__(cls, value):
        if cls is NVMLError:
            cls = NVMLError._by_code.get(value, cls)
        obj = Exception.__new__(cls)
        obj.value = value
        return obj

    def __init__(self, value):
        super().__init__(value)

    def __str__(self):
        return _ERROR_NAMES.get(self.value, f"NVML Error with code {self.value}")


class NVMLError_LibraryNotFound(NVMLError):  # noqa: N801 - the real module's name
    pass


class NVMLError_NotSupported(NVMLError):  # noqa: N801
    pass


NVMLError._by_code = {12: NVMLError_LibraryNotFound, 3: NVMLError_NotSupported}


class FakeGpu:
    """One fake device.  ``energy_counter=False`` models a pre-Volta GPU; ``unsupported``
    names NVML functions answering ``NOT_SUPPORTED``; ``processes`` maps pid → bytes."""

    def __init__(self, name="Fake GPU", *, power_watts=100.0, energy_counter=True,
                 util_percent=50.0, memory_used_bytes=2e9, memory_total_bytes=16e9,
                 processes: Mapping | None = None, unsupported=()):
        self.name = name
        self.power_watts = float(power_watts)
        self.energy_counter = energy_counter
        self.util_percent = util_percent
        self.memory_used_bytes = memory_used_bytes
        self.memory_total_bytes = memory_total_bytes
        self.processes = dict(processes or {})
        self.unsupported = set(unsupported)
        self.energy_mj = 123_456.0  # counters start anywhere: only differences matter
        self.broken_code: int | None = None
        self._last = None

    def set_power(self, watts: float, now: float) -> None:
        """Change the power draw at time ``now`` (energy accrues at the old power until then)."""
        self._accrue(now)
        self.power_watts = float(watts)

    def _accrue(self, now: float) -> None:
        if self._last is not None:
            self.energy_mj += self.power_watts * (now - self._last) * 1000.0
        self._last = now


class FakeNVML:
    """A stand-in for the ``pynvml`` module over a list of :class:`FakeGpu`.

    Parameters
    ----------
    gpus : list of FakeGpu
    clock : callable
        Time source for the energy counters (use the monitor's clock).
    init_error : int, optional
        Code ``nvmlInit`` raises (e.g. ``FakeNVML.NVML_ERROR_LIBRARY_NOT_FOUND``).
    """

    NVMLError = NVMLError
    NVMLError_LibraryNotFound = NVMLError_LibraryNotFound
    NVMLError_NotSupported = NVMLError_NotSupported
    NVML_ERROR_UNINITIALIZED = 1
    NVML_ERROR_INVALID_ARGUMENT = 2
    NVML_ERROR_NOT_SUPPORTED = 3
    NVML_ERROR_NO_PERMISSION = 4
    NVML_ERROR_DRIVER_NOT_LOADED = 9
    NVML_ERROR_LIBRARY_NOT_FOUND = 12
    NVML_ERROR_GPU_IS_LOST = 15
    NVML_ERROR_UNKNOWN = 999
    __name__ = "pynvml"

    def __init__(self, gpus=(), *, clock=None, init_error: int | None = None):
        self.gpus = list(gpus)
        self.clock = clock or (lambda: 0.0)
        self.init_error = init_error
        self.initialized = 0
        self.init_calls = 0
        self.shutdown_calls = 0
        self.calls: dict[str, int] = {}
        for gpu in self.gpus:
            gpu._accrue(self.clock())

    def nvmlInit(self):  # noqa: N802 - the real module's names
        self.init_calls += 1
        if self.init_error is not None:
            raise NVMLError(self.init_error)
        self.initialized += 1

    def nvmlShutdown(self):  # noqa: N802
        self._check()
        self.shutdown_calls += 1
        self.initialized -= 1

    def _check(self, gpu: FakeGpu | None = None, function: str = ""):
        self.calls[function] = self.calls.get(function, 0) + 1
        if self.initialized <= 0:
            raise NVMLError(self.NVML_ERROR_UNINITIALIZED)
        if gpu is not None:
            if gpu.broken_code is not None:
                raise NVMLError(gpu.broken_code)
            if function in gpu.unsupported:
                raise NVMLError(self.NVML_ERROR_NOT_SUPPORTED)

    def nvmlDeviceGetCount(self):  # noqa: N802
        self._check(None, "nvmlDeviceGetCount")
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index):  # noqa: N802
        self._check(None, "nvmlDeviceGetHandleByIndex")
        if not 0 <= index < len(self.gpus):
            raise NVMLError(self.NVML_ERROR_INVALID_ARGUMENT)
        return self.gpus[index]

    def nvmlDeviceGetName(self, h):  # noqa: N802
        self._check(h, "nvmlDeviceGetName")
        return h.name

    def nvmlDeviceGetUtilizationRates(self, h):  # noqa: N802
        self._check(h, "nvmlDeviceGetUtilizationRates")
        return SimpleNamespace(gpu=h.util_percent, memory=0)

    def nvmlDeviceGetMemoryInfo(self, h):  # noqa: N802
        self._check(h, "nvmlDeviceGetMemoryInfo")
        return SimpleNamespace(total=h.memory_total_bytes, used=h.memory_used_bytes,
                               free=h.memory_total_bytes - h.memory_used_bytes)

    def nvmlDeviceGetPowerUsage(self, h):  # noqa: N802
        self._check(h, "nvmlDeviceGetPowerUsage")
        return int(round(h.power_watts * 1000))

    def nvmlDeviceGetTotalEnergyConsumption(self, h):  # noqa: N802
        self._check(h, "nvmlDeviceGetTotalEnergyConsumption")
        if not h.energy_counter:
            raise NVMLError(self.NVML_ERROR_NOT_SUPPORTED)
        h._accrue(self.clock())
        return int(round(h.energy_mj))

    def nvmlDeviceGetComputeRunningProcesses(self, h):  # noqa: N802
        self._check(h, "nvmlDeviceGetComputeRunningProcesses")
        return [SimpleNamespace(pid=pid, usedGpuMemory=used) for pid, used in h.processes.items()]


# -- fake powercap -------------------------------------------------------------
class FakePowercap:
    """A fake ``/sys/class/powercap`` tree under ``root`` (e.g. pytest's ``tmp_path``).

    Creates ``packages`` package zones, each with a ``core`` subzone and, if
    ``dram``, a ``dram`` subzone; plus the ``intel-rapl`` control-type directory
    and, if ``psys``, a platform zone, both of which a RAPL reader must ignore.
    """

    def __init__(self, root, packages: int = 1, dram: bool = True, psys: bool = True,
                 max_energy_range_uj: int = 262_143_328_850):
        self.root = os.fspath(root)
        self.max_energy_range_uj = max_energy_range_uj
        os.makedirs(os.path.join(self.root, "intel-rapl"), exist_ok=True)
        self.zones: dict[str, str] = {}
        for p in range(packages):
            self._zone(f"intel-rapl:{p}", f"package-{p}")
            self._zone(f"intel-rapl:{p}/intel-rapl:{p}:0", "core")
            if dram:
                self._zone(f"intel-rapl:{p}/intel-rapl:{p}:1", "dram")
        if psys:
            self._zone(f"intel-rapl:{packages}", "psys")

    def _zone(self, rel: str, name: str) -> None:
        path = os.path.join(self.root, rel)
        os.makedirs(path, exist_ok=True)
        self.zones[rel] = name
        for file, text in (("name", name), ("energy_uj", "1000"),
                           ("max_energy_range_uj", str(self.max_energy_range_uj))):
            with open(os.path.join(path, file), "w") as f:
                f.write(text + "\n")

    def set_energy(self, rel: str, microjoules: int) -> None:
        """Write ``energy_uj`` of zone ``rel`` (e.g. ``"intel-rapl:0"``)."""
        with open(os.path.join(self.root, rel, "energy_uj"), "w") as f:
            f.write(f"{int(microjoules)}\n")


def denying_reader(*basenames: str):
    """A RAPL ``reader`` that raises ``PermissionError`` for files with these names, as
    the kernel does for ``energy_uj`` to non-root users since 5.10 (``chmod`` cannot
    show this to tests running as root)."""

    def read(path: str) -> str:
        if os.path.basename(path) in basenames:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        with open(path) as f:
            return f.read()

    return read


# -- a scriptable source -------------------------------------------------------
class FakeSource(Source):
    """Returns fixed ``values`` (measure → value); fails on read number ``fail_at``
    (1-based) and after, or at probe with ``probe_error``."""

    def __init__(self, values: Mapping, *, quality: str = MEASURED, fail_at: int | None = None,
                 error: BaseException | None = None, probe_error: BaseException | None = None,
                 name: str = "fake"):
        super().__init__()
        self.name = name
        self.values = dict(values)
        self.quality = quality
        self.fail_at = fail_at
        self.error = error or RuntimeError("fake sensor fell off the bus")
        self.probe_error = probe_error
        self.reads = 0
        self.closed = 0

    def probe(self, now: float, provided: frozenset) -> Capability:
        if self.probe_error is not None:
            raise self.probe_error
        return self._available(f"fake {', '.join(self.values)}",
                               {k: self.quality for k in self.values})

    def read(self, now: float, values: Mapping) -> dict:
        self.reads += 1
        if self.fail_at is not None and self.reads >= self.fail_at:
            raise self.error
        return dict(self.values)

    def close(self) -> None:
        self.closed += 1
