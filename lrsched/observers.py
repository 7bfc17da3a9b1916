"""What watches a run: the telemetry monitor and the observers (live view, run log).

:func:`lrsched.train` and :class:`lrsched.integrations.torch.RunMonitor` accept the
same ``monitor=``, ``progress=`` and ``log=`` arguments; these two functions turn
them into objects, so both read them the same way.
"""

from __future__ import annotations

__all__ = ["monitor_for", "observers_for"]


def monitor_for(monitor, owner: str):
    """``(monitor, owned)`` from ``"auto"``, ``None`` or a Monitor.

    An *owned* monitor was made here (or given stopped) and is started and stopped by
    the caller; a running one is used as given and left running.
    """
    if monitor is None:
        return None, False
    if isinstance(monitor, str):
        if monitor != "auto":
            raise ValueError(f"{owner}: monitor={monitor!r} is not allowed; "
                             "use 'auto', None or a Monitor")
        from .telemetry import Monitor

        return Monitor(), True
    return monitor, not getattr(monitor, "running", False)


def observers_for(progress, log, alerts=None) -> list:
    """The live view and run log asked for by ``progress=`` and ``log=``.

    Each may be given ready-made (anything with a ``row`` method, e.g. a configured
    ``LiveView`` or ``RunLog``); ``progress="auto"`` shows the view only in a terminal.
    """
    observers = []
    if hasattr(progress, "row"):
        observers.append(progress)
    elif progress:
        from .live import LiveView

        view = LiveView.auto(alerts=alerts) if progress == "auto" else LiveView(alerts=alerts)
        if view is not None:
            observers.append(view)
    if hasattr(log, "row"):
        observers.append(log)
    elif log is not None:
        from .runs import RunLog

        observers.append(RunLog(log, alerts=alerts))
    return observers
