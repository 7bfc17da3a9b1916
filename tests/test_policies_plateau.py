"""``plateau`` against torch's ReduceLROnPlateau, and as a multiplier on other schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrsched import Budget, parse, spec, train
from lrsched.policies import Plateau
from lrsched.progress import Progress

torch = pytest.importorskip("torch")



def torch_rates(metrics, base, **kw):
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    out = []
    for m in metrics:
        sched.step(m)
        out.append(opt.param_groups[0]["lr"])
    return out


def our_rates(metrics, base, **kw):
    p = Plateau(base, **kw)
    return [p.lr(Progress(step=k, loss=m)) for k, m in enumerate(metrics)]


# metrics with plateaus and exact ties: values from a small set, or a random walk
metric_lists = st.one_of(
    st.lists(st.sampled_from([0.5, 1.0, 1.0001, 2.0, 3.0, -1.0, 0.0]), min_size=1, max_size=60),
    st.lists(st.floats(-100, 100, allow_nan=False, width=64), min_size=1, max_size=60),
    st.lists(st.floats(-0.01, 0.01, allow_nan=False), min_size=1, max_size=60).map(
        lambda steps: list(np.cumsum(steps) + 1.0)),
)


@settings(max_examples=300, deadline=None)
@given(
    metrics=metric_lists,
    base=st.floats(1e-6, 10.0),
    factor=st.floats(0.01, 0.99),
    patience=st.integers(0, 5),
    threshold=st.one_of(st.just(0.0), st.floats(0.0, 0.5)),
    threshold_mode=st.sampled_from(["rel", "abs"]),
    cooldown=st.integers(0, 4),
    min_lr=st.one_of(st.just(0.0), st.floats(0.0, 1.0)),
    mode=st.sampled_from(["min", "max"]),
    eps=st.sampled_from([1e-8, 0.0, 1e-3]),
)
def test_matches_torch_reduce_lr_on_plateau(metrics, base, factor, patience, threshold,
                                            threshold_mode, cooldown, min_lr, mode, eps):
    kw = dict(factor=factor, patience=patience, threshold=threshold,
              threshold_mode=threshold_mode, cooldown=cooldown, min_lr=min_lr, mode=mode,
              eps=eps)
    expected = torch_rates(metrics, base, **kw)
    got = our_rates(metrics, base, **kw)
    # torch multiplies the current rate, we multiply the scale: equal to rounding
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def test_documented_constant_metric_sequence():
    # REFERENCES.md: constant metric, patience=2 -> 1, 1, 1, 0.5, 0.5, 0.5, 0.25
    assert our_rates([5.0] * 7, 1.0, factor=0.5, patience=2) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]


def test_multiplies_a_decaying_schedule_and_never_exceeds_it():
    inner = parse("cosine(peak=1.0, horizon=100)")
    p = Plateau(inner, factor=0.5, patience=3, min_lr=0.05)
    rates = [p.lr(Progress(step=k, loss=1.0)) for k in range(101)]
    inner_rates = [inner(k) for k in range(101)]
    assert all(r <= i for r, i in zip(rates, inner_rates))
    assert rates[3] == inner_rates[3]          # no reduction before the 5th flat check
    assert rates[4] == pytest.approx(0.5 * inner_rates[4])
    assert rates[100] == 0.0                   # the inner's own floor is not raised
    # the floor holds the reductions while the inner is above it
    assert rates[60] == pytest.approx(max(inner_rates[60] * p.scale, 0.05))
    assert spec(p) == "plateau(cosine(peak=1.0, horizon=100), factor=0.5, patience=3, min_lr=0.05)"


def test_checks_every_k_steps_on_the_eval_loss():
    p = Plateau(1.0, factor=0.5, patience=0, every=10, metric="eval_loss")
    assert p.needs == frozenset()
    rates = []
    for k in range(40):
        # evaluations every 10 steps; the metric is flat after the first
        rates.append(p.lr(Progress(step=k, loss=float(k), eval_loss=math.nan if k < 10 else 1.0)))
    # step 0: nan (no evaluation yet) is skipped; step 10 improves; 20 and 30 are bad
    assert rates[:20] == [1.0] * 20
    assert rates[20:30] == [0.5] * 10 and rates[30:] == [0.25] * 10


def test_reduces_when_training_stalls():
    # minibatch SGD at a constant rate stalls on its noise floor; plateau anneals it
    problem = parse("logistic(dataset='breast_cancer')")
    budget = Budget(epochs=30)
    plain = train(problem, "sgd", "constant(2.0)", budget=budget, batch_size=16, monitor=None)
    policy = Plateau(2.0, factor=0.5, patience=20, every=9, metric="loss")
    annealed = train(problem, "sgd", policy, budget=budget, batch_size=16, monitor=None)
    assert policy.scale < 1.0
    assert annealed.history["lr"][-1] < 2.0
    assert annealed.summary["final_loss"] < plain.summary["final_loss"]


def test_argument_errors_name_the_argument():
    for kwargs, name in [({"factor": 1.0}, "factor"), ({"mode": "up"}, "mode"),
                         ({"threshold_mode": "pct"}, "threshold_mode"), ({"every": 0}, "every"),
                         ({"metric": "accuracy"}, "metric"), ({"patience": -1}, "patience")]:
        with pytest.raises(ValueError, match=name):
            Plateau(1.0, **kwargs)
    for inner in (-1.0, math.inf, [0.1], parse("sgd")):
        with pytest.raises(ValueError, match="inner"):
            Plateau(inner)
    assert spec(Plateau("cosine(peak=0.1, horizon=10)")) == "plateau(cosine(peak=0.1, horizon=10))"
