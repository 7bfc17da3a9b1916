"""Suite files: expansion into trials, identity, and one-line errors for every mistake."""

from __future__ import annotations

import textwrap

import pytest

from lrsched.bench import SuiteError, builtin_suites, load_suite
from lrsched.spec import registry

BASE = """
seeds = [0, 1]
problems = ["quadratic(dim=10, kappa=10.0)"]
optimizers = ["sgd()"]

[budget]
steps = 50

[tuning]
lr = [0.1, 0.3]

[schedules]
cosine = "cosine(peak={lr}, horizon={steps})"
"""


def edit(old: str, new: str) -> str:
    """The base suite with one change."""
    assert old in BASE
    return BASE.replace(old, new)


def write(tmp_path, text, name="suite.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def error(tmp_path, text) -> str:
    with pytest.raises(SuiteError) as info:
        load_suite(write(tmp_path, text))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("suite.toml")
    return message


def test_builtin_suites_load_and_are_listed():
    assert {"quick", "standard"} <= set(builtin_suites())
    quick = load_suite("quick")
    assert quick.name == "quick" and len(quick.trials) > 50
    ids = [t.trial_id for t in quick.trials]
    assert len(set(ids)) == len(ids)


def test_standard_takes_every_registered_policy_that_builds_with_defaults():
    standard = load_suite("standard")
    policies = {t.label for t in standard.trials if t.kind == "policy"}
    buildable = set()
    for name, cls in registry("policy").items():
        try:
            cls()
        except (TypeError, ValueError):
            continue
        buildable.add(name)
    assert policies == buildable
    assert any("resolved to" in note for note in standard.notes)


def test_expansion_grid_seeds_and_placeholders(tmp_path):
    suite = load_suite(write(tmp_path, BASE))
    assert len(suite.trials) == 2 * 2  # lr grid x seeds
    assert {t.schedule for t in suite.trials} == {"cosine(peak=0.1, horizon=50)",
                                                  "cosine(peak=0.3, horizon=50)"}
    assert {t.lr for t in suite.trials} == {0.1, 0.3}
    assert all(t.ruleset == "external" and t.kind == "schedule" for t in suite.trials)
    # seeds are shared by every configuration, so comparisons are paired
    for lr in (0.1, 0.3):
        assert sorted(t.seed for t in suite.trials if t.lr == lr) == [0, 1]


def test_trial_identity_uses_canonical_specs(tmp_path):
    a = load_suite(write(tmp_path, BASE, "a.toml"))
    reordered = BASE.replace("cosine(peak={lr}, horizon={steps})",
                             "cosine(horizon={steps}, peak={lr})").replace("cosine =", "renamed =")
    b = load_suite(write(tmp_path, reordered, "b.toml"))
    assert [t.trial_id for t in a.trials] == [t.trial_id for t in b.trials]
    assert {t.label for t in b.trials} == {"renamed"}
    longer = load_suite(write(tmp_path, BASE.replace("steps = 50", "steps = 60"), "c.toml"))
    assert not {t.trial_id for t in a.trials} & {t.trial_id for t in longer.trials}


def test_self_tuning_uses_the_default_lr_and_policies_run_once(tmp_path):
    text = BASE.replace('[tuning]\nlr = [0.1, 0.3]',
                        '[tuning]\nruleset = "self"\nlr = [0.1, 0.3]\ndefault_lr = 0.2')
    text += '\n[policies]\ndog = "dog()"\n'
    suite = load_suite(write(tmp_path, text))
    cosine = [t for t in suite.trials if t.label == "cosine"]
    assert {t.lr for t in cosine} == {0.2} and len(cosine) == 2
    dog = [t for t in suite.trials if t.label == "dog"]
    assert len(dog) == 2 and all(t.lr is None and t.kind == "policy" for t in dog)


def test_per_problem_budget_batch_size_and_grid(tmp_path):
    text = BASE.replace(
        'problems = ["quadratic(dim=10, kappa=10.0)"]',
        'problems = ["quadratic(dim=10, kappa=10.0)", { spec = "logistic()", batch_size = 32, '
        'budget = { steps = 80 }, lr = [1.0], label = "bc" }]')
    suite = load_suite(write(tmp_path, text))
    bc = [t for t in suite.trials if t.problem_label == "bc"]
    assert {t.schedule for t in bc} == {"cosine(peak=1.0, horizon=80)"}
    assert {t.batch_size for t in bc} == {32} and {t.budget for t in bc} == {"steps=80"}


def test_time_budgets_use_the_fraction_clock(tmp_path):
    text = BASE.replace("steps = 50", "seconds = 0.5").replace(
        "cosine(peak={lr}, horizon={steps})", "cosine(peak={lr}, horizon=1.0, clock='fraction')")
    suite = load_suite(write(tmp_path, text))
    assert suite.select_by == "seconds"
    assert {t.budget for t in suite.trials} == {"seconds=0.5"}


def test_imports_register_user_components(tmp_path, monkeypatch):
    import importlib
    import sys

    spec_module = importlib.import_module("lrsched.spec")  # the module, not lrsched.spec()

    # register into a copy of the registry, restored after the test, so other tests never
    # meet this component
    monkeypatch.setattr(spec_module, "_REGISTRY", dict(spec_module._REGISTRY))
    (tmp_path / "my_bench_components.py").write_text(textwrap.dedent('''
        from lrsched.spec import register
        from lrsched.schedules.basic import Constant

        @register("schedule", "_my_test_constant")
        class MyConstant(Constant):
            """A user's schedule."""
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "my_bench_components", raising=False)
    try:
        text = 'imports = ["my_bench_components"]\n' + BASE + '\nmine = "_my_test_constant(lr={lr})"\n'
        suite = load_suite(write(tmp_path, text))
    finally:
        sys.modules.pop("my_bench_components", None)
    assert suite.imports == ("my_bench_components",)
    assert {t.label for t in suite.trials} == {"cosine", "mine"}


@pytest.mark.parametrize("text, expected", [
    ("seeds = [0\n", "TOML syntax error"),
    (edit("seeds = [0, 1]", "seed = [0, 1]"),
     "unknown top-level key 'seed' (did you mean 'seeds'?)"),
    (edit("steps = 50", "step = 50"), "[budget] unknown key 'step' (did you mean 'steps'?)"),
    (edit("lr = [0.1, 0.3]", "lrs = [0.1]"), "[tuning] unknown key 'lrs'"),
    (edit("quadratic(dim=10", "quadratc(dim=10"), "problems[0]: unknown problem 'quadratc'"),
    (edit("quadratic(dim=10", "quadratic(dims=10"),
     "problems[0]: quadratic() got an unknown argument 'dims'"),
    (edit("sgd()", "cosine(peak=1.0, horizon=10)"), "optimizers[0]"),
    (edit("horizon={steps})", "horizn={steps})"),
     "[schedules] cosine: cosine() got an unknown argument 'horizn'"),
    (edit("steps = 50", "steps = -5"), "[budget]: steps=-5 is not allowed"),
    (edit("lr = [0.1, 0.3]", "lr = []"), "[tuning] lr: is empty"),
    (edit("lr = [0.1, 0.3]", "lr = [0.1, -1.0]"), "[tuning] lr: -1.0 is not allowed"),
    (edit("seeds = [0, 1]", "seeds = []"), "seeds: is empty"),
    (edit("seeds = [0, 1]", "seeds = 0"), "seeds: 0 is not allowed"),
    (edit('problems = ["quadratic(dim=10, kappa=10.0)"]', "problems = []"),
     "problems: is empty"),
    (edit("[budget]\nsteps = 50\n", ""), "problems[0] has no budget"),
    (edit("{steps}", "{step}"), "unknown placeholder {step}"),
    (edit("steps = 50", "seconds = 2"), "{steps} needs a budget with steps="),
    (edit("[tuning]\nlr = [0.1, 0.3]\n", ""), "uses {lr} but there is no grid"),
    (edit("lr = [0.1, 0.3]", 'ruleset = "self"'), "needs [tuning] default_lr"),
    (edit("lr = [0.1, 0.3]", 'ruleset = "auto"'), "[tuning] ruleset: 'auto' is not allowed"),
    (BASE + 'again = "cosine(horizon={steps}, peak={lr})"\n', "gives the same trial as"),
    (edit('cosine = "cosine', 'cosine = 3\nx = "cosine'), "[schedules] cosine: must be a spec"),
    ('imports = ["no_such_module_xyz"]\n' + BASE, "imports: cannot import 'no_such_module_xyz'"),
    (BASE + "\n[telemetry]\nmonitr = false\n", "[telemetry] unknown key 'monitr'"),
    (edit("seeds = [0, 1]", 'seeds = [0, 1]\nbatch_size = 0'), "batch_size: 0 is not allowed"),
    (edit("[schedules]\ncosine = \"cosine(peak={lr}, horizon={steps})\"\n", ""),
     "no schedules or policies"),
])
def test_mistakes_are_one_line_naming_file_table_and_key(tmp_path, text, expected):
    message = error(tmp_path, text)
    assert expected in message, message


def test_unknown_suite_name_lists_the_builtin_ones():
    with pytest.raises(SuiteError, match="unknown suite 'nope'; built-in suites: quick, standard"):
        load_suite("nope")
    with pytest.raises(SuiteError, match="no such suite file"):
        load_suite("missing/suite.toml")
