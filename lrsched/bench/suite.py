"""Benchmark suites: a TOML file that expands into trials.

A suite is problems × optimizers × batch sizes × schedules/policies (× the LR
grid) × seeds under one budget.  The built-in ``quick`` suite reads::

    name = "quick"
    description = "Small convex problems, four schedules, three seeds"
    seeds = 3                          # or a list: [0, 1, 2]
    targets = [0.1, 0.01, 0.001]       # relative: f* + rel·(f0 − f*)
    problems = ["logistic(dataset='breast_cancer', l2=0.001)",
                { spec = "quadratic(dim=50, kappa=100.0)", budget = { steps = 100 } }]
    optimizers = ["sgd(momentum=0.9)"]

    [budget]
    steps = 200

    [tuning]
    ruleset = "external"               # "external": every {lr} template runs on the grid
    lr = [0.1, 0.3, 1.0, 3.0]          # "self": {lr} = default_lr, no tuning

    [schedules]                        # label = template
    constant = "constant(lr={lr})"
    cosine = "cosine(peak={lr}, horizon={steps})"

    [policies]                         # tuning-free; or: policies = "all"
    polyak = "polyak()"

Placeholders
------------
``{lr}`` takes each value of the grid (``[tuning] lr``) under the *external
tuning* ruleset, and ``default_lr`` under *self-tuning* (AlgoPerf terms); a
template without ``{lr}`` runs once, with its defaults.  ``{steps}``,
``{epochs}``, ``{samples}``, ``{seconds}`` and ``{joules}`` are the limits of
the trial's budget; for time or energy budgets write ``clock='fraction',
horizon=1.0`` instead, which ends exactly at the budget whatever it is.  A
``joules`` budget needs an energy counter on the workers (RAPL, NVML) or
``[telemetry] estimate_watts_per_core``; without one its trials fail and say so.

``policies = "all"`` means every policy registered *when the suite is loaded*
that builds with its defaults (those that need arguments, like ``plateau``,
are left out): a policy added later joins the suite, and one not yet written
does not break it.  Explicit names are checked: an unknown one is an error.

Keys
----
Top level: ``name``, ``description``, ``seeds``, ``targets``, ``ecdf_targets``
(log-spaced relative targets of the runtime ECDF), ``dtype``, ``batch_size``
(an integer, ``"full"``, or a list of those), ``eval_every``, ``imports``
(modules to import first, to register your own components), ``problems``
(specs, or tables with ``spec``, ``label``, ``budget``, ``batch_size``, ``lr``,
``eval_every``; a problem's label defaults to its spec as written),
``optimizers``, ``policies``.  Tables: ``[budget]`` (``steps``,
``epochs``, ``samples``, ``seconds``, ``joules``), ``[tuning]`` (``ruleset``,
``lr``, ``default_lr``, ``select_target``, ``select_by``), ``[telemetry]``
(``monitor``, ``estimate_watts_per_core``), ``[schedules]``, ``[policies]``.
Any other key is an error that names the file, the table and the key.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from dataclasses import dataclass, field
from importlib import resources

from .._version import __version__
from ..progress import Budget
from ..spec import SpecError, build, parse, registry, spec
from ._schema import SuiteError, Table, batch_sizes, budget_of, seeds_of
from .trial import Trial

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Suite", "SuiteError", "load_suite", "builtin_suites", "PLACEHOLDERS"]

#: Placeholders a template may use besides ``{lr}``: the limits of the trial's budget.
PLACEHOLDERS = ("lr", "steps", "epochs", "samples", "seconds", "joules")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_RULESETS = ("external", "self")
_MEASURES = ("steps", "seconds", "joules")
_TOP_KEYS = ("name", "description", "imports", "seeds", "targets", "ecdf_targets", "dtype",
             "batch_size", "eval_every", "budget", "tuning", "telemetry", "problems",
             "optimizers", "schedules", "policies")
_PROBLEM_KEYS = ("spec", "label", "budget", "batch_size", "lr", "eval_every")


@dataclass
class Suite:
    """A loaded, validated suite and the trials it expands to."""

    name: str
    description: str
    source: str
    text: str
    trials: list[Trial]
    targets: tuple[float, ...]
    ecdf_targets: tuple[float, ...]
    ruleset: str
    select_target: float
    select_by: str
    imports: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    def meta(self) -> dict:
        """What the store keeps about the suite (the report reads it back)."""
        return {"name": self.name, "description": self.description, "source": self.source,
                "text": self.text, "targets": list(self.targets),
                "ecdf_targets": list(self.ecdf_targets), "ruleset": self.ruleset,
                "select_target": self.select_target, "select_by": self.select_by,
                "imports": list(self.imports), "notes": self.notes,
                "trial_ids": [t.trial_id for t in self.trials]}


def builtin_suites() -> dict[str, str]:
    """Built-in suite names and their descriptions."""
    out = {}
    folder = resources.files("lrsched.bench") / "suites"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            out[entry.name[:-5]] = str(data.get("description", "")).strip().splitlines()[0]
    return out


def _read(name_or_path: str) -> tuple[str, str, str]:
    """(file label, source, text) of a built-in name or a path."""
    path = os.fspath(name_or_path)
    if os.path.exists(path) or path.endswith(".toml") or os.sep in path:
        if not os.path.isfile(path):
            raise SuiteError(f"{path}: no such suite file")
        with open(path, encoding="utf-8") as handle:
            return os.path.basename(path), os.path.abspath(path), handle.read()
    entry = resources.files("lrsched.bench") / "suites" / f"{path}.toml"
    if not entry.is_file():
        names = ", ".join(builtin_suites())
        raise SuiteError(f"unknown suite {path!r}; built-in suites: {names}; "
                         "or give the path of a .toml file")
    return f"{path}.toml", f"builtin:{path}", entry.read_text(encoding="utf-8")


def load_suite(name_or_path: str) -> Suite:
    """Load, validate and expand a suite (a built-in name or a TOML path).

    Raises
    ------
    SuiteError
        A ``ValueError`` whose one-line message names the file, the table and the key.
    """
    file, source, text = _read(name_or_path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{file}: TOML syntax error: {exc}") from None
    top = Table(data, file)
    top.expect(_TOP_KEYS)
    name = top.take("name", file[:-5] if file.endswith(".toml") else file, kinds=(str,))
    description = top.take("description", "", kinds=(str,))
    imports = top.take("imports", [], kinds=(list,), what="a list of module names")
    for module in imports:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise top.error(f"cannot import {module!r}: {exc}", "imports") from None
    seeds = seeds_of(top)
    targets = tuple(sorted(set(top.numbers("targets", [0.1, 0.01, 0.001], low=0, high=1,
                                           what="relative targets")), reverse=True))
    ecdf_targets = tuple(sorted(set(top.numbers(
        "ecdf_targets", [10.0 ** -k for k in range(1, 9)], low=0, high=1,
        what="relative targets")), reverse=True))
    dtype = top.take("dtype", "float64", kinds=(str,))
    if dtype not in ("float64", "float32"):
        raise top.error(f"{dtype!r} is not allowed; use 'float64' or 'float32'", "dtype")
    default_batches = batch_sizes(top, top.take("batch_size", "full"), "batch_size")
    eval_every = top.positive("eval_every", None, integer=True)
    budget = budget_of(top.sub("budget", None))  # None when every problem has its own

    tuning = top.sub("tuning", None) or Table({}, file, "[tuning]")
    ruleset = tuning.take("ruleset", "external", kinds=(str,))
    if ruleset not in _RULESETS:
        raise tuning.error(f"{ruleset!r} is not allowed; use 'external' (an lr grid per schedule,"
                           " best kept) or 'self' (defaults only)", "ruleset")
    grid = tuning.numbers("lr", None, low=0, what="learning rates")
    default_lr = tuning.positive("default_lr", None)
    select_target = tuning.take("select_target", targets[-1], kinds=(int, float))
    if not 0 < select_target < 1:
        raise tuning.error(f"{select_target!r} is not allowed; give a relative target "
                           "strictly between 0 and 1", "select_target")
    select_by = tuning.take("select_by", _default_measure(budget), kinds=(str,))
    if select_by not in _MEASURES:
        raise tuning.error(f"{select_by!r} is not allowed; use one of {', '.join(_MEASURES)}",
                           "select_by")
    tuning.finish()

    telemetry_table = top.sub("telemetry", None) or Table({}, file, "[telemetry]")
    telemetry = {"monitor": telemetry_table.take("monitor", True, kinds=(bool,))}
    watts = telemetry_table.positive("estimate_watts_per_core", None)
    if watts is not None:
        telemetry["estimate_watts_per_core"] = float(watts)
    telemetry_table.finish()

    problems = _problems(top, file, budget, default_batches, eval_every)
    optimizers = _specs(top, "optimizers", "optimizer")
    notes: list[str] = []
    methods = _methods(top, file, notes)
    top.finish()

    built: dict = {}
    configs = [_configs(prob, methods, ruleset, grid, default_lr, file, built)
               for prob in problems]
    trials, seen = [], {}
    for seed in seeds:  # seed outermost: every configuration gets the same seeds (paired)
        for prob, prob_configs in zip(problems, configs):
            for opt in optimizers:
                for batch in prob["batch_sizes"]:
                    for config in prob_configs:
                        trial = Trial(problem=prob["spec"], optimizer=opt,
                                      schedule=config["schedule"], budget=str(prob["budget"]),
                                      batch_size=batch, seed=seed, dtype=dtype,
                                      eval_every=prob["eval_every"], telemetry=telemetry,
                                      version=__version__, label=config["label"],
                                      kind=config["kind"], lr=config["lr"],
                                      ruleset=config["ruleset"], problem_label=prob["label"])
                        where = seen.setdefault(trial.trial_id, config["where"])
                        if where != config["where"]:
                            raise SuiteError(f"{file}: {config['where']} gives the same trial as "
                                             f"{where} ({trial.schedule}); remove one of them")
                        trials.append(trial)
    return Suite(name=name, description=description.strip(), source=source, text=text,
                 trials=trials, targets=targets, ecdf_targets=ecdf_targets, ruleset=ruleset,
                 select_target=float(select_target), select_by=select_by,
                 imports=tuple(imports), notes=notes)


# --------------------------------------------------------------------------- pieces


def _default_measure(budget: Budget | None) -> str:
    if budget is not None and budget.joules is not None:
        return "joules"
    if budget is not None and budget.seconds is not None:
        return "seconds"
    return "steps"


def _build(text: str, kind: str | None, file: str, where: str):
    try:
        return parse(text, kind)
    except SpecError as exc:
        raise SuiteError(f"{file}: {where}: {exc}") from None


def _configs(prob: dict, methods, ruleset: str, grid, default_lr, file: str,
             built: dict) -> list[dict]:
    """The schedule/policy configurations run on one problem: each template at each of its
    learning rates (the grid under external tuning, ``default_lr`` under self-tuning, none
    when the template has no ``{lr}``), with canonical specs."""
    out = []
    grid = prob["lr"] or grid
    for label, where, template in methods:
        if "lr" not in _PLACEHOLDER.findall(template):
            lrs, rules = [None], "self"
        elif ruleset == "external":
            if not grid:
                raise SuiteError(f"{file}: {where} uses {{lr}} but there is no grid; "
                                 "add [tuning] lr = [...]")
            lrs, rules = grid, "external"
        else:
            if default_lr is None:
                raise SuiteError(f"{file}: {where} uses {{lr}}; ruleset 'self' needs "
                                 "[tuning] default_lr")
            lrs, rules = [float(default_lr)], "self"
        for lr in lrs:
            text = _substitute(template, lr, prob["budget"], file, where)
            if text not in built:
                built[text] = _schedule(text, file, where)
            canonical, kind = built[text]
            out.append({"label": label, "where": where, "lr": lr, "ruleset": rules,
                        "schedule": canonical, "kind": kind})
    return out


def _schedule(text: str, file: str, where: str) -> tuple[str, str]:
    """(canonical spec, kind) of a schedule or policy spec."""
    obj = _build(text, None, file, where)
    kind = getattr(obj, "spec_kind", None)
    if kind not in ("schedule", "policy"):
        raise SuiteError(f"{file}: {where}: {text!r} is a {kind}, not a schedule or policy")
    return spec(obj), kind


def _specs(top: Table, key: str, kind: str) -> list[str]:
    value = top.take(key, kinds=(list,), what=f"a list of {kind} specs")
    if not value:
        raise top.error(f"is empty; give at least one {kind} spec", key)
    out = []
    for i, text in enumerate(value):
        if not isinstance(text, str):
            raise top.error(f"{text!r} is not a spec string", f"{key}[{i}]")
        out.append(spec(_build(text, kind, top.file, f"{key}[{i}]")))
    return out


def _problems(top: Table, file: str, budget, default_batches, eval_every) -> list[dict]:
    entries = top.take("problems", kinds=(list,), what="a list of problem specs or tables")
    if not entries:
        raise top.error("is empty; give at least one problem spec", "problems")
    out = []
    for i, entry in enumerate(entries):
        where = f"problems[{i}]"
        if isinstance(entry, str):
            entry = {"spec": entry}
        table = Table(entry, file, where)
        table.expect(_PROBLEM_KEYS)
        text = table.take("spec", kinds=(str,), what="a problem spec")
        obj = _build(text, "problem", file, where)
        label = table.take("label", None, kinds=(str,))
        own_budget = budget_of(table.sub("budget", None))
        if own_budget is None and budget is None:
            raise SuiteError(f"{file}: {where} has no budget; add a [budget] table, "
                             "e.g. [budget] steps = 200")
        sizes = default_batches
        if table.has("batch_size"):
            sizes = batch_sizes(table, table.take("batch_size"), "batch_size")
        lr = table.numbers("lr", None, low=0, what="learning rates")
        every = table.positive("eval_every", eval_every, integer=True)
        table.finish()
        out.append({"spec": spec(obj), "label": label or " ".join(text.split()),
                    "budget": own_budget or budget, "batch_sizes": sizes, "lr": lr,
                    "eval_every": every})
    return out


def _methods(top: Table, file: str, notes: list[str]) -> list[tuple[str, str, str]]:
    """(label, where, template) of every schedule and policy, labels unique."""
    out: list[tuple[str, str, str]] = []
    for key in ("schedules", "policies"):
        value = top.take(key, None, kinds=(dict, str), what="a table of label = spec or 'all'")
        if value is None:
            continue
        if isinstance(value, str):
            if key != "policies" or value != "all":
                raise top.error(f"{value!r} is not allowed; write a [{key}] table of "
                                "label = spec" + (" or 'all'" if key == "policies" else ""), key)
            out.extend(_all_policies(notes))
            continue
        for label, template in value.items():
            where = f"[{key}] {label}"
            if not isinstance(template, str):
                raise SuiteError(f"{file}: {where}: must be a spec string, got {template!r}")
            out.append((label, where, template))
    if not out:
        raise SuiteError(f"{file}: no schedules or policies; add a [schedules] table "
                         "(label = \"cosine(peak={lr}, horizon={steps})\") or policies = \"all\"")
    labels = [label for label, _, _ in out]
    duplicate = next((x for x in labels if labels.count(x) > 1), None)
    if duplicate is not None:
        raise SuiteError(f"{file}: the label {duplicate!r} is used twice in [schedules] and "
                         "[policies]; labels must be unique")
    return out


def _all_policies(notes: list[str]) -> list[tuple[str, str, str]]:
    out, skipped = [], []
    for name, cls in registry("policy").items():
        try:
            obj = build(cls)
        except (SpecError, ValueError, TypeError):
            skipped.append(name)
            continue
        out.append((name, f"[policies] {name}", spec(obj)))
    notes.append("policies = 'all' resolved to: " + (", ".join(n for n, _, _ in out) or "none"))
    if skipped:
        notes.append("policies that need arguments were left out: " + ", ".join(skipped))
    return out


def _substitute(template: str, lr, budget: Budget, file: str, where: str) -> str:
    values = {"lr": lr, **budget.limits}

    def replace(match):
        key = match.group(1)
        if key not in PLACEHOLDERS:
            raise SuiteError(f"{file}: {where}: unknown placeholder {{{key}}}; allowed: "
                             + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
        if values.get(key) is None:
            raise SuiteError(f"{file}: {where}: {{{key}}} needs a budget with {key}=, but the "
                             f"budget is {budget}; for time or energy budgets write "
                             "clock='fraction', horizon=1.0")
        return repr(values[key])

    return _PLACEHOLDER.sub(replace, template)
