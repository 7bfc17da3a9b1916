"""From stored trials to the numbers of a report: targets, tuning, costs, scores.

Vocabulary
----------
*workload*: a problem spec with a batch size and budget (what AlgoPerf calls a
workload).  *method*: an optimizer with one schedule or policy label of the
suite (the label alone when the suite has one optimizer).  *config*: a method
at one learning rate of the grid.

External tuning (AlgoPerf's ruleset): among a method's configs on a workload,
the one kept has the least median cost (``select_by``, default steps) to the
``select_target`` over seeds, ties and misses broken by the least median final
relative gap.  The selection uses the same seeds as the report, so tuned
methods are slightly favoured over tuning-free ones, as in AlgoPerf's
external-tuning track; the report says which methods were tuned.

Everything here is NumPy on rows read from the store; nothing is plotted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import metrics
from .store import Store

__all__ = ["Analysis", "MEASURES"]

#: Cost measures and the curve column each one reads.
MEASURES = {"steps": "step", "seconds": "seconds", "joules": "joules"}


@dataclass
class Workload:
    """A problem at one batch size and budget, with its reference minimum."""

    key: tuple
    label: str
    f_star: float = math.nan
    estimated: bool = True


@dataclass
class Selected:
    """The config kept for one method on one workload, with its per-seed results."""

    lr: float | None
    tuned: bool
    trials: list
    costs: dict = field(default_factory=dict)   # measure -> (seeds, targets)
    ecdf: dict = field(default_factory=dict)    # measure -> (seeds, ecdf targets)
    final_gap: np.ndarray | None = None         # relative final gap per seed (inf if not done)
    grid: list = field(default_factory=list)    # (lr, median cost, median final gap) per config

    @property
    def statuses(self) -> dict:
        out = {"done": 0, "diverged": 0, "failed": 0}
        for t in self.trials:
            out[t["status"]] += 1
        return out


class Analysis:
    """Read a results folder and compute what the report shows.

    Parameters
    ----------
    folder : str
        A folder written by ``lrsched bench run``.
    """

    def __init__(self, folder: str):
        with Store(folder, create=False) as store:
            self.meta = store.latest_suite() or {}
            ids = self.meta.get("trial_ids")
            self.trials = store.trials(ids)
            self.curves = {t["trial_id"]: store.curve(t["trial_id"]) for t in self.trials
                           if t["n_rows"]}
        if not self.trials:
            raise ValueError(f"{folder}: the results database holds no trials of its suite yet; "
                             "run `lrsched bench run` first")
        self.targets = tuple(self.meta.get("targets", (0.1, 0.01, 0.001)))
        self.ecdf_targets = tuple(self.meta.get("ecdf_targets", metrics.log_targets()))
        self.select_target = float(self.meta.get("select_target", self.targets[-1]))
        # steps always (a suite whose trials all failed scores 0 everywhere); others if recorded
        self.measures = ["steps"] + [m for m in ("seconds", "joules")
                                     if self._measured(MEASURES[m])]
        self.select_by = self.meta.get("select_by", "steps")
        if self.select_by not in self.measures:
            self.select_by = "steps"
        optimizers = list(dict.fromkeys(t["optimizer"] for t in self.trials))
        self._prefix = len(optimizers) > 1
        self.workloads: list[Workload] = []
        self.methods: list[str] = []
        self._group()
        self.selected: dict[tuple[int, str], Selected] = {}
        for (w, method), configs in self._configs.items():
            self.selected[w, method] = self._select(self.workloads[w], configs)

    # ------------------------------------------------------------------ grouping
    def method_of(self, trial: dict) -> str:
        label = trial["label"] or trial["schedule"]
        return f"{label} · {trial['optimizer']}" if self._prefix else label

    def _measured(self, column: str) -> bool:
        return any(column in c and np.isfinite(c[column]).any() for c in self.curves.values())

    def _group(self) -> None:
        index: dict[tuple, int] = {}
        self._configs: dict[tuple[int, str], dict] = {}
        batch_sizes = {t["batch_size"] for t in self.trials}
        for t in self.trials:
            key = (t["problem"], t["batch_size"], t["budget"])
            if key not in index:
                index[key] = len(self.workloads)
                label = t["problem_label"] or t["problem"]
                if len(batch_sizes) > 1:
                    label += f" (batch {t['batch_size']})" if t["batch_size"] else " (full batch)"
                self.workloads.append(Workload(key, label))
            method = self.method_of(t)
            if method not in self.methods:
                self.methods.append(method)
            lr = t["lr"]
            self._configs.setdefault((index[key], method), {}).setdefault(lr, []).append(t)
        for w, workload in enumerate(self.workloads):
            rows = [t for t in self.trials if index[(t["problem"], t["batch_size"],
                                                      t["budget"])] == w]
            known = [t["summary"].get("f_star") for t in rows]
            best = [t["best_loss"] for t in rows if t["best_loss"] is not None]
            for t in rows:
                curve = self.curves.get(t["trial_id"])
                if curve is not None and "loss" in curve and np.isfinite(curve["loss"]).any():
                    best.append(float(np.nanmin(curve["loss"])))
            workload.f_star, workload.estimated = metrics.reference_minimum(known, best)

    # ------------------------------------------------------------------ per trial
    def relative_gap(self, trial: dict, loss) -> np.ndarray:
        """``(loss − f*) / (f0 − f*)`` for a trial's workload."""
        w = self.workload_of(trial)
        f0 = trial["initial_loss"]
        scale = (f0 - w.f_star) if f0 is not None else math.nan
        with np.errstate(all="ignore"):
            return (np.asarray(loss, dtype=float) - w.f_star) / scale

    def workload_of(self, trial: dict) -> Workload:
        key = (trial["problem"], trial["batch_size"], trial["budget"])
        return next(w for w in self.workloads if w.key == key)

    def trial_costs(self, trial: dict, measure: str, rel) -> np.ndarray:
        """Cost of one trial to each relative target (``inf`` when missed or not done)."""
        rel = np.asarray(rel, dtype=float)
        curve = self.curves.get(trial["trial_id"])
        column = MEASURES[measure]
        if trial["status"] != "done" or curve is None or column not in curve:
            return np.full(rel.shape, np.inf)
        w = self.workload_of(trial)
        targets = metrics.relative_targets(trial["initial_loss"], w.f_star, rel)
        return metrics.times_to_targets(curve[column], curve["loss"], targets)

    def _final_gap(self, trial: dict) -> float:
        if trial["status"] != "done" or trial["final_loss"] is None:
            return math.inf
        return float(self.relative_gap(trial, trial["final_loss"]))

    # ------------------------------------------------------------------ selection
    def _select(self, workload: Workload, configs: dict) -> Selected:
        grid = []
        for lr, trials in configs.items():
            cost = np.median([self.trial_costs(t, self.select_by, [self.select_target])[0]
                              for t in trials])
            gap = np.median([self._final_gap(t) for t in trials])
            grid.append((lr, float(cost), float(gap)))
        best = min(grid, key=lambda g: (g[1], g[2], -1 if g[0] is None else g[0]))
        trials = sorted(configs[best[0]], key=lambda t: t["seed"])
        chosen = Selected(lr=best[0], tuned=len(configs) > 1 or trials[0]["ruleset"] == "external",
                          trials=trials, grid=sorted(grid, key=lambda g: (g[0] is None, g[0])))
        for measure in self.measures:
            chosen.costs[measure] = np.array([self.trial_costs(t, measure, self.targets)
                                              for t in trials])
            chosen.ecdf[measure] = np.array([self.trial_costs(t, measure, self.ecdf_targets)
                                             for t in trials])
        chosen.final_gap = np.array([self._final_gap(t) for t in trials])
        return chosen

    # ------------------------------------------------------------------ tables
    def median_costs(self, measure: str, target: float) -> np.ndarray:
        """Median over seeds of the cost to ``target``: (workloads, methods), nan where not run."""
        k = self.targets.index(target)
        out = np.full((len(self.workloads), len(self.methods)), np.nan)
        for (w, method), sel in self.selected.items():
            out[w, self.methods.index(method)] = np.median(sel.costs[measure][:, k])
        return out

    def profile_costs(self, measure: str) -> np.ndarray:
        """Median costs for every (workload, target) pair (rows) and method (columns).

        A method not run on a workload counts as a miss there.
        """
        rows = [self.median_costs(measure, t) for t in self.targets]
        table = np.concatenate(rows, axis=0)
        return np.where(np.isnan(table), np.inf, table)

    def scores(self, measure: str) -> np.ndarray:
        """AlgoPerf score per method over all (workload, target) pairs."""
        return metrics.algoperf_score(metrics.performance_ratios(self.profile_costs(measure)))

    def ecdf_runtimes(self, measure: str) -> dict[str, np.ndarray]:
        """Per method, costs over (workload, ECDF target, seed) triples (misses are ``inf``)."""
        out: dict[str, list] = {m: [] for m in self.methods}
        for (_, method), sel in self.selected.items():
            out[method].append(sel.ecdf[measure].ravel())
        return {m: np.concatenate(v) if v else np.array([]) for m, v in out.items()}

    def winners(self) -> list[tuple[str, str | None, float]]:
        """Per workload: (workload label, winning method or None, its median cost)."""
        costs = self.median_costs(self.select_by, self.select_target)
        gaps = np.full(costs.shape, np.inf)
        for (w, method), sel in self.selected.items():
            gaps[w, self.methods.index(method)] = np.median(sel.final_gap)
        index = metrics.winners(np.where(np.isnan(costs), np.inf, costs), gaps)
        return [(w.label, None if i < 0 else self.methods[i], float(costs[j, i]) if i >= 0
                 else math.inf) for j, (w, i) in enumerate(zip(self.workloads, index))]

    def series(self, w: int, method: str, x: str, y: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(x, y)`` curve columns of each seed of the selected config (empty if none)."""
        sel = self.selected.get((w, method))
        out = []
        for t in sel.trials if sel else []:
            curve = self.curves.get(t["trial_id"])
            if curve is None or x not in curve:
                continue
            values = self.relative_gap(t, curve["loss"]) if y == "gap" else curve.get(y)
            if values is None:
                continue
            out.append((curve[x], values))
        return out
