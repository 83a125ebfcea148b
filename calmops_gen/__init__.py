"""calmops-gen: synthetic tabular datasets with known, controlled drift.

The plain-Python API (no Hydra needed)::

    from calmops_gen import load_scenario, run, read_frame, read_ground_truth

    scenario = load_scenario("my_scenario.yaml")     # or a dict
    manifest = run(scenario, root="datasets")        # writes datasets/<name>/<version>/
    frame = read_frame(manifest)                     # pandas DataFrame of every block
    truth = read_ground_truth(manifest)              # per-row concept and event weights

Drift into any DataFrame: ``calmops_gen.inject(df, events, ...)``. Seed-system users keep
their classes: ``from calmops_gen import SyntheticBlockGenerator, DriftInjector``.
"""

from calmops_gen._version import __version__
from calmops_gen.drift_injector import DriftInjector
from calmops_gen.errors import CalmopsError, DatasetError, ScenarioError
from calmops_gen.injector import Injection, inject
from calmops_gen.manifest import Manifest, read_manifest
from calmops_gen.reading import read_frame, read_ground_truth
from calmops_gen.runner import run
from calmops_gen.scenario import Scenario, load_scenario
from calmops_gen.synthetic import SyntheticBlockGenerator
from calmops_gen.verify import verify_dataset

__all__ = [
    "CalmopsError",
    "DatasetError",
    "DriftInjector",
    "Injection",
    "Manifest",
    "Scenario",
    "ScenarioError",
    "SyntheticBlockGenerator",
    "__version__",
    "inject",
    "load_scenario",
    "read_frame",
    "read_ground_truth",
    "read_manifest",
    "run",
    "verify_dataset",
]
