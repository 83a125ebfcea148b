"""``executor.kind: dask``: a local cluster or a running scheduler gives the sequential bytes;
worker failures, unreachable schedulers and mismatched workers are clean errors."""

from __future__ import annotations

import contextlib
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import dataset_bytes, file_hashes, listing, run_cli, sea, start_writing_run

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


def test_workers_elsewhere_open_the_planned_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A running cluster's worker whose working directory is another folder, holding another
    table under the same relative name: the relative output root and table source mean this
    process's folders, so the bytes are a sequential run's (the worker once wrote into its own
    folder and read its own table)."""
    from conftest import table_scenario, write_mixed_table

    here, there = tmp_path / "here", tmp_path / "there"
    write_mixed_table(here / "src" / "t.parquet", n=300, seed=5)
    write_mixed_table(there / "src" / "t.parquet", n=300, seed=6)
    sc = table_scenario("src/t.parquet", name="elsewhere")
    monkeypatch.chdir(there)  # spawned workers start in the folder current at their start
    with _running_cluster(tmp_path, processes=True) as cluster:
        monkeypatch.chdir(here)
        remote = calmops_gen.run(
            {**sc, "executor": {"kind": "dask", "address": cluster.scheduler_address}},
            root="out",
        )
        seq = calmops_gen.run(sc, root="seq")
    assert remote.directory == here / "out" / "elsewhere" / remote.version
    assert remote.version == seq.version
    assert dataset_bytes(remote.directory) == dataset_bytes(seq.directory)
    assert not (there / "out").exists()


def test_a_table_that_changes_after_planning_is_refused(tmp_path: Path) -> None:
    """The plan records the source's SHA-256; a block read from other content (a file
    rewritten during the run, or another file at the path on a worker) is an error."""
    from conftest import table_scenario, write_mixed_table

    from calmops_gen.engine import produce_block
    from calmops_gen.plan import build_plan

    source = write_mixed_table(tmp_path / "t.parquet", n=300, seed=5)
    plan = build_plan(calmops_gen.load_scenario(table_scenario(source)))
    produce_block(plan, 0)
    write_mixed_table(source, n=300, seed=6)
    with pytest.raises(ScenarioError) as err:
        produce_block(plan, 1)
    assert err.value.path == "generator.params.source"
    assert err.value.message.startswith(f"{source} is not the file the run was planned with")


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


@pytest.mark.parametrize("workers", [1, 2])
def test_a_dead_worker_is_worker_died_and_not_retried(tmp_path: Path, workers: int) -> None:
    """With one worker the plan's only copy dies with it (Dask cancels the blocks instead of
    reporting the worker): the same WorkerDied."""
    ex = executor_for("dask", workers)
    got: list[int] = []
    with pytest.raises(WorkerDied):
        for value in ex.map(_exit_on_block_one, 4, tmp_path):
            got.append(value)
    # block 0's result waits on its worker until fetched: with one worker, a busy machine can
    # lose it in the same death; never anything past it (block 1 is not retried)
    assert got in ([0], []) if workers == 1 else got == [0]
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


class _Http(socketserver.BaseRequestHandler):
    """A server of another kind: one HTTP error for whatever comes."""

    def handle(self) -> None:
        with contextlib.suppress(OSError):
            self.request.recv(1024)
            self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4)


def test_an_address_where_another_server_answers_is_a_clean_error(tmp_path: Path) -> None:
    """Dask read an HTTP reply as a frame length: a MemoryError traceback (3 EiB), exit 1,
    and a 20 s wait at exit for the half-made client; now one error naming the address."""
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Http) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        address = f"tcp://127.0.0.1:{server.server_address[1]}"
        sc = _scenario(executor={"kind": "dask", "address": address})
        root = tmp_path / "out"
        try:
            with pytest.raises(ScenarioError) as err:
                calmops_gen.run(sc, root=root)
        finally:
            server.shutdown()
    assert err.value.path == "executor.address"
    assert err.value.message.startswith(f"{address} did not answer as a Dask scheduler (")
    assert not root.exists()


def test_an_address_that_accepts_but_never_answers_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listener that never replies to Dask's handshake kept the run waiting with no end."""
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT", 1)
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Silent) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        address = f"tcp://127.0.0.1:{server.server_address[1]}"
        sc = _scenario(executor={"kind": "dask", "address": address})
        try:
            with pytest.raises(ScenarioError) as err:
                calmops_gen.run(sc, root=tmp_path / "out")
        finally:
            server.shutdown()
    assert err.value.path == "executor.address"
    assert err.value.message.startswith(f"cannot reach a Dask scheduler at {address}")
    assert not (tmp_path / "out").exists()


class _Silent(socketserver.BaseRequestHandler):
    """Accepts a connection and says nothing until the client gives up."""

    def handle(self) -> None:
        with contextlib.suppress(OSError):
            self.request.recv(1024)


class _Cluster:
    """A stand-in client: a scheduler whose workers report ``versions``."""

    def __init__(self, versions: dict[str, dict[str, str | None]]) -> None:
        self.versions = versions
        self.scheduler = type("S", (), {"address": "tcp://10.0.0.1:8786"})()

    def nthreads(self) -> dict[str, int]:
        return dict.fromkeys(self.versions, 1)

    def run(self, fn: Any, on_error: str) -> dict[str, Any]:
        assert on_error == "return"  # a worker whose probe fails is reported, not raised
        return self.versions


def test_workers_with_other_library_versions_are_refused() -> None:
    mine = dask_executor.version_probe()()
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
    bare = {**same, "tcp://10.0.0.2:1": ModuleNotFoundError("No module named 'numpy'")}
    with pytest.raises(ScenarioError) as err:
        dask_executor._check_workers(_Cluster(bare))
    assert err.value.message.startswith(
        "worker tcp://10.0.0.2:1 cannot report its package versions (No module named 'numpy')"
    )


def test_the_version_probe_runs_where_calmops_gen_is_not_installed(tmp_path: Path) -> None:
    """The probe travels by value: a worker without calmops-gen (here a Python that cannot
    import it) runs it and reports the package missing, instead of failing to unpickle."""
    import cloudpickle

    blob = tmp_path / "probe.pickle"
    blob.write_bytes(cloudpickle.dumps(dask_executor.version_probe()))
    code = (
        "import sys, pickle\n"
        "sys.modules['calmops_gen'] = None  # import calmops_gen fails\n"
        f"print(pickle.loads(open({str(blob)!r}, 'rb').read())()['numpy'])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    import numpy

    assert proc.stdout.strip() == numpy.__version__


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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
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


def test_a_block_error_on_a_worker_is_one_line(tmp_path: Path) -> None:
    """A ScenarioError found while a worker makes block 1 (label times past pandas' range):
    exit 2 and the one line a sequential run prints, no worker log or traceback."""
    args = [
        "~drift", "~schedule.transition", "schedule.blocks=4", "schedule.rows_per_block=100",
        "schedule.start=2262-03-01", "++schedule.step={hours: 6}",
        "++label_delay={unit: time, kind: exponential, value: 10D}",
    ]  # fmt: skip
    seq = run_cli(tmp_path, *args, f"output.root={tmp_path / 'a'}")
    dask = run_cli(
        tmp_path, *args, "executor.kind=dask", "executor.workers=2", f"output.root={tmp_path / 'b'}"
    )
    assert seq[0] == dask[0] == 2
    assert len(seq[2].strip().splitlines()) == 1
    assert dask[2] == seq[2] and dask[1] == seq[1] == ""
    assert not (tmp_path / "b").exists()


def test_ctrl_c_in_a_terminal_stops_the_run_in_one_line(tmp_path: Path) -> None:
    """SIGINT to the whole process group (a terminal's Ctrl-C reaches the workers too): the
    workers ignore it and the run shuts them down: exit 130, one line, nothing left."""
    root = tmp_path / "out"
    proc = start_writing_run(
        tmp_path, root, "~drift", "schedule.rows_per_block=1000000", "schedule.blocks=40",
        "executor.kind=dask", "executor.workers=2", stderr=subprocess.PIPE, group=True,
    )  # fmt: skip
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.decode().strip().splitlines() == [err.decode().strip().splitlines()[-1]]
    assert err.decode().strip().startswith("calmops-gen: interrupted")
    assert not root.exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_cluster_starts_stops_the_run_cleanly(tmp_path: Path, sig: int) -> None:
    """Ctrl-C or SIGTERM while the local cluster starts (its scratch folder exists, the
    workers do not yet): the run stops once the cluster is up, with the usual exit status and
    line, nothing left under the root and nothing on stdout (a half-started cluster used to
    be left to the garbage collector, after the staging folder was gone; Ctrl-C used to be
    lost and the dataset published)."""
    root = tmp_path / "out"
    proc = start_writing_run(
        tmp_path, root, "~drift", "schedule.rows_per_block=200000", "schedule.blocks=10",
        "executor.kind=dask", "executor.workers=2", stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, group=True, ready="*/.*.tmp-*/.dask-*",
    )  # fmt: skip
    os.killpg(proc.pid, sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err
    assert out == b""
    assert "Traceback" not in err.decode()
    if sig == signal.SIGINT:
        assert err.decode().strip().startswith("calmops-gen: interrupted")
    assert not root.exists()


def _cached_tables() -> int:
    from calmops_gen.generators import table

    return int(table._load.cache_info().currsize)


def test_a_running_clusters_workers_forget_the_table_after_the_run(tmp_path: Path) -> None:
    """Long-lived workers do not keep the run's source table (a CSV source is held whole)."""
    from conftest import table_scenario, write_mixed_table

    source = write_mixed_table(tmp_path / "t.parquet", n=300)
    with _running_cluster(tmp_path, processes=True) as cluster:
        sc = table_scenario(source)
        sc["executor"] = {"kind": "dask", "address": cluster.scheduler_address}
        calmops_gen.run(sc, root=tmp_path / "out")
        with distributed.Client(cluster, set_as_default=False) as client:
            assert list(client.run(_cached_tables).values()) == [0]


def test_a_scheduler_lost_mid_run_is_one_line(tmp_path: Path) -> None:
    """The running cluster's process is killed while the run writes: exit 2 and one line
    naming executor.address (distributed's own loggers, some of which do not propagate,
    stay silent), nothing left under the root."""
    code = (
        "import sys, time, distributed\n"
        "if __name__ == '__main__':\n"
        "    c = distributed.LocalCluster(n_workers=1, threads_per_worker=1, protocol='tcp',\n"
        "                                 host='127.0.0.1', dashboard_address=None)\n"
        "    print(c.scheduler_address, flush=True)\n"
        "    time.sleep(600)\n"
    )
    env = {**os.environ, "DASK_TEMPORARY_DIRECTORY": str(tmp_path / "scratch")}
    cluster = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=env, start_new_session=True,
    )  # fmt: skip
    try:
        assert cluster.stdout is not None
        address = cluster.stdout.readline().decode().strip()
        root = tmp_path / "out"
        proc = start_writing_run(
            tmp_path, root, "~drift", "schedule.rows_per_block=500000", "schedule.blocks=40",
            "executor.kind=dask", f"executor.address={address}", stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
    finally:
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=60)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert out == b""
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("calmops-gen: error: executor.address: ")
    assert not any(root.glob("*/.*"))
