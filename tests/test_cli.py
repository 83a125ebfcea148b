"""The ``calmops-gen`` command line (subprocess) and the bundled Hydra configs (compose API)."""

from __future__ import annotations

import copy
import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import IN_PROCESS_LOCK, listing, run_cli, start_writing_run
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

import calmops_gen
from calmops_gen.cli import config_dir
from calmops_gen.verify import verify_dataset

SCENARIOS = sorted(p.stem for p in (config_dir() / "scenario").glob("*.yaml"))

# The default scenario at a small size (its 5,000-row transition and 20,000-row ramp shrunk).
SMALL_DEFAULT = [
    "schedule.rows_per_block=500",
    "schedule.transition.width=100",
    "drift.shift_x0.profile.width=400",
]


_COMPOSE_LOCK = threading.Lock()  # Hydra's global state: one composition at a time


def _compose(overrides: list[str]) -> dict[str, Any]:
    with _COMPOSE_LOCK, initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    data = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(data, dict)
    data.pop("hydra", None)
    return data


def _last_line_dir(stdout: str) -> Path:
    lines = stdout.strip().splitlines()
    assert lines, "nothing on stdout"
    return Path(lines[-1])


def _shrink(cfg: dict[str, Any], rows: int = 400) -> dict[str, Any]:
    """The same scenario at a small size: fewer rows, and widths/ranges scaled to fit."""
    cfg = copy.deepcopy(cfg)
    sched = cfg.setdefault("schedule", {})
    factor = 1.0
    if sched.get("rows_per_block"):
        factor = rows / sched["rows_per_block"]
        sched["rows_per_block"] = rows
    if sched.get("sizes"):
        factor = rows / max(sched["sizes"])
        sched["sizes"] = [max(1, int(s * factor)) for s in sched["sizes"]]
    if factor == 1.0:
        return cfg  # a table: its own size
    transition = sched.get("transition") or {}
    if "width" in transition:
        transition["width"] = max(1, int(transition["width"] * factor))
    for event in (cfg.get("drift") or {}).values():
        profile = event.get("profile") or {}
        for key in ("width", "period", "edge"):
            if profile.get(key):
                profile[key] = max(2 if key == "period" else 1, int(profile[key] * factor))
        where = event.get("where") or {}
        if where.get("rows"):
            a, b = where["rows"]
            where["rows"] = [int(a * factor), max(int(a * factor) + 1, int(b * factor))]
    return cfg


def test_bundled_scenarios_exist() -> None:
    assert {"default", "no_drift", "agrawal_abrupt", "table_drift"} <= set(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_bundled_scenario_composes_and_runs(tmp_path: Path, name: str) -> None:
    full = _compose([f"scenario={name}"])
    scenario = calmops_gen.load_scenario(full)  # validates at full size
    raw = yaml.safe_load((config_dir() / "scenario" / f"{name}.yaml").read_text())
    assert scenario.name == raw["name"]
    small = _shrink(full)
    manifest = calmops_gen.run(small, root=tmp_path)
    assert verify_dataset(manifest.directory) == []
    frame = calmops_gen.read_frame(manifest)
    assert len(frame) == manifest.rows == sum(b.rows for b in manifest.blocks)
    assert [e.id for e in manifest.events] == list(raw.get("drift") or {})
    for event in manifest.events:
        assert event.rows_selected > 0, event.id
        assert event.realised, event.id
    # the base config's keys are in force unless the scenario sets them
    assert manifest.config["output"]["format"] == "parquet"
    assert manifest.seed == raw.get("seed", 42)


# --------------------------------------------------------------------------------------------
# Subprocess runs: prepared and started together (two at a time), then checked one by one
# --------------------------------------------------------------------------------------------

USER_SCENARIO = {
    "name": "my_own",
    "generator": {"kind": "sea", "params": {"variant": 2}},
    "schedule": {"blocks": 2, "rows_per_block": 300},
    "drift": {"nz": {"kind": "noise", "features": ["x1"], "amount": 0.5}},
}

OVERRIDES = [
    "seed=7",
    "schedule.blocks=6",
    "drift.shift_x0.amount=2.0",
    "output.format=csv",
    *SMALL_DEFAULT,
]


def _user_conf(cwd: Path) -> Path:
    conf = cwd / "myconf"
    conf.mkdir()
    (conf / "study.yaml").write_text(yaml.safe_dump(USER_SCENARIO), encoding="utf-8")
    return conf


def _prep_existing(cwd: Path) -> tuple[list[str], dict[str, Any]]:
    overrides = ["scenario=no_drift", "schedule.rows_per_block=200"]
    with IN_PROCESS_LOCK:
        api = calmops_gen.run(_compose(overrides), root=cwd / "out")
    stamps = {p: p.stat().st_mtime_ns for p in api.directory.rglob("*") if p.is_file()}
    return overrides, {"api": api, "stamps": stamps}


def _prep_scenario_dir(cwd: Path) -> tuple[list[str], dict[str, Any]]:
    conf = cwd / "myconf"
    (conf / "scenario").mkdir(parents=True)
    text = "# @package _global_\n" + yaml.safe_dump(USER_SCENARIO)
    (conf / "scenario" / "mine.yaml").write_text(text, encoding="utf-8")
    return ["--config-dir", str(conf), "scenario=mine", "seed=3"], {}


def _prep_hydra_callback(cwd: Path) -> tuple[list[str], dict[str, Any]]:
    """A scenario file whose ``hydra.callbacks`` would empty a file when Hydra starts."""
    victim = cwd / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    conf = cwd / "evil"
    conf.mkdir()
    callback = {"_target_": "builtins.open", "_args_": [str(victim), "w"]}
    scenario = {**USER_SCENARIO, "hydra": {"callbacks": {"x": callback}}}
    (conf / "op.yaml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    return ["--config-dir", str(conf), "--config-name", "op"], {"victim": victim}


# name -> (prepare(cwd) -> (arguments, facts for the test), append output.root=cwd/out?)
JOBS: dict[str, tuple[Callable[[Path], tuple[list[str], dict[str, Any]]], bool]] = {
    "no-args": (lambda cwd: ([], {}), False),
    "overrides": (lambda cwd: (list(OVERRIDES), {}), True),
    "amount": (
        lambda cwd: (
            ["~drift.shift_x0.amount", "+drift.shift_x0.amount_std=2.0", *SMALL_DEFAULT],
            {},
        ),
        True,
    ),
    "both-amounts": (lambda cwd: (["+drift.shift_x0.amount_std=2.0", *SMALL_DEFAULT], {}), True),
    "switch-generator": (
        lambda cwd: (
            [
                "generator.kind=random_rbf",
                "~generator.params",
                "~schedule.block_params",
                "+generator.params.n_features=4",
                *SMALL_DEFAULT,
            ],
            {},
        ),
        True,
    ),
    "multirun": (
        lambda cwd: (["-m", "drift.shift_x0.amount=0.5,1,2", *SMALL_DEFAULT], {}),
        True,
    ),
    "user-file": (
        lambda cwd: (["--config-dir", str(_user_conf(cwd)), "--config-name", "study"], {}),
        False,
    ),
    "user-file-overrides": (
        lambda cwd: (
            ["--config-dir", str(_user_conf(cwd)), "--config-name", "study", "seed=5"],
            {},
        ),
        True,
    ),
    "scenario-dir": (_prep_scenario_dir, True),
    "hydra-callback": (_prep_hydra_callback, True),
    "shell-completion": (lambda cwd: (["-sc", "install=bash"], {}), False),
    "version": (lambda cwd: (["--version"], {}), False),
    "help": (lambda cwd: (["--help"], {}), False),
    "existing": (_prep_existing, True),
}


@dataclass
class CliRun:
    cwd: Path
    root: Path
    args: list[str]
    rc: int
    stdout: str
    stderr: str
    facts: dict[str, Any]


def _job(name: str, cwd: Path) -> CliRun:
    prepare, with_root = JOBS[name]
    args, facts = prepare(cwd)
    root = cwd / "out" if with_root else cwd / "datasets"
    full = [*args, f"output.root={root}"] if with_root else args
    rc, out, err = run_cli(cwd, *full)
    return CliRun(cwd, root, full, rc, out, err, facts)


# run in the background by conftest.py (see ``cli_jobs``)
CLI_JOBS = {name: functools.partial(_job, name) for name in JOBS}


def test_no_arguments_runs_the_default_scenario(cli_jobs) -> None:
    run = cli_jobs["no-args"]
    assert run.rc == 0, run.stderr
    directory = _last_line_dir(run.stdout)
    assert directory.is_absolute()
    assert directory.parent.parent == (run.cwd / "datasets").resolve()
    assert verify_dataset(directory) == []
    manifest = calmops_gen.read_manifest(directory)
    assert manifest.name == "sea_default"
    assert manifest.rows == 100_000 and len(manifest.blocks) == 4
    assert manifest.overrides == []
    assert {e.id for e in manifest.events} == {"shift_x0", "flips"}


def test_overrides_are_reflected_in_the_manifest(cli_jobs) -> None:
    run = cli_jobs["overrides"]
    assert run.rc == 0, run.stderr
    m = calmops_gen.read_manifest(_last_line_dir(run.stdout))
    assert m.directory.parent.parent == run.root.resolve()
    assert m.seed == 7
    assert len(m.blocks) == 6 and m.rows == 3000
    assert all(f.path.endswith(".csv") for f in m.files) and len(m.files) == 12
    assert m.overrides == run.args
    shift = {e.id: e for e in m.events}["shift_x0"]
    assert shift.params["amount"] == 2.0
    assert shift.realised["x0"]["amount"] == 2.0
    assert verify_dataset(m.directory) == []


def test_replacing_amount_with_amount_std(cli_jobs) -> None:
    run = cli_jobs["amount"]
    assert run.rc == 0, run.stderr
    m = calmops_gen.read_manifest(_last_line_dir(run.stdout))
    shift = {e.id: e for e in m.events}["shift_x0"]
    assert shift.params["amount_std"] == 2.0 and shift.params["amount"] is None
    ref = shift.prepared["x0"]["reference_std"]
    assert shift.realised["x0"]["amount"] == pytest.approx(2.0 * ref, rel=1e-12)
    assert m.config["drift"]["shift_x0"]["amount_std"] == 2.0


def test_switching_generator_from_the_command_line(cli_jobs) -> None:
    """The README's recipe: another generator under the default scenario's schedule and
    events, the old generator's parameters dropped."""
    run = cli_jobs["switch-generator"]
    assert run.rc == 0, run.stderr
    m = calmops_gen.read_manifest(_last_line_dir(run.stdout))
    assert m.config["generator"]["kind"] == "random_rbf"
    assert [c.name for c in m.columns if c.role == "feature"] == ["x0", "x1", "x2", "x3"]
    shift = {e.id: e for e in m.events}["shift_x0"]
    assert shift.realised["x0"]["amount"] == shift.params["amount"] == 1.5
    assert verify_dataset(m.directory) == []


def test_setting_amount_beside_amount_std_is_refused(cli_jobs) -> None:
    """The default shift has amount; adding amount_std gives both, which is an error."""
    run = cli_jobs["both-amounts"]
    assert run.rc == 2
    assert "drift.shift_x0" in run.stderr and "amount" in run.stderr
    assert "Traceback" not in run.stderr
    assert listing(run.root) == []


def test_multirun_sweeps_one_event(cli_jobs) -> None:
    run = cli_jobs["multirun"]
    assert run.rc == 0, run.stderr
    versions = sorted((run.root / "sea_default").iterdir())
    assert len(versions) == 3
    amounts = set()
    for directory in versions:
        assert verify_dataset(directory) == []
        m = calmops_gen.read_manifest(directory)
        amounts.add(m.config["drift"]["shift_x0"]["amount"])
        assert str(directory.resolve()) in run.stdout
    assert amounts == {0.5, 1.0, 2.0}
    hashes = {calmops_gen.read_manifest(d).files[0].sha256 for d in versions}
    assert len(hashes) == 1  # block 0 is before the shift: identical in every job


def test_user_config_file_runs_with_config_dir_and_name(cli_jobs) -> None:
    run = cli_jobs["user-file"]
    assert run.rc == 0, run.stderr
    directory = _last_line_dir(run.stdout)
    assert directory.parent.parent == (run.cwd / "datasets").resolve()
    m = calmops_gen.read_manifest(directory)
    assert m.name == "my_own" and m.rows == 600
    # unspecified keys take their documented defaults
    assert m.seed == 42
    assert m.config["output"]["format"] == "parquet"
    assert m.config["generator"]["params"] == {"variant": 2, "noise": 0.0}
    # and it is the very dataset the Python API makes from the same file
    api = calmops_gen.run(run.cwd / "myconf" / "study.yaml", root=run.cwd / "api")
    assert api.version == m.version
    assert [f.sha256 for f in api.files] == [f.sha256 for f in m.files]


def test_user_config_file_accepts_overrides_of_defaulted_keys(cli_jobs) -> None:
    """DESIGN 3: unspecified keys take their documented defaults, so they can be overridden
    like the bundled scenarios' (``seed=...``, ``output.root=...``)."""
    run = cli_jobs["user-file-overrides"]
    assert run.rc == 0, run.stderr
    m = calmops_gen.read_manifest(_last_line_dir(run.stdout))
    assert m.seed == 5 and m.directory.parent.parent == run.root.resolve()


def test_user_scenario_dir_is_found_by_name(cli_jobs) -> None:
    run = cli_jobs["scenario-dir"]
    assert run.rc == 0, run.stderr
    m = calmops_gen.read_manifest(_last_line_dir(run.stdout))
    assert m.name == "my_own" and m.seed == 3
    assert m.directory.parent.parent == run.root.resolve()
    assert verify_dataset(m.directory) == []


def test_cli_reports_an_existing_dataset(cli_jobs) -> None:
    """A dataset made by the Python API from the composed config is found, not rewritten,
    by the same command line (same version: Hydra and the API agree on the scenario)."""
    run = cli_jobs["existing"]
    api = run.facts["api"]
    assert run.rc == 0, run.stderr
    assert _last_line_dir(run.stdout) == api.directory
    files = {p: p.stat().st_mtime_ns for p in api.directory.rglob("*") if p.is_file()}
    assert files == run.facts["stamps"]
    assert [p.name for p in (run.root / "sea_no_drift").iterdir()] == [api.version]


@pytest.mark.parametrize(
    ("executor", "sig"),
    [
        ("sequential", signal.SIGTERM),
        ("processes", signal.SIGTERM),
        ("dask", signal.SIGTERM),
        ("sequential", signal.SIGINT),
    ],
)
def test_sigterm_removes_the_half_written_dataset(tmp_path: Path, executor: str, sig: int) -> None:
    """A run stopped with SIGTERM (a job scheduler's kill, sent to the parent only) unwinds
    like Ctrl-C: exit status 143 and no staging folder (nor the parents it created) left
    under the root. A process pool ends its workers instead of finishing the blocks in
    flight (a 2M-row block takes seconds), so the exit is prompt either way."""
    root = tmp_path / "out"
    pool = ["executor.workers=2"] if executor != "sequential" else []
    proc = start_writing_run(
        tmp_path, root, "~drift", "schedule.rows_per_block=2000000", "schedule.blocks=20",
        f"executor.kind={executor}", *pool, stderr=subprocess.PIPE,
    )  # fmt: skip
    sent = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert time.monotonic() - sent < 15.0  # a block in flight would take longer (loaded CI)
    assert not root.exists()
    assert "Traceback" not in err.decode()
    if sig == signal.SIGINT:  # Ctrl-C: one line, not a traceback
        assert err.decode().strip().splitlines()[-1].startswith("calmops-gen: interrupted")


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    """SIGKILL cannot be caught, so the staging folder stays; the next run of the same version
    removes it (its process is gone) and writes the dataset, which verifies."""
    root = tmp_path / "out"
    overrides = ("~drift", "schedule.rows_per_block=200000", "schedule.blocks=20")
    proc = start_writing_run(tmp_path, root, *overrides)
    proc.kill()
    proc.wait(timeout=60)
    left = list(root.glob("*/.*.tmp-*"))
    assert len(left) == 1 and f"-{proc.pid}-" in left[0].name
    # a live process's staging folder (another run of the same version) is kept
    alive = left[0].with_name(left[0].name.replace(f"-{proc.pid}-", f"-{os.getpid()}-"))
    alive.mkdir()
    rc, out, err = run_cli(tmp_path, f"output.root={root}", *overrides, timeout=300)
    assert rc == 0, err
    assert not left[0].exists() and alive.exists()
    final = Path(out.strip().splitlines()[-1])
    assert final.parent == left[0].parent and verify_dataset(final) == []


def test_a_failing_sweep_job_does_not_stop_the_others(tmp_path: Path) -> None:
    """``-m schedule.blocks=4,2,5``: 2 blocks cannot hold the default scenario's block 2
    events, so job 1 fails; jobs 0 and 2 still write their datasets, job 1 is reported by
    its overrides, and the exit status is 2 at the end."""
    root = tmp_path / "out"
    code, _, err = run_cli(
        tmp_path, "-m", "schedule.blocks=4,2,5", "schedule.rows_per_block=10000",
        f"output.root={root}",
    )  # fmt: skip
    assert code == 2, err
    written = sorted(p.name for p in (root / "sea_default").iterdir())
    assert len(written) == 2 and all(
        verify_dataset(root / "sea_default" / v) == [] for v in written
    )
    assert "error: job 1 (schedule.blocks=2 schedule.rows_per_block=10000" in err
    assert "block 2 does not exist" in err
    assert err.strip().splitlines()[-1].startswith("calmops-gen: error: 1 sweep job(s) failed")


def test_hydra_settings_in_a_scenario_file_are_refused_before_hydra_acts(cli_jobs) -> None:
    """Hydra instantiates ``hydra.callbacks`` before the app runs: a file that sets them is
    refused first (exit 2, one line naming the file and key), so the callback never runs."""
    run = cli_jobs["hydra-callback"]
    assert run.rc == 2, run.stderr
    assert run.facts["victim"].read_text(encoding="utf-8") == "keep me"
    assert run.stderr.strip() == (
        f"calmops-gen: error: {run.cwd / 'evil' / 'op.yaml'}: key 'hydra': Hydra's settings "
        "are not taken from scenario files (they can run code and write files); give them on "
        "the command line"
    )
    assert not run.root.exists()


def test_hydra_shell_completion_works(cli_jobs) -> None:
    """``-sc install=bash`` is Hydra's subcommand, not an override to force."""
    run = cli_jobs["shell-completion"]
    assert run.rc == 0, run.stderr
    assert "hydra_bash_completion" in run.stdout
    assert not (run.cwd / "datasets").exists()


def test_version_and_help_name_the_tool(cli_jobs) -> None:
    import hydra

    version = cli_jobs["version"]
    assert version.rc == 0, version.stderr
    assert version.stdout == f"calmops-gen {calmops_gen.__version__} (Hydra {hydra.__version__})\n"
    help_run = cli_jobs["help"]
    assert help_run.rc == 0, help_run.stderr
    lines = help_run.stdout.splitlines()
    assert lines[0] == "calmops-gen: synthetic tabular datasets with known, controlled drift."
    assert "scenario: agrawal_abrupt, default, no_drift, table_drift" in lines
    assert [line for line in lines if line][-1] == "Hydra's own options: calmops-gen --hydra-help"
    assert not (help_run.cwd / "datasets").exists()


def test_help_names_the_tool_for_a_users_scenario_file(tmp_path: Path) -> None:
    """A user's scenario file does not inherit conf/config.yaml: --help still shows
    calmops-gen's text (Hydra's default called the tool "cli"), writing nothing."""
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "mine.yaml").write_text("name: mine\ngenerator: {kind: sea}\n", encoding="utf-8")
    rc, out, err = run_cli(tmp_path, "--config-dir", str(conf), "--config-name", "mine", "--help")
    assert rc == 0, err
    assert (
        out.splitlines()[0]
        == "calmops-gen: synthetic tabular datasets with known, controlled drift."
    )
    assert "name: mine" in out.splitlines()
    assert not (tmp_path / "datasets").exists()


def test_help_into_a_closed_pipe_is_no_traceback(tmp_path: Path) -> None:
    """``calmops-gen --help | head`` closes the pipe early: exit 1 without a traceback (it
    was a BrokenPipeError traceback from Hydra's print)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("HYDRA_FULL_ERROR", "CALMOPS_GEN_DEBUG")
    }
    read, write = os.pipe()
    os.close(read)  # nobody reads: the first write fails
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "calmops_gen", "--help"],
            cwd=tmp_path,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)
    assert proc.returncode == 1
    assert proc.stderr == ""
