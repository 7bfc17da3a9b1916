"""Shared pieces of the benchmark figures: figure grids, one colour per method, labels."""

from __future__ import annotations

import math
import textwrap

__all__ = ["figure", "panels", "method_colors", "short", "MIB"]

MIB = 2.0**20


def figure(width: float, height: float):
    """A :class:`matplotlib.figure.Figure` (no pyplot, so no global backend is touched)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


#: Inches kept free above the panels (title) and below them (x labels and the legend).
_TOP, _BOTTOM, _LEFT = 0.75, 1.05, 0.95


def panels(n: int, *, columns: int = 3, size: tuple[float, float] = (4.6, 3.3), title=None,
           legend=()):
    """A figure with ``n`` axes on a grid of at most ``columns`` columns.

    ``legend`` holds the labels of the figure legend drawn under the panels by
    :func:`legend_below`: its columns are fitted to the figure's width and room
    is kept for its rows.

    Margins are fixed in inches rather than computed by a layout engine:
    constrained layout measures every tick label and costs seconds per figure.
    """
    columns = 2 if n == 4 and columns > 2 else max(1, min(columns, n))
    rows = math.ceil(n / columns)
    width = size[0] * columns
    if title:  # about 10 characters per inch at the title's size
        title = "\n".join(textwrap.fill(line, int(width * 10)) for line in title.split("\n"))
    top = _TOP + 0.22 * (title or "").count("\n")
    legend = list(legend)
    longest = max((len(label) for label in legend), default=1)
    # an entry is about 0.07 inch per character plus 0.6 inch of handle and padding
    legend_columns = max(1, min(len(legend) or 1, int((width - 0.4) / (0.07 * longest + 0.6))))
    bottom = _BOTTOM + 0.2 * max(0, math.ceil(len(legend) / legend_columns) - 1)
    height = size[1] * rows + top + bottom
    fig = figure(width, height)
    fig.subplots_adjust(left=_LEFT / width, right=1 - 0.25 / width, top=1 - top / height,
                        bottom=bottom / height, wspace=0.4, hspace=0.5)
    axes = fig.subplots(rows, columns, squeeze=False)
    fig.lrsched_legend_columns = legend_columns
    flat = [ax for row in axes for ax in row]
    for ax in flat[n:]:
        ax.set_visible(False)
    from matplotlib.ticker import MaxNLocator

    for ax in flat[:n]:
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.ticklabel_format(axis="y", useOffset=False)
    if title:
        fig.suptitle(title, y=1 - 0.12 / height, va="top")
    return fig, flat[:n]


def method_colors(methods) -> dict:
    """One stable colour per method (tab10, then tab20)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if len(methods) <= 10 else "tab20"]
    return {m: cmap(i % cmap.N) for i, m in enumerate(methods)}


def short(text: str, width: int = 55) -> str:
    """Wrap a long spec for a panel title."""
    return "\n".join(textwrap.wrap(text, width)) or text


def legend_below(fig, axes, methods, colors, extra=None) -> None:
    """One legend for the whole figure, under the panels."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=colors[m], lw=2, label=(extra or {}).get(m, m))
               for m in methods]
    columns = getattr(fig, "lrsched_legend_columns", 5)
    fig.legend(handles=handles, loc="lower center", ncols=min(len(handles), columns),
               fontsize="small", frameon=False, bbox_to_anchor=(0.5, 0.0))
