"""Print, as JSON, the SHA-256 of every file of a fixed set of small datasets.

The datasets are the contract fixtures of the test suite (``tests/conftest.py``): one
minimal scenario per registered generator and one per drift event kind. CI runs this under
pandas 3 and under pandas 2 (with the same numpy, pyarrow and river) and requires the two
outputs to be identical: the same scenario gives the same bytes whatever the pandas
version. Run from the repository root::

    python scripts/dataset_hashes.py > hashes.json

Everything is written under a temporary directory, removed afterwards.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

from conftest import EVENT_CASES, GENERATOR_CASES, deep_merge  # noqa: E402

import calmops_gen  # noqa: E402


def hashes() -> dict[str, dict[str, str]]:
    """Case name -> {file path in the dataset: SHA-256}."""
    out: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="calmops-hashes-") as tmp:
        root = Path(tmp)
        cases = {f"generator {k}": c.scenario for k, c in GENERATOR_CASES.items()}
        for kind, case in EVENT_CASES.items():
            cases[f"event {kind}"] = lambda t, c=case: deep_merge(
                c.scenario(t), {"drift": {"ev": c.event}}
            )
        for n, (name, make) in enumerate(sorted(cases.items())):
            scenario = make(root / "sources" / str(n))
            manifest = calmops_gen.run(scenario, root=root / "out" / str(n))
            out[name] = {f.path: f.sha256 for f in manifest.files}
    return out


if __name__ == "__main__":
    print(json.dumps(hashes(), indent=1, sort_keys=True))
