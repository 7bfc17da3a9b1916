"""NVIDIA GPUs through NVML (package ``nvidia-ml-py``, module ``pynvml``).

Per device: utilisation (``nvmlDeviceGetUtilizationRates``, averaged by the
driver over 1/6-1 s), memory used, power (mW → W; on A100 and newer a ~1 s
average), the total-energy counter (mJ → J, Volta and newer; quality
``measured``) and this process's memory from ``nvmlDeviceGetComputeRunningProcesses``.
A device without the energy counter gets its power integrated over time with the
trapezoid rule between samples (quality ``integrated``).  Each feature is tried
once at probe time; one that answers ``NVML_ERROR_NOT_SUPPORTED`` (or any other
NVML error) is left out for that device.  NVML counters update at about 10 Hz,
so sampling faster gains nothing.

NVML is initialised once per process however many monitors run: a reference
count per module object calls ``nvmlInit`` on the first acquire and
``nvmlShutdown`` on the last release.  The module is imported at probe time
(``import pynvml``), so tests patch ``sys.modules["pynvml"]`` or pass ``nvml=``.

``gpus`` selects devices by NVML index (``"all"`` by default).  NVML indices
follow PCI bus order, which is not CUDA's default order, and ignore
``CUDA_VISIBLE_DEVICES``.  ``gpu_process_memory_bytes`` is ``None`` when this
pid is in no device's process list: not using the GPU, or hidden by a
container's PID namespace.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

from ._snapshot import INTEGRATED, MEASURED, Capability, GpuReading
from ._source import Source

__all__ = ["NvmlSource", "nvml_acquire", "nvml_release", "nvml_users"]

_lock = threading.Lock()
_users: dict[int, int] = {}


def nvml_acquire(nv) -> None:
    """Initialise NVML on first use in this process; raises ``nv.NVMLError`` on failure."""
    with _lock:
        count = _users.get(id(nv), 0)
        if count == 0:
            nv.nvmlInit()
        _users[id(nv)] = count + 1


def nvml_release(nv) -> None:
    """Drop one reference; shut NVML down when the last user releases it."""
    with _lock:
        count = _users.get(id(nv), 0)
        if count <= 0:
            return
        if count == 1:
            del _users[id(nv)]
            try:
                nv.nvmlShutdown()
            except Exception:  # shutting down a broken driver must not raise
                pass
        else:
            _users[id(nv)] = count - 1


def nvml_users(nv) -> int:
    """How many sources hold NVML open through module ``nv``."""
    with _lock:
        return _users.get(id(nv), 0)


def _import_pynvml():
    import pynvml

    return pynvml


def describe_nvml_error(nv, exc) -> str:
    """One line saying why NVML is unusable, from an ``NVMLError``."""
    code = getattr(exc, "value", None)
    known = {
        "NVML_ERROR_LIBRARY_NOT_FOUND": "NVML library not found (no NVIDIA driver on this machine)",
        "NVML_ERROR_DRIVER_NOT_LOADED": "the NVIDIA driver is not loaded",
        "NVML_ERROR_NO_PERMISSION": "no permission to query NVML",
        "NVML_ERROR_NOT_SUPPORTED": "not supported by this device or driver",
    }
    for constant, text in known.items():
        if code is not None and code == getattr(nv, constant, object()):
            return f"{text}: {exc}"
    return f"NVML error: {exc}"


class _Device:
    __slots__ = ("index", "name", "handle", "util", "memory", "memory_total", "power",
                 "counter", "processes", "counter0_mj", "joules", "prev_power", "prev_time",
                 "reading")

    def __init__(self, index, name, handle):
        self.index, self.name, self.handle = index, name, handle
        self.util = self.memory = self.power = self.counter = self.processes = False
        self.memory_total = None
        self.counter0_mj = 0
        self.joules = 0.0
        self.prev_power = None
        self.prev_time = 0.0
        self.reading = None

    @property
    def energy_quality(self):
        if self.counter:
            return MEASURED
        return INTEGRATED if self.power else None


class NvmlSource(Source):
    """NVIDIA GPU utilisation, memory, power and energy (see the module docstring).

    Parameters
    ----------
    gpus : "all" or sequence of int
        NVML device indices to monitor.
    nvml : module, optional
        The NVML binding to use (default: ``import pynvml`` at probe time).
    """

    name = "nvml"

    def __init__(self, gpus="all", nvml=None):
        super().__init__()
        if gpus != "all":
            if isinstance(gpus, int) or not all(
                    isinstance(g, int) and not isinstance(g, bool) and g >= 0 for g in gpus):
                raise ValueError(f"NvmlSource: gpus={gpus!r} is not allowed; gpus must be "
                                 "'all' or a list of device indices >= 0")
            gpus = tuple(gpus)
        self.gpus = gpus
        self._module = nvml
        self._nv = None
        self._devices: list[_Device] = []
        self._pid = os.getpid()

    def _try(self, fn, *args):
        try:
            return True, fn(*args)
        except self._nv.NVMLError:
            return False, None

    def probe(self, now: float, provided: frozenset) -> Capability:
        self.close()
        try:
            nv = self._module if self._module is not None else _import_pynvml()
        except ImportError:
            return self._unavailable("nvidia-ml-py is not installed (pip install nvidia-ml-py)")
        try:
            nvml_acquire(nv)
        except nv.NVMLError as exc:
            return self._unavailable(describe_nvml_error(nv, exc))
        self._nv = nv
        try:
            return self._probe_devices(now)
        except nv.NVMLError as exc:
            self.close()
            return self._unavailable(describe_nvml_error(nv, exc))

    def _probe_devices(self, now: float) -> Capability:
        nv = self._nv
        count = nv.nvmlDeviceGetCount()
        if count == 0:
            self.close()
            return self._unavailable("NVML sees no GPU")
        indices = tuple(range(count)) if self.gpus == "all" else self.gpus
        missing = [i for i in indices if i >= count]
        if missing:
            self.close()
            raise ValueError(f"NvmlSource: gpus={list(self.gpus)!r} is not allowed; NVML sees "
                             f"{count} device(s), indices 0..{count - 1}")
        for i in indices:
            handle = nv.nvmlDeviceGetHandleByIndex(i)
            name = nv.nvmlDeviceGetName(handle)
            dev = _Device(i, name.decode() if isinstance(name, bytes) else str(name), handle)
            dev.util, _ = self._try(nv.nvmlDeviceGetUtilizationRates, handle)
            dev.memory, info = self._try(nv.nvmlDeviceGetMemoryInfo, handle)
            dev.memory_total = float(info.total) if dev.memory else None
            dev.power, mw = self._try(nv.nvmlDeviceGetPowerUsage, handle)
            dev.prev_power = mw / 1000.0 if dev.power else None
            dev.prev_time = now
            dev.counter, mj = self._try(nv.nvmlDeviceGetTotalEnergyConsumption, handle)
            dev.counter0_mj = mj if dev.counter else 0
            dev.processes, _ = self._try(nv.nvmlDeviceGetComputeRunningProcesses, handle)
            self._devices.append(dev)
        devs = self._devices
        qualities = {}
        for measure, flag in (("gpu_util_percent", "util"), ("gpu_memory_bytes", "memory"),
                              ("gpu_process_memory_bytes", "processes"),
                              ("gpu_power_watts", "power")):
            if any(getattr(d, flag) for d in devs):
                qualities[measure] = MEASURED
        energy = [d.energy_quality for d in devs if d.energy_quality is not None]
        if energy:
            qualities["gpu_joules"] = INTEGRATED if INTEGRATED in energy else MEASURED
        parts = []
        for d in devs:
            how = {MEASURED: "energy counter", INTEGRATED: "no energy counter: power integrated",
                   None: "no power or energy"}[d.energy_quality]
            parts.append(f"{d.index}: {d.name} ({how})")
        return self._available(f"{len(devs)} GPU(s): " + "; ".join(parts), qualities)

    def read(self, now: float, values: Mapping) -> dict:
        nv = self._nv
        util_sum = util_n = 0
        memory = power = joules = process_memory = None
        for d in self._devices:
            h = d.handle
            util = float(nv.nvmlDeviceGetUtilizationRates(h).gpu) if d.util else None
            used = float(nv.nvmlDeviceGetMemoryInfo(h).used) if d.memory else None
            watts = nv.nvmlDeviceGetPowerUsage(h) / 1000.0 if d.power else None
            if d.counter:
                d.joules = (nv.nvmlDeviceGetTotalEnergyConsumption(h) - d.counter0_mj) / 1000.0
            elif d.power:
                d.joules += 0.5 * (d.prev_power + watts) * max(now - d.prev_time, 0.0)
                d.prev_power, d.prev_time = watts, now
            mine = None
            if d.processes:
                for p in nv.nvmlDeviceGetComputeRunningProcesses(h):
                    if p.pid == self._pid and p.usedGpuMemory is not None:
                        mine = float(p.usedGpuMemory)
            dev_joules = d.joules if d.energy_quality is not None else None
            d.reading = GpuReading(d.index, d.name, util, used, d.memory_total, watts,
                                   dev_joules, d.energy_quality or "unavailable", mine)
            if util is not None:
                util_sum += util
                util_n += 1
            memory = _add(memory, used)
            power = _add(power, watts)
            joules = _add(joules, dev_joules)
            process_memory = _add(process_memory, mine)
        out = {"gpu_util_percent": util_sum / util_n if util_n else None,
               "gpu_memory_bytes": memory, "gpu_process_memory_bytes": process_memory,
               "gpu_power_watts": power, "gpu_joules": joules}
        return {k: v for k, v in out.items() if k in self.qualities}

    def devices(self) -> tuple:
        return tuple(d.reading for d in self._devices if d.reading is not None)

    def close(self) -> None:
        if self._nv is not None:
            nvml_release(self._nv)
        self._nv = None
        self._devices = []

    def __repr__(self) -> str:
        return f"NvmlSource(gpus={self.gpus!r})"


def _add(total, value):
    if value is None:
        return total
    return value if total is None else total + value
