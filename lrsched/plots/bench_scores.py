"""Benchmark scores: performance profiles, runtime ECDFs and the time–loss–energy Pareto view.

Each function takes an :class:`lrsched.bench.analysis.Analysis` and returns a
:class:`matplotlib.figure.Figure` (saved to ``out`` when given).  Definitions
are those of :mod:`lrsched.bench.metrics`: the profile ``ρ(τ)`` is the share
of (workload, target) pairs a method reaches within ``τ`` times the best
method's cost, and the AlgoPerf score in the legend is its area over
``1 ≤ τ ≤ 4`` divided by 3; the ECDF is the share of (workload, target,
seed) triples reached within a cost.
"""

from __future__ import annotations

import numpy as np

from ._bench_style import legend_below, method_colors, panels, short

__all__ = ["profiles", "ecdf", "pareto"]

_XLABEL = {"steps": "steps", "seconds": "training seconds", "joules": "joules"}


def _save(fig, out):
    if out is not None:
        fig.savefig(out, dpi=110)
    return fig


def profiles(analysis, *, out=None, tau_max: float = 4.0):
    """Dolan–Moré performance profiles, one panel per measured cost (steps, seconds, joules).

    The legend gives each method's AlgoPerf score for every measure.
    """
    from ..bench import metrics

    colors = method_colors(analysis.methods)
    measures = analysis.measures
    ratios = {m: metrics.performance_ratios(analysis.profile_costs(m)) for m in measures}
    scores = {m: metrics.algoperf_score(ratios[m], tau_max) for m in measures}
    labels = {m: f"{m} (" + ", ".join(f"{scores[k][j]:.2f}" for k in measures) + ")"
              for j, m in enumerate(analysis.methods)}
    fig, axes = panels(len(measures), legend=labels.values(), title=(
        "Performance profiles over (workload, target) pairs\nlegend: AlgoPerf score "
        f"(area for 1 ≤ τ ≤ {tau_max:g}) by " + ", ".join(measures)))
    taus = np.linspace(1.0, tau_max + 0.5, 400)
    for measure, ax in zip(measures, axes):
        rho = metrics.performance_profile(ratios[measure], taus)
        for j, method in enumerate(analysis.methods):
            ax.step(taus, rho[:, j], where="post", color=colors[method], lw=1.6)
        ax.axvline(tau_max, color="0.5", lw=0.8, ls=":")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlim(1.0, tau_max + 0.5)
        ax.set_xlabel(f"τ (ratio to the best {_XLABEL[measure]})")
        ax.set_ylabel("ρ(τ): share of pairs")
        ax.set_title(measure, fontsize="small")
        ax.grid(True, alpha=0.3)
    legend_below(fig, axes, analysis.methods, colors, labels)
    return _save(fig, out)


def ecdf(analysis, *, out=None):
    """COCO-style runtime ECDFs over log-spaced targets, one panel per measured cost."""
    from ..bench import metrics

    colors = method_colors(analysis.methods)
    measures = analysis.measures
    low, high = min(analysis.ecdf_targets), max(analysis.ecdf_targets)
    fig, axes = panels(len(measures), legend=analysis.methods, title=(
        f"Runtime ECDF over (workload, target, seed); {len(analysis.ecdf_targets)} targets "
        f"from {high:g} to {low:g} of the initial gap"))
    for measure, ax in zip(measures, axes):
        runtimes = analysis.ecdf_runtimes(measure)
        finite = np.concatenate([r[np.isfinite(r) & (r > 0)] for r in runtimes.values()] or
                                [np.array([])])
        start = finite.min() if finite.size else 1.0
        end = finite.max() if finite.size else 10.0
        for method in analysis.methods:
            x, y = metrics.ecdf_points(runtimes[method])
            x = np.clip(x, start, None)
            ax.step(np.concatenate([[start], x, [end * 1.5]]),
                    np.concatenate([[0.0], y, [y[-1] if y.size else 0.0]]), where="post",
                    color=colors[method], lw=1.6)
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(_XLABEL[measure])
        ax.set_ylabel("share of triples reached")
        ax.grid(True, which="both", alpha=0.3)
    legend_below(fig, axes, analysis.methods, colors)
    return _save(fig, out)


def _consumption(analysis, trial, unit):
    """Energy in joules, or process CPU seconds, that ``trial`` used (``nan`` if unknown)."""
    if unit == "joules":
        return np.nan if trial["joules"] is None else float(trial["joules"])
    curve = analysis.curves.get(trial["trial_id"])
    if curve is not None and "cpu_seconds" in curve:
        cpu = curve["cpu_seconds"][np.isfinite(curve["cpu_seconds"])]
        if cpu.size:
            return float(cpu[-1] - cpu[0])
    return np.nan


def _unit(analysis) -> str | None:
    if any(t["joules"] is not None for t in analysis.trials):
        return "joules"
    if any("cpu_seconds" in c and np.isfinite(c["cpu_seconds"]).any()
           for c in analysis.curves.values()):
        return "CPU seconds"
    return None


def pareto(analysis, *, out=None, floor: float = 1e-12):
    """Training time against final relative gap, marker area by energy (or CPU seconds).

    One point per method (medians over seeds of its selected config); the
    methods no other beats on time, gap *and* energy together are ringed, and
    the time–gap front is drawn as a line.
    """
    from ..bench import metrics

    colors = method_colors(analysis.methods)
    unit = _unit(analysis)
    shown = {"joules": "energy (joules)", "CPU seconds": "process CPU seconds (no energy "
             "measured)", None: "nothing (no energy or CPU time measured)"}[unit]
    fig, axes = panels(len(analysis.workloads), legend=analysis.methods, title=(
        "Time, loss and energy: median training seconds and final relative gap per method\n"
        f"marker area ∝ {shown} · ringed: Pareto-optimal in all three · dashed: time–gap front"))
    for w, (workload, ax) in enumerate(zip(analysis.workloads, axes)):
        points, names = [], []
        for method in analysis.methods:
            sel = analysis.selected.get((w, method))
            if sel is None:
                continue
            seconds = np.median([t["seconds"] if t["seconds"] is not None else np.nan
                                 for t in sel.trials])
            gap = np.median(sel.final_gap)
            used = np.array([_consumption(analysis, t, unit) for t in sel.trials])
            energy = float(np.median(used[np.isfinite(used)])) if np.isfinite(used).any() \
                else np.nan
            if np.isfinite(seconds) and np.isfinite(gap):  # a method that diverged has no point
                points.append((seconds, max(gap, floor), energy))
                names.append(method)
        pts = np.array(points, dtype=float).reshape(-1, 3)
        finite_e = pts[:, 2][np.isfinite(pts[:, 2])]
        scale = finite_e.max() if finite_e.size and finite_e.max() > 0 else 1.0
        optimal = metrics.pareto_mask(pts if np.isfinite(pts[:, 2]).all() else pts[:, :2])
        for (seconds, gap, energy), name, best in zip(pts, names, optimal):
            area = 30 + 270 * (energy / scale if np.isfinite(energy) else 0.3)
            ax.scatter([seconds], [gap], s=area, color=colors[name], alpha=0.75,
                       edgecolors="black" if best else "none", linewidths=1.5, zorder=3)
        front = metrics.pareto_mask(pts[:, :2])
        order = np.argsort(pts[front, 0])
        ax.plot(pts[front, 0][order], pts[front, 1][order], color="0.4", lw=0.8, ls="--")
        ax.set_yscale("log")
        ax.set_xlabel("training seconds")
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3))
        ax.set_ylabel("final (f − f*) / (f0 − f*)")
        ax.set_title(short(workload.label), fontsize="small")
        ax.grid(True, which="major", alpha=0.3)
    legend_below(fig, axes, analysis.methods, colors)
    return _save(fig, out)
