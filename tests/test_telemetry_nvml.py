"""NVIDIA GPU telemetry through a fake NVML module, and the real library's absence."""

from __future__ import annotations

import logging
import os
import sys

import pytest

from lrsched.telemetry import Monitor, NvmlSource
from lrsched.telemetry._nvml import nvml_users
from lrsched.telemetry.testing import FakeGpu, FakeNVML, ManualClock

NOT_SUPPORTED = FakeNVML.NVML_ERROR_NOT_SUPPORTED


@pytest.fixture
def clock():
    return ManualClock(start=50.0)


def install(monkeypatch, *gpus, clock, **kwargs):
    fake = FakeNVML(list(gpus), clock=clock, **kwargs)
    monkeypatch.setitem(sys.modules, "pynvml", fake)  # patched where it is imported
    return fake


def test_energy_counter_gives_measured_joules_and_sums_devices(monkeypatch, clock):
    install(monkeypatch, FakeGpu("A", power_watts=100.0, util_percent=30.0),
            FakeGpu("B", power_watts=50.0, util_percent=90.0, memory_used_bytes=1e9),
            clock=clock)
    m = Monitor(sources=["nvml"], clock=clock)
    (cap,) = m.capabilities()
    assert cap.available and "2 GPU(s)" in cap.detail and "energy counter" in cap.detail
    assert m.sample_now().joules == 0.0
    clock.advance(2.0)
    snap = m.sample_now()
    assert snap.gpu_joules == 300.0 and snap.joules == 300.0
    assert snap.joules_quality == "measured" and snap.quality["gpu_joules"] == "measured"
    assert snap.gpu_power_watts == 150.0 and snap.gpu_util_percent == 60.0
    assert snap.gpu_memory_bytes == 3e9
    a, b = snap.devices
    assert (a.index, a.name, a.joules, a.power_watts) == (0, "A", 200.0, 100.0)
    assert b.memory_used_bytes == 1e9 and b.memory_total_bytes == 16e9
    m.stop()


def test_without_counter_power_is_integrated_by_the_trapezoid_rule(monkeypatch, clock):
    gpu = FakeGpu(power_watts=100.0, energy_counter=False)
    install(monkeypatch, gpu, clock=clock)
    m = Monitor(sources=["nvml"], clock=clock)
    assert "power integrated" in m.capabilities()[0].detail
    m.sample_now()
    clock.advance(1.0)
    gpu.set_power(200.0, clock.now)
    assert m.sample_now().gpu_joules == pytest.approx(150.0)  # (100 + 200) / 2 × 1 s
    clock.advance(1.0)
    snap = m.sample_now()
    assert snap.gpu_joules == pytest.approx(350.0)
    assert snap.joules_quality == "integrated" and snap.devices[0].joules_quality == "integrated"
    m.stop()


def test_mixed_devices_make_the_total_integrated(monkeypatch, clock):
    install(monkeypatch, FakeGpu(power_watts=100.0), FakeGpu(energy_counter=False),
            clock=clock)
    m = Monitor(sources=["nvml"], clock=clock)
    m.sample_now()
    clock.advance(1.0)
    assert m.sample_now().joules_quality == "integrated"
    m.stop()


def test_unsupported_features_are_left_out(monkeypatch, clock):
    install(monkeypatch, FakeGpu(unsupported={"nvmlDeviceGetUtilizationRates",
                                              "nvmlDeviceGetPowerUsage",
                                              "nvmlDeviceGetTotalEnergyConsumption"}),
            clock=clock)
    m = Monitor(sources=["nvml"], clock=clock)
    assert "no power or energy" in m.capabilities()[0].detail
    assert m.columns == ("gpu_memory_bytes", "gpu_process_memory_bytes")
    snap = m.sample_now()
    assert snap.gpu_util_percent is None and snap.joules is None
    assert snap.devices[0].power_watts is None
    m.stop()


def test_process_memory_is_this_pids_entry(monkeypatch, clock):
    install(monkeypatch, FakeGpu(processes={os.getpid(): 5e8, 1: 7e9}),
            FakeGpu(processes={1: 1e9}), clock=clock)
    m = Monitor(sources=["nvml"], clock=clock)
    snap = m.sample_now()
    assert snap.gpu_process_memory_bytes == 5e8
    assert snap.devices[1].process_memory_bytes is None
    m.stop()


def test_gpus_selects_devices_and_a_missing_index_is_an_error(monkeypatch, clock):
    fake = install(monkeypatch, FakeGpu("A"), FakeGpu("B"), clock=clock)
    m = Monitor(sources=["nvml"], gpus=[1], clock=clock)
    assert [d.name for d in m.sample_now().devices] == ["B"]
    m.stop()
    with pytest.raises(ValueError, match="2 device"):
        Monitor(sources=["nvml"], gpus=[5], clock=clock).capabilities()
    assert nvml_users(fake) == 0 and fake.initialized == 0


def test_nvml_is_initialised_once_per_process(monkeypatch, clock):
    fake = install(monkeypatch, FakeGpu(), clock=clock)
    a = Monitor(sources=["nvml"], clock=clock)
    b = Monitor(sources=["nvml"], clock=clock)
    a.sample_now(), b.sample_now()
    assert fake.init_calls == 1 and nvml_users(fake) == 2
    a.stop()
    assert fake.shutdown_calls == 0
    b.stop()
    assert fake.shutdown_calls == 1 and fake.initialized == 0


@pytest.mark.parametrize("code, reason", [
    (FakeNVML.NVML_ERROR_LIBRARY_NOT_FOUND, "library not found"),
    (FakeNVML.NVML_ERROR_DRIVER_NOT_LOADED, "driver is not loaded"),
    (FakeNVML.NVML_ERROR_UNKNOWN, "NVML error"),
])
def test_init_failure_is_unavailable_with_one_log_line(monkeypatch, clock, caplog, code, reason):
    install(monkeypatch, clock=clock, init_error=code)
    caplog.set_level(logging.INFO, logger="lrsched.telemetry")
    m = Monitor(sources=["nvml"], clock=clock)
    (cap,) = m.capabilities()
    assert not cap.available and reason in cap.detail
    assert len(caplog.records) == 1
    assert m.sample_now().gpu_power_watts is None
    m.stop()


def test_no_gpu_is_unavailable(monkeypatch, clock):
    fake = install(monkeypatch, clock=clock)
    (cap,) = Monitor(sources=["nvml"], clock=clock).capabilities()
    assert not cap.available and "no GPU" in cap.detail
    assert nvml_users(fake) == 0


def test_gpu_lost_mid_run_is_dropped_with_one_warning(monkeypatch, clock, caplog):
    fake = install(monkeypatch, FakeGpu(), clock=clock)
    m = Monitor(sources=["process", "nvml"], clock=clock)
    m.sample_now()
    fake.gpus[0].broken_code = FakeNVML.NVML_ERROR_GPU_IS_LOST
    for _ in range(3):
        clock.advance(0.1)
        snap = m.sample_now()
    assert snap.gpu_util_percent is None and snap.rss_bytes > 0
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "GPU is lost" in warnings[0].getMessage()
    assert nvml_users(fake) == 0
    m.stop()


def test_without_nvidia_ml_py_nvml_is_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # makes `import pynvml` fail
    cap = NvmlSource().probe(0.0, frozenset())
    assert not cap.available and "pip install nvidia-ml-py" in cap.detail


def test_real_nvml_library_not_found_path():
    pynvml = pytest.importorskip("pynvml", reason="nvidia-ml-py is not installed")
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError_LibraryNotFound:
        pass
    except pynvml.NVMLError as exc:
        pytest.skip(f"NVML fails here for another reason: {exc}")
    else:
        pynvml.nvmlShutdown()
        pytest.skip("an NVIDIA driver is present; benchmarks/gpu_check.py covers it")
    m = Monitor(sources=["nvml"])
    (cap,) = m.capabilities()
    assert not cap.available
    assert "library not found" in cap.detail and "NVML Shared Library Not Found" in cap.detail
    m.stop()
