"""The runner and ``calmops-gen-verify`` under concurrent runs, odd folders and bad roots.

Concurrency is simulated in-process where it can be (another run's clean-up, another run
publishing the same version) so the tests are exact and fast; start methods are tried in a
subprocess so the test process's own start method is left alone.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import dataset_bytes, file_hashes, run_cli, sea

import calmops_gen
from calmops_gen.errors import DatasetError, ScenarioError
from calmops_gen.executors import _context
from calmops_gen.plan import build_plan
from calmops_gen.scenario import load_scenario
from calmops_gen.verify import verify_dataset


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
