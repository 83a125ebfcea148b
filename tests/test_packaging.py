"""The wheel carries the Hydra configs and bundled data: bundled scenarios run outside the
checkout (DESIGN section 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheels = tmp_path_factory.mktemp("wheels")
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(REPO)],
        check=True,
    )  # fmt: skip
    (wheel,) = wheels.glob("calmops_gen-*.whl")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        check=True,
    )  # fmt: skip
    return target


@pytest.mark.parametrize("scenario", ["table_drift", "no_drift"])
def test_bundled_scenario_runs_from_the_wheel(installed: Path, tmp_path: Path, scenario: str):
    env = {**os.environ, "PYTHONPATH": str(installed)}
    args = [sys.executable, "-m", "calmops_gen", f"scenario={scenario}", "output.root=out"]
    if scenario == "no_drift":
        args.append("schedule.rows_per_block=200")
    done = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    dataset = Path(done.stdout.strip().splitlines()[-1])
    # the package came from the wheel, not from the checkout
    probe = subprocess.run(
        [sys.executable, "-c", "import calmops_gen, sys; print(calmops_gen.__file__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probe.stdout.strip().startswith(str(installed))
    assert dataset.is_relative_to(tmp_path / "out")
    verify = subprocess.run(
        [sys.executable, "-m", "calmops_gen.verify", str(dataset)],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout
