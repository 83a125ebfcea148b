"""The runner and ``calmops-gen-verify`` under concurrent runs, odd folders and bad roots.

Concurrency is simulated in-process where it can be (another run's clean-up, another run
publishing the same version) so the tests are exact and fast; start methods are tried in a
subprocess so the test process's own start method is left alone.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import dataset_bytes, file_hashes, listing, run_cli, sea

import calmops_gen
import calmops_gen.runner
import calmops_gen.staging
from calmops_gen.errors import DatasetError, ScenarioError
from calmops_gen.executors import _context
from calmops_gen.plan import build_plan
from calmops_gen.scenario import load_scenario
from calmops_gen.staging import LOCK_NAME, host, remove_stale_staging
from calmops_gen.verify import verify_dataset

try:
    import fcntl
except ImportError:  # Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]

needs_flock = pytest.mark.skipif(fcntl is None, reason="fcntl.flock (POSIX)")

#: a process id no system hands out (Linux's pid_max is at most 2**22)
DEAD_PID = 999999999


def _scenario(**changes: Any) -> dict[str, Any]:
    return sea(name="robust", schedule={"blocks": 4, "rows_per_block": 200}, **changes)


# --------------------------------------------------------------------------------------------
# The process pool and the global start method
# --------------------------------------------------------------------------------------------


def test_the_pool_chooses_its_own_start_method() -> None:
    expected = "fork" if sys.platform.startswith("linux") else "spawn"
    assert _context().get_start_method() == expected


def test_processes_under_the_forkserver_start_method_give_the_sequential_bytes(
    tmp_path: Path,
) -> None:
    """``forkserver`` (Python 3.14's default on Linux) set globally by the caller: the pool
    keeps its own start method, its workers run, and the bytes are the sequential run's."""
    code = (
        "import multiprocessing, sys\n"
        "if __name__ == '__main__':\n"
        "    multiprocessing.set_start_method('forkserver', force=True)\n"
        "    import calmops_gen\n"
        "    from conftest import sea\n"
        "    sc = sea(name='robust', schedule={'blocks': 4, 'rows_per_block': 200},\n"
        "             executor={'kind': 'processes', 'workers': 2})\n"
        "    print(calmops_gen.run(sc, root=sys.argv[1]).directory)\n"
    )
    tests = Path(__file__).resolve().parent
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "pool")],
        cwd=tests,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    pooled = calmops_gen.read_manifest(proc.stdout.strip().splitlines()[-1])
    sequential = calmops_gen.run(_scenario(), root=tmp_path / "seq")
    assert pooled.version == sequential.version
    assert file_hashes(pooled) == file_hashes(sequential)
    assert dataset_bytes(pooled.directory) == dataset_bytes(sequential.directory)


# --------------------------------------------------------------------------------------------
# A version directory holding another dataset
# --------------------------------------------------------------------------------------------


def _version(scenario: dict[str, Any]) -> str:
    return build_plan(load_scenario(scenario)).version


def test_a_version_folder_holding_another_dataset_is_reported_and_refused(
    tmp_path: Path,
) -> None:
    """A seed-1 dataset copied to the seed-2 scenario's version folder is not seed 2's."""
    root = tmp_path / "out"
    one = calmops_gen.run(_scenario(seed=1), root=root)
    two = _version(_scenario(seed=2))
    shutil.copytree(one.directory, one.directory.parent / two)
    assert verify_dataset(one.directory.parent / two) == [
        f"{two}: holds version {one.version!r} (a dataset's directory is named by its version)"
    ]
    with pytest.raises(DatasetError, match=f"{two}: holds version '{one.version}'"):
        calmops_gen.run(_scenario(seed=2), root=root)
    replaced = calmops_gen.run(_scenario(seed=2, output={"overwrite": True}), root=root)
    assert (replaced.version, replaced.seed) == (two, 2)
    assert verify_dataset(replaced.directory) == []


def test_verify_reports_a_dataset_filed_under_another_name(tmp_path: Path) -> None:
    m = calmops_gen.run(_scenario(), root=tmp_path / "out")
    moved = tmp_path / "out" / "other" / m.version
    shutil.copytree(m.directory, moved)
    assert verify_dataset(moved) == [
        "other: holds a version of dataset 'robust' (a dataset's versions are in a "
        "directory named by the dataset)"
    ]
    latest = tmp_path / "latest"  # a link to a dataset is the dataset it points to
    latest.symlink_to(m.directory)
    assert verify_dataset(latest) == []


# --------------------------------------------------------------------------------------------
# Symbolic links in a dataset
# --------------------------------------------------------------------------------------------


@pytest.fixture
def dataset(tmp_path: Path) -> calmops_gen.Manifest:
    return calmops_gen.run(_scenario(), root=tmp_path / "out")


def test_verify_reports_a_link_to_a_listed_file(dataset: calmops_gen.Manifest) -> None:
    (dataset.directory / "data" / "block-00009.parquet").symlink_to("block-00000.parquet")
    assert verify_dataset(dataset.directory) == [
        "data/block-00009.parquet: not a regular file, and not listed in the manifest"
    ]


def test_a_block_replaced_by_a_link_to_the_same_bytes_is_reported_and_refused(
    tmp_path: Path, dataset: calmops_gen.Manifest
) -> None:
    block = dataset.directory / "data" / "block-00001.parquet"
    outside = tmp_path / "elsewhere.parquet"
    shutil.copyfile(block, outside)
    block.unlink()
    block.symlink_to(outside)
    assert verify_dataset(dataset.directory) == ["data/block-00001.parquet: not a regular file"]
    with pytest.raises(
        DatasetError, match=re.escape("data/block-00001.parquet: not a regular file")
    ):
        calmops_gen.run(_scenario(), root=tmp_path / "out")
    again = calmops_gen.run(_scenario(output={"overwrite": True}), root=tmp_path / "out")
    assert not block.is_symlink() and verify_dataset(again.directory) == []
    assert file_hashes(again) == file_hashes(dataset)


def test_verify_reports_a_linked_data_folder(tmp_path: Path, dataset: calmops_gen.Manifest) -> None:
    data = dataset.directory / "data"
    shutil.move(data, tmp_path / "data-elsewhere")
    data.symlink_to(tmp_path / "data-elsewhere")
    assert verify_dataset(dataset.directory) == ["data: a symbolic link, not a directory"]


def test_verify_reports_a_linked_manifest(tmp_path: Path, dataset: calmops_gen.Manifest) -> None:
    manifest = dataset.directory / "manifest.json"
    shutil.move(manifest, tmp_path / "manifest-elsewhere.json")
    manifest.symlink_to(tmp_path / "manifest-elsewhere.json")
    assert verify_dataset(dataset.directory) == [
        "manifest.json: a symbolic link, not a regular file"
    ]


# --------------------------------------------------------------------------------------------
# Output roots
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("root", "message"),
    [
        ("a\0b", "output.root: holds a NUL character, which no path can hold (got 'a\\x00b')"),
        (
            "out/" + "é" * 150,
            "output.root: a folder name of 300 bytes ('éééééééééééé'...); file systems allow "
            f"at most 255 (got 'out/{'é' * 52}...)",
        ),
    ],
    ids=["nul", "long-name"],
)
def test_a_root_no_file_system_can_hold_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(_scenario(output={"root": root}))
    assert str(err.value) == message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["a\0b", "x" * 300], ids=["nul", "long-name"])
def test_a_root_argument_the_system_refuses_is_a_scenario_error(tmp_path: Path, name: str) -> None:
    """``run(..., root=...)`` bypasses the scenario's validation; the system's refusal of
    the path is still one error naming ``output.root``."""
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(_scenario(), root=tmp_path / name)
    assert err.value.path == "output.root"
    assert str(tmp_path / name)[:40] in err.value.message
    assert list(tmp_path.iterdir()) == []


def test_a_root_with_a_long_folder_name_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, out, err = run_cli(
        tmp_path, f"output.root={tmp_path / ('x' * 300)}", "schedule.rows_per_block=100"
    )
    assert code == 2, err
    (line,) = err.splitlines()
    assert line.startswith(
        "calmops-gen: error: output.root: a folder name of 300 bytes ('xxxxxxxxxxxx'...); "
        "file systems allow at most 255 (got '"
    )
    assert out == ""
    assert [p.name for p in tmp_path.iterdir()] == ["outputs"]  # Hydra's log folder only


def test_a_root_under_home_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``~`` is the user's home, as in a table's ``source`` (not a folder named ``~``)."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    m = calmops_gen.run(_scenario(output={"root": "~/sets"}))
    assert m.directory == home / "sets" / "robust" / m.version
    assert verify_dataset(m.directory) == []
    assert list(cwd.iterdir()) == []


# --------------------------------------------------------------------------------------------
# Another run's clean-up and a live run's staging folder
# --------------------------------------------------------------------------------------------


def _staging_folder(final: Path) -> Path:
    """The one staging folder of a run in progress of ``final``."""
    (found,) = final.parent.glob(f".{final.name}.tmp-*")
    return found


def _hidden(final: Path, kind: str, pid: int, suffix: str) -> Path:
    return final.parent / f".{final.name}.{kind}-{host()}-{pid}-{suffix}"


def _on_block(monkeypatch: pytest.MonkeyPatch, index: int, action: Any) -> None:
    """Run ``action(plan)`` once, just before block ``index`` is produced."""
    real = calmops_gen.runner.produce_block
    done: list[int] = []

    def produce(plan: Any, i: int) -> Any:
        if i == index and not done:
            done.append(i)
            action(plan)
        return real(plan, i)

    monkeypatch.setattr(calmops_gen.runner, "produce_block", produce)


@needs_flock
def test_a_live_runs_staging_folder_survives_a_clean_up_that_thinks_it_dead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exclusive_run: None
) -> None:
    """Two runs with the same host name in different pid namespaces (containers sharing the
    host's name) see each other's pids as dead: the other run's clean-up, made in the middle
    of this run, must leave its staging folder alone (the run holds its lock), and the
    dataset comes out whole."""
    expected = calmops_gen.run(_scenario(), root=tmp_path / "reference")
    root = tmp_path / "out"
    monkeypatch.setattr(calmops_gen.staging, "alive", lambda pid: False)
    removed: list[Path] = []
    _on_block(
        monkeypatch,
        2,
        lambda plan: removed.extend(remove_stale_staging(root / plan.scenario.name / plan.version)),
    )
    m = calmops_gen.run(_scenario(), root=root)
    assert removed == []
    assert verify_dataset(m.directory) == []
    assert file_hashes(m) == file_hashes(expected)
    assert dataset_bytes(m.directory) == dataset_bytes(expected.directory)
    assert listing(root / "robust") == listing(tmp_path / "reference" / "robust")


@needs_flock
def test_stale_staging_is_removed_only_once_its_lock_is_free(tmp_path: Path) -> None:
    final = tmp_path / "abc"
    staging = _hidden(final, "tmp", DEAD_PID, "0123abcd")
    (staging / "data").mkdir(parents=True)
    with (staging / LOCK_NAME).open("wb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a live run whose pid this process cannot see
        assert remove_stale_staging(final) == []
        assert sorted(p.name for p in staging.iterdir()) == [LOCK_NAME, "data"]
    assert remove_stale_staging(final) == [staging]
    assert list(tmp_path.iterdir()) == []


@needs_flock
def test_a_lock_file_the_clean_up_may_not_open_is_a_live_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another user's run (a container sharing the host's name, its pid unknown here) has
    a lock file this process may not open: its folder is left alone (the open for writing
    failed, was taken as the run having ended, and the live folder was moved away)."""
    final = tmp_path / "abc"
    staging = _hidden(final, "tmp", DEAD_PID, "0123abcd")
    (staging / "data").mkdir(parents=True)
    (staging / LOCK_NAME).touch()
    real_open = os.open

    def refused(path: Any, flags: int, *args: Any) -> int:
        if Path(path).name == LOCK_NAME:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(calmops_gen.staging.os, "open", refused)
    assert remove_stale_staging(final) == []
    assert sorted(p.name for p in staging.iterdir()) == [LOCK_NAME, "data"]


@needs_flock
def test_a_pipe_named_like_a_lock_file_does_not_stall_the_clean_up(tmp_path: Path) -> None:
    """Opening a FIFO read only waits for a writer: every later run of the version hung
    before writing anything. A lock file that is not a regular file is no run's; the
    process id decides (here: dead)."""
    final = tmp_path / "abc"
    staging = _hidden(final, "tmp", DEAD_PID, "0123abcd")
    (staging / "data").mkdir(parents=True)
    os.mkfifo(staging / LOCK_NAME)
    done: list[list[Path]] = []
    worker = threading.Thread(target=lambda: done.append(remove_stale_staging(final)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert done == [[staging]]
    assert not staging.exists()


@needs_flock
def test_the_clean_up_never_follows_a_link(tmp_path: Path) -> None:
    """A link named like a dead run's staging folder is left alone (the clean-up created
    ``<target>/.lock`` through it, then renamed the link), and a dead run's folder whose
    lock file is a link is removed without creating the link's target."""
    final, outside = tmp_path / "root" / "abc", tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "root").mkdir()
    linked = _hidden(final, "tmp", DEAD_PID, "0123abcd")
    linked.symlink_to(outside, target_is_directory=True)
    dead = _hidden(final, "tmp", DEAD_PID + 1, "4567abcd")
    (dead / "data").mkdir(parents=True)
    (dead / LOCK_NAME).symlink_to(outside / "created")
    assert remove_stale_staging(final) == [dead]
    assert list(outside.iterdir()) == []
    assert [p.name for p in (tmp_path / "root").iterdir()] == [linked.name]
    assert linked.is_symlink()


@needs_flock
def test_a_new_staging_folder_locked_by_another_clean_up_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exclusive_run: None
) -> None:
    """Another run's clean-up that took the lock of a folder just made (between its mkdir
    and its lock) is removing it: the run stops instead of writing into it."""

    def taken(fd: int, operation: int) -> None:
        raise BlockingIOError(errno.EWOULDBLOCK, "Resource temporarily unavailable")

    monkeypatch.setattr(fcntl, "flock", taken)
    root = tmp_path / "out"
    with pytest.raises(DatasetError, match="another run took this new staging folder"):
        calmops_gen.run(_scenario(), root=root)
    assert not root.exists()


@needs_flock
def test_without_locks_the_process_id_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exclusive_run: None
) -> None:
    """A file system without locks (some network mounts): runs still write, and a folder
    whose process is gone is still removed."""

    def unsupported(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", unsupported)
    expected = calmops_gen.run(_scenario(), root=tmp_path / "reference")
    final = expected.directory
    stale = _hidden(final, "tmp", DEAD_PID, "0123abcd")
    (stale / "data").mkdir(parents=True)
    again = calmops_gen.run(_scenario(), root=tmp_path / "reference")
    assert again.model_dump() == expected.model_dump()
    assert [p.name for p in final.parent.iterdir()] == [final.name]


def test_a_staging_folder_removed_during_the_run_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exclusive_run: None
) -> None:
    """The folders are made once, with the staging folder: a block written after the
    staging folder vanished fails (it is not made again and published without the blocks
    written before)."""
    root = tmp_path / "out"
    _on_block(
        monkeypatch,
        2,
        lambda plan: shutil.rmtree(_staging_folder(root / plan.scenario.name / plan.version)),
    )
    with pytest.raises(DatasetError, match="cannot write the dataset: No such file or directory"):
        calmops_gen.run(_scenario(), root=root)
    assert not root.exists()


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda p: p.unlink(), "missing"),
        (lambda p: p.write_bytes(b"x"), "1 bytes, the manifest says {size}"),
    ],
    ids=["removed", "truncated"],
)
def test_a_staged_file_changed_by_another_process_is_not_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exclusive_run: None, damage: Any, problem: str
) -> None:
    """Before the rename, every file the manifest lists must be in the staging folder with
    the size it was written with."""
    expected = calmops_gen.run(_scenario(), root=tmp_path / "reference")
    size = expected.files[0].bytes
    root = tmp_path / "out"
    seen: list[Path] = []

    def hit(plan: Any) -> None:
        staging = _staging_folder(root / plan.scenario.name / plan.version)
        seen.append(staging)
        damage(staging / "data" / "block-00000.parquet")

    _on_block(monkeypatch, 3, hit)
    with pytest.raises(DatasetError) as err:
        calmops_gen.run(_scenario(), root=root)
    assert str(err.value) == (
        f"{seen[0]}: data/block-00000.parquet: {problem.format(size=size)} after it was "
        "written (another process changed the staging folder); nothing was written"
    )
    assert not root.exists()


# --------------------------------------------------------------------------------------------
# Two runs of the same version at once
# --------------------------------------------------------------------------------------------


def _published_meanwhile(
    monkeypatch: pytest.MonkeyPatch, root: Path, corrupt: bool
) -> list[calmops_gen.Manifest]:
    """While this run makes block 1, another run of the same version publishes it."""
    other: list[calmops_gen.Manifest] = []

    def publish(plan: Any) -> None:
        m = calmops_gen.run(_scenario(), root=root)
        if corrupt:
            (m.directory / "data" / "block-00002.parquet").write_bytes(b"damaged")
        other.append(m)

    _on_block(monkeypatch, 1, publish)
    return other


def test_the_slower_of_two_runs_of_one_version_returns_the_dataset_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exclusive_run: None
) -> None:
    root = tmp_path / "out"
    other = _published_meanwhile(monkeypatch, root, corrupt=False)
    m = calmops_gen.run(_scenario(), root=root)
    assert m.directory == other[0].directory
    assert m.model_dump() == other[0].model_dump()  # the other run's manifest, created_at too
    assert verify_dataset(m.directory) == []
    assert [p.name for p in m.directory.parent.iterdir()] == [m.version]  # own staging gone


def test_the_slower_run_refuses_a_dataset_published_meanwhile_that_does_not_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exclusive_run: None
) -> None:
    root = tmp_path / "out"
    other = _published_meanwhile(monkeypatch, root, corrupt=True)
    with pytest.raises(DatasetError, match=r"does not verify .*; set output\.overwrite=true"):
        calmops_gen.run(_scenario(), root=root)
    assert (other[0].directory / "data" / "block-00002.parquet").read_bytes() == b"damaged"
    assert [p.name for p in other[0].directory.parent.iterdir()] == [other[0].version]


# --------------------------------------------------------------------------------------------
# Hidden folders left by killed runs
# --------------------------------------------------------------------------------------------


@needs_flock
def test_left_over_folders_are_removed_when_the_version_already_exists(
    dataset: calmops_gen.Manifest,
) -> None:
    final = dataset.directory
    stale = _hidden(final, "tmp", DEAD_PID, "0123abcd")
    (stale / "data").mkdir(parents=True)
    stale_old = _hidden(final, "old", DEAD_PID, "0123abce")
    (stale_old / "data").mkdir(parents=True)
    # a live run (its lock held) that is replacing the version: both its folders stay
    live = _hidden(final, "tmp", DEAD_PID, "feedbeef")
    live_old = _hidden(final, "old", DEAD_PID, "feedbeef")
    live.mkdir()
    live_old.mkdir()
    with (live / LOCK_NAME).open("wb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        again = calmops_gen.run(_scenario(), root=final.parent.parent)
    assert again.model_dump() == dataset.model_dump()
    assert sorted(p.name for p in final.parent.iterdir()) == sorted(
        [live.name, live_old.name, final.name]
    )


def test_an_interrupted_overwrite_leaves_a_folder_the_next_run_removes(
    dataset: calmops_gen.Manifest, monkeypatch: pytest.MonkeyPatch, exclusive_run: None
) -> None:
    """Stopped after the new version is in place but before the old one is deleted (the
    old folder is named after the run's host and process, as its staging folder was)."""
    final = dataset.directory
    (final / "data" / "block-00002.parquet").write_bytes(b"damaged")
    real = shutil.rmtree

    def interrupted(path: Any, *args: Any, **kwargs: Any) -> None:
        if ".old-" in Path(path).name:
            raise KeyboardInterrupt
        real(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", interrupted)
    with pytest.raises(KeyboardInterrupt):
        calmops_gen.run(_scenario(output={"overwrite": True}), root=final.parent.parent)
    monkeypatch.setattr(shutil, "rmtree", real)
    (old,) = final.parent.glob(f".{final.name}.old-*")
    assert old.name.startswith(f".{final.name}.old-{host()}-{os.getpid()}-")
    assert verify_dataset(final) == []
    monkeypatch.setattr(calmops_gen.staging, "alive", lambda pid: False)  # that run is gone
    again = calmops_gen.run(_scenario(), root=final.parent.parent)
    assert verify_dataset(again.directory) == []
    assert [p.name for p in final.parent.iterdir()] == [final.name]
