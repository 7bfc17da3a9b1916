"""Every registered schedule: invariants over random configurations, both evaluation paths,
clocks, composition, spec round trips and argument checks.

Reference-library comparisons live in ``test_schedules_torch.py`` (torch, Hugging Face)
and ``test_integrations_optax.py`` (optax).
"""

from __future__ import annotations

import doctest
import importlib
import math
import pickle
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrsched.backend import to_numpy, tolerance
from lrsched.progress import CLOCKS, Budget, Progress
from lrsched.schedules import (
    WSD,
    Constant,
    Cosine,
    CosineRestarts,
    Cyclic,
    Exponential,
    InverseSqrt,
    Join,
    Linear,
    MultiStep,
    OneCycle,
    Polynomial,
    Product,
    Rex,
    Scale,
    Schedule,
    Step,
    Sum,
    Warmup,
    on_clock,
)
from lrsched.spec import SpecError, parse, registry, spec

SETTINGS = settings(max_examples=60, deadline=None)
INF = math.inf


# --------------------------------------------------------------------------- random configurations

@dataclass
class Case:
    """A schedule with what must hold for it: value bounds, monotone pieces, a time scale."""

    schedule: Schedule
    lo: float
    hi: float
    length: float
    #: (start, end, +1 non-decreasing / -1 non-increasing) on the clock
    pieces: list = field(default_factory=list)
    momentum: tuple | None = None  # (low, high) when the momentum is cycled
    momentum_pieces: list = field(default_factory=list)


peaks = st.floats(1e-3, 10.0)
lengths = st.one_of(st.integers(1, 3000), st.floats(0.25, 3000.0))
clocks = st.sampled_from(CLOCKS)
unit = st.floats(0.0, 1.0)


@st.composite
def constant(draw):
    lr = draw(st.floats(0.0, 10.0))
    return Case(Constant(lr, clock=draw(clocks)), lr, lr, 100.0, [(0, INF, -1), (0, INF, 1)])


@st.composite
def step(draw):
    peak, size = draw(peaks), draw(st.one_of(st.integers(1, 500), st.floats(0.5, 500.0)))
    s = Step(peak, size, gamma=draw(st.floats(0.01, 1.0)), clock=draw(clocks))
    return Case(s, 0.0, peak, 6 * size, [(0, INF, -1)])


@st.composite
def multistep(draw):
    peak = draw(peaks)
    ms = sorted(set(draw(st.lists(st.integers(0, 2000), max_size=5))))
    s = MultiStep(peak, ms, gamma=draw(st.floats(0.01, 1.0)), clock=draw(clocks))
    return Case(s, 0.0, peak, (ms[-1] if ms else 100) * 1.3 + 1, [(0, INF, -1)])


@st.composite
def exponential(draw):
    peak = draw(peaks)
    s = Exponential(peak, draw(st.floats(0.9, 1.0)), clock=draw(clocks))
    return Case(s, 0.0, peak, 500.0, [(0, INF, -1)])


@st.composite
def linear(draw):
    a, b, T = draw(st.floats(0, 10)), draw(st.floats(0, 10)), draw(lengths)
    return Case(Linear(a, b, T, clock=draw(clocks)), min(a, b), max(a, b), 1.3 * T,
                [(0, INF, 1 if b >= a else -1)])


@st.composite
def polynomial(draw):
    peak, T = draw(peaks), draw(lengths)
    end = peak * draw(unit)
    s = Polynomial(peak, T, power=draw(st.floats(0.1, 5.0)), end=end, clock=draw(clocks))
    return Case(s, end, peak, 1.3 * T, [(0, INF, -1)])


@st.composite
def cosine(draw):
    peak, T = draw(peaks), draw(lengths)
    floor = peak * draw(unit)
    return Case(Cosine(peak, T, floor=floor, clock=draw(clocks)), floor, peak, 1.3 * T,
                [(0, INF, -1)])


@st.composite
def cosine_restarts(draw):
    peak, period = draw(peaks), draw(lengths)
    mult = draw(st.one_of(st.just(1), st.integers(2, 3), st.floats(1.0, 3.0)))
    floor = peak * draw(unit)
    s = CosineRestarts(peak, period, mult=mult, floor=floor, clock=draw(clocks))
    return Case(s, floor, peak, period * (1 + mult + mult**2), [(0, period * (1 - 1e-9), -1)])


@st.composite
def onecycle(draw):
    clock, three = draw(clocks), draw(st.booleans())
    T = draw(st.integers(40, 3000)) if clock == "step" else draw(st.floats(0.5, 3000.0))
    pct = draw(st.floats(0.05, 0.45))
    base = draw(st.floats(0.5, 0.95))
    high = draw(st.floats(base, 0.99))
    peak = draw(peaks)
    s = OneCycle(peak, T, pct_start=pct, anneal=draw(st.sampled_from(["cos", "linear"])),
                 div_factor=draw(st.floats(1.0, 100.0)),
                 final_div_factor=draw(st.floats(1.0, 1e4)), three_phase=three,
                 base_momentum=base, max_momentum=high, clock=clock)
    d = 1.0 if clock == "step" else 0.0
    e1, e2 = pct * T - d, 2 * pct * T - 2 * d
    final = peak / s.div_factor / s.final_div_factor
    lr_pieces = [(0, e1, 1), (e1, INF, -1)]
    m_pieces = [(0, e1, -1), (e1, e2 if three else INF, 1)]
    return Case(s, final, peak, 1.2 * T, lr_pieces, (base, high), m_pieces)


@st.composite
def cyclic(draw):
    low = draw(st.floats(0.0, 5.0))
    high = low + draw(st.floats(0.0, 5.0))
    up = draw(st.one_of(st.integers(1, 300), st.floats(0.5, 300.0)))
    down = draw(st.one_of(st.none(), st.integers(1, 300), st.floats(0.5, 300.0)))
    base = draw(st.floats(0.5, 0.95))
    top = draw(st.floats(base, 0.99))
    s = Cyclic(low, high, up, down, mode=draw(st.sampled_from(["triangular", "triangular2",
                                                                "exp_range"])),
               gamma=draw(st.floats(0.9, 1.0)), base_momentum=base, max_momentum=top,
               clock=draw(clocks))
    return Case(s, low, high, 4 * (up + (down or up)), [], (base, top))


@st.composite
def inverse_sqrt(draw):
    peak, W = draw(peaks), draw(st.one_of(st.just(0), st.integers(1, 500), st.floats(0.5, 500)))
    tau = draw(st.one_of(st.none(), st.floats(1.0, 1000.0)))
    s = InverseSqrt(peak, W, timescale=tau, clock=draw(clocks))
    return Case(s, 0.0, peak, 5 * (W + (tau or 100)), [(0, W, 1), (W, INF, -1)])


@st.composite
def wsd(draw):
    peak, T = draw(peaks), draw(lengths)
    decay = draw(st.floats(0.01, 1.0))
    warm = (1 - decay) * T * draw(unit)
    floor = peak * draw(unit)
    s = WSD(peak, T, warmup=warm, decay=decay,
            shape=draw(st.sampled_from(["linear", "cosine", "1-sqrt"])), floor=floor,
            clock=draw(clocks))
    stable_end = T - decay * T
    return Case(s, floor, peak, 1.3 * T, [(0, stable_end, 1), (stable_end, INF, -1)])


@st.composite
def rex(draw):
    peak, T = draw(peaks), draw(lengths)
    return Case(Rex(peak, T, clock=draw(clocks)), 0.0, peak, 1.3 * T, [(0, INF, -1)])


#: leaves without momentum cycling, on the default clock (parts of composites)
plain_leaves = st.one_of(constant(), step(), linear(), cosine(), polynomial(), rex(), wsd(),
                         inverse_sqrt(), cosine_restarts(), exponential(), multistep())


def _default_clock(case: Case) -> Case:
    s = case.schedule
    if s.clock != "step" and not isinstance(s, OneCycle):
        case.schedule = on_clock_reset(s)
    return case


def on_clock_reset(s):
    args, kwargs = s._arguments()
    kwargs["clock"] = "step"
    return type(s)(*args, **kwargs)


leaves = st.one_of(plain_leaves, onecycle().filter(lambda c: c.schedule.clock == "step"),
                   cyclic()).map(_default_clock)
plain = plain_leaves.map(_default_clock)


def composite_clock(draw, inner):
    """A clock for a composite around ``inner``.  onecycle's phase ends depend on its clock
    (T-1 on steps, T on continuous clocks), so its pieces hold only on the clock it was
    drawn on: a composite around it keeps that clock."""
    return inner.schedule.clock if isinstance(inner.schedule, OneCycle) else draw(clocks)


@st.composite
def warmup(draw):
    inner = draw(leaves)
    W = draw(st.one_of(st.just(0), st.integers(1, 500), st.floats(0.5, 500.0)))
    v0 = inner.schedule(0.0)
    start = v0 * draw(unit)
    s = Warmup(inner.schedule, W, start=start, clock=composite_clock(draw, inner))
    shift = [(a + W, b + W, d) for a, b, d in inner.pieces]
    mshift = [(a + W, b + W, d) for a, b, d in inner.momentum_pieces]
    return Case(s, min(start, inner.lo), inner.hi, W + inner.length, [(0, W, 1)] + shift,
                inner.momentum, mshift)


@st.composite
def join(draw):
    parts = draw(st.lists(plain, min_size=1, max_size=3))
    gaps = draw(st.lists(st.floats(1.0, 500.0), min_size=len(parts) - 1,
                         max_size=len(parts) - 1))
    at = list(np.cumsum(gaps)) if gaps else []
    s = Join(*[p.schedule for p in parts], at=[float(a) for a in at], clock=draw(clocks))
    return Case(s, min(p.lo for p in parts), max(p.hi for p in parts),
                (at[-1] if at else 0) + parts[-1].length)


@st.composite
def scale(draw):
    inner, f = draw(leaves), draw(st.floats(0.0, 3.0))
    return Case(Scale(inner.schedule, f, clock=composite_clock(draw, inner)), f * inner.lo,
                f * inner.hi,
                inner.length, inner.pieces, inner.momentum, inner.momentum_pieces)


@st.composite
def product(draw):
    a, b = draw(plain), draw(leaves)
    s = Product(a.schedule, b.schedule)
    return Case(s, a.lo * b.lo, a.hi * b.hi, max(a.length, b.length), [], b.momentum)


@st.composite
def sum_(draw):
    a, b = draw(plain), draw(leaves)
    s = Sum(a.schedule, b.schedule)
    return Case(s, a.lo + b.lo, a.hi + b.hi, max(a.length, b.length), [], b.momentum)


STRATEGIES = {
    "constant": constant(), "step": step(), "multistep": multistep(),
    "exponential": exponential(), "linear": linear(), "polynomial": polynomial(),
    "cosine": cosine(), "cosine_restarts": cosine_restarts(), "onecycle": onecycle(),
    "cyclic": cyclic(), "inverse_sqrt": inverse_sqrt(), "wsd": wsd(), "rex": rex(),
    "warmup": warmup(), "join": join(), "scale": scale(), "product": product(), "sum": sum_(),
}
cases = st.sampled_from(sorted(STRATEGIES)).flatmap(lambda name: STRATEGIES[name])


def grid(case: Case, extra=()) -> np.ndarray:
    """Clock values covering the schedule's interesting range, its boundaries and integers."""
    L = case.length
    points = [np.linspace(0.0, L, 301), np.arange(0.0, min(L, 400.0) + 1)]
    s = case.schedule
    for name in ("horizon", "steps", "warmup", "period", "step_size"):
        v = getattr(s, name, None)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            points.append(np.array([v - 1, v, v + 1, v * (1 - 1e-12), v * (1 + 1e-12)]))
    for name in ("milestones", "at"):
        points.append(np.asarray(getattr(s, name, []), dtype=float))
    if isinstance(s, CosineRestarts):  # restarts, where the cycle index must not round down
        m, p = float(s.mult), float(s.period)
        starts = [p * (m**i - 1) / (m - 1) if m > 1 else p * i for i in range(40)]
        points.append(np.asarray([b for b in starts if b <= 1e6]))
    points.append(np.asarray(extra, dtype=float))
    t = np.concatenate(points)
    return np.unique(t[t >= 0])


# --------------------------------------------------------------------------- the registry

def test_every_registered_schedule_is_tested_here():
    names = {n for n in registry("schedule") if not n.startswith("_")}
    assert names == set(STRATEGIES)


@SETTINGS
@given(case=cases, extra=st.lists(st.floats(0.0, 1e4), max_size=10))
def test_values_are_finite_non_negative_and_within_bounds(case, extra):
    s = case.schedule
    t = grid(case, extra)
    values = s(t)
    assert isinstance(values, np.ndarray) and values.shape == t.shape
    assert np.all(np.isfinite(values))
    tol = 1e-12 * max(case.hi, 1e-300)
    assert np.all(values >= case.lo - tol), (spec(s), t[np.argmin(values)], values.min())
    assert np.all(values <= case.hi + tol), (spec(s), t[np.argmax(values)], values.max())


@SETTINGS
@given(case=cases, extra=st.lists(st.floats(0.0, 1e4), max_size=10))
def test_vectorised_equals_scalar(case, extra):
    s = case.schedule
    t = grid(case, extra)
    scalar = [s(float(x)) for x in t]
    assert all(type(v) is float for v in scalar)
    np.testing.assert_allclose(s(t), scalar, rtol=1e-12, atol=1e-300)
    ints = [int(x) for x in t if x == int(x)]
    assert [s(k) for k in ints] == [s(float(k)) for k in ints]
    if s.cycles_momentum:
        m = s.momentum_at(t)
        np.testing.assert_allclose(m, [s.momentum_at(float(x)) for x in t], rtol=1e-12)
        lo, hi = case.momentum
        assert np.all(m >= lo - 1e-12) and np.all(m <= hi + 1e-12)
    else:
        assert s.momentum_at(t) is None and s.momentum(Progress()) is None


@SETTINGS
@given(case=cases)
def test_monotone_where_the_shape_is_monotone(case):
    s = case.schedule
    t = grid(case)
    for which, pieces in (("lr", case.pieces), ("momentum", case.momentum_pieces)):
        f = s if which == "lr" else s.momentum_at
        for a, b, direction in pieces:
            inside = t[(t >= a) & (t <= b)]
            if inside.size < 2:
                continue
            steps = np.diff(f(inside)) * direction
            assert np.all(steps >= -1e-12 * max(case.hi, 1.0)), (spec(s), which, a, b)


@SETTINGS
@given(case=cases)
def test_spec_round_trip_and_pickle(case):
    s = case.schedule
    text = spec(s)
    again = parse(text, kind="schedule")
    assert spec(again) == text and again == s and hash(again) == hash(s)
    assert repr(s) == text
    t = grid(case)
    np.testing.assert_array_equal(again(t), s(t))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(s))(t), s(t))


@SETTINGS
@given(case=cases, t=st.floats(0.0, 1e4))
def test_lr_reads_the_schedules_clock_from_progress(case, t):
    s = case.schedule
    p = Progress(step=7, epoch=0.5, samples=123, seconds=4.25, joules=9.5, fraction=0.75)
    setattr(p, s.clock, t if s.clock not in ("step", "samples") else int(t))
    value = s.lr(p)
    assert type(value) is float and value == s(getattr(p, s.clock))
    m = s.momentum(p)
    assert (m is None) == (not s.cycles_momentum)
    if m is not None:
        assert m == s.momentum_at(getattr(p, s.clock))


# --------------------------------------------------------------------------- array backends

REPRESENTATIVES = [
    "constant(0.1)", "step(peak=0.1, step_size=7, gamma=0.5)",
    "multistep(peak=0.1, milestones=[10, 20.5], gamma=0.3)", "exponential(0.1, 0.97)",
    "linear(0.1, 0.01, 50)", "polynomial(0.1, 50, power=2.0, end=0.001)",
    "cosine(peak=0.1, horizon=50, floor=0.001)", "cosine_restarts(peak=0.1, period=7, mult=2)",
    "cosine_restarts(peak=0.1, period=7.5)", "onecycle(peak=0.1, horizon=60, three_phase=True)",
    "onecycle(peak=0.1, horizon=60, anneal='linear')",
    "cyclic(0.01, 0.1, 5, 8, mode='triangular2')", "cyclic(0.01, 0.1, 5, mode='exp_range', gamma=0.99)",
    "inverse_sqrt(peak=0.1, warmup=10)", "wsd(peak=0.1, horizon=60, warmup=5, decay=0.3, shape='1-sqrt')",
    "wsd(peak=0.1, horizon=60, decay=0.3, shape='cosine', floor=0.01)", "rex(peak=0.1, horizon=50)",
    "warmup(onecycle(peak=0.1, horizon=40), steps=10, start=0.01)",
    "join(linear(0.0, 0.1, 10), constant(0.1), cosine(peak=0.1, horizon=30), at=[10, 25])",
    "scale(cyclic(0.01, 0.1, 5), factor=2.0)",
    "product(cosine(peak=1.0, horizon=50), onecycle(peak=0.1, horizon=60))",
    "sum(rex(peak=0.1, horizon=50), constant(0.001))",
]


@pytest.mark.parametrize("text", REPRESENTATIVES)
def test_array_backends_agree_with_numpy(xp, text):
    s = parse(text)
    t_np = np.concatenate([np.arange(0.0, 70.0), [0.5, 9.999, 10.0, 25.0, 49.5, 59.0, 1e3]])
    t = xp.asarray(t_np, dtype=xp.float64)
    out = s(t)
    assert type(out) is type(t) and out.dtype == t.dtype
    np.testing.assert_allclose(to_numpy(out), s(t_np), rtol=1e-12, atol=1e-300)
    if s.cycles_momentum:
        np.testing.assert_allclose(to_numpy(s.momentum_at(t)), s.momentum_at(t_np), rtol=1e-12)
    # integer clocks are promoted to the namespace's default floating dtype
    k = xp.asarray(np.arange(70), dtype=xp.int64)
    out = s(k)
    assert xp.isdtype(out.dtype, "real floating")
    expected = s(np.arange(70.0))
    tol = tolerance(out.dtype)  # float32 on torch: compare at float32 precision of the peak
    np.testing.assert_allclose(to_numpy(out), expected, rtol=tol, atol=tol * expected.max())


def test_array_shapes_lists_and_0d():
    s = Cosine(peak=1.0, horizon=10)
    two_d = np.arange(12.0).reshape(3, 4)
    assert s(two_d).shape == (3, 4)
    np.testing.assert_array_equal(s([0, 5, 10]), s(np.array([0.0, 5.0, 10.0])))
    assert s(np.float64(5.0)) == 0.5 and type(s(np.float64(5.0))) is float
    assert type(s(np.int64(5))) is float
    assert s(np.asarray(5.0)).shape == ()
    m = MultiStep(1.0, [2, 4], gamma=0.5)
    assert m(two_d).shape == (3, 4) and m(np.asarray(3.0)).shape == ()


def test_growth_overflows_to_inf_on_both_paths():
    for s in (Exponential(1.0, 2.0), Step(1.0, 1.0, gamma=2.0)):
        assert s(5000) == math.inf
        with np.errstate(over="ignore"):
            assert s(np.array([5000.0]))[0] == math.inf
    assert Cyclic(0.0, 1.0, 1, mode="triangular2")(5001) == 0.0  # amplitude underflows, no error


# --------------------------------------------------------------------------- golden values

def test_onecycle_matches_the_reference_example():
    s = OneCycle(peak=1.0, horizon=10)
    values = [s(t) for t in range(10)]
    assert values[0] == pytest.approx(0.04) and values[2] == 1.0
    assert values[1] == pytest.approx(0.52) and values[3] == pytest.approx(0.9505, abs=1e-4)
    assert values[9] == pytest.approx(4e-6, rel=1e-12)
    assert s(10) == s(1e6) == values[9]  # held after the last step (torch raises)
    assert [s.momentum_at(t) for t in (0, 2, 9)] == pytest.approx([0.95, 0.85, 0.95])


def test_cosine_restarts_matches_the_reference_example():
    s = CosineRestarts(peak=1.0, period=3, mult=2)
    expected = [1, .75, .25, 1, .933, .75, .5, .25, .067, 1]
    assert [s(t) for t in range(10)] == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize("period, mult, t", [(1, 3, 121.0), (1, 3, 29524.0), (2, 1.5, 26.375)])
def test_cosine_restarts_restart_exactly_where_the_logarithm_rounds_down(period, mult, t):
    cycles = math.log(t / period * (mult - 1) + 1) / math.log(mult)
    assert cycles < round(cycles)  # a naive floor() would put t at the end of the last cycle
    s = CosineRestarts(peak=1.0, period=period, mult=mult, floor=0.1)
    assert s(t) == 1.0 and s(np.array([t]))[0] == 1.0
    assert s(t - 1e-6) == pytest.approx(0.1, abs=1e-6)


def test_cosine_restarts_beyond_its_table_of_restarts():
    s = CosineRestarts(peak=1.0, period=1.0, mult=1.001, floor=0.1)
    edge = s._starts[-1]  # start of the 1024th restart: the lookup table ends here
    t = np.concatenate([np.linspace(edge - 50, edge + 5000, 2001), [edge, edge + 1e-9]])
    np.testing.assert_allclose(s(t), [s(float(x)) for x in t], rtol=1e-12)
    assert s(edge) == 1.0 and s(edge - 1e-9) == pytest.approx(0.1)
    start = 1.0 * (1.001**1500 - 1) / 0.001  # a restart far past the table
    assert s(start + 1e-7) == pytest.approx(1.0) and s(start - 1e-7) == pytest.approx(0.1)


def test_onecycle_on_a_continuous_clock_ends_exactly_at_the_horizon():
    s = OneCycle(peak=1.0, horizon=1.0, pct_start=0.25, clock="fraction")
    assert s(0.25) == 1.0 and s(0.0) == pytest.approx(1.0 / 25, rel=1e-14)
    assert s(1.0) == 1.0 / 25 / 1e4 and s(0.999) > s(1.0)


def test_warmup_and_join_semantics():
    inner = Cosine(peak=1.0, horizon=100)
    w = Warmup(inner, steps=10, start=0.1)
    assert w(0) == 0.1 and w(5) == pytest.approx(0.55) and w(10) == 1.0
    assert w(60) == inner(50) and w(110) == 0.0
    j = Join(Constant(0.1), Linear(0.2, 0.0, 10), Constant(0.05), at=[5, 10])
    assert [j(t) for t in (0, 4.9, 5, 7.5, 9.99, 10, 100)] == pytest.approx(
        [0.1, 0.1, 0.2, 0.15, 0.1002, 0.05, 0.05])  # the linear part restarts at 5


def test_operators_build_scale_product_and_sum():
    a, b = Cosine(peak=1.0, horizon=10), Rex(peak=1.0, horizon=10)
    assert spec(2 * a) == spec(a * 2) == "scale(cosine(peak=1.0, horizon=10), factor=2)"
    assert isinstance(a * b * a, Product) and len((a * b * a).schedules) == 3
    assert isinstance(a + b + 0.5, Sum) and len((a + b + 0.5).schedules) == 3
    assert (a * b)(4) == a(4) * b(4) and (a + 0.5)(4) == a(4) + 0.5
    with pytest.raises(TypeError):
        a * "x"


# --------------------------------------------------------------------------- clocks

def test_fraction_clock_reaches_the_floor_exactly_when_the_time_budget_runs_out():
    budget = Budget(seconds=12.5)
    s = parse("warmup(cosine(peak=0.1, horizon=0.95, floor=0.001), steps=0.05, clock='fraction')")
    p, seen = Progress(), []
    fraction = budget.fraction_function()
    while not budget.exhausted(p):
        p.step += 1
        p.seconds += 0.1 + 0.05 * math.sin(p.step)  # uneven step times
        p.fraction = fraction(p)
        seen.append(s.lr(p))
    assert seen[-1] == 0.001 and min(seen[:-1]) > 0.001
    assert max(seen) <= 0.1


def test_composite_clocks_follow_the_one_non_default_clock():
    inner = Cosine(peak=0.1, horizon=1.0, clock="fraction")
    w = Warmup(inner, steps=0.1)
    assert w.clock == "fraction" and w.inner.clock == "fraction"
    w2 = Warmup(Cosine(peak=0.1, horizon=1.0), steps=0.1, clock="fraction")
    assert w2.inner.clock == "fraction" and w2 == w
    assert spec(w) == ("warmup(cosine(peak=0.1, horizon=1.0, clock='fraction'), steps=0.1, "
                       "clock='fraction')")
    # a onecycle part moved to a continuous clock changes its phase ends (no -1)
    j = Join(Constant(0.1), OneCycle(peak=1.0, horizon=1.0, cycle_momentum=False,
                                     clock="fraction"), at=[0.5])
    assert j.clock == "fraction" and j(0.5 + 0.3) == 1.0
    with pytest.raises(ValueError, match="one clock"):
        Join(Cosine(peak=1, horizon=1, clock="seconds"), Constant(0.1, clock="epoch"), at=[1])
    with pytest.raises(ValueError, match="one clock"):
        Scale(Cosine(peak=1, horizon=1, clock="seconds"), 2.0, clock="epoch")
    with pytest.raises(ValueError, match="runs on clock 'seconds'"):
        on_clock(Cosine(peak=1, horizon=1, clock="seconds"), "fraction")


def test_missing_clock_reading_is_a_clear_error():
    s = Cosine(peak=0.1, horizon=100.0, clock="joules")
    with pytest.raises(ValueError, match="progress.joules, which is not measured"):
        s.lr(Progress())
    assert s.lr(Progress(joules=50.0)) == s(50.0)


# --------------------------------------------------------------------------- momentum composition

def test_momentum_through_composites():
    oc = OneCycle(peak=1.0, horizon=20)
    w = Warmup(oc, steps=5)
    assert w.momentum_at(0) == w.momentum_at(4.9) == oc.momentum_at(0)
    assert w.momentum_at(11) == oc.momentum_at(6)
    assert Scale(oc, 2.0).momentum_at(7) == oc.momentum_at(7)
    assert (Constant(1.0) * oc).momentum_at(7) == oc.momentum_at(7)
    j = Join(oc, Cyclic(0.1, 1.0, 4), at=[20])
    assert j.momentum_at(25) == Cyclic(0.1, 1.0, 4).momentum_at(5)
    with pytest.raises(ValueError, match="mix momentum cycling"):
        Join(oc, Constant(0.1), at=[20])
    with pytest.raises(ValueError, match="at most one may"):
        oc * Cyclic(0.1, 1.0, 4)
    assert Join(OneCycle(1.0, 20, cycle_momentum=False), Constant(0.1), at=[20]).momentum_at(3) \
        is None


# --------------------------------------------------------------------------- argument checks

BAD = [
    ("cosine(peak=-1, horizon=10)", "peak"),
    ("cosine(peak=1, horizon=0)", "horizon"),
    ("cosine(peak=1, horizon=10, floor=2)", "floor"),
    ("cosine(peak='a', horizon=10)", "peak"),
    ("cosine(peak=1, horizon=10, clock='minutes')", "clock"),
    ("cosine(peak=1, horizon=inf)", "horizon"),
    ("constant(-0.1)", "lr"),
    ("step(peak=1, step_size=0)", "step_size"),
    ("multistep(peak=1, milestones=[5, 3])", "milestones"),
    ("multistep(peak=1, milestones=5)", "milestones"),
    ("exponential(peak=1, gamma=0)", "gamma"),
    ("linear(start=-1, end=0, horizon=3)", "start"),
    ("polynomial(peak=1, horizon=3, power=0)", "power"),
    ("cosine_restarts(peak=1, period=3, mult=0.5)", "mult"),
    ("onecycle(peak=1, horizon=2)", "empty phase"),
    ("onecycle(peak=1, horizon=100, pct_start=1.0)", "pct_start"),
    ("onecycle(peak=1, horizon=100, pct_start=0.6, three_phase=True)", "empty phase"),
    ("onecycle(peak=1, horizon=100, anneal='cosine')", "anneal"),
    ("onecycle(peak=1, horizon=100, max_momentum=1.5)", "max_momentum"),
    ("cyclic(low=1, high=0.5, step_size_up=3)", "high"),
    ("cyclic(low=0.1, high=0.5, step_size_up=3, mode='sine')", "mode"),
    ("inverse_sqrt(peak=1, warmup=-1)", "warmup"),
    ("wsd(peak=1, horizon=100, warmup=95, decay=0.1)", "warmup"),
    ("wsd(peak=1, horizon=100, decay=0)", "decay"),
    ("wsd(peak=1, horizon=100, shape='exp')", "shape"),
    ("rex(peak=1)", "horizon"),
    ("warmup(cosine(peak=1, horizon=10), steps=-1)", "steps"),
    ("warmup(0.1, steps=3)", "inner"),
    ("join(constant(0.1), constant(0.2), at=[])", "at"),
    ("join(constant(0.1), constant(0.2), at=[3, 2])", "at"),
    ("scale(constant(0.1), factor=-2)", "factor"),
    ("cosine(peak=1, horizon=10, flor=0)", "flor"),
    ("cosin(peak=1, horizon=10)", "cosine"),
]


@pytest.mark.parametrize("text, fragment", BAD)
def test_bad_arguments_are_one_line_errors(text, fragment):
    with pytest.raises(SpecError) as info:
        parse(text, kind="schedule")
    message = str(info.value)
    assert fragment in message and "\n" not in message


def test_only_warmup_and_scale_take_a_policy():
    # warmup and scale hand a policy to its own composite form; the others need closed forms
    assert parse("warmup(dog(), steps=10)").spec_kind == "policy"
    assert parse("scale(dog(), factor=0.5)").spec_kind == "policy"
    for text in ("join(dog(), constant(0.1), at=[10])", "product(dog(), constant(0.5))",
                 "sum(dog(), constant(0.1))"):
        with pytest.raises(SpecError, match="adaptive policy"):
            parse(text)


# --------------------------------------------------------------------------- documentation

MODULES = ["lrsched.schedules", "lrsched.schedules.base", "lrsched.schedules.basic",
           "lrsched.schedules.cosine", "lrsched.schedules.cyclical", "lrsched.schedules.decay",
           "lrsched.schedules.compose", "lrsched.schedules.sample",
           "lrsched.integrations.optax", "lrsched.plots.schedule"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    if name == "lrsched.plots.schedule":
        pytest.importorskip("matplotlib")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_schedule_documents_formula_example_and_reference(name):
    cls = registry("schedule")[name]
    doc = cls.__doc__ or ""
    assert ">>>" in doc, f"{name} has no example"
    assert "Examples" in doc
