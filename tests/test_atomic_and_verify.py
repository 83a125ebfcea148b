"""Atomic writes, existing versions, and ``calmops-gen-verify``."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import IN_PROCESS_LOCK, dataset_bytes, deep_merge, file_hashes, listing, sea

import calmops_gen
import calmops_gen.runner
from calmops_gen.errors import DatasetError, ScenarioError
from calmops_gen.verify import main as verify_main
from calmops_gen.verify import verify_dataset


def _scenario() -> dict:
    return sea(
        name="atomic",
        schedule={"blocks": 4, "rows_per_block": 200},
        drift={"fl": {"kind": "label_flip", "rate": 0.2}},
    )


class Boom(RuntimeError):
    pass


def _failing_on_block(index: int):
    real = calmops_gen.runner.produce_block

    def produce(plan, i):
        if i == index:
            raise Boom(f"injected failure on block {i}")
        return real(plan, i)

    return produce


def test_runner_calls_produce_block_through_its_module() -> None:
    """The failure injection below patches the name the runner actually calls."""
    import calmops_gen.engine

    assert calmops_gen.runner.produce_block is calmops_gen.engine.produce_block


@pytest.mark.parametrize(
    ("format_", "executor"),
    [
        ("parquet", {"kind": "sequential"}),
        ("csv", {"kind": "sequential"}),
        ("parquet", {"kind": "processes", "workers": 2}),
    ],
    ids=["parquet", "csv", "processes"],
)
def test_failure_mid_run_leaves_nothing(
    tmp_path: Path, monkeypatch, exclusive_run, format_: str, executor: dict
) -> None:
    root = tmp_path / "out"
    monkeypatch.setattr(calmops_gen.runner, "produce_block", _failing_on_block(2))
    sc = deep_merge(_scenario(), {"output": {"format": format_}, "executor": executor})
    with pytest.raises(Boom):
        calmops_gen.run(sc, root=root)
    assert listing(root) == []  # no final dir, no staging dir, no parents it created
    assert not root.exists()


def test_a_full_disk_is_a_clean_error_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    """Writing block 1 fails as on a full disk (ENOSPC): a DatasetError naming the file and
    the reason (the command line's one-line exit 2), not a traceback; nothing kept."""
    real = calmops_gen.runner.write_frame
    calls = []

    def write_frame(frame, columns, path, fmt):
        calls.append(path)
        if len(calls) == 3:  # block 0's data and truth, then block 1's data
            raise OSError(28, "No space left on device", str(path))
        return real(frame, columns, path, fmt)

    monkeypatch.setattr(calmops_gen.runner, "write_frame", write_frame)
    root = tmp_path / "out"
    with pytest.raises(DatasetError, match="cannot write the dataset: No space left on device"):
        calmops_gen.run(_scenario(), root=root)
    assert not root.exists()


def _dying_on_block(index: int):
    real = calmops_gen.runner.produce_block

    def produce(plan, i, *args):
        if i == index:
            os.kill(os.getpid(), 9)  # as the out-of-memory killer would
        return real(plan, i, *args)

    return produce


def test_a_worker_killed_by_the_system_is_a_clean_error(
    tmp_path: Path, monkeypatch, exclusive_run
) -> None:
    monkeypatch.setattr(calmops_gen.runner, "produce_block", _dying_on_block(2))
    sc = deep_merge(_scenario(), {"executor": {"kind": "processes", "workers": 2}})
    root = tmp_path / "out"
    with pytest.raises(DatasetError, match="a worker process died"):
        calmops_gen.run(sc, root=root)
    assert not root.exists()


@pytest.mark.parametrize(
    "executor",
    [{"kind": "sequential"}, {"kind": "processes", "workers": 2}, {"kind": "dask", "workers": 2}],
)
def test_a_problem_found_in_a_worker_is_the_users_error(tmp_path: Path, executor: dict) -> None:
    """A value a column cannot hold is found while block 2 is made, possibly in another
    process: the ScenarioError crosses the process boundary intact and nothing is kept."""
    source = tmp_path / "t.parquet"
    pd.DataFrame({"u": np.arange(40, dtype=np.uint8), "y": [0, 1] * 20}).to_parquet(source)
    sc = {
        "name": "t",
        "generator": {"kind": "table", "params": {"source": str(source)}},
        "schedule": {"sizes": [10, 10, 10, 10]},
        "executor": executor,
        "drift": {"s": {"kind": "set", "features": ["u"], "value": 300, "where": {"blocks": [2]}}},
    }
    root = tmp_path / "out"
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(sc, root=root)
    assert err.value.path == "drift.s.features" and "write 300" in err.value.message
    assert not root.exists()


def test_failure_leaves_existing_root_content_alone(
    tmp_path: Path, monkeypatch, exclusive_run
) -> None:
    root = tmp_path / "out"
    kept = calmops_gen.run(sea(), root=root)  # another dataset already in the root
    before = listing(root)
    monkeypatch.setattr(calmops_gen.runner, "produce_block", _failing_on_block(2))
    with pytest.raises(Boom):
        calmops_gen.run(_scenario(), root=root)
    assert listing(root) == before
    assert verify_dataset(kept.directory) == []


def test_rerun_of_intact_version_changes_nothing(tmp_path: Path) -> None:
    first = calmops_gen.run(_scenario(), root=tmp_path)
    files = sorted(p for p in first.directory.rglob("*") if p.is_file())
    stamps = {p: p.stat().st_mtime_ns for p in files}
    contents = {p: p.read_bytes() for p in files}
    second = calmops_gen.run(_scenario(), root=tmp_path)
    assert second.directory == first.directory
    assert second.model_dump() == first.model_dump()  # the stored manifest, created_at too
    assert sorted(p for p in first.directory.rglob("*") if p.is_file()) == files
    for p in files:
        assert p.stat().st_mtime_ns == stamps[p], p
        assert p.read_bytes() == contents[p], p
    assert [p.name for p in first.directory.parent.iterdir()] == [first.version]


def test_overwrite_leaves_an_intact_version_alone(tmp_path: Path) -> None:
    first = calmops_gen.run(_scenario(), root=tmp_path)
    stamps = {p: p.stat().st_mtime_ns for p in first.directory.rglob("*") if p.is_file()}
    again = calmops_gen.run(deep_merge(_scenario(), {"output": {"overwrite": True}}), root=tmp_path)
    assert again.directory == first.directory
    assert again.created_at == first.created_at  # the stored manifest, not a new run
    assert {p: p.stat().st_mtime_ns for p in first.directory.rglob("*") if p.is_file()} == stamps


def _flip_byte(path: Path, offset: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_corrupt_version_is_refused(tmp_path: Path) -> None:
    m = calmops_gen.run(_scenario(), root=tmp_path)
    victim = m.directory / m.blocks[1].file
    _flip_byte(victim)
    corrupt = victim.read_bytes()
    with pytest.raises(DatasetError) as err:
        calmops_gen.run(_scenario(), root=tmp_path)
    assert "overwrite" in str(err.value)
    assert victim.read_bytes() == corrupt  # refused: left exactly as it was


def test_overwrite_replaces_corrupt_version(tmp_path: Path) -> None:
    m = calmops_gen.run(_scenario(), root=tmp_path)
    good = dataset_bytes(m.directory)
    _flip_byte(m.directory / m.blocks[1].file)
    (m.directory / "data" / "stray.parquet").write_bytes(b"x")
    again = calmops_gen.run(deep_merge(_scenario(), {"output": {"overwrite": True}}), root=tmp_path)
    assert again.version == m.version and again.directory == m.directory
    assert verify_dataset(again.directory) == []
    assert dataset_bytes(again.directory) == good
    assert file_hashes(again) == file_hashes(m)
    # nothing left beside it (no staging or moved-aside directories)
    assert sorted(p.name for p in m.directory.parent.iterdir()) == [m.version]


def test_overwrite_replaces_a_file_where_the_version_directory_should_be(tmp_path: Path) -> None:
    m = calmops_gen.run(_scenario(), root=tmp_path)
    good = dataset_bytes(m.directory)
    shutil.rmtree(m.directory)
    m.directory.write_bytes(b"not a dataset")
    again = calmops_gen.run(deep_merge(_scenario(), {"output": {"overwrite": True}}), root=tmp_path)
    assert dataset_bytes(again.directory) == good
    assert sorted(p.name for p in m.directory.parent.iterdir()) == [m.version]


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from ``/proc``)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            after_name = stat.read_text().rsplit(")", 1)[1].split()
            if int(after_name[1]) == pid:
                out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's parent-death signal")
def test_workers_end_when_the_main_process_is_killed(tmp_path: Path, exclusive_run) -> None:
    """SIGKILL of the main process runs no clean-up; the kernel still ends its workers."""
    code = (
        "import calmops_gen, sys; from conftest import sea; calmops_gen.run(sea(schedule="
        "{'blocks': 400, 'rows_per_block': 200_000}, executor={'kind': 'processes', "
        "'workers': 2}), root=sys.argv[1])"
    )
    tests = Path(__file__).resolve().parent
    main = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "out")], cwd=tests)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = _children(main.pid)
        assert len(workers) >= 2, "the pool did not start"
        main.kill()
        main.wait()
        deadline = time.monotonic() + 20
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "workers outlived the main process"
    finally:
        main.kill()
        for w in workers:
            with contextlib.suppress(OSError):
                os.kill(w, 9)


# --------------------------------------------------------------------------------------------
# calmops-gen-verify
# --------------------------------------------------------------------------------------------


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return calmops_gen.run(_scenario(), root=tmp_path / "out").directory


def _verify(directory: Path, capsys) -> tuple[int, list[str]]:
    code = verify_main([str(directory)])
    return code, capsys.readouterr().out.strip().splitlines()


def test_verify_intact(dataset: Path, capsys) -> None:
    code, lines = _verify(dataset, capsys)
    assert code == 0, lines
    assert verify_dataset(dataset) == []


def test_verify_flipped_byte(dataset: Path, capsys) -> None:
    _flip_byte(dataset / "data" / "block-00002.parquet", offset=200)
    code, lines = _verify(dataset, capsys)
    assert code == 1
    assert len(lines) == 1, lines
    assert "data/block-00002.parquet" in lines[0]


def test_verify_flipped_byte_in_ground_truth(dataset: Path, capsys) -> None:
    _flip_byte(dataset / "ground_truth" / "block-00001.parquet", offset=50)
    code, lines = _verify(dataset, capsys)
    assert code == 1
    assert any("ground_truth/block-00001.parquet" in line for line in lines)


def test_verify_missing_file(dataset: Path, capsys) -> None:
    (dataset / "data" / "block-00003.parquet").unlink()
    code, lines = _verify(dataset, capsys)
    assert code == 1
    assert any("data/block-00003.parquet" in line and "missing" in line for line in lines)


@pytest.mark.parametrize("where", ["data", "ground_truth"])
def test_verify_extra_file(dataset: Path, capsys, where: str) -> None:
    (dataset / where / "block-00009.parquet").write_bytes(b"not listed")
    code, lines = _verify(dataset, capsys)
    assert code == 1
    assert any(f"{where}/block-00009.parquet" in line for line in lines)


def test_verify_tampered_manifest_rows(dataset: Path, capsys) -> None:
    path = dataset / "manifest.json"
    raw = json.loads(path.read_text())
    raw["files"][0]["rows"] += 1
    path.write_text(json.dumps(raw))
    code, lines = _verify(dataset, capsys)
    assert code == 1
    assert any(raw["files"][0]["path"] in line for line in lines)


def _edit_manifest(dataset: Path, edit: Any, reseal: bool = True) -> None:
    """Apply ``edit`` to the manifest; ``reseal`` recomputes ``records_sha256`` (an editor
    who knows the format), so that verify's other checks are what catches the edit."""
    path = dataset / "manifest.json"
    raw = json.loads(path.read_text())
    edit(raw)
    if reseal:
        from pydantic import ValidationError

        from calmops_gen.manifest import Manifest

        with contextlib.suppress(ValidationError):  # an invalid manifest cannot be sealed
            raw["records_sha256"] = Manifest.model_validate(raw).records_digest()
    path.write_text(json.dumps(raw))


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda m: m["config"]["drift"]["fl"].update(rate=0.9), "does not hash to"),
        (lambda m: m["config"].update(seed=m["config"]["seed"] + 1), "does not hash to"),
        (lambda m: m.update(version="000000000000"), "does not hash to"),
        (lambda m: m["blocks"][1].update(sha256="0" * 64), "block 1's data/block-00001"),
        (lambda m: m["blocks"][2].update(ground_truth_sha256="0" * 64), "block 2's ground_truth"),
        (lambda m: m["blocks"][1].update(row_start=1), "block 1 says index 1, rows [1, "),
        (lambda m: m["blocks"][3].update(index=2), "block 3 says index 2"),
        (
            lambda m: m["events"][0].update(rows_affected=m["events"][0]["rows_affected"] - 1),
            "event 'fl' says",
        ),
        (lambda m: m["blocks"][1].update(concepts=[7]), "rows of concept(s) [0], which"),
    ],
)
def test_verify_catches_edits_to_the_manifest_itself(
    dataset: Path, capsys, edit: Any, says: str
) -> None:
    """The manifest is checked against itself: its config must hash to its version (with
    the calmops-gen version it records), and its block records must agree with its files."""
    _edit_manifest(dataset, edit)
    code, lines = _verify(dataset, capsys)
    assert code == 1
    assert any(says in line for line in lines), lines


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda b: b["class_counts"].update({"true": b["class_counts"]["true"] + 1}), "per class"),
        (lambda b: b["class_counts"].update({"true": 0}), "rows per class"),
        (lambda b: b.update(time_end="2030-01-01T00:00:00+00:00"), "time_end is 2024-01-"),
        (lambda b: b.update(time_start=None), "time_start is 2024-01-"),
    ],
)
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_verify_checks_block_figures_against_the_data(
    tmp_path: Path, capsys, edit: Any, says: str, fmt: str
) -> None:
    """A block record's rows per class and first/last timestamps are read back from its
    data file (the files' hashes do not cover the manifest's own figures)."""
    sc = deep_merge(
        _scenario(),
        {
            "schedule": {"start": "2024-01-01T00:00:00+00:00", "step": {"days": 1}},
            "output": {"format": fmt},
        },
    )
    dataset = calmops_gen.run(sc, root=tmp_path / "out").directory
    assert verify_main([str(dataset)]) == 0
    capsys.readouterr()
    _edit_manifest(dataset, lambda m: edit(m["blocks"][2]))
    code, lines = _verify(dataset, capsys)
    assert code == 1
    assert [line for line in lines if says in line and "block-00002" in line], lines


@pytest.mark.parametrize("ground_truth", [True, False])
def test_verify_counts_the_rows_each_event_affected(
    tmp_path: Path, capsys, ground_truth: bool
) -> None:
    """An event's ``rows_affected`` is read back from its ground-truth weights (events that
    touch every selected row) or ``__changed`` flags (random subsets); without ground truth
    there is nothing to count."""
    sc = deep_merge(
        _scenario(),
        {
            "drift": {
                "sh": {
                    "kind": "shift",
                    "features": ["x0"],
                    "amount": 1.0,
                    "where": {"blocks": [1, 2]},
                    "profile": {"kind": "gradual", "width": 100},
                }
            },
            "output": {"ground_truth": ground_truth},
        },
    )
    dataset = calmops_gen.run(sc, root=tmp_path / "out").directory
    assert verify_main([str(dataset)]) == 0
    capsys.readouterr()
    raw = json.loads((dataset / "manifest.json").read_text())
    # the gradual ramp starts at weight 0: its first row is selected but not affected
    assert {e["id"]: (e["rows_selected"], e["rows_affected"]) for e in raw["events"]}["sh"] == (
        400,
        399,
    )
    _edit_manifest(dataset, lambda m: m["events"][1].update(rows_affected=400))
    code, lines = _verify(dataset, capsys)
    if ground_truth:
        assert code == 1
        assert lines == ["manifest.json: event 'sh' says 400 rows affected, its ground truth 399"]
    else:
        assert code == 0, lines


@pytest.mark.parametrize(
    "copier",
    [
        {"kind": "prior_shift", "target": {"true": 0.2, "false": 0.8}},
        {"kind": "covariate_shift", "feature": "x0", "strength": 2.0},
    ],
    ids=["prior_shift", "covariate_shift"],
)
def test_rows_affected_follow_rows_copied_by_a_later_event(tmp_path: Path, copier: dict) -> None:
    """A row overwritten by a copy of another takes that row's ground truth, so the earlier
    events' counts are taken after the copies: the dataset verifies (it failed) and each
    count is its ground truth's."""
    sc = sea(
        drift={
            "flips": {"kind": "label_flip", "rate": 0.2},
            "sh": {"kind": "shift", "features": ["x1"], "amount": 1.0, "where": {"rows": [0, 700]}},
            "copy": {**copier, "where": {"blocks": [1]}},
        }
    )
    m = calmops_gen.run(sc, root=tmp_path)
    assert verify_dataset(m.directory) == []
    truth = calmops_gen.read_ground_truth(m)
    affected = {e.id: e.rows_affected for e in m.events}
    assert affected["flips"] == int(truth["flips__changed"].sum())
    assert affected["sh"] == int((truth["sh"] > 0).sum()) != 700  # rows moved in or out


@pytest.mark.parametrize("field", ["files", "blocks"])
def test_manifest_paths_outside_the_dataset_are_refused(dataset: Path, capsys, field: str) -> None:
    """A manifest naming a file outside ``data/`` and ``ground_truth/`` is not followed."""
    key = "path" if field == "files" else "file"
    _edit_manifest(dataset, lambda m: m[field][0].update({key: "../../../etc/passwd"}))
    code, lines = _verify(dataset, capsys)
    assert code == 1 and "not a valid manifest" in lines[0], lines
    with pytest.raises(DatasetError, match="not a valid manifest"):
        calmops_gen.read_frame(dataset)


def test_verify_accepts_a_manifest_from_another_calmops_gen_version(dataset: Path) -> None:
    """The content id is recomputed with the version the manifest records (and the
    dataset's directory is named by that version, as the run that made it named it)."""
    from calmops_gen.scenario import content_id

    def older(m: dict) -> None:
        m["calmops_gen_version"] = "0.0.1"
        m["version"] = content_id(m["config"], "0.0.1")

    _edit_manifest(dataset, older)
    older_dir = dataset.rename(dataset.with_name(calmops_gen.read_manifest(dataset).version))
    assert verify_dataset(older_dir) == []


def test_verify_checks_schema_not_only_hashes(dataset: Path, capsys) -> None:
    """A file rewritten with other column types, its hash and size updated in the manifest,
    is still caught: verify compares the schema with the manifest's columns."""
    import hashlib

    import pyarrow.parquet as pq

    rel = "data/block-00000.parquet"
    table = pq.read_table(dataset / rel)
    table = table.set_column(0, "x0", table.column("x0").cast("float32"))
    pq.write_table(table, dataset / rel)
    data = (dataset / rel).read_bytes()

    def rehash(raw: dict) -> None:
        for f in raw["files"]:
            if f["path"] == rel:
                f["sha256"], f["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
        raw["blocks"][0]["sha256"] = hashlib.sha256(data).hexdigest()

    _edit_manifest(dataset, rehash)
    code, lines = _verify(dataset, capsys)
    assert code == 1
    assert len(lines) == 1 and rel in lines[0] and "float" in lines[0], lines


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.update(events=[]),
        lambda m: m.update(seed=43),
        lambda m: m["events"][0]["realised"].update(flip_rate=0.5),
        lambda m: m["events"][0]["params"].update(rate=0.9),
        lambda m: m["concepts"][0]["params"].update(variant=2),
        lambda m: m["blocks"][2].update(params={}),
        lambda m: m.update(overrides=["seed=1"]),
    ],
    ids=["no-events", "seed", "realised", "params", "concept", "block-params", "overrides"],
)
def test_verify_catches_any_edit_of_the_records(dataset: Path, edit: Any) -> None:
    """Records no other check covers (what was done, the realised effects, the concepts)
    are sealed by records_sha256: any edit is reported."""
    _edit_manifest(dataset, edit, reseal=False)
    assert verify_dataset(dataset) == [
        "manifest.json: its records were edited after the run (they no longer hash to "
        "records_sha256)"
    ]


def test_verify_reports_files_that_are_not_part_of_the_dataset(dataset: Path) -> None:
    (dataset / "notes.txt").write_text("mine")
    (dataset / "extra").mkdir()
    assert verify_dataset(dataset) == [
        "extra: not part of the dataset",
        "notes.txt: not part of the dataset",
    ]


def test_verify_missing_manifest(dataset: Path, capsys) -> None:
    (dataset / "manifest.json").unlink()
    code, lines = _verify(dataset, capsys)
    assert code == 1
    assert any("manifest.json" in line for line in lines)


@pytest.mark.parametrize("read", ["read_frame", "read_ground_truth", "iter_stream"])
def test_reading_a_file_instead_of_a_dataset_is_a_dataset_error(dataset: Path, read: str) -> None:
    """A path to a file (here the manifest itself) is refused with the path and what to pass
    instead; so is a folder that holds datasets below it, naming them."""
    from calmops_gen.stream import iter_stream

    readers = {
        "read_frame": calmops_gen.read_frame,
        "read_ground_truth": calmops_gen.read_ground_truth,
        "iter_stream": lambda path: next(iter_stream(path)),
    }
    with pytest.raises(DatasetError, match=r"manifest\.json: is a file; pass the dataset dir"):
        readers[read](dataset / "manifest.json")
    with pytest.raises(DatasetError, match=r"no manifest\.json here; datasets below") as err:
        readers[read](dataset.parent.parent)
    assert str(dataset) in str(err.value)
    with pytest.raises(DatasetError, match="expected a dataset directory or a Manifest"):
        readers[read](pd.DataFrame())


@pytest.mark.parametrize("damage", ["deleted", "truncated", "emptied", "footer", "renamed"])
@pytest.mark.parametrize("reader", ["read_frame", "read_ground_truth"])
def test_reading_a_damaged_file_is_a_dataset_error(dataset: Path, damage: str, reader: str) -> None:
    """A block file that is gone, cut, empty, corrupt or holds other columns: one
    DatasetError naming the file (pyarrow's and the OS's own errors came through)."""
    import pyarrow.parquet as pq

    folder = "data" if reader == "read_frame" else "ground_truth"
    path = dataset / folder / "block-00001.parquet"
    if damage == "deleted":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "emptied":
        path.write_bytes(b"")
    elif damage == "footer":
        path.write_bytes(path.read_bytes()[:-8] + b"XXXXXXXX")  # the footer's length and magic
    else:
        table = pq.read_table(path)
        pq.write_table(table.rename_columns(["z", *table.column_names[1:]]), path)
    with pytest.raises(DatasetError, match="calmops-gen-verify") as err:
        getattr(calmops_gen, reader)(dataset)
    assert str(path) in str(err.value)


def test_verify_reports_a_manifest_without_its_records_hash(dataset: Path) -> None:
    """Deleting records_sha256 switched the records check off: edits then passed."""
    _edit_manifest(dataset, lambda m: (m.pop("records_sha256"), m.update(seed=7)), reseal=False)
    assert verify_dataset(dataset) == [
        "manifest.json: records_sha256 is missing, so edits of its records cannot be detected",
    ]


def test_verify_reports_a_listed_concept_without_rows(tmp_path: Path) -> None:
    sc = sea(schedule={"block_params": {1: {"variant": 1}}})
    directory = calmops_gen.run(sc, root=tmp_path).directory
    _edit_manifest(directory, lambda m: m["blocks"][0].update(concepts=[0, 1]))
    assert verify_dataset(directory) == [
        "ground_truth/block-00000.parquet: no rows of concept(s) [1], which the manifest's "
        "block 0 lists"
    ]


def test_verify_a_file_instead_of_a_dataset(dataset: Path, capsys) -> None:
    code, lines = _verify(dataset / "manifest.json", capsys)
    assert code == 1 and any("cannot be read" in line for line in lines)


def test_verify_same_content_rewritten_still_verifies(dataset: Path, capsys) -> None:
    """Verification is about bytes, not timestamps."""
    path = dataset / "data" / "block-00000.parquet"
    data = path.read_bytes()
    path.write_bytes(data)
    os.utime(path, (1, 1))
    assert _verify(dataset, capsys)[0] == 0


def _verify_subprocess(cwd: Path) -> tuple[Path, subprocess.CompletedProcess]:
    with IN_PROCESS_LOCK:
        directory = calmops_gen.run(_scenario(), root=cwd / "out").directory
    _flip_byte(directory / "data" / "block-00001.parquet", offset=120)
    proc = subprocess.run(
        [sys.executable, "-m", "calmops_gen.verify", str(directory)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    return directory, proc


# run in the background by conftest.py (see ``cli_jobs``)
CLI_JOBS = {"verify": _verify_subprocess}


def test_verify_command_line(cli_jobs) -> None:
    """``python -m calmops_gen.verify DIR`` (the console script's module) on a corrupt dataset."""
    directory, bad = cli_jobs["verify"]
    assert bad.returncode == 1
    assert [line for line in bad.stdout.splitlines() if line.strip()] == verify_dataset(directory)
    assert "data/block-00001.parquet" in bad.stdout
    assert "Traceback" not in bad.stderr


def test_class_counts_use_the_same_label_text_as_the_event_records(dataset: Path) -> None:
    """A bool target's classes are "false"/"true" in class_counts as in label_flip's
    per_class; a manifest written with the older "False"/"True" keys still verifies."""
    m = calmops_gen.read_manifest(dataset)
    assert set(m.blocks[0].class_counts or {}) == set(m.events[0].realised["per_class"])
    assert set(m.blocks[0].class_counts or {}) == {"false", "true"}

    def older(raw: dict) -> None:
        for b in raw["blocks"]:
            b["class_counts"] = {k.capitalize(): n for k, n in b["class_counts"].items()}

    _edit_manifest(dataset, older)
    assert verify_dataset(dataset) == []


def test_verify_help_and_version_say_what_it_checks(capsys: pytest.CaptureFixture[str]) -> None:
    """--help names the checks and the exit statuses; --version the package's version."""
    for flag in ("--help", "--version"):
        with pytest.raises(SystemExit) as done:
            verify_main([flag])
        assert done.value.code == 0
    out = capsys.readouterr().out
    assert "Exit status: 0 when all holds" in " ".join(out.split())
    assert out.rstrip().endswith(f"calmops-gen-verify {calmops_gen.__version__}")
