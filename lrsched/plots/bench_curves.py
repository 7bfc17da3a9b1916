"""Benchmark curves: loss against steps or seconds, learning rate, and resources.

Each function takes an :class:`lrsched.bench.analysis.Analysis` (the numbers of
a results folder) and returns a :class:`matplotlib.figure.Figure`, saved to
``out`` when given.  One panel per workload; in each, for every method (at its
selected learning rate), the seeds are faint lines and the median over seeds
a solid line with a bootstrap 95 % band, after resampling every seed onto a
common grid (the value of the last evaluation at or before each grid point).

The loss is shown as the *relative gap* ``(f − f*)/(f0 − f*)``, the scale the
relative targets (dotted lines) are defined on; where ``f*`` is estimated
(the best loss seen) the best run touches the floor of the axis.
"""

from __future__ import annotations

import numpy as np

from ._bench_style import MIB, legend_below, method_colors, panels, short

__all__ = ["loss", "learning_rate", "resources"]

#: Smallest relative gap drawn (an estimated f* is reached exactly by the best run).
GAP_FLOOR = 1e-12
_XLABEL = {"step": "step", "seconds": "training seconds", "joules": "joules"}


def _save(fig, out):
    if out is not None:
        fig.savefig(out, dpi=110)
    return fig


def _band(ax, series, color, n_grid: int, floor: float | None = None) -> bool:
    """Faint seeds, median line and bootstrap band of ``series`` [(x, y), ...]."""
    from ..bench.metrics import bootstrap_band, resample_last

    series = [(np.asarray(x, float), np.asarray(y, float)) for x, y in series if len(x)]
    if not series:
        return False
    if floor is not None:
        series = [(x, np.clip(y, floor, None)) for x, y in series]
    for x, y in series:
        ax.plot(x, y, color=color, lw=0.7, alpha=0.25)
    end = max(float(np.nanmax(x)) for x, _ in series)
    grid = np.linspace(0.0, end, n_grid) if end > 0 else np.zeros(1)
    stacked = np.array([resample_last(x, y, grid) for x, y in series])
    median, low, high = bootstrap_band(stacked)
    ax.fill_between(grid, low, high, color=color, alpha=0.18, lw=0)
    ax.plot(grid, median, color=color, lw=1.8)
    return True


def loss(analysis, x: str = "step", *, out=None, n_grid: int = 200):
    """Relative gap against ``x`` (``"step"`` or ``"seconds"``), one panel per workload."""
    colors = method_colors(analysis.methods)
    title = f"Loss against {_XLABEL[x]} (median over seeds, 95 % band, faint: seeds)"
    fig, axes = panels(len(analysis.workloads), title=title, legend=analysis.methods)
    for w, (workload, ax) in enumerate(zip(analysis.workloads, axes)):
        drawn = False
        for method in analysis.methods:
            series = analysis.series(w, method, x, "gap")
            drawn |= _band(ax, series, colors[method], n_grid, floor=GAP_FLOOR)
        for rel in analysis.targets:
            ax.axhline(rel, color="0.5", lw=0.7, ls=":")
        if drawn:
            ax.set_yscale("log")
            low, high = ax.get_ylim()
            ax.set_ylim(max(low, GAP_FLOOR / 2), min(high, 1e3))
        note = " (f* = best seen)" if workload.estimated else ""
        ax.set_title(short(workload.label) + note, fontsize="small")
        ax.set_xlabel(_XLABEL[x])
        ax.set_ylabel("(f − f*) / (f0 − f*)")
        ax.grid(True, which="major", alpha=0.3)
    legend_below(fig, axes, analysis.methods, colors)
    return _save(fig, out)


def learning_rate(analysis, *, out=None, n_grid: int = 200):
    """Learning rate against steps, one panel per workload."""
    colors = method_colors(analysis.methods)
    fig, axes = panels(len(analysis.workloads), legend=analysis.methods,
                       title="Learning rate against step (selected learning rate of each method)")
    for w, (workload, ax) in enumerate(zip(analysis.workloads, axes)):
        values = []
        for method in analysis.methods:
            series = analysis.series(w, method, "step", "lr")
            series = [(x, y) for x, y in series if np.isfinite(y).any()]
            _band(ax, series, colors[method], n_grid)
            values += [y[np.isfinite(y)] for _, y in series]
        values = np.concatenate(values) if values else np.array([])
        positive = values[values > 0]
        if positive.size and positive.max() > 10 * positive.min():
            # log only over a decade or more (short log axes label every minor tick);
            # a policy's zero rate (nothing to gain on this batch) is left out
            ax.set_yscale("log", nonpositive="mask")
        ax.set_title(short(workload.label), fontsize="small")
        ax.set_xlabel("step")
        ax.set_ylabel("learning rate")
        ax.grid(True, alpha=0.3)
    legend_below(fig, axes, analysis.methods, colors)
    return _save(fig, out)


#: Resource panels: (column, y label, scale).
#: Cumulative columns are drawn from 0 at the trial's first sample; percentages on 0-100.
_RESOURCES = (("rss_bytes", "RSS (MiB)", 1 / MIB),
              ("cpu_seconds", "process CPU seconds since start", 1.0),
              ("cpu_percent", "CPU (%, whole system)", 1.0),
              ("gpu_util_percent", "GPU utilisation (%)", 1.0),
              ("gpu_power_watts", "GPU power (W)", 1.0), ("joules", "energy since start (J)", 1.0))
_CUMULATIVE = ("cpu_seconds", "joules")


def resources(analysis, *, out=None):
    """Resources recorded against training seconds: one line per trial, coloured by method.

    Only resources some trial measured get a panel; with none, the figure says so.
    """
    colors = method_colors(analysis.methods)
    measured = [r for r in _RESOURCES
                if any(r[0] in c and np.isfinite(c[r[0]]).any() for c in analysis.curves.values())]
    title = "Resources against training seconds (one line per trial of a selected config)"
    fig, axes = panels(max(len(measured), 1), columns=3, title=title, size=(4.2, 3.2),
                       legend=analysis.methods)
    if not measured:
        axes[0].text(0.5, 0.5, "no telemetry was recorded", ha="center", va="center")
        axes[0].set_axis_off()
        return _save(fig, out)
    for (column, ylabel, scale), ax in zip(measured, axes):
        for (_, method), sel in analysis.selected.items():
            for t in sel.trials:
                curve = analysis.curves.get(t["trial_id"])
                if curve is None or column not in curve or not np.isfinite(curve[column]).any():
                    continue
                values = curve[column] * scale
                if column in _CUMULATIVE:
                    values = values - values[np.isfinite(values)][0]
                ax.plot(curve["seconds"], values, color=colors[method], lw=0.8, alpha=0.55)
        if column.endswith("percent"):
            ax.set_ylim(0, 105)
        ax.set_xlabel("training seconds")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
    legend_below(fig, axes, analysis.methods, colors)
    return _save(fig, out)
