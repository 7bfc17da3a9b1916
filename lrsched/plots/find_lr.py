"""The LR range test's curve: loss against learning rate, with the suggestions.

Matplotlib is imported on the first call, through :class:`matplotlib.figure.Figure`
(no pyplot: no global backend is chosen or changed; files are rendered with Agg).
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_find_lr"]


def plot_find_lr(result, *, out=None, ax=None, dpi=100, title=None):
    """Draw a :class:`~lrsched.policies.find_lr.LRFinderResult`.

    The raw minibatch losses are faint, the smoothed loss is the main line
    (log-scaled rate axis), and the two suggestions are marked: the steepest
    descent point (a dot) and the minimum / 10 (a dashed vertical line).

    Parameters
    ----------
    result : LRFinderResult
    out : path, optional
        Write the figure there (format from the extension); checked before drawing.
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.
    dpi : int
    title : str, optional
        Default: the problem and optimizer specs.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from lrsched import find_lr
    >>> fig = plot_find_lr(find_lr("logistic(dataset='breast_cancer')", steps=40))
    >>> fig.axes[0].get_xscale()
    'log'
    """
    from .schedule import check_output

    if out is not None:
        check_output(out)
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.4, 4.0), dpi=dpi, layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    lrs, losses, smoothed = result.lrs, result.losses, result.smoothed
    ax.plot(lrs, losses, color="0.75", lw=0.8, label="minibatch loss")
    ax.plot(lrs, smoothed, color="C0", lw=1.8, label="smoothed loss")
    if result.steepest is not None:
        i = int(np.argmin(np.abs(lrs - result.steepest)))
        ax.plot([lrs[i]], [smoothed[i]], "o", color="C3", ms=7,
                label=f"steepest: {result.steepest:.3g}")
    if result.minimum is not None:
        ax.axvline(result.minimum, color="C2", ls="--", lw=1.2,
                   label=f"minimum / 10: {result.minimum:.3g}")
    ax.set_xscale("log")
    finite = smoothed[np.isfinite(smoothed)]
    raw = losses[np.isfinite(losses)]
    if finite.size:
        low = float(min(finite.min(), raw.min() if raw.size else finite.min()))
        high = float(finite[0])
        span = max(high - low, 1e-12)
        ax.set_ylim(low - 0.1 * span, high + 0.5 * span)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    spec = getattr(result, "spec", {}) or {}
    ax.set_title(title or f"{spec.get('problem', '')}  {spec.get('optimizer', '')}".strip(),
                 fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, which="both", alpha=0.3)
    if out is not None:
        fig.savefig(out)
    return fig
