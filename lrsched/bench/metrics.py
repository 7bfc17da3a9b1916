"""Benchmark metrics: pure functions on NumPy arrays.

Conventions
-----------
*Cost* is what a run spends to reach a target: steps, training seconds or
joules, read at the **first evaluation** whose loss is at or below the target.
A run that never reaches it, and any run that diverged, has cost ``inf``: a
divergence is a failure at full budget, whatever it reached before.

*Relative targets*: ``target = f* + rel·(f0 − f*)`` with ``f0`` the run's
initial loss and ``f*`` the problem's minimum when known, otherwise the best
loss seen over every trial of that problem (:func:`reference_minimum`), so
``rel = 0.01`` means "99 % of the way from the start to the best known value".

*Performance profiles* (Dolan & Moré, 2002): for problems ``p`` and methods
``s``, ``r[p, s] = cost[p, s] / min_s cost[p, s]`` and ``ρ_s(τ)`` is the share
of problems with ``r ≤ τ``.  A problem no method solves has ratio ``inf`` for
all.  The **AlgoPerf score** is ``∫₁⁴ ρ_s(τ) dτ / 3``; ratios above 4 count
as misses.  Since ``ρ`` is a step function the integral is exact:
``mean_p max(0, 4 − r[p, s]) / 3``.

*Runtime ECDF* (COCO): over (problem, target, seed) triples, the share whose
cost is at most ``x``.

References: Dolan & Moré, "Benchmarking optimization software with performance
profiles", Math. Prog. 2002; Dahl et al., "Benchmarking Neural Network Training
Algorithms" (AlgoPerf), 2023; Hansen et al., "COCO: performance assessment", 2022.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["relative_targets", "reference_minimum", "times_to_targets", "median_ci",
           "bootstrap_band", "performance_ratios", "performance_profile", "algoperf_score",
           "runtime_ecdf", "ecdf_points", "log_targets", "winners", "pareto_mask",
           "resample_last", "nanmedian"]


def relative_targets(initial: float, f_star: float, rel) -> np.ndarray:
    """Loss values ``f* + rel·(f0 − f*)`` for the relative targets ``rel``.

    >>> relative_targets(10.0, 2.0, [0.5, 0.1]).tolist()
    [6.0, 2.8]
    """
    return f_star + np.asarray(rel, dtype=float) * (initial - f_star)


def reference_minimum(known, best_losses) -> tuple[float, bool]:
    """``(f*, estimated)``: the known minimum, or the best loss seen when none is known.

    Parameters
    ----------
    known : sequence of float or None
        ``f_star`` reported by the trials of one problem (``None`` when unknown).
    best_losses : array_like
        Best loss of every trial of that problem (non-finite values ignored).
    """
    values = [float(k) for k in known if k is not None and math.isfinite(k)]
    if values:
        return min(values), False
    finite = np.asarray(best_losses, dtype=float)
    finite = finite[np.isfinite(finite)]
    return (float(finite.min()) if finite.size else math.nan), True


def times_to_targets(x, loss, targets, ok: bool = True) -> np.ndarray:
    """Cost ``x`` at the first evaluation with ``loss <= target``, for each target.

    Parameters
    ----------
    x, loss : array_like
        The run's recorded cost (steps, seconds or joules) and loss, in order.
    targets : array_like
        Loss values.
    ok : bool
        False for a diverged or failed run: every cost is ``inf``.

    >>> times_to_targets([0, 10, 20, 30], [5.0, 3.0, 1.0, 2.0], [4.0, 1.0, 0.5]).tolist()
    [10.0, 20.0, inf]
    """
    targets = np.asarray(targets, dtype=float)
    out = np.full(targets.shape, np.inf)
    x = np.asarray(x, dtype=float)
    loss = np.asarray(loss, dtype=float)
    if not ok or loss.size == 0:
        return out
    running = np.minimum.accumulate(np.where(np.isnan(loss), np.inf, loss))
    # running is non-increasing: the first index with running <= t is a sorted search on -running
    index = np.searchsorted(-running, -targets, side="left")
    reached = index < running.size
    out[reached] = x[index[reached]]
    out[np.isnan(out)] = np.inf  # a cost not measured at that row (joules unavailable)
    return out


def _quantile(values: np.ndarray, q, axis=None):
    """Quantiles without interpolation, so ``inf`` values stay ``inf`` (never ``nan``)."""
    return np.quantile(values, q, axis=axis, method="inverted_cdf")


def median_ci(values, level: float = 0.95, n_boot: int = 2000, seed: int = 0):
    """Median and percentile-bootstrap confidence interval of the median.

    ``inf`` (a miss) is a valid value: the median of ``[1, inf, inf]`` is ``inf``.

    Returns
    -------
    (median, low, high) : tuple of float
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return math.nan, math.nan, math.nan
    median = float(_quantile(values, 0.5)) if np.isinf(values).any() else float(np.median(values))
    if values.size == 1:
        return median, median, median
    rng = np.random.default_rng(seed)
    samples = values[rng.integers(0, values.size, size=(n_boot, values.size))]
    stats = _quantile(samples, 0.5, axis=1) if np.isinf(values).any() else np.median(samples, 1)
    alpha = (1.0 - level) / 2.0
    low, high = _quantile(stats, [alpha, 1.0 - alpha])
    return median, float(low), float(high)


def bootstrap_band(curves, level: float = 0.95, n_boot: int = 500, seed: int = 0):
    """Pointwise median of ``curves`` (seeds × points) and a bootstrap band over seeds.

    ``nan`` entries (a run that ended before that point) are ignored.

    Returns
    -------
    (median, low, high) : tuple of numpy.ndarray
    """
    curves = np.atleast_2d(np.asarray(curves, dtype=float))
    median = nanmedian(curves, axis=0)
    if curves.shape[0] == 1:
        return median, median.copy(), median.copy()
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, curves.shape[0], size=(n_boot, curves.shape[0]))
    stats = np.sort(nanmedian(curves[picks], axis=1), axis=0)  # nan (no seed left) sorts last
    count = np.sum(~np.isnan(stats), axis=0)
    alpha = (1.0 - level) / 2.0
    low = _take(stats, np.floor(alpha * (count - 1)).astype(int), count)
    high = _take(stats, np.ceil((1.0 - alpha) * (count - 1)).astype(int), count)
    return median, low, high


def _take(ordered, index, count):
    values = np.take_along_axis(ordered, np.clip(index, 0, None)[None, :], axis=0)[0]
    return np.where(count > 0, values, np.nan)


def nanmedian(values, axis: int = 0) -> np.ndarray:
    """Median ignoring ``nan`` along ``axis`` (``nan`` where all are), without warnings.

    Much faster than :func:`numpy.nanmedian` along a short axis.

    >>> nanmedian(np.array([[1.0, np.nan], [3.0, np.nan], [np.nan, np.nan]])).tolist()
    [2.0, nan]
    """
    ordered = np.moveaxis(np.sort(np.asarray(values, dtype=float), axis=axis), axis, 0)
    count = np.sum(~np.isnan(ordered), axis=0)
    low = np.take_along_axis(ordered, np.clip((count - 1) // 2, 0, None)[None], axis=0)[0]
    high = np.take_along_axis(ordered, np.clip(count // 2, 0, None)[None], axis=0)[0]
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, (low + high) / 2.0, np.nan)


def performance_ratios(costs) -> np.ndarray:
    """Ratios ``cost / best cost`` per problem (rows) over methods (columns).

    A row no method solves is all ``inf``; a method that matches the best has 1.

    >>> performance_ratios([[2.0, 4.0], [3.0, np.inf], [np.inf, np.inf]]).tolist()
    [[1.0, 2.0], [1.0, inf], [inf, inf]]
    """
    costs = np.atleast_2d(np.asarray(costs, dtype=float))
    best = np.min(costs, axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = costs / best
    ratios[costs == best] = 1.0
    ratios[~np.isfinite(best[:, 0])] = np.inf
    ratios[np.isnan(ratios)] = np.inf
    return ratios


def performance_profile(ratios, taus) -> np.ndarray:
    """``ρ_s(τ)``: share of problems with ratio ``<= τ``; shape ``(len(taus), methods)``."""
    ratios = np.atleast_2d(np.asarray(ratios, dtype=float))
    taus = np.asarray(taus, dtype=float)
    return (ratios[None, :, :] <= taus[:, None, None]).mean(axis=1)


def algoperf_score(ratios, tau_max: float = 4.0) -> np.ndarray:
    """``∫₁^τmax ρ_s(τ) dτ / (τmax − 1)`` per method, exactly (ratios above τmax are misses).

    >>> algoperf_score([[1.0, 2.5], [1.0, 4.0], [1.5, np.inf]]).round(4).tolist()
    [0.9444, 0.1667]
    """
    ratios = np.atleast_2d(np.asarray(ratios, dtype=float))
    area = np.clip(tau_max - np.maximum(ratios, 1.0), 0.0, None)
    area[~np.isfinite(ratios)] = 0.0
    return area.mean(axis=0) / (tau_max - 1.0)


def runtime_ecdf(runtimes, at) -> np.ndarray:
    """Share of ``runtimes`` (misses are ``inf``) that are ``<= x`` for each ``x`` in ``at``."""
    runtimes = np.asarray(runtimes, dtype=float).ravel()
    at = np.asarray(at, dtype=float)
    if runtimes.size == 0:
        return np.zeros(at.shape)
    return (runtimes[None, :] <= at.reshape(-1, 1)).mean(axis=1).reshape(at.shape)


def ecdf_points(runtimes) -> tuple[np.ndarray, np.ndarray]:
    """Steps of the ECDF: sorted finite runtimes and the share reached at each one.

    >>> x, y = ecdf_points([3.0, 1.0, np.inf, 2.0])
    >>> x.tolist(), y.tolist()
    ([1.0, 2.0, 3.0], [0.25, 0.5, 0.75])
    """
    runtimes = np.asarray(runtimes, dtype=float).ravel()
    finite = np.sort(runtimes[np.isfinite(runtimes)])
    if runtimes.size == 0:
        return finite, finite
    return finite, np.arange(1, finite.size + 1) / runtimes.size


def log_targets(high: float = 1e-1, low: float = 1e-8, per_decade: int = 1) -> np.ndarray:
    """Log-spaced relative targets from ``high`` down to ``low``.

    >>> log_targets(1e-1, 1e-3).tolist()
    [0.1, 0.01, 0.001]
    """
    decades = math.log10(high) - math.log10(low)
    n = int(round(decades * per_decade)) + 1
    return np.logspace(math.log10(high), math.log10(low), n)


def winners(costs, tiebreak=None) -> np.ndarray:
    """Index of the best method per problem (row): least cost, then least ``tiebreak``.

    Returns ``-1`` for a row where every cost and tie-break value is non-finite.

    >>> winners([[3.0, 2.0], [np.inf, np.inf]], [[0.1, 0.2], [0.5, 0.3]]).tolist()
    [1, 1]
    """
    costs = np.atleast_2d(np.asarray(costs, dtype=float))
    second = np.zeros_like(costs) if tiebreak is None else np.atleast_2d(
        np.asarray(tiebreak, dtype=float))
    second = np.where(np.isnan(second), np.inf, second)
    out = np.full(costs.shape[0], -1)
    for i in range(costs.shape[0]):
        order = np.lexsort((second[i], np.where(np.isnan(costs[i]), np.inf, costs[i])))
        best = order[0]
        if np.isfinite(costs[i, best]) or (tiebreak is not None and np.isfinite(second[i, best])):
            out[i] = best
    return out


def pareto_mask(points) -> np.ndarray:
    """True for points no other point dominates (all coordinates minimised; ``nan`` ignored).

    >>> pareto_mask([[1, 3], [2, 2], [3, 3], [2, 1]]).tolist()
    [True, False, False, True]
    """
    points = np.asarray(points, dtype=float)
    pts = np.where(np.isnan(points), np.inf, points)
    mask = np.ones(len(pts), dtype=bool)
    for i, p in enumerate(pts):
        dominated = np.all(pts <= p, axis=1) & np.any(pts < p, axis=1)
        mask[i] = not dominated.any()
    return mask


def resample_last(x, y, grid) -> np.ndarray:
    """Value of the last evaluation at or before each grid point (``nan`` outside the run).

    >>> resample_last([0, 10, 20], [3.0, 2.0, 1.0], [0, 5, 10, 25]).tolist()
    [3.0, 3.0, 2.0, nan]
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    grid = np.asarray(grid, dtype=float)
    index = np.searchsorted(x, grid, side="right") - 1
    out = np.where(index >= 0, y[np.clip(index, 0, None)], np.nan) if x.size else \
        np.full(grid.shape, np.nan)
    if x.size:
        out[grid > x[-1]] = np.nan
    return out
