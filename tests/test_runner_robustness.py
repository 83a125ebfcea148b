"""The runner and ``calmops-gen-verify`` under concurrent runs, odd folders and bad roots.

Concurrency is simulated in-process where it can be (another run's clean-up, another run
publishing the same version) so the tests are exact and fast; start methods are tried in a
subprocess so the test process's own start method is left alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import dataset_bytes, file_hashes, sea

import calmops_gen
from calmops_gen.executors import _context


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
