"""How blocks are produced: one after another, by a pool of worker processes, or by the
workers of a Dask cluster (:mod:`calmops_gen.dask_executor`).

Each task produces one block from the plan and writes its files into the staging
directory; results come back in block order whatever the executor, so the manifest (and
every byte written) is the same for any executor and worker count.

Examples
--------
>>> executor_for("sequential", None).workers
1
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TypeVar, cast

from calmops_gen.errors import ScenarioError

R = TypeVar("R")


class WorkerDied(Exception):
    """A worker process ended while it produced a block (killed by the system, most often
    for lack of memory); the blocks in flight are lost."""


@dataclass(frozen=True)
class Executor:
    """Runs ``task(i)`` for every block index and yields results in index order."""

    kind: str
    workers: int

    def map(self, task: Callable[[int], R], n: int, workdir: Path | None = None) -> Iterator[R]:
        """Results of ``task(0) .. task(n - 1)``, in order, as they become available.

        ``workdir`` is a folder the executor may keep temporary files in while it runs
        (removed before it returns); ``None``: the system's temporary folder.

        Raises
        ------
        WorkerDied
            When a worker process ends while producing a block.
        """
        if self.kind == "sequential" or self.workers == 1 or n <= 1:
            for i in range(n):
                yield task(i)
            return
        # The task (with the plan it carries) goes to each worker once, when it starts; a
        # block's submission is then its index alone, whatever the number of blocks.
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=_context(),
            initializer=_install,
            initargs=(task, os.getpid()),
        )
        try:
            # A bounded window of blocks in flight keeps memory bounded by a few blocks.
            window = 2 * self.workers
            futures = [pool.submit(_run, i) for i in range(min(window, n))]
            submitted = len(futures)
            for i in range(n):
                result = cast(R, futures[i].result())
                if submitted < n:
                    futures.append(pool.submit(_run, submitted))
                    submitted += 1
                futures[i] = None  # type: ignore[call-overload]
                yield result
        except BrokenProcessPool as exc:
            _stop(pool)
            raise WorkerDied(str(exc)) from None
        except BaseException:
            _stop(pool)  # interrupted or failed: do not wait for the blocks in flight
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _context() -> BaseContext:
    """How the pool starts its workers, whatever the process's global start method.

    ``fork`` on Linux (a worker starts at once, with the plan already in memory), ``spawn``
    elsewhere (macOS's system libraries are not safe to fork; Windows cannot). Either way
    each worker is a child of the main process, which :func:`_die_with_parent` relies on:
    under ``forkserver`` (Python 3.14's default on Linux) the workers would be children of
    the fork server instead.

    Examples
    --------
    >>> _context().get_start_method() in ("fork", "spawn")
    True
    """
    linux = sys.platform.startswith("linux")
    fork = linux and "fork" in multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if fork else "spawn")


_TASK: Callable[[int], object] | None = None


def _install(task: Callable[[int], object], parent: int) -> None:
    """Worker initializer: keep the task for every block this worker produces, and end with
    the main process (:func:`_die_with_parent`)."""
    global _TASK
    _TASK = task
    _die_with_parent(parent)


#: ``prctl`` option: the signal a process gets when its parent dies (Linux).
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """On Linux, have the kernel kill this worker when the main process dies, even by
    SIGKILL (which runs no clean-up and would leave the workers running); elsewhere a
    no-op. A parent that is already gone ends the worker at once.

    ``parent`` is the main process, which is this worker's parent because the pool starts
    its workers by ``fork`` or ``spawn`` (:func:`_context`), never through a fork server.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _run(index: int) -> object:
    assert _TASK is not None, "worker started without its task"
    return _TASK(index)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel queued blocks and end the workers now (their half-written files sit in the
    staging folder, which the caller removes once they are gone)."""
    workers = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in workers:
        proc.terminate()
    for proc in workers:
        proc.join()


def executor_for(kind: str, workers: int | None, address: str | None = None) -> Executor:
    """The executor for ``executor.kind`` (``workers`` defaults to the CPU count;
    ``address``: a running Dask scheduler, for ``dask``).

    Raises
    ------
    ScenarioError
        For ``dask`` when the ``dask`` extra is not installed (``executor.kind``).
    """
    if kind == "dask":
        from calmops_gen.dask_executor import DaskExecutor, dask_missing

        missing = dask_missing()
        if missing:
            raise ScenarioError("executor.kind", missing)
        return DaskExecutor("dask", workers or os.cpu_count() or 1, address)
    if kind == "sequential":
        return Executor("sequential", 1)
    return Executor("processes", workers or os.cpu_count() or 1)
