"""The benchmark harness: suites of trials, executors, a SQLite store, metrics and reports.

>>> from lrsched import bench
>>> suite = bench.load_suite("quick")                         # doctest: +SKIP
>>> bench.run_suite(suite, "lrsched-results/quick")           # doctest: +SKIP
>>> bench.write_report("lrsched-results/quick")               # doctest: +SKIP
>>> trials, curves = bench.load("lrsched-results/quick")      # doctest: +SKIP

Modules: :mod:`~lrsched.bench.suite` (TOML suites and their validation),
:mod:`~lrsched.bench.trial` (trial identity and the worker function),
:mod:`~lrsched.bench.executors` and :mod:`~lrsched.bench.dask_executor`,
:mod:`~lrsched.bench.store` (``results.sqlite``), :mod:`~lrsched.bench.runner`
(resume and run), :mod:`~lrsched.bench.metrics` (pure functions),
:mod:`~lrsched.bench.analysis` (targets, tuning, tables),
:mod:`~lrsched.bench.report` and :mod:`~lrsched.bench.export`.
Pandas, matplotlib and Dask are imported only by the functions that need them.
"""

from __future__ import annotations

from ._schema import SuiteError
from .analysis import Analysis
from .executors import EXECUTORS, ProcessExecutor, SerialExecutor, make_executor
from .export import export, load
from .report import write_report
from .runner import RunSummary, run_suite
from .store import Store
from .suite import Suite, builtin_suites, load_suite
from .trial import Trial, run_trial

__all__ = ["Suite", "SuiteError", "load_suite", "builtin_suites", "Trial", "run_trial",
           "run_suite", "RunSummary", "Store", "Analysis", "write_report", "load", "export",
           "make_executor", "SerialExecutor", "ProcessExecutor", "EXECUTORS"]
