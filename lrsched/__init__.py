"""lrsched: learning-rate schedules and adaptive policies driven by a run's progress
and resource telemetry, with a benchmark harness that scores them on time,
convergence and energy.

The public API is what this module re-exports (see ``__all__``); subpackages
``lrsched.schedules``, ``lrsched.policies``, ``lrsched.problems``, ``lrsched.optim``,
``lrsched.telemetry``, ``lrsched.bench``, ``lrsched.plots`` and
``lrsched.integrations`` are imported on first use so ``import lrsched`` stays light.

>>> import lrsched
>>> s = lrsched.parse("warmup(cosine(peak=0.1, horizon=900), steps=100)")
>>> round(s(50), 4), round(s(100), 4), round(s(1000), 4)
(0.05, 0.1, 0.0)
"""

from __future__ import annotations

import importlib

from . import spec  # the module, callable as spec(obj); lrsched.spec.parse(...) also works
from ._version import __version__
from .loop import train
from .progress import CLOCKS, Budget, Progress
from .result import Result
from .spec import SpecError, parse, registry

__all__ = [
    "__version__",
    "train",
    "Budget",
    "Progress",
    "CLOCKS",
    "Result",
    "parse",
    "spec",
    "registry",
    "SpecError",
    "find_lr",
]

_LAZY_SUBMODULES = {
    "backend", "schedules", "policies", "problems", "optim", "telemetry", "bench", "plots",
    "integrations", "runs", "cli",
}


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"lrsched.{name}")
    if name == "find_lr":
        from .policies.find_lr import find_lr

        return find_lr
    raise AttributeError(f"module 'lrsched' has no attribute {name!r}")


def __dir__():
    return sorted(set(__all__) | _LAZY_SUBMODULES)
