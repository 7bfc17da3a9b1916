"""Benchmark metrics against hand-computed tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrsched.bench import metrics

INF = math.inf


def test_relative_targets_interpolate_between_start_and_minimum():
    # f0 = 10, f* = 2: the gap is 8; rel 0.5 -> 2 + 4, rel 0.01 -> 2 + 0.08
    assert metrics.relative_targets(10.0, 2.0, [0.5, 0.01]).tolist() == pytest.approx([6.0, 2.08])


def test_reference_minimum_prefers_the_known_value_and_else_estimates():
    assert metrics.reference_minimum([None, 0.25, 0.25], [0.3, 0.26]) == (0.25, False)
    assert metrics.reference_minimum([None, None], [0.4, np.nan, 0.31, np.inf]) == (0.31, True)
    value, estimated = metrics.reference_minimum([], [])
    assert math.isnan(value) and estimated


def test_times_to_targets_reads_the_first_evaluation_at_or_below_the_target():
    x = [0, 10, 20, 30, 40]
    loss = [5.0, 3.0, 1.0, 2.0, 0.5]
    # 3.0 is reached exactly at x=10 (<= counts); 1.5 first at 20; 0.5 at 40; 0.1 never
    got = metrics.times_to_targets(x, loss, [3.0, 1.5, 0.5, 0.1])
    assert got.tolist() == [10.0, 20.0, 40.0, INF]


def test_times_to_targets_ignores_nan_rows_and_unmeasured_costs():
    got = metrics.times_to_targets([0, 1, 2], [4.0, np.nan, 1.0], [2.0])
    assert got.tolist() == [2.0]
    # the target is reached at a row whose cost (joules) was not measured: no cost
    assert metrics.times_to_targets([0.0, np.nan], [4.0, 1.0], [2.0]).tolist() == [INF]


def test_a_divergence_is_a_miss_even_after_reaching_the_target():
    # the run reached loss 0.5 at step 10, then diverged: it counts as a failure
    got = metrics.times_to_targets([0, 10, 20], [5.0, 0.5, np.inf], [1.0], ok=False)
    assert got.tolist() == [INF]


# Hand-computed performance profile.  Costs (steps) of three methods on four problems:
#            A      B      C
#   p1      10     20     40      ratios 1, 2, 4
#   p2     100     50    inf      ratios 2, 1, inf
#   p3      30     30     90      ratios 1, 1, 3
#   p4     inf    inf    inf      ratios inf (nobody solves it)
COSTS = np.array([[10.0, 20.0, 40.0], [100.0, 50.0, INF], [30.0, 30.0, 90.0], [INF, INF, INF]])
RATIOS = np.array([[1.0, 2.0, 4.0], [2.0, 1.0, INF], [1.0, 1.0, 3.0], [INF, INF, INF]])


def test_performance_ratios_match_the_hand_table():
    np.testing.assert_array_equal(metrics.performance_ratios(COSTS), RATIOS)


def test_performance_profile_matches_the_hand_table():
    rho = metrics.performance_profile(RATIOS, [1.0, 2.0, 3.0, 4.0, 100.0])
    expected = [[2 / 4, 2 / 4, 0 / 4],     # tau = 1: A on p1, p3; B on p2, p3
                [3 / 4, 3 / 4, 0 / 4],     # tau = 2
                [3 / 4, 3 / 4, 1 / 4],     # tau = 3: C on p3
                [3 / 4, 3 / 4, 2 / 4],     # tau = 4: C on p1 (ratio 4 counts)
                [3 / 4, 3 / 4, 2 / 4]]     # p4 is never solved
    np.testing.assert_allclose(rho, expected)


def test_algoperf_score_is_the_area_under_the_profile_up_to_four():
    # per problem, a ratio r <= 4 contributes (4 - r) / 3; misses and r > 4 contribute 0
    # A: (3 + 2 + 3 + 0) / 3 / 4 = 8/12;  B: (2 + 3 + 3 + 0) / 12 = 8/12;  C: (0 + 0 + 1 + 0) / 12
    score = metrics.algoperf_score(RATIOS)
    np.testing.assert_allclose(score, [8 / 12, 8 / 12, 1 / 12])
    # the same value from a fine numerical integral of the profile
    taus = np.linspace(1.0, 4.0, 300001)
    numeric = np.trapezoid(metrics.performance_profile(RATIOS, taus), taus, axis=0) / 3.0
    np.testing.assert_allclose(score, numeric, atol=1e-4)


def test_algoperf_score_counts_ratios_above_four_as_misses():
    assert metrics.algoperf_score([[1.0, 4.5]]).tolist() == [1.0, 0.0]


def test_performance_ratios_when_the_best_cost_is_zero():
    got = metrics.performance_ratios([[0.0, 0.0, 3.0]])
    assert got.tolist() == [[1.0, 1.0, INF]]


def test_runtime_ecdf_matches_the_hand_values():
    # six (problem, target, seed) triples; two were never reached
    runtimes = [5.0, 10.0, 10.0, 40.0, INF, INF]
    got = metrics.runtime_ecdf(runtimes, [1.0, 5.0, 10.0, 39.0, 40.0, 1e9])
    assert got.tolist() == pytest.approx([0.0, 1 / 6, 3 / 6, 3 / 6, 4 / 6, 4 / 6])
    x, y = metrics.ecdf_points(runtimes)
    assert x.tolist() == [5.0, 10.0, 10.0, 40.0]
    assert y.tolist() == pytest.approx([1 / 6, 2 / 6, 3 / 6, 4 / 6])


def test_log_targets_are_log_spaced():
    np.testing.assert_allclose(metrics.log_targets(1e-1, 1e-4), [1e-1, 1e-2, 1e-3, 1e-4])
    np.testing.assert_allclose(metrics.log_targets(1e-1, 1e-2, per_decade=2),
                               [1e-1, 10 ** -1.5, 1e-2])


def test_median_ci_keeps_misses_as_infinite_values():
    median, low, high = metrics.median_ci([10.0, 12.0, 11.0])
    assert median == 11.0 and 10.0 <= low <= median <= high <= 12.0
    assert metrics.median_ci([10.0, INF, INF])[0] == INF
    median, low, high = metrics.median_ci([10.0, 20.0, INF])
    assert median == 20.0 and low == 10.0 and high == INF
    assert metrics.median_ci([7.0]) == (7.0, 7.0, 7.0)


def test_median_ci_is_reproducible():
    values = np.arange(9.0)
    assert metrics.median_ci(values, seed=3) == metrics.median_ci(values, seed=3)


def test_nanmedian_agrees_with_numpy():
    rng = np.random.default_rng(0)
    values = rng.standard_normal((5, 40))
    values[rng.random(values.shape) < 0.3] = np.nan
    values[:, 0] = np.nan
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        expected = np.nanmedian(values, axis=0)
    np.testing.assert_array_equal(metrics.nanmedian(values, axis=0), expected)


def test_bootstrap_band_brackets_the_median_and_skips_ended_runs():
    curves = np.array([[1.0, 2.0, 3.0], [2.0, 3.0, np.nan], [3.0, 4.0, np.nan]])
    median, low, high = metrics.bootstrap_band(curves, n_boot=200)
    assert median.tolist() == [2.0, 3.0, 3.0]
    assert np.all(low <= median) and np.all(median <= high)
    assert low[2] == high[2] == 3.0


def test_resample_last_carries_the_last_evaluation_forward():
    got = metrics.resample_last([0.0, 10.0, 20.0], [3.0, 2.0, 1.0], [0, 9.9, 10, 20, 21])
    assert got[:4].tolist() == [3.0, 3.0, 2.0, 1.0] and math.isnan(got[4])


def test_winners_break_ties_and_misses_with_the_second_key():
    costs = [[30.0, 20.0, 20.0], [INF, INF, INF], [INF, INF, INF]]
    gaps = [[0.1, 0.3, 0.2], [0.5, 0.4, 0.6], [INF, INF, INF]]
    assert metrics.winners(costs, gaps).tolist() == [2, 1, -1]


def test_pareto_mask_keeps_the_non_dominated_points():
    points = [[1.0, 5.0, 2.0], [2.0, 2.0, 2.0], [2.0, 2.0, 3.0], [3.0, 1.0, 9.0],
              [3.0, 6.0, 9.0]]
    assert metrics.pareto_mask(points).tolist() == [True, True, False, True, False]
