"""From a store of hand-made trials to scores, ECDFs, tuning choices and winners."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrsched.bench import Analysis, Store
from lrsched.bench.trial import Trial

INF = math.inf
STEPS = [0.0, 10.0, 20.0, 30.0]

# (problem, label, lr, seed) -> (status, losses at STEPS); f* = 0 and f0 = 1 everywhere,
# so the relative target 0.1 is the loss 0.1 and 0.01 the loss 0.01.
FAST = [1.0, 0.1, 0.05, 0.01]      # 0.1 at step 10, 0.01 at 30
SLOW = [1.0, 0.5, 0.3, 0.1]        # 0.1 at step 30, 0.01 never
MID = [1.0, 0.5, 0.1, 0.02]        # 0.1 at step 20, 0.01 never
QUICK = [1.0, 0.1, 0.001, 1e-4]    # 0.1 at 10, 0.01 at 20


def _runs():
    runs = {}
    for seed in range(3):
        runs["P1", "A", 0.3, seed] = ("done", FAST)
        runs["P1", "A", 0.1, seed] = ("done", SLOW)
        runs["P1", "B", None, seed] = ("done", MID)
        runs["P2", "A", 0.3, seed] = ("done", SLOW)
        runs["P2", "A", 0.1, seed] = ("done", SLOW)
        # B is fastest on P2 but diverges (after reaching the targets) in two of three seeds
        runs["P2", "B", None, seed] = ("done" if seed == 0 else "diverged", QUICK)
    return runs


def _trial(problem, label, lr, seed):
    return Trial(problem=problem, optimizer="sgd()", schedule=f"{label}({lr})", budget="steps=30",
                 batch_size=None, seed=seed, label=label, lr=lr,
                 ruleset="external" if lr is not None else "self", problem_label=problem)


def _outcome(trial, status, losses):
    return {"trial_id": trial.trial_id, "status": status,
            "reason": None if status == "done" else "loss exploded",
            "summary": {"status": status, "initial_loss": 1.0, "final_loss": losses[-1],
                        "best_loss": min(losses), "f_star": 0.0, "steps": 30, "seconds": 0.3},
            "history": {"step": np.array(STEPS), "seconds": np.array(STEPS) / 100,
                        "lr": np.full(4, 0.1), "loss": np.array(losses)},
            "started_at": "2026-01-01T00:00:00", "ended_at": "2026-01-01T00:00:01",
            "provenance": {}}


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysis")
    trials = {key: _trial(*key) for key in _runs()}
    meta = {"name": "hand", "targets": [0.1], "ecdf_targets": [0.1, 0.01], "select_target": 0.1,
            "select_by": "steps", "trial_ids": [t.trial_id for t in trials.values()]}
    with Store(str(folder)) as store:
        store.record_suite(meta, "2026-01-01T00:00:00")
        for key, (status, losses) in _runs().items():
            store.write(trials[key], _outcome(trials[key], status, losses))
    return Analysis(str(folder))


def test_external_tuning_keeps_the_fastest_learning_rate(analysis):
    assert analysis.methods == ["A", "B"]
    p1 = analysis.selected[0, "A"]
    assert p1.lr == 0.3 and p1.tuned
    assert [(lr, cost) for lr, cost, _ in p1.grid] == [(0.1, 30.0), (0.3, 10.0)]
    assert analysis.selected[0, "B"].lr is None


def test_costs_count_divergence_as_a_miss(analysis):
    # P1: A 10, B 20.  P2: A 30, B reached 0.1 at step 10 in every seed but diverged in two
    costs = analysis.profile_costs("steps")
    np.testing.assert_array_equal(costs, [[10.0, 20.0], [30.0, INF]])


def test_score_matches_the_hand_value(analysis):
    # ratios: P1 (1, 2), P2 (1, inf) -> A: (3 + 3)/3/2 = 1, B: (2 + 0)/3/2 = 1/3.
    # (Were the divergence ignored, B would score (2 + 3)/6 and A (3 + 1)/6.)
    np.testing.assert_allclose(analysis.scores("steps"), [1.0, 1 / 3])


def test_ecdf_matches_the_hand_values(analysis):
    runtimes = analysis.ecdf_runtimes("steps")
    # A: P1 -> 10 (x3), 30 (x3); P2 -> 30 (x3), miss (x3)
    assert sorted(runtimes["A"].tolist()) == [10.0] * 3 + [30.0] * 6 + [INF] * 3
    # B: P1 -> 20 (x3), miss (x3); P2 seed 0 -> 10, 20; seeds 1, 2 diverged -> 4 misses
    assert sorted(runtimes["B"].tolist()) == [10.0] + [20.0] * 4 + [INF] * 7


def test_winners_per_workload(analysis):
    assert [(w, m) for w, m, _ in analysis.winners()] == [("P1", "A"), ("P2", "A")]


def test_statuses_and_final_gaps(analysis):
    b = analysis.selected[1, "B"]
    assert b.statuses == {"done": 1, "diverged": 2, "failed": 0}
    assert b.final_gap.tolist() == [1e-4, INF, INF]


def test_unknown_minimum_is_the_best_loss_seen(tmp_path):
    trials = [Trial(problem="P", optimizer="sgd()", schedule=f"s{i}", budget="steps=30",
                    batch_size=None, seed=0, label=f"s{i}") for i in range(2)]
    meta = {"name": "est", "targets": [0.5], "trial_ids": [t.trial_id for t in trials]}
    with Store(str(tmp_path)) as store:
        store.record_suite(meta, "2026-01-01T00:00:00")
        for trial, losses in zip(trials, ([2.0, 1.5, 1.2, 1.1], [2.0, 1.4, 1.0, 1.3])):
            outcome = _outcome(trial, "done", losses)
            outcome["summary"]["f_star"] = None
            outcome["summary"]["initial_loss"] = 2.0
            store.write(trial, outcome)
    analysis = Analysis(str(tmp_path))
    workload = analysis.workloads[0]
    assert workload.f_star == 1.0 and workload.estimated
    # target = 1 + 0.5 (2 - 1) = 1.5: both reach it at step 10
    np.testing.assert_array_equal(analysis.profile_costs("steps"), [[10.0, 10.0]])
