"""One figure of one or more training runs: loss, learning rate and resources.

Panels: loss against steps and against training seconds (log scale; the gap
``loss - f*`` when every run knows ``f*``), learning rate against steps, and
the resources recorded (memory, utilisation, power, cumulative energy against
seconds; a panel is drawn only when some run has a finite value for it).
Several runs are overlaid with a legend whose labels are the spec fields that
differ between them (the file names when the specs are the same); a run that
did not finish (``diverged``, ``incomplete``) ends with a cross and says so in
its label; alerts recorded in a run log are dotted vertical lines at their step.

Matplotlib is imported on the first call, through :class:`matplotlib.figure.Figure`
(no pyplot, so no global backend is chosen or changed).
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["run"]

_SPEC_KEYS = ("problem", "model", "optimizer", "schedule", "budget", "batch_size", "seed")
_MIB = 2.0**20

#: Resource panels: (title, y label, [(column, legend name, scale)]).
_RESOURCES = (
    ("memory", "MiB", [("rss_bytes", "RSS", 1 / _MIB), ("gpu_memory_bytes", "GPU memory", 1 / _MIB)]),
    ("utilisation", "%", [("cpu_percent", "CPU (system)", 1.0),
                          ("gpu_util_percent", "GPU", 1.0)]),
    ("power", "W", [("gpu_power_watts", "GPU power", 1.0)]),
    ("energy", "J", [("joules", "total", 1.0), ("gpu_joules", "GPU", 1.0),
                     ("rapl_package_joules", "CPU package", 1.0),
                     ("estimated_joules", "estimated", 1.0)]),
)


def _as_results(results_or_paths) -> tuple[list, list]:
    """Results and fallback names from a Result, a path, or a sequence of them."""
    from ..result import Result
    from ..runs import load

    items = results_or_paths
    if isinstance(items, (Result, str, os.PathLike)):
        items = [items]
    items = list(items)
    if not items:
        raise ValueError("plots.run: give at least one Result or run-log path")
    results, names = [], []
    for i, item in enumerate(items):
        if isinstance(item, Result):
            results.append(item)
            names.append(f"run {i + 1}")
        elif isinstance(item, (str, os.PathLike)):
            results.append(load(item))
            names.append(os.path.basename(os.fspath(item)))
        else:
            raise ValueError(f"plots.run: {item!r} is not a Result or a run-log path")
    return results, names


def _labels(results, names) -> tuple[list[str], str]:
    """Legend labels (spec fields that differ) and a title (the fields they share)."""
    specs = [r.spec or {} for r in results]
    keys = [k for k in _SPEC_KEYS if any(k in s for s in specs)]
    varying = [k for k in keys if len({str(s.get(k)) for s in specs}) > 1]
    shared = [k for k in keys if k not in varying and specs[0].get(k) is not None]
    title = " · ".join(str(specs[0][k]) for k in shared if k in ("problem", "model", "optimizer",
                                                                 "schedule", "budget"))
    labels = []
    for spec, name, r in zip(specs, names, results):
        label = ", ".join(f"{spec.get(k)}" if k in ("schedule", "optimizer", "problem", "model")
                          else f"{k}={spec.get(k)}" for k in varying)
        if not label:
            label = str(spec.get("schedule") or name) if len(results) == 1 else name
        status = r.summary.get("status")
        if status not in (None, "done"):
            label += f" ({status})"
        labels.append(label)
    return labels, title


def _column(result, name):
    column = result.history.get(name)
    return None if column is None else np.asarray(column, dtype=np.float64)


def _loss_curves(results):
    """``(curves, ylabel)``: per run the loss, or the gap to f* when f* is known for every
    run's problem (a diverged run has no f* of its own; it takes its problem's)."""
    known = {}
    for r in results:
        if r.summary.get("f_star") is not None:
            known[str((r.spec or {}).get("problem"))] = r.summary["f_star"]
    stars = [r.summary.get("f_star") if r.summary.get("f_star") is not None
             else known.get(str((r.spec or {}).get("problem"))) for r in results]
    use_gap = all(s is not None for s in stars)
    curves = []
    for r, f_star in zip(results, stars):
        loss = _column(r, "loss")
        if loss is None:
            loss = np.full(len(_column(r, "step")), np.nan)
        curves.append(loss - f_star if use_gap else loss)
    return curves, ("loss − f*" if use_gap else "loss")


def _log_if_positive(ax, curves, axis="y") -> None:
    values = np.concatenate([c[np.isfinite(c)] for c in curves] or [np.empty(0)])
    if len(values) and (values > 0).all():
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")


def _positive_or_all(curves):
    """Mask non-positive values for log axes only when every finite value is not negative."""
    out = []
    for c in curves:
        c = c.copy()
        finite = c[np.isfinite(c)]
        if len(finite) and (finite >= 0).all():
            c[c <= 0] = np.nan
        out.append(c)
    return out


def run(results_or_paths, out=None, *, labels=None, title=None):
    """Draw training runs: loss vs step and vs seconds, learning rate, resources.

    Parameters
    ----------
    results_or_paths : Result, path, or sequence of them
        Runs from :func:`lrsched.train` or run logs (``.jsonl``) read with
        :func:`lrsched.runs.load`.
    out : str or path, optional
        Write the figure there (PNG, SVG or PDF by suffix).
    labels : sequence of str, optional
        Legend labels (default: the spec fields that differ between runs).
    title : str, optional
        Figure title (default: the spec fields the runs share).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError, FileNotFoundError
        A path is not a readable run log, or ``out`` cannot be written; raised
        before anything is drawn or written.
    """
    if out is not None:
        from ..runs import check_path

        out = check_path(out, "out")
    results, names = _as_results(results_or_paths)
    auto_labels, auto_title = _labels(results, names)
    if labels is not None:
        labels = [str(x) for x in labels]
        if len(labels) != len(results):
            raise ValueError(f"plots.run: {len(labels)} labels for {len(results)} runs")
    else:
        labels = auto_labels

    from matplotlib.figure import Figure

    resources = [(t, unit, [(c, n, k) for c, n, k in cols
                            if any(_finite(r, c) and not _same_as_total(r, c) for r in results)])
                 for t, unit, cols in _RESOURCES]
    resources = [p for p in resources if p[2]]

    fig = Figure(figsize=(12, 8), layout="constrained")
    grid = fig.add_gridspec(2, 2)
    ax_step = fig.add_subplot(grid[0, 0])
    ax_time = fig.add_subplot(grid[0, 1], sharey=ax_step)
    ax_lr = fig.add_subplot(grid[1, 0], sharex=ax_step)
    colors = [f"C{i % 10}" for i in range(len(results))]

    curves, ylabel = _loss_curves(results)
    curves = _positive_or_all(curves)
    for r, y, label, color in zip(results, curves, labels, colors):
        step, seconds = _column(r, "step"), _column(r, "seconds")
        ax_step.plot(step, y, color=color, label=label, lw=1.4)
        ax_time.plot(seconds, y, color=color, lw=1.4)
        for alert in r.summary.get("alerts") or ():  # from a run log: dotted at the step
            ax_step.axvline(alert["step"], color=color, ls=":", lw=1.0, alpha=0.7)
        end = _last_finite(y)
        if r.summary.get("status") not in (None, "done") and end is not None:
            ax_step.plot(step[end], y[end], "x", color=color, ms=9, mew=2)
            ax_time.plot(seconds[end], y[end], "x", color=color, ms=9, mew=2)
    _log_if_positive(ax_step, curves)
    ax_step.set(xlabel="step", ylabel=ylabel, title=f"{ylabel} vs step")
    ax_time.set(xlabel="training seconds", ylabel=ylabel, title=f"{ylabel} vs time")

    lrs = [_column(r, "lr") for r in results]
    lrs = [np.full(len(_column(r, "step")), np.nan) if lr is None else lr
           for r, lr in zip(results, lrs)]
    for r, lr, color in zip(results, lrs, colors):
        ax_lr.plot(_column(r, "step"), lr, color=color, lw=1.4, drawstyle="steps-post")
    finite_lr = np.concatenate([lr[np.isfinite(lr)] for lr in lrs])
    if len(finite_lr) and (finite_lr > 0).all() and finite_lr.max() / finite_lr.min() > 100:
        ax_lr.set_yscale("log")
    ax_lr.set(xlabel="step", ylabel="learning rate", title="learning rate vs step")

    if resources:
        cells = grid[1, 1].subgridspec(len(resources), 1, hspace=0.05)
        first = None
        for k, (panel, unit, cols) in enumerate(resources):
            ax = fig.add_subplot(cells[k, 0], sharex=first)
            first = first or ax
            styles = ("-", "--", ":", "-.")
            for (name, legend, scale), style in zip(cols, styles):
                for r, color in zip(results, colors):
                    y = _column(r, name)
                    if y is not None and np.isfinite(y).any():
                        ax.plot(_column(r, "seconds"), y * scale, style, color=color, lw=1.2,
                                label=legend if r is results[0] or len(results) == 1 else None)
            ax.set_ylabel(f"{panel}\n({unit})", fontsize=8)
            ax.ticklabel_format(axis="y", useOffset=False)
            if unit == "%":
                ax.set_ylim(0, max(100.0, ax.get_ylim()[1]) * 1.05)
            ax.tick_params(labelsize=7)
            if len(cols) > 1:
                ax.legend(fontsize=7, loc="best")
            if k == 0:
                ax.set_title("resources vs time")
            if k < len(resources) - 1:
                ax.tick_params(labelbottom=False)
            else:
                ax.set_xlabel("training seconds")
    else:
        ax = fig.add_subplot(grid[1, 1])
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no telemetry recorded", ha="center", va="center", color="0.4")

    for ax in (ax_step, ax_time, ax_lr):
        ax.grid(True, which="major", alpha=0.3)
    ax_step.legend(fontsize=8, loc="best")
    fig.suptitle(title if title is not None else auto_title, fontsize=10)
    if out is not None:
        fig.savefig(out, dpi=110)
    return fig


def _finite(result, name) -> bool:
    column = result.history.get(name)
    return column is not None and bool(np.isfinite(np.asarray(column, dtype=float)).any())


def _same_as_total(result, name) -> bool:
    """An energy component equal to the total (the only source) adds no line."""
    if name == "joules" or not name.endswith("joules") or "joules" not in result.history:
        return False
    return bool(np.array_equal(result.history[name], result.history["joules"], equal_nan=True))


def _last_finite(y):
    """Index of the last finite value of ``y``, or ``None``."""
    where = np.flatnonzero(np.isfinite(y))
    return int(where[-1]) if len(where) else None
