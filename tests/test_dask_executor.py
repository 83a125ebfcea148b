"""``executor.kind: dask``: a local cluster or a running scheduler gives the sequential bytes;
worker failures, unreachable schedulers and mismatched workers are clean errors."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import dataset_bytes, file_hashes, listing, sea, start_writing_run

import calmops_gen
from calmops_gen import dask_executor
from calmops_gen.errors import ScenarioError
from calmops_gen.executors import WorkerDied, executor_for

distributed = pytest.importorskip("distributed")


def _scenario(**changes: Any) -> dict[str, Any]:
    drift = {
        "s": {"kind": "shift", "features": ["x0"], "amount": 1.0, "where": {"blocks": [1, 2]}},
        "f": {"kind": "label_flip", "rate": 0.2, "where": {"blocks": [3]}},
    }
    base = sea(name="dask", schedule={"blocks": 5, "rows_per_block": 300}, drift=drift)
    return {**base, **changes}


def test_a_local_cluster_gives_the_sequential_bytes(tmp_path: Path) -> None:
    seq = calmops_gen.run(_scenario(), root=tmp_path / "seq")
    dask = calmops_gen.run(
        _scenario(executor={"kind": "dask", "workers": 2}), root=tmp_path / "dask"
    )
    assert dask.version == seq.version
    assert file_hashes(dask) == file_hashes(seq)
    assert dataset_bytes(dask.directory) == dataset_bytes(seq.directory)
    # the cluster's scratch folder (inside the staging folder) is not published
    assert listing(tmp_path / "dask") == [
        p.replace("seq", "dask", 1) for p in listing(tmp_path / "seq")
    ]
    unsealed = {"created_at", "config", "records_sha256"}
    assert dask.model_dump(exclude=unsealed) == seq.model_dump(exclude=unsealed)


@contextlib.contextmanager
def _running_cluster(tmp_path: Path, processes: bool) -> Iterator[Any]:
    """A one-worker cluster on the loopback interface, as a user would have started one."""
    import dask

    with (
        dask.config.set({"temporary-directory": str(tmp_path / "scratch")}),
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=processes,
            protocol="tcp",
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
    ):
        yield cluster


def test_a_running_scheduler_gives_the_sequential_bytes(tmp_path: Path) -> None:
    """A cluster started elsewhere (here: in this process, one worker process) is used by
    address; its workers write into the same staging folder."""
    with _running_cluster(tmp_path, processes=True) as cluster:
        sc = _scenario(executor={"kind": "dask", "address": cluster.scheduler_address})
        remote = calmops_gen.run(sc, root=tmp_path / "remote")
    seq = calmops_gen.run(_scenario(), root=tmp_path / "seq")
    assert remote.version == seq.version
    assert dataset_bytes(remote.directory) == dataset_bytes(seq.directory)


def test_a_worker_that_cannot_see_the_output_root_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exclusive_run
) -> None:
    """A running cluster whose workers do not share the output root's file system: writing
    a block fails on the worker, and the error says what the cluster needs (the worker runs
    in this process here, so that the patched writer stands for the other machine)."""
    import calmops_gen.runner

    def elsewhere(frame: Any, columns: Any, path: Path, fmt: str) -> Any:
        raise FileNotFoundError(2, "No such file or directory", str(path))

    monkeypatch.setattr(calmops_gen.runner, "write_frame", elsewhere)
    root = tmp_path / "out"
    with _running_cluster(tmp_path, processes=False) as cluster:
        sc = _scenario(executor={"kind": "dask", "address": cluster.scheduler_address})
        with pytest.raises(ScenarioError) as err:
            calmops_gen.run(sc, root=root)
    assert err.value.path == "executor.address"
    assert f"a worker of {cluster.scheduler_address} cannot write {root}" in err.value.message
    assert err.value.message.endswith(
        "block-00000.parquet: No such file or directory; the workers must see the output "
        "root at the same path as this process (a shared file system)"
    )
    assert not root.exists()


def _exit_on_block_one(index: int) -> int:
    """A task whose worker dies on block 1 (as under the out-of-memory killer)."""
    if index == 1:
        os._exit(9)
    return index * 10


def _square(index: int) -> int:
    return index * index


def test_a_dead_worker_is_worker_died_and_not_retried(tmp_path: Path) -> None:
    ex = executor_for("dask", 2)
    got: list[int] = []
    with pytest.raises(WorkerDied):
        for value in ex.map(_exit_on_block_one, 4, tmp_path):
            got.append(value)
    assert got == [0]  # block 0 came back before the failure; no retry ran block 1 again
    assert list(tmp_path.iterdir()) == []  # the scratch folder is gone


def test_results_come_back_in_block_order_past_the_window(tmp_path: Path) -> None:
    """More blocks than the window of 2 x workers in flight: every result, in order."""
    assert list(executor_for("dask", 2).map(_square, 11, tmp_path)) == [i * i for i in range(11)]
    assert list(executor_for("dask", 1).map(_square, 0, tmp_path)) == []


def test_an_unreachable_scheduler_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT", 1)
    sc = _scenario(executor={"kind": "dask", "address": "tcp://127.0.0.1:9"})
    root = tmp_path / "out"
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(sc, root=root)
    assert err.value.path == "executor.address"
    assert err.value.message.startswith("cannot reach a Dask scheduler at tcp://127.0.0.1:9")
    assert not root.exists()


class _Cluster:
    """A stand-in client: a scheduler whose workers report ``versions``."""

    def __init__(self, versions: dict[str, dict[str, str | None]]) -> None:
        self.versions = versions
        self.scheduler = type("S", (), {"address": "tcp://10.0.0.1:8786"})()

    def nthreads(self) -> dict[str, int]:
        return dict.fromkeys(self.versions, 1)

    def run(self, fn: Any) -> dict[str, dict[str, str | None]]:
        assert fn is dask_executor.package_versions
        return self.versions


def test_workers_with_other_library_versions_are_refused() -> None:
    mine = dask_executor.package_versions()
    assert mine["calmops-gen"] == calmops_gen.__version__
    same = {"tcp://10.0.0.2:1": dict(mine), "tcp://10.0.0.3:1": dict(mine)}
    dask_executor._check_workers(_Cluster(same))  # accepted
    other = {**same, "tcp://10.0.0.3:1": {**mine, "pyarrow": "1.0.0"}}
    with pytest.raises(ScenarioError) as err:
        dask_executor._check_workers(_Cluster(other))
    assert err.value.path == "executor"
    assert err.value.message.startswith(
        f"worker tcp://10.0.0.3:1 has pyarrow 1.0.0, this process {mine['pyarrow']}: "
    )
    with pytest.raises(ScenarioError, match=r"tcp://10\.0\.0\.1:8786 has no workers"):
        dask_executor._check_workers(_Cluster({}))


def test_without_the_extra_dask_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dask_executor.importlib.util, "find_spec", lambda name: None)
    root = tmp_path / "out"
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(_scenario(executor={"kind": "dask"}), root=root)
    assert err.value.path == "executor.kind"
    assert 'pip install "calmops-gen[dask]"' in err.value.message
    assert not root.exists()


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        found.update(int(p) for p in text.split())
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux parent-death signal")
def test_workers_end_with_a_killed_run(tmp_path: Path) -> None:
    """SIGKILL of the run (no clean-up possible): the local cluster's workers die with it
    instead of running on as orphans; the staging folder is left for the next run."""
    root = tmp_path / "out"
    proc = start_writing_run(
        tmp_path, root, "~drift", "schedule.rows_per_block=1000000", "schedule.blocks=40",
        "executor.kind=dask", "executor.workers=2",
    )  # fmt: skip
    workers = _children(proc.pid)
    assert len(workers) >= 2
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)
