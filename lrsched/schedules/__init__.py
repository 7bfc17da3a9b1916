"""Closed-form learning-rate schedules (DESIGN.md §4).

Every schedule is a pure function of one clock value: ``s(t)`` for a number
returns a float, for an array returns an array (NumPy or any Array API
namespace), and ``s.lr(progress)`` reads the clock named by ``s.clock`` from a
:class:`~lrsched.progress.Progress`.  Build them in Python or from spec strings:

>>> from lrsched.spec import parse
>>> s = parse("warmup(cosine(peak=0.1, horizon=900), steps=100)")
>>> round(s(550), 6)
0.05

Schedules: ``constant``, ``step``, ``multistep``, ``exponential``, ``linear``,
``polynomial``, ``cosine``, ``cosine_restarts``, ``onecycle``, ``cyclic``,
``inverse_sqrt``, ``wsd``, ``rex``; composition: ``warmup``, ``join``, ``scale``,
``product``, ``sum`` (and the operators ``*`` and ``+``).
"""

from .base import Schedule, check_clock, on_clock
from .basic import Constant, Exponential, Linear, MultiStep, Polynomial, Step
from .compose import Join, Product, Scale, Sum, Warmup
from .cosine import Cosine, CosineRestarts
from .cyclical import Cyclic, OneCycle
from .decay import WSD, InverseSqrt, Rex
from .sample import clock_values, sample

__all__ = [
    "Schedule",
    "check_clock",
    "on_clock",
    "Constant",
    "Step",
    "MultiStep",
    "Exponential",
    "Linear",
    "Polynomial",
    "Cosine",
    "CosineRestarts",
    "OneCycle",
    "Cyclic",
    "InverseSqrt",
    "WSD",
    "Rex",
    "Warmup",
    "Join",
    "Scale",
    "Product",
    "Sum",
    "clock_values",
    "sample",
]
