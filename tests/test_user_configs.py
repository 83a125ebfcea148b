"""The checks on a user's own config files (:mod:`calmops_gen.user_configs`): Hydra
settings and ``_target_`` keys are refused wherever Hydra could pick them up."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

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
    _write(tmp_path, "outputs/2026-01-01/00-00-00/.hydra/hydra.yaml", "hydra: {}\n")  # a run's
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


def test_a_file_named_like_a_bundled_config_is_refused(tmp_path: Path) -> None:
    """Hydra searches the package's conf/ first: the user's file would be silently ignored."""
    bundled = tmp_path / "bundled"
    _write(bundled, "config.yaml", "seed: 42\n")
    _write(bundled, "scenario/no_drift.yaml", "name: x\n")
    mine = tmp_path / "mine"
    _write(mine, "config.yaml", "name: mine\n")
    _write(mine, "scenario/no_drift.yaml", "name: mine\n")
    _write(mine, "scenario/other.yaml", "name: other\n")
    found = problems(["-cd", str(mine)], bundled=bundled)
    assert found == [
        f"{mine / 'config.yaml'}: has the name of a bundled config (config.yaml), which Hydra "
        "would read instead of it; rename it",
        f"{mine / 'scenario' / 'no_drift.yaml'}: has the name of a bundled config "
        "(scenario/no_drift.yaml), which Hydra would read instead of it; rename it",
    ]


def test_the_ways_around_the_scan_are_closed(tmp_path: Path) -> None:
    """``-cp``, a quoted search path, a symlinked group folder, a hidden file, an absolute
    ``/hydra/...`` defaults entry and a config named inside Hydra's run records."""
    evil = "hydra:\n  callbacks: {x: {_target_: builtins.print}}\n"
    _write(tmp_path / "cp", "e.yaml", evil)
    assert len(problems(["-cp", str(tmp_path / "cp"), "-cn", "e"])) == 1
    _write(tmp_path / "sp", "scenario/e.yaml", evil)
    assert len(problems([f"hydra.searchpath=['file://{tmp_path / 'sp'}']", "scenario=e"])) == 1
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "scenario").symlink_to(tmp_path / "sp" / "scenario")
    (linked / "loop").symlink_to(linked)  # walked once, no endless loop
    assert [p.split(":")[0] for p in problems(["-cd", str(linked)])] == [
        str(linked / "scenario" / "e.yaml")
    ]
    _write(tmp_path / "hid", ".e.yaml", evil)
    assert len(problems(["-cd", str(tmp_path / "hid"), "-cn", ".e"])) == 1
    _write(tmp_path / "abs", "m.yaml", "defaults:\n- override /hydra/job_logging: none\n")
    assert "chooses a 'hydra/'" in problems(["-cd", str(tmp_path / "abs")])[0]
    records = ["-cd", str(tmp_path), "-cn", "outputs/d/t/.hydra/hydra"]
    assert problems(records)[0].startswith("--config-name outputs/d/t/.hydra/hydra: names a")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("name: by\ngenerator: {kind: sea\n  schedule: [\n", "(line 3, column"),
        ("name: a\nname: b\ngenerator: {kind: sea}\n", "found duplicate key 'name' (line 2"),
        ("name: a\ngenerator:\n\tkind: sea\n", "found character '\\t' that cannot start"),
    ],
    ids=["syntax", "duplicate_key", "tab"],
)
def test_yaml_a_run_reads_must_parse(tmp_path: Path, text: str, says: str) -> None:
    """Hydra prints a Python traceback for YAML it cannot read (or a key given twice): the
    file the run reads is refused first, with the problem and where it is; a broken file
    the run does not read is none of its business."""
    (tmp_path / "scenario").mkdir()
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "scenario" / "bad.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "good.yaml").write_text("name: good\n", encoding="utf-8")
    for argv, name in (
        (["-cd", str(tmp_path), "-cn", "bad"], "bad.yaml"),
        (["-cd", str(tmp_path), "scenario=bad"], "scenario/bad.yaml"),
    ):
        (problem,) = problems(argv)
        assert problem.startswith(f"{tmp_path / name}: not valid YAML: ")
        assert says in problem
    assert problems(["-cd", str(tmp_path), "-cn", "good"]) == []


def test_unreadable_yaml_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """On the command line: exit 2, one line naming the file and the place, no traceback,
    nothing written."""
    conf = tmp_path / "conf"
    _write(conf, "dup.yaml", "name: a\nname: b\ngenerator: {kind: sea}\n")
    root = tmp_path / "out"
    rc, out, err = run_cli(tmp_path, "--config-dir", str(conf), "-cn", "dup", f"output.root={root}")
    assert rc == 2 and out == ""
    assert err.strip() == (
        f"calmops-gen: error: {conf / 'dup.yaml'}: not valid YAML: found duplicate key "
        "'name' (line 2, column 1)"
    )
    assert not root.exists()


def test_a_scenario_file_without_its_package_header_is_told_so(tmp_path: Path) -> None:
    """Without ``# @package _global_`` Hydra files a ``scenario/`` file's keys under
    ``scenario``: one line saying to add the header (not three unrelated key errors)."""
    conf = tmp_path / "conf"
    _write(conf, "scenario/plain.yaml", "name: plain\ngenerator: {kind: sea}\n")
    root = tmp_path / "out"
    rc, out, err = run_cli(
        tmp_path, "--config-dir", str(conf), "scenario=plain", f"output.root={root}"
    )
    assert (rc, out) == (2, "")
    assert err.strip() == (
        "calmops-gen: error: scenario: the chosen scenario file's keys landed under "
        "'scenario'; start the file with the line '# @package _global_', as the bundled "
        "scenarios do"
    )
    assert not root.exists()


def test_yaml_chosen_by_the_primary_files_defaults_must_parse(tmp_path: Path) -> None:
    """A scenario chosen by the primary file's ``defaults`` list is read by the run too: its
    broken YAML is refused in one line (it was Hydra's traceback)."""
    conf = tmp_path / "conf"
    _write(conf, "mine.yaml", "defaults:\n- scenario: broken\n- _self_\nname: mine\n")
    _write(conf, "scenario/broken.yaml", "# @package _global_\ngenerator: {kind: sea\n")
    (problem,) = problems(["--config-dir", str(conf), "--config-name", "mine"])
    assert problem.startswith(f"{conf / 'scenario' / 'broken.yaml'}: not valid YAML: ")
