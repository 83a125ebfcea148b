"""Blocks produced by the workers of a Dask cluster (``executor.kind: dask``, the ``dask``
extra).

Without ``executor.address`` a run starts its own local cluster: ``executor.workers``
processes (default: the CPU count) of one thread each, listening on the loopback interface
only, without dashboards, with their scratch files in a hidden folder of the run's staging
folder (removed before the dataset is published) and no retry of a block whose worker died
(on one machine that is almost always a lack of memory, which a retry meets again). With
``executor.address: tcp://HOST:PORT`` the run uses a running cluster's scheduler instead:
its workers must see the output root at the same path (a shared file system), and must have
the same versions of calmops-gen and of the libraries that decide the bytes (numpy, pandas,
pyarrow, river, scipy), which the run checks before it produces anything.

Either way a block's task is the plan and the block's index, as for the process pool: the
plan goes to every worker once (``scatter``), a bounded window of blocks is in flight, each
worker writes its block's files into the staging folder and returns their hashes, and the
results are taken in block order, so the dataset is byte-identical to a sequential run.

Examples
--------
>>> from calmops_gen.executors import executor_for
>>> ex = executor_for("dask", 2)
>>> ex.kind, ex.workers, ex.address
('dask', 2, None)
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar, cast

from calmops_gen.errors import ScenarioError, first_line
from calmops_gen.executors import Executor, WorkerDied

R = TypeVar("R")

#: Seconds to wait for a running scheduler to answer.
CONNECT_TIMEOUT = 10

#: Packages whose versions decide the bytes of a block: every worker must have the client's.
BYTE_DECIDING = ("calmops-gen", "numpy", "pandas", "pyarrow", "river", "scipy", "tzdata")


def dask_missing() -> str | None:
    """Why ``executor.kind: dask`` cannot run here (the extra is not installed), or ``None``.

    Examples
    --------
    >>> dask_missing() is None or "pip install" in dask_missing()
    True
    """
    if importlib.util.find_spec("distributed") is None:
        return (
            'dask needs the dask extra (dask.distributed): pip install "calmops-gen[dask]" '
            '(from a checkout: pip install ".[dask]"), or use sequential or processes'
        )
    return None


def package_versions() -> dict[str, str | None]:
    """The installed version of each package in :data:`BYTE_DECIDING` (``None``: absent).

    Examples
    --------
    >>> package_versions()["numpy"] is not None
    True
    """
    found: dict[str, str | None] = {}
    for name in BYTE_DECIDING:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def version_mismatch(
    client_versions: dict[str, str | None], workers: dict[str, dict[str, str | None]]
) -> str | None:
    """The first worker whose package versions differ from the client's, as a message.

    Examples
    --------
    >>> mine = {"numpy": "2.4.6", "calmops-gen": "0.1.0"}
    >>> version_mismatch(mine, {"tcp://w1:1": dict(mine)}) is None
    True
    >>> version_mismatch(mine, {"tcp://w1:1": {**mine, "numpy": "2.3.0"}})
    'worker tcp://w1:1 has numpy 2.3.0, this process 2.4.6'
    """
    for worker, theirs in sorted(workers.items()):
        for name, mine in client_versions.items():
            if theirs.get(name) != mine:
                return f"worker {worker} has {name} {theirs.get(name)}, this process {mine}"
    return None


def _call(task: Callable[[int], R], index: int) -> R:
    """Run one block's task on a worker (``task`` arrives scattered, once per worker)."""
    return task(index)


@dataclass(frozen=True)
class DaskExecutor(Executor):
    """Runs the blocks' tasks on a Dask cluster: a local one of ``workers`` processes, or the
    running cluster at ``address``."""

    address: str | None = None

    def map(self, task: Callable[[int], R], n: int, workdir: Path | None = None) -> Iterator[R]:
        """Results of ``task(0) .. task(n - 1)``, in order, as they become available.

        Raises
        ------
        WorkerDied
            When a worker ends while it produces a block.
        ScenarioError
            When the scheduler at ``address`` cannot be reached or one of its workers cannot
            write into the staging folder (``executor.address``), or a worker's package
            versions differ from this process's (``executor``).
        """
        from distributed import KilledWorker

        if n == 0:
            return
        with self._client(workdir) as client:
            shared = client.scatter(task, broadcast=True, hash=False)
            # twice the cluster's threads (a worker with 8 threads runs 8 blocks at once)
            window = 2 * max(1, sum(client.nthreads().values()))
            futures: list[Any] = []
            try:
                for i in range(min(window, n)):
                    futures.append(client.submit(_call, shared, i, pure=False))
                for i in range(n):
                    try:
                        result = cast(R, futures[i].result())
                    except KilledWorker as exc:
                        raise WorkerDied(first_line(exc)) from None
                    except OSError as exc:
                        if self.address is None:
                            raise
                        raise ScenarioError(
                            "executor.address",
                            f"a worker of {self.address} cannot write "
                            f"{exc.filename or 'a block'}: {exc.strerror or exc}; the workers "
                            "must see the output root at the same path as this process (a "
                            "shared file system)",
                        ) from None
                    if len(futures) < n:
                        futures.append(client.submit(_call, shared, len(futures), pure=False))
                    futures[i] = None
                    yield result
            finally:
                pending = [f for f in futures if f is not None]
                if pending:  # failed or interrupted: nothing more to compute
                    client.cancel(pending)

    @contextlib.contextmanager
    def _client(self, workdir: Path | None) -> Iterator[Any]:
        """A client of the running cluster at ``address`` (its workers checked), or of a
        local cluster started (and shut down) here."""
        from distributed import Client

        with _quiet("distributed"):
            if self.address is None:
                with (
                    _local_cluster(self.workers, workdir) as cluster,
                    Client(cluster, set_as_default=False) as client,
                ):
                    yield client
                return
            try:
                client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise ScenarioError(
                    "executor.address",
                    f"cannot reach a Dask scheduler at {self.address}: {first_line(exc)}",
                ) from None
            with client:
                _check_workers(client)
                yield client


def _check_workers(client: Any) -> None:
    """Refuse a cluster without workers, or whose workers would write other bytes."""
    if not client.nthreads():
        raise ScenarioError(
            "executor.address", f"the Dask scheduler at {client.scheduler.address} has no workers"
        )
    problem = version_mismatch(package_versions(), client.run(package_versions))
    if problem:
        raise ScenarioError(
            "executor",
            f"{problem}: blocks would not be the bytes this process makes; install the same "
            "versions on every worker",
        )


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Logger ``name`` shows errors only while the block is in force (a cluster's start, its
    connections and its shutdown log at INFO, which a Hydra run would print)."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _local_cluster(workers: int, workdir: Path | None) -> Iterator[Any]:
    """A local cluster of ``workers`` single-threaded processes on the loopback interface,
    its scratch files in a temporary folder under ``workdir``."""
    import dask
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory(prefix=".dask-", dir=workdir) as scratch:
        settings = {
            "temporary-directory": scratch,
            "distributed.scheduler.allowed-failures": 0,
        }
        with (
            dask.config.set(settings),
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                # no dashboard; the scheduler's HTTP server (health checks) on a free port
                dashboard_address=None,
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                local_directory=scratch,
                silence_logs=logging.ERROR,
            ) as cluster,
        ):
            yield cluster
