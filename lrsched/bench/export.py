"""Read a results folder as tables: pandas DataFrames, CSV or Parquet files.

>>> trials, curves = lrsched.bench.load("lrsched-results/quick")   # doctest: +SKIP
>>> trials.groupby("label")["final_loss"].median()                 # doctest: +SKIP

``trials`` has one row per trial (the columns of the store's ``trials``
table; ``spec``, ``summary`` and ``provenance`` hold JSON
text); ``curves`` has one row per recorded step (``trial_id``, ``row``,
``step`` and the recorded columns).  Join them on ``trial_id``.
"""

from __future__ import annotations

import csv
import os

from .store import Store

__all__ = ["load", "export", "FORMATS"]

FORMATS = ("csv", "parquet")


def _rows(store: Store, table: str):
    cursor = store.conn.execute(f"SELECT * FROM {table} ORDER BY rowid" if table == "trials"
                                else f"SELECT * FROM {table} ORDER BY trial_id, row")
    return [d[0] for d in cursor.description], cursor


def load(folder: str):
    """``(trials, curves)`` of a results folder as pandas DataFrames."""
    try:
        import pandas as pd
    except ImportError:
        raise ValueError("lrsched.bench.load needs pandas: pip install 'lrsched[export]'") from None
    with Store(folder, create=False) as store:
        frames = []
        for table in ("trials", "curves"):
            names, cursor = _rows(store, table)
            frames.append(pd.DataFrame.from_records(cursor.fetchall(), columns=names))
    return frames[0], frames[1]


def export(folder: str, fmt: str = "csv", out: str | None = None) -> list[str]:
    """Write ``trials`` and ``curves`` of ``folder`` as CSV or Parquet files in ``out``.

    Parameters
    ----------
    folder : str
        A results folder.
    fmt : {"csv", "parquet"}
        CSV needs nothing else; Parquet needs pandas and pyarrow.
    out : str, optional
        Folder of the files (default: ``folder``).

    Returns
    -------
    list of str
        The paths written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"--format {fmt!r} is not allowed; use one of {', '.join(FORMATS)}")
    if not os.path.isfile(os.path.join(folder, Store.FILENAME)):
        raise ValueError(f"{folder}: no {Store.FILENAME} here; run `lrsched bench run` first")
    out = out or folder
    if fmt == "parquet":
        try:
            import pandas  # noqa: F401
            import pyarrow  # noqa: F401
        except ImportError:
            raise ValueError("--format parquet needs pandas and pyarrow: "
                             "pip install 'lrsched[export]'") from None
    os.makedirs(out, exist_ok=True)
    paths = []
    if fmt == "parquet":
        trials, curves = load(folder)
        for name, frame in (("trials", trials), ("curves", curves)):
            path = os.path.join(out, f"{name}.parquet")
            frame.to_parquet(path, index=False)
            paths.append(path)
        return paths
    with Store(folder, create=False) as store:
        for table in ("trials", "curves"):
            names, cursor = _rows(store, table)
            path = os.path.join(out, f"{table}.csv")
            with open(path, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(names)
                writer.writerows(cursor)
            paths.append(path)
    return paths
