"""Adaptive learning-rate policies (DESIGN.md §5).

A policy is called like a schedule, ``policy.lr(progress)`` once per step, but
keeps explicit state (``state_dict()`` / ``load_state_dict()``) and declares the
signals it reads in ``needs``; see :mod:`lrsched.policies.base` for the protocol.

=================  ==========================================================
spec               rule
=================  ==========================================================
``plateau``        torch ReduceLROnPlateau as a multiplier on any inner rate
``polyak``         SPS_max, Polyak's step with f* (Loizou et al. 2021)
``decsps``         DecSPS, Polyak without f* (Orvieto et al. 2022)
``armijo``         SLS backtracking line search with reset (Vaswani et al. 2019)
``hypergradient``  SGD-HD (Baydin et al. 2018)
``dog``            DoG, distance over gradients (Ivgi et al. 2023)
``dadapt``         D-Adaptation SGD (Defazio & Mishchenko 2023)
``adagrad_norm``   AdaGrad-Norm (Ward et al. 2019)
``guard``          telemetry guard: anneal on throughput collapse, stop on memory
=================  ==========================================================

Prodigy is an optimizer (``lrsched.optim.prodigy``).  ``warmup(policy, ...)`` and
``scale(policy, ...)`` build the policy-aware combinators of
:mod:`lrsched.policies.compose`.  The LR range test is a tool, not a policy:
:func:`lrsched.find_lr` (:mod:`lrsched.policies.find_lr`).

>>> from lrsched.spec import parse, spec
>>> spec(parse("plateau(cosine(peak=0.1, horizon=1000), patience=5)"))
'plateau(cosine(peak=0.1, horizon=1000), patience=5)'
"""

from .adagrad_norm import AdaGradNorm
from .armijo import Armijo
from .base import SIGNALS, Policy, Wrapper
from .compose import PolicyScale, PolicyWarmup
from .dadapt import DAdapt
from .decsps import DecSPS
from .dog import DoG
from .guard import Guard
from .hypergradient import Hypergradient
from .plateau import Plateau
from .polyak import Polyak

__all__ = [
    "Policy",
    "Wrapper",
    "SIGNALS",
    "Plateau",
    "Polyak",
    "DecSPS",
    "Armijo",
    "Hypergradient",
    "DoG",
    "DAdapt",
    "AdaGradNorm",
    "Guard",
    "PolicyWarmup",
    "PolicyScale",
]
