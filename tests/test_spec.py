"""The spec grammar: parsing, printing, round trips and one-line errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrsched import _checks
from lrsched.spec import SpecError, parse, register, spec


@register("schedule", "_test_shape")
class Shape:
    """A registered test component."""

    def __init__(self, peak, horizon=10, *, floor=0.0, clock="step"):
        self.peak = _checks.number("_test_shape", "peak", peak, low=0, low_open=True)
        self.horizon = horizon
        self.floor = floor
        self.clock = clock


@register("schedule", "_test_wrap")
class Wrap:
    """Wraps another component."""

    def __init__(self, inner, steps=0, start=0.0):
        self.inner, self.steps, self.start = inner, steps, start


@register("schedule", "_test_chain")
class Chain:
    """Takes a variable number of components."""

    def __init__(self, *parts, at=()):
        self.parts, self.at = parts, at


def test_parse_and_print_round_trip():
    obj = parse("_test_shape(horizon=100, peak=0.5)")
    assert isinstance(obj, Shape) and obj.peak == 0.5 and obj.horizon == 100
    assert spec(obj) == "_test_shape(peak=0.5, horizon=100)"
    assert spec(parse(spec(obj))) == spec(obj)


def test_nested_and_variadic_specs_print_positionally():
    text = "_test_wrap(_test_shape(peak=0.1, horizon=900), steps=100)"
    assert spec(parse(text)) == text
    chain = parse("_test_chain(_test_shape(peak=1.0), _test_shape(peak=2.0), at=[5])")
    assert [p.peak for p in chain.parts] == [1.0, 2.0]
    assert spec(chain) == "_test_chain(_test_shape(peak=1.0), _test_shape(peak=2.0), at=[5])"


def test_literals():
    obj = parse("_test_shape(peak=1e-3, horizon=[1, 2.5, -3], floor={'a': (1,)}, clock='seconds')")
    assert obj.horizon == [1, 2.5, -3] and obj.floor == {"a": (1,)} and obj.clock == "seconds"
    assert spec(obj) == "_test_shape(peak=0.001, horizon=[1, 2.5, -3], floor={'a': (1,)}, clock='seconds')"
    assert parse("_test_wrap(inner=1, steps=inf)").steps == math.inf
    assert spec(parse("_test_wrap(inner=1, steps=inf)")) == "_test_wrap(inner=1, steps=inf)"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("_test_shap(peak=1)", "did you mean '_test_shape'"),
        ("_test_shape(peek=1)", "unknown argument 'peek'"),
        ("_test_shape()", "missing required argument 'peak'"),
        ("_test_shape(peak=-1)", "peak=-1"),
        ("_test_shape(peak='x')", "peak='x'"),
        ("_test_shape(peak=1", "cannot parse"),
        ("_test_shape(peak=__import__('os'))", "unknown component '__import__'"),
        ("_test_shape(peak=1 + 2)", "only literals"),
        ("_test_shape(peak=x)", "'x' is not a value"),
        ("", "empty"),
        ("1 + 2", "name(key=value"),
    ],
)
def test_errors_are_one_line(text, fragment):
    with pytest.raises(SpecError) as info:
        parse(text)
    message = str(info.value)
    assert "\n" not in message
    assert fragment in message


def test_kind_is_checked():
    with pytest.raises(SpecError, match="not a problem"):
        parse("_test_shape(peak=1.0)", kind="problem")


@settings(max_examples=60, deadline=None)
@given(
    peak=st.floats(min_value=1e-12, max_value=1e12, allow_nan=False),
    horizon=st.integers(min_value=-10**9, max_value=10**9),
    floor=st.one_of(st.floats(allow_nan=False), st.text(max_size=5), st.none(), st.booleans()),
)
def test_round_trip_property(peak, horizon, floor):
    obj = Shape(peak, horizon, floor=floor)
    again = parse(spec(obj))
    assert again.peak == obj.peak and again.horizon == horizon and again.floor == floor
    assert spec(again) == spec(obj)
