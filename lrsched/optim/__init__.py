"""Optimizers on one flat parameter vector, with ``torch.optim`` semantics.

The learning rate is never owned by an optimizer: it comes in with every step.

>>> import numpy as np
>>> from lrsched.spec import parse
>>> opt = parse("sgd(momentum=0.9)")
>>> params = np.zeros(3); state = opt.init(params)
>>> params = opt.step(params, np.ones(3), 0.1, state)    # lr from a schedule
>>> params = opt.step(params, np.ones(3), 0.1, state, momentum=0.85)  # momentum cycling
>>> loss_at = opt.eval_params(params, state)  # Schedule-Free reports at x

=============  ==================================================================
spec           same as
=============  ==================================================================
``sgd``        ``torch.optim.SGD`` (momentum, dampening, Nesterov, weight decay)
``adam``       ``torch.optim.Adam`` (amsgrad=False)
``adamw``      ``torch.optim.AdamW`` (amsgrad=False)
``sf_sgd``     ``schedulefree.SGDScheduleFreeReference``
``sf_adamw``   ``schedulefree.AdamWScheduleFreeReference``
``prodigy``    ``prodigyopt.Prodigy`` (reference path only)
=============  ==================================================================

Each update (Prodigy aside) exists as a plain Array API reference and as a fused one-pass
kernel (numba on NumPy, ``cupy.ElementwiseKernel`` on CuPy), chosen per state
by ``init``; see :mod:`lrsched.optim._dispatch` (``opt.path``, ``LRSCHED_FAST=0``).
"""

from __future__ import annotations

from .adam import Adam, AdamW
from .base import Optimizer
from .prodigy import Prodigy
from .schedule_free import ScheduleFreeAdamW, ScheduleFreeSGD
from .sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "ScheduleFreeSGD", "ScheduleFreeAdamW", "Prodigy",
]
