"""Every experiment config is a complete scenario that runs (at a small size)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

import calmops_gen as cg

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
SMALL = {
    "shift_severity_sweep": ["schedule.rows_per_block=300"],
    "recurrent_concepts": [
        "schedule.rows_per_block=400",
        "schedule.sequence.0.rows=600",
        "schedule.sequence.1.rows=200",
        "schedule.transition.width=100",
    ],
    "label_noise_sweep": [],
}


def test_every_experiment_is_listed():
    assert sorted(p.stem for p in EXPERIMENTS.glob("*.yaml")) == sorted(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_experiment_runs(name: str, tmp_path: Path):
    with initialize_config_dir(config_dir=str(EXPERIMENTS), version_base="1.3"):
        cfg = compose(name, overrides=SMALL[name])
    data = OmegaConf.to_container(cfg, resolve=True)
    manifest = cg.run(data, root=tmp_path)
    assert cg.verify_dataset(manifest.directory) == []
    if name == "recurrent_concepts":
        # A (600 rows), B (200 rows), repeated over 4,000 rows: 9 changes
        assert [c.row for c in manifest.concept_changes][:3] == [600, 800, 1400]
        truth = cg.read_ground_truth(manifest)
        frame = cg.read_frame(manifest)
        delay = frame["label_available_at"] - truth["row"]
        assert delay.between(200, 2000).all()
    else:
        assert manifest.events[0].rows_affected > 0
