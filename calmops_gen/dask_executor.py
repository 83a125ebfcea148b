"""Blocks produced by the workers of a Dask cluster (``executor.kind: dask``, the ``dask``
extra).

Without ``executor.address`` a run starts its own local cluster: ``executor.workers``
processes (default: the CPU count) of one thread each, listening on the loopback interface
only, without dashboards (the scheduler's small HTTP server, for health checks, listens on a
free loopback port), with their scratch files in a hidden folder of the run's staging folder
(removed before the dataset is published), deaf to Ctrl-C (this process stops them) and with
no retry of a block whose worker died (on one machine that is almost always a lack of
memory, which a retry meets again). With ``executor.address: tcp://HOST:PORT`` the run uses
a running cluster's scheduler instead: its workers must see the output root and a ``table``
source at the same paths (a shared file system), and must have the same versions of
calmops-gen and of the libraries that decide the bytes (:data:`BYTE_DECIDING`), which the
run checks before it produces anything.

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

import asyncio
import contextlib
import importlib.util
import logging
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from calmops_gen.errors import ScenarioError, first_line
from calmops_gen.executors import Executor, WorkerDied
from calmops_gen.generators.table import forget_sources

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


def version_probe() -> Callable[[], dict[str, str | None]]:
    """A function that returns the installed version of each package in
    :data:`BYTE_DECIDING` (``None``: not installed).

    It is a closure, so a worker receives it by value and can run it even where calmops-gen
    itself is missing or another version.

    Examples
    --------
    >>> probe = version_probe()
    >>> probe()["numpy"] is not None, probe.__closure__ is not None
    (True, True)
    """
    names = BYTE_DECIDING

    def probe() -> dict[str, str | None]:
        from importlib.metadata import PackageNotFoundError, version

        found: dict[str, str | None] = {}
        for name in names:
            try:
                found[name] = version(name)
            except PackageNotFoundError:
                found[name] = None
        return found

    return probe


def version_mismatch(client_versions: dict[str, str | None], workers: dict[str, Any]) -> str | None:
    """The first worker whose package versions differ from the client's (or that could not
    report them), as a message.

    Examples
    --------
    >>> mine = {"numpy": "2.4.6", "calmops-gen": "0.1.0"}
    >>> version_mismatch(mine, {"tcp://w1:1": dict(mine)}) is None
    True
    >>> version_mismatch(mine, {"tcp://w1:1": {**mine, "numpy": "2.3.0"}})
    'worker tcp://w1:1 has numpy 2.3.0, this process 2.4.6'
    >>> version_mismatch(mine, {"tcp://w1:1": {**mine, "calmops-gen": None}})
    'worker tcp://w1:1 has no calmops-gen, this process 0.1.0'
    >>> version_mismatch({**mine, "tzdata": None}, {"tcp://w1:1": {**mine, "tzdata": "2025.2"}})
    'worker tcp://w1:1 has tzdata 2025.2, this process none'
    """
    for worker, theirs in sorted(workers.items()):
        if not isinstance(theirs, dict):  # the probe failed there
            return f"worker {worker} cannot report its package versions ({first_line(theirs)})"
        for name, mine in client_versions.items():
            if theirs.get(name) != mine:
                has = f"has {name} {theirs[name]}" if theirs.get(name) else f"has no {name}"
                return f"worker {worker} {has}, this process {mine or 'none'}"
    return None


def _call(task: Callable[[int], R], index: int) -> R:
    """Run one block's task on a worker (``task`` arrives scattered, once per worker)."""
    return task(index)


@dataclass(frozen=True)
class DaskExecutor(Executor):
    """Runs the blocks' tasks on a Dask cluster: a local one of ``workers`` processes, or the
    running cluster at ``address`` (whose own workers run them; ``workers`` is then unused)."""

    address: str | None = None

    def map(self, task: Callable[[int], R], n: int, workdir: Path | None = None) -> Iterator[R]:
        """Results of ``task(0) .. task(n - 1)``, in order, as they become available.

        Raises
        ------
        WorkerDied
            When a worker of the local cluster ends while it produces a block.
        ScenarioError
            About ``executor.address``: the scheduler cannot be reached, the cluster loses a
            block (a worker or the scheduler stopped), or a worker cannot find the staging
            folder (``workdir``: it does not share this process's file system); about
            ``executor``: a worker's package versions differ from this process's.
        """
        from distributed import KilledWorker

        if n == 0:
            return
        deferred = _DeferredSignals()
        with deferred, self._client(workdir) as client:
            shared = client.scatter(task, broadcast=True, hash=False)
            # a signal that came during the start-up stops the run here, where the cluster
            # shuts down cleanly (mid-start-up it would be left to the garbage collector)
            deferred.release()
            # twice the cluster's threads (a worker with 8 threads runs 8 blocks at once)
            window = 2 * max(1, sum(client.nthreads().values()))
            futures: list[Any] = []
            try:
                for i in range(min(window, n)):
                    futures.append(client.submit(_call, shared, i, pure=False))
                for i in range(n):
                    try:
                        result = cast(R, futures[i].result())
                    except (KilledWorker, CancelledError) as exc:
                        raise self._lost(exc) from None
                    except FileNotFoundError as exc:
                        raise self._unseen(exc, workdir) from None
                    if len(futures) < n:
                        futures.append(client.submit(_call, shared, len(futures), pure=False))
                    futures[i] = None
                    yield result
            finally:
                pending = [f for f in futures if f is not None]
                if pending:  # failed or interrupted: nothing more to compute
                    client.cancel(pending)

    def _lost(self, exc: Exception) -> Exception:
        """The error for a block the cluster lost: a local worker died (or took the only copy
        of the plan with it), or a running cluster lost a worker or its scheduler."""
        if self.address is None:
            return WorkerDied(first_line(exc))
        return ScenarioError(
            "executor.address",
            f"the Dask cluster at {self.address} lost a block ({first_line(exc)}): a worker or "
            "the scheduler stopped; nothing was written",
        )

    def _unseen(self, exc: FileNotFoundError, workdir: Path | None) -> Exception:
        """A running cluster's worker that cannot find the staging folder does not share this
        process's file system; any other missing file is the task's own error."""
        name = exc.filename
        if self.address is None or workdir is None or not name or workdir not in Path(name).parents:
            return exc
        return ScenarioError(
            "executor.address",
            f"a worker of {self.address} cannot write {name}: {exc.strerror or exc}; the "
            "workers must see the output root at the same path as this process (a shared "
            "file system)",
        )

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
                _handshake(self.address)
                client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise ScenarioError(
                    "executor.address",
                    f"cannot reach a Dask scheduler at {self.address}: {first_line(exc)}",
                ) from None
            with client:
                _check_workers(client)
                try:
                    yield client
                finally:  # long-lived workers: do not keep this run's table
                    with contextlib.suppress(Exception):
                        client.run(forget_sources)


def _handshake(address: str) -> None:
    """Open and close one connection to ``address`` with Dask's own handshake, in a thread
    of its own (the caller may be running an event loop, as a notebook does).

    A server of another kind that answers (an HTTP server) fails here as a
    :class:`ScenarioError`: Dask reads its reply as a frame length and asks for exabytes.
    Found by a ``Client``, that was a traceback, and the half-made client waited 20 s at
    exit to close.
    """
    from distributed.comm.core import connect
    from distributed.security import Security

    # the client's connection settings from Dask's config (TLS certificates), as a Client
    # takes them
    settings = Security().get_connection_args("client")

    async def once() -> None:
        # bounded: a listener that never answers the handshake would keep it waiting
        comm = await asyncio.wait_for(
            connect(address, timeout=CONNECT_TIMEOUT, **settings), 2 * CONNECT_TIMEOUT
        )
        await comm.close()

    with ThreadPoolExecutor(1) as pool:
        try:
            pool.submit(asyncio.run, once()).result()
        except (OSError, TimeoutError):
            raise
        except Exception as exc:
            raise ScenarioError(
                "executor.address",
                f"{address} did not answer as a Dask scheduler "
                f"({type(exc).__name__}: {first_line(exc)})",
            ) from None


def _check_workers(client: Any) -> None:
    """Refuse a cluster without workers, or whose workers would write other bytes."""
    if not client.nthreads():
        raise ScenarioError(
            "executor.address", f"the Dask scheduler at {client.scheduler.address} has no workers"
        )
    probe = version_probe()
    problem = version_mismatch(probe(), client.run(probe, on_error="return"))
    if problem:
        raise ScenarioError(
            "executor",
            f"{problem}: blocks would not be the bytes this process makes; install the same "
            "versions on every worker",
        )


@contextlib.contextmanager
def _quiet(prefix: str) -> Iterator[None]:
    """Every logger named ``prefix`` or ``prefix.*`` silent while the block is in force: a
    cluster logs its start, its connections and its shutdown at INFO (which a Hydra run
    would print), and a block's failure or a lost scheduler at ERROR with a traceback, which
    the run reports in one line itself. (Some of distributed's loggers do not propagate to
    their parent, so each is set.)"""
    known = {prefix, *logging.root.manager.loggerDict}
    loggers = [
        logging.getLogger(name) for name in known if name == prefix or name.startswith(prefix + ".")
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class _DeferredSignals:
    """SIGINT and SIGTERM held back while a cluster starts and receives the plan (in the main
    thread; elsewhere a no-op): interrupting distributed mid-start-up leaves a half-built
    cluster that closes only at garbage collection, after the staging folder is gone.
    :meth:`release` restores the handlers and delivers a signal that came meanwhile, at a
    point where the cluster shuts down in order.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.previous: dict[int, Any] = {}
        self.received: list[int] = []

    def _hold(self, signum: int, frame: Any) -> None:
        self.received.append(signum)

    def __enter__(self) -> _DeferredSignals:
        if threading.current_thread() is threading.main_thread():
            self.previous = {sig: signal.signal(sig, self._hold) for sig in self.SIGNALS}
        return self

    def _restore(self) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        self.previous = {}

    def release(self) -> None:
        """Restore the handlers; deliver the first signal held back, if any (its handler
        runs now: ``KeyboardInterrupt`` for SIGINT, the caller's for SIGTERM)."""
        self._restore()
        if self.received:
            signal.raise_signal(self.received[0])

    def __exit__(self, *exc: object) -> None:
        self._restore()  # start-up failed (or released already): restore only


def dask_setup(worker: Any) -> None:
    """Worker preload of a local cluster: ignore SIGINT. Ctrl-C in a terminal reaches every
    process of its group; this process stops the run and shuts the cluster down, and the
    workers would each print a traceback. (``worker``: distributed's preload argument.)"""
    with contextlib.suppress(ValueError):  # not the worker's main thread: leave it
        signal.signal(signal.SIGINT, signal.SIG_IGN)


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
                silence_logs=logging.CRITICAL,
                preload=[__name__],  # dask_setup: workers ignore Ctrl-C
            ) as cluster,
        ):
            yield cluster
