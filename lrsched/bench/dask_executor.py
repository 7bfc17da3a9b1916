"""The ``dask`` executor: trials as tasks on a :mod:`dask.distributed` cluster.

By default it starts a :class:`~dask.distributed.LocalCluster` of worker
*processes* with one thread each (``--workers N`` of them, default: the usable
cores), so trials run side by side without sharing an interpreter lock.  With
``--address tcp://host:8786`` it connects to a running scheduler instead;
the cluster's workers need lrsched (and any module listed in the suite's
``imports``) installed.  Trials return their results to the driver, which
alone writes the store, so workers need no shared file system.

Slurm, PBS and other batch systems
----------------------------------
`dask-jobqueue <https://jobqueue.dask.org>`_ starts Dask workers as batch
jobs.  Start a scheduler with workers from a small script and point the
harness at it::

    # cluster.py  (pip install dask-jobqueue)
    from dask_jobqueue import SLURMCluster
    cluster = SLURMCluster(cores=1, processes=1, memory="4GB", walltime="01:00:00",
                           job_extra_directives=["--cpus-per-task=1"])
    cluster.scale(jobs=32)
    print(cluster.scheduler_address)   # e.g. tcp://10.0.0.5:8786
    input("press Enter to stop the cluster")

    $ lrsched bench run standard --executor dask --address tcp://10.0.0.5:8786

One core per job keeps times comparable between trials.  A worker lost
mid-trial makes Dask retry the task elsewhere; a task that keeps killing its
workers is recorded as ``failed`` (``KilledWorker``) and the suite goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from .trial import failed_outcome, run_trial

__all__ = ["DaskExecutor"]


class DaskExecutor:
    """Run trials on a Dask cluster (a local one by default).

    Parameters
    ----------
    workers : int, optional
        Worker processes of the local cluster (default: the usable cores).
    address : str, optional
        Address of a running scheduler; no local cluster is started.
    """

    name = "dask"

    def __init__(self, workers: int | None = None, address: str | None = None):
        if address is not None and workers is not None:
            raise ValueError("--workers is not used with --address: the cluster has its own "
                             "workers")
        from .executors import default_workers

        self.workers = int(workers) if workers else default_workers()
        self.address = address
        self.client = None
        self.cluster = None

    def start(self) -> None:
        """Connect (or start the local cluster); a bad address is a ``ValueError``."""
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ValueError("--executor dask needs dask.distributed: "
                             "pip install 'lrsched[dask]'") from None
        if self.address is not None:
            try:
                self.client = Client(self.address, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise ValueError(f"--address {self.address!r}: cannot reach a Dask scheduler "
                                 f"({type(exc).__name__}: {exc})") from None
            return
        self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                    processes=True, dashboard_address=None,
                                    silence_logs=logging.ERROR)
        self.client = Client(self.cluster)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    def run(self, payloads: Sequence[dict], on_result: Callable[[dict], None]) -> None:
        from dask.distributed import as_completed

        if self.client is None:
            self.start()
        futures = {}
        for payload in payloads:
            payload = {**payload, "single_thread": True}
            future = self.client.submit(run_trial, payload, pure=False,
                                        key=f"lrsched-trial-{payload['trial_id']}")
            futures[future] = payload
        try:
            for future in as_completed(list(futures)):
                payload = futures.pop(future)
                try:
                    outcome = future.result()
                except Exception as exc:  # KilledWorker, a lost connection, ...
                    outcome = failed_outcome(payload["trial_id"],
                                             f"dask: {type(exc).__name__}: {exc}".splitlines()[0])
                future.release()
                on_result(outcome)
        finally:
            for future in futures:
                future.cancel()
