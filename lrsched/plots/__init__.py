"""Figures: ``schedule`` (learning-rate curves), ``run`` (one or more training runs) and
``plot_find_lr`` (an LR range test).

Importing this package is cheap: matplotlib is imported on the first drawing
call, and figures are built with :class:`matplotlib.figure.Figure` (no pyplot,
rendered with Agg), so no global backend is chosen or changed.

The functions share their submodules' names (``lrsched.plots.schedule`` is the
function; its module is ``sys.modules["lrsched.plots.schedule"]``): they are
bound here, after the submodules are imported, so the functions win.
"""

from .find_lr import plot_find_lr
from .run import run
from .schedule import schedule

__all__ = ["schedule", "run", "plot_find_lr"]
