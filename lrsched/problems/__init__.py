"""Problems: differentiable objectives on one flat parameter vector, and their data sets.

Registered problem specs: ``quadratic``, ``least_squares``, ``logistic``,
``softmax``, ``rosenbrock``, ``mlp``; dataset specs ``synthetic_classification``
and ``synthetic_regression``.  Every problem implements the protocol of
:class:`~lrsched.problems.base.Problem` on any Array API backend:

>>> from lrsched.spec import parse, spec
>>> p = parse("logistic(dataset=synthetic_classification(n=200, d=5), l2=0.01)")
>>> spec(p)
'logistic(synthetic_classification(n=200, d=5), l2=0.01)'
>>> loss, grad = p.loss_and_grad(p.init(0))
>>> round(loss, 6), grad.shape
(0.693147, (6,))

Minibatches: ``problem.batches(seed, batch_size, xp=..., dtype=...)`` yields
``(batch, n)`` forever; each epoch is the next permutation from
``numpy.random.default_rng(seed)`` (the same order on every backend), sampled
without replacement, the last partial batch included; ``batch_size=None`` (or at
least ``n_samples``) yields ``(None, n_samples)``, the full batch.
"""

from . import synthetic
from .base import Problem
from .datasets import SKLEARN_DATASETS, Dataset, load_dataset
from .least_squares import least_squares
from .libsvm import read_libsvm
from .logistic import logistic
from .mlp import mlp
from .quadratic import quadratic
from .rosenbrock import rosenbrock
from .softmax import softmax
from .synthetic import synthetic_classification, synthetic_regression

__all__ = [
    "Problem",
    "Dataset",
    "load_dataset",
    "read_libsvm",
    "SKLEARN_DATASETS",
    "quadratic",
    "least_squares",
    "logistic",
    "softmax",
    "rosenbrock",
    "mlp",
    "synthetic_classification",
    "synthetic_regression",
]

del synthetic
