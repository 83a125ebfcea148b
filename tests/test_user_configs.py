"""The checks on a user's own config files (:mod:`calmops_gen.user_configs`): Hydra
settings and ``_target_`` keys are refused wherever Hydra could pick them up."""

from __future__ import annotations

from pathlib import Path

import pytest

from calmops_gen.user_configs import config_dirs, problems


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("s.yaml", "name: s\nhydra:\n  run: {dir: /tmp/x}\n", "key 'hydra'"),
        ("scenario/s.yaml", "# @package _global_\nhydra: {job: {chdir: true}}\n", "key 'hydra'"),
        ("s.yaml", "name: s\ndrift:\n  e: {kind: shift, _target_: os.system}\n",
         "key 'drift.e._target_'"),
        ("s.yml", "steps:\n- {_target_: builtins.open}\n", "key 'steps.0._target_'"),
        ("s.yaml", "defaults:\n- override hydra/job_logging: mine\n", "chooses a 'hydra/'"),
        ("s.yaml", "defaults:\n- hydra/callbacks: x\n", "chooses a 'hydra/'"),
        ("hydra/job_logging/mine.yaml", "version: 1\n", "under a 'hydra/' folder"),
    ],
)  # fmt: skip
def test_hydra_settings_and_targets_are_refused(
    tmp_path: Path, name: str, text: str, said: str
) -> None:
    path = _write(tmp_path, name, text)
    found = problems(["--config-dir", str(tmp_path), "--config-name", "s"])
    assert len(found) == 1 and found[0].startswith(f"{path}: ") and said in found[0]


def test_plain_scenarios_and_the_bundled_config_pass(tmp_path: Path) -> None:
    _write(tmp_path, "s.yaml", "name: s\ngenerator: {kind: sea}\ndefaults:\n- _self_\n")
    _write(tmp_path, "scenario/t.yaml", "# @package _global_\nname: t\n")
    _write(tmp_path, "broken.yaml", "a: [unclosed\n")  # Hydra reports it if it needs it
    assert problems([f"--config-dir={tmp_path}", "scenario=t"]) == []
    assert problems(["seed=3"]) == []  # no user directory: only the bundled conf/


def test_every_way_of_naming_a_config_directory_is_scanned(tmp_path: Path) -> None:
    _write(tmp_path / "a", "x.yaml", "hydra: {}\n")
    _write(tmp_path / "b", "x.yaml", "hydra: {}\n")
    argv = ["-cd", str(tmp_path / "a"), f"hydra.searchpath=[file://{tmp_path / 'b'},pkg://m]"]
    assert config_dirs(argv) == [tmp_path / "a", tmp_path / "b"]
    assert [p.split(":")[0] for p in problems(argv)] == [
        str(tmp_path / "a" / "x.yaml"),
        str(tmp_path / "b" / "x.yaml"),
    ]
