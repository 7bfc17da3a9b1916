"""Learning-rate curves of one or more schedules over a run (``lrsched lr --plot``).

The curves are sampled with :func:`lrsched.schedules.sample`: the learning rate
applied at steps ``0..steps-1`` of a run of ``steps`` steps, whatever the
schedule's clock (``fraction`` advances by ``1/steps`` per step, other clocks by
``per_step``).  Schedules that cycle the momentum get a dashed momentum curve on
a second y axis.

Matplotlib is imported on the first call, through :class:`matplotlib.figure.Figure`
(no pyplot: no global backend is chosen or changed; files are rendered with Agg).
"""

from __future__ import annotations

import os

from .._checks import output_file

__all__ = ["schedule", "check_output"]


def check_output(path, what: str = "plot") -> str:
    """Check that a figure can be written to ``path`` (format and folder) before any work.

    Raises ``ValueError`` with one line naming the problem.
    """
    from matplotlib.figure import Figure

    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    formats = Figure().canvas.get_supported_filetypes()
    if ext not in formats:
        raise ValueError(
            f"cannot write a plot to {path!r}: use one of the extensions "
            + ", ".join("." + f for f in sorted(formats))
        )
    return output_file(path, what)


def _as_list(schedules):
    from ..spec import parse

    items = schedules if isinstance(schedules, (list, tuple)) else [schedules]
    if not items:
        raise ValueError("plots.schedule: give at least one schedule")
    return [parse(s, kind="schedule") if isinstance(s, str) else s for s in items]


def schedule(schedules, steps=1000, *, per_step=1.0, labels=None, title=None, ax=None,
             momentum=True, log=False, out=None, dpi=100):
    """Draw the learning rate (and cycled momentum) of schedules against the step.

    Parameters
    ----------
    schedules : Schedule, spec string, or a list of them
    steps : int
        Length of the run; the curves show steps ``0..steps-1``.
    per_step : float
        Clock units per step for the ``epoch``, ``seconds``, ``samples`` and ``joules`` clocks.
    labels : list of str, optional
        Legend entries (default: the canonical specs).
    title : str, optional
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.
    momentum : bool
        Draw the momentum of schedules that cycle it (dashed, right axis).
    log : bool
        Logarithmic learning-rate axis.
    out : path, optional
        Write the figure there (format from the extension); checked before drawing.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = schedule(["cosine(peak=0.1, horizon=100)", "rex(peak=0.1, horizon=100)"], steps=100)
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['cosine(peak=0.1, horizon=100)', 'rex(peak=0.1, horizon=100)']
    """
    from ..schedules.sample import sample
    from ..spec import spec

    items = _as_list(schedules)
    if out is not None:
        out = check_output(out)
    if labels is None:
        labels = [spec(s) for s in items]
    elif len(labels) != len(items):
        raise ValueError(f"plots.schedule: {len(labels)} labels for {len(items)} schedules")
    curves = [sample(s, steps, per_step) for s in items]

    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7.0, 4.0), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    twin = None
    for i, ((k, lr, mom), label) in enumerate(zip(curves, labels)):
        color = f"C{i % 10}"
        ax.plot(k, lr, color=color, label=label, linewidth=1.5)
        if momentum and mom is not None:
            if twin is None:
                twin = ax.twinx()
                twin.set_ylabel("momentum (dashed)")
            twin.plot(k, mom, color=color, linestyle="--", linewidth=1.0, alpha=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if log:
        ax.set_yscale("log")
    ax.set_xlim(0, max(steps - 1, 1))
    ax.grid(True, alpha=0.3)
    if len(items) > 1 or labels != [spec(s) for s in items]:
        ax.legend(fontsize="small", loc="best")
    if title is not None:
        ax.set_title(title)
    elif len(items) == 1:
        ax.set_title(labels[0], fontsize="medium")
    if out is not None:
        fig.savefig(out, dpi=dpi)
    return fig
