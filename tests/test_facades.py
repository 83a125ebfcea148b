"""Seed-system facades on the engine: GeneratorFactory, SyntheticGenerator, the rest of
SyntheticBlockGenerator."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from conftest import read_csv_exact
from river.datasets import synth

import calmops_gen as cg
from calmops_gen.errors import ScenarioError
from calmops_gen.generators import GENERATORS
from calmops_gen.synthetic import (
    DateConfig,
    GeneratorConfig,
    GeneratorFactory,
    GeneratorType,
    SyntheticBlockGenerator,
    SyntheticGenerator,
    SyntheticStream,
    as_stream,
)

SEA_T = {0: 8.0, 1: 9.0, 2: 7.0, 3: 9.5}


def _sea_rule(df: pd.DataFrame, variant: int) -> pd.Series:
    return df["x0"] + df["x1"] > SEA_T[variant]


def test_factory_translates_seed_config_and_river_names():
    s = GeneratorFactory.create_generator(
        "sea", GeneratorConfig(function=3, noise_percentage=0.2, random_state=9)
    )
    assert (s.kind, s.params, s.seed) == ("sea", {"variant": 3, "noise": 0.2}, 9)
    a = GeneratorFactory.create_generator("agrawal", classification_function=7, seed=4)
    assert a.params["classification_function"] == 7 and a.seed == 4
    with pytest.raises(ScenarioError, match="variant"):
        GeneratorFactory.create_generator("sea", GeneratorConfig(function=4))
    from calmops_gen.synthetic.factory import translate_params

    with pytest.raises(ScenarioError, match="names the same parameter as 'function'") as err:
        translate_params("sea", {"function": 1, "variant": 2}, "method_params.0")
    assert err.value.path == "method_params.0.variant"


def test_seed_config_defaults_are_the_seeds():
    """``GeneratorConfig()`` builds what the seed built (SEA noise 0.1, Agrawal balanced,
    RandomTree first leaf level 1); without a config the defaults are river's."""
    make = GeneratorFactory.create_generator
    assert make("sea", GeneratorConfig()).params == {"variant": 0, "noise": 0.1}
    assert make("agrawal", GeneratorConfig()).params["balance_classes"] is True
    assert make("random_tree", GeneratorConfig()).params["first_leaf_level"] == 1
    assert make("stagger", GeneratorConfig()).params["balance_classes"] is True
    assert make("mixed", GeneratorConfig()).params["balance_classes"] is True
    assert make("sea").params["noise"] == 0.0
    assert make("random_tree").params["first_leaf_level"] == 3
    assert make("hyperplane", GeneratorConfig(n_dims=4)).params["n_features"] == 4
    assert make("hyperplane", GeneratorConfig(n_features=5, n_dims=3)).params["n_features"] == 5
    kinds = GeneratorFactory.get_available_generators()
    assert [k.value for k in kinds] == list(GeneratorType)  # the seed's enum members
    from calmops_gen.generators import GENERATORS, ConceptGenerator

    registered = {k for k, cls in GENERATORS.items() if issubclass(cls, ConceptGenerator)}
    assert set(kinds) == registered
    info = GeneratorFactory.get_generator_info(GeneratorType.WAVEFORM)
    assert (info["n_features"], info["n_classes"]) == (21, 3)
    with pytest.raises(ScenarioError, match="always has 10 features") as err:
        make("friedman", GeneratorConfig(n_features_friedman=5))
    assert err.value.path == "n_features_friedman"


def test_factory_info_and_presets():
    info = GeneratorFactory.get_generator_info("agrawal")
    assert info["n_features"] == 9 and info["classes"] == [0, 1]
    assert info["task"] == "binary classification"
    assert "sea" in GeneratorFactory.get_available_generators()
    assert "table" not in GeneratorFactory.get_available_generators()
    base, drifted = GeneratorFactory.create_preset_concept_drift("sea", seed=1, drift_magnitude=1)
    assert (base.params["variant"], drifted.params["variant"]) == (0, 1)
    # the seed's GeneratorConfig noise (0.1), raised by 0.1 x the magnitude
    assert (base.params["noise"], drifted.params["noise"]) == (0.1, pytest.approx(0.2))


def test_stream_iterates_like_river_and_is_deterministic():
    s = SyntheticStream("sea", {"variant": 2}, seed=5)
    first = list(s.take(25_000))  # crosses a chunk boundary
    again = list(SyntheticStream("sea", {"variant": 2}, seed=5).take(25_000))
    assert first == again
    xs = np.array([[x["x0"], x["x1"]] for x, _ in first])
    ys = np.array([y for _, y in first])
    np.testing.assert_array_equal(ys, xs.sum(axis=1) > 7.0)
    assert len({tuple(x.values()) for x, _ in first}) == 25_000  # chunks differ


def test_as_stream_reads_river_instances():
    s = as_stream(synth.Agrawal(classification_function=3, perturbation=0.1, seed=11))
    assert s.kind == "agrawal" and s.seed == 11
    assert s.params == {"classification_function": 3, "perturbation": 0.1, "balance_classes": False}
    with pytest.raises(ScenarioError):
        as_stream(object())


@pytest.mark.parametrize("drift_type", ["abrupt", "gradual", "incremental"])
def test_synthetic_generator_drift_types(tmp_path, drift_type):
    n, pos = 4000, 2000
    where = {} if drift_type == "incremental" else {"position_of_drift": pos}
    width = {"transition_width": 800} if drift_type == "gradual" else {}
    df = SyntheticGenerator(random_state=3).generate(
        synth.SEA(variant=2), n, output_dir=tmp_path, drift_type=drift_type,
        generator_instance_drift=synth.SEA(variant=3), **where, **width,
    )  # fmt: skip
    gen = SyntheticGenerator  # the manifest sits beside what is returned
    manifest = cg.read_manifest(next((tmp_path / "synthetic_data").iterdir()))
    truth = cg.read_ground_truth(manifest)
    assert len(df) == n and list(df.columns) == ["x0", "x1", "x2", "target"]
    old, new = _sea_rule(df, 2), _sea_rule(df, 3)
    if drift_type == "abrupt":
        expected = old.where(df.index < pos, new)
        assert (df["target"] == expected).all()
        assert manifest.concept_changes[0].row == pos
    elif drift_type == "gradual":
        # window of 800 rows centred on the position; concept column says which rule holds
        assert manifest.concept_changes[0].row == pos - 400
        expected = old.where(truth["concept"] == 0, new)
        assert (df["target"] == expected).all()
        window = truth["concept"].iloc[pos - 400 : pos + 400]
        assert 0 < window.sum() < 800 and truth["concept"].iloc[pos + 400 :].eq(1).all()
    else:
        # row 0 is concept A; from row 1 the threshold moves from 7 to 9.5 row by row
        w = truth["concept_weight"].to_numpy()
        concept = truth["concept"].to_numpy()
        assert concept[0] == 0 and (concept[1:] == 1).all()
        assert w[1] == 0.0 and w[-1] == 1.0 and np.all(np.diff(w[1:]) > 0)
        threshold = np.where(concept == 0, 7.0, 7.0 + w * 2.5)
        assert ((df["x0"] + df["x1"] > threshold) == df["target"]).all()
    assert gen.get_default_output_dir() == "synthetic_output"


@pytest.mark.parametrize(
    ("changes", "path", "says"),
    [
        ({"drift_type": "none", "generator_instance_drift": "B"}, "generator_instance_drift",
         "not 'none'"),
        ({"drift_type": "none", "position_of_drift": 10}, "position_of_drift", "not 'none'"),
        ({"drift_type": "abrupt", "generator_instance_drift": "B", "transition_width": 5},
         "transition_width", "is for drift_type gradual"),
        ({"drift_type": "incremental", "generator_instance_drift": "B", "position_of_drift": 9},
         "position_of_drift", "not 'incremental'"),
        ({"drift_type": "abrupt", "generator_instance_drift": "river"},
         "generator_instance_drift", "a dataset is made by one engine"),
        ({"drift_type": "incremental", "generator_instance_drift": "river", "engine": "river"},
         "drift_type", "with engine numpy only"),
    ],
)  # fmt: skip
def test_synthetic_generator_refuses_arguments_it_would_ignore(tmp_path, changes, path, says):
    """An argument the drift type does not use, or a second concept on another engine, is an
    error (the seed ignored them), and nothing is written."""
    changes = dict(changes)
    engine = changes.pop("engine", "numpy")
    other = {"B": SyntheticStream("sea", {"variant": 3}, engine=engine),
             "river": SyntheticStream("sea", {"variant": 3}, engine="river")}  # fmt: skip
    if "generator_instance_drift" in changes:
        changes["generator_instance_drift"] = other[changes["generator_instance_drift"]]
    with pytest.raises(ScenarioError, match=says) as err:
        SyntheticGenerator(random_state=3).generate(
            SyntheticStream("sea", {"variant": 0}, engine=engine), 100, output_dir=tmp_path,
            **changes,
        )  # fmt: skip
    assert err.value.path == path
    assert list(tmp_path.iterdir()) == []


def test_synthetic_generator_dates_and_csv(tmp_path):
    df = SyntheticGenerator().generate(
        SyntheticStream("agrawal"), 10, output_dir=tmp_path, save_dataset=True,
        filename="agr.csv", date_config=DateConfig(date_col="when", start_date="2024-01-31",
                                                   frequency=3, step={"months": 1}),
    )  # fmt: skip
    assert list(df.columns)[-2:] == ["target", "when"]  # the seed appended the dates
    assert [str(t.date()) for t in df["when"]][::3] == [
        "2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30",
    ]  # fmt: skip
    saved = read_csv_exact(tmp_path / "agr.csv")
    assert len(saved) == 10 and saved["target"].tolist() == df["target"].tolist()


def test_synthetic_generator_bad_input(tmp_path):
    gen = SyntheticGenerator()
    with pytest.raises(ScenarioError, match="generator_instance_drift"):
        gen.generate(synth.SEA(), 100, output_dir=tmp_path, drift_type="abrupt")
    with pytest.raises(ScenarioError, match="generator_instance_drift"):
        gen.generate(synth.SEA(), 100, output_dir=tmp_path, drift_type="abrupt",
                     generator_instance_drift=synth.Agrawal())  # fmt: skip
    with pytest.raises(ScenarioError, match="drift_type"):
        gen.generate(synth.SEA(), 100, output_dir=tmp_path, drift_type="sideways")
    with pytest.raises(ScenarioError, match="inconsistency"):
        gen.generate(synth.SEA(), 100, output_dir=tmp_path, inconsistency=0.5)
    with pytest.raises(ScenarioError, match="n_samples: must be an integer, got '100'"):
        gen.generate(synth.SEA(), "100", output_dir=tmp_path)
    with pytest.raises(ScenarioError, match="random_state: must be an integer, got 'x'"):
        GeneratorFactory.create_generator("sea", random_state="x")


@pytest.mark.parametrize("filename", ["../escape.csv", "sub/d.csv", "..", "", "/tmp/abs.csv"])
def test_facades_write_only_inside_the_output_directory(tmp_path, filename):
    """A file name with a directory part is refused before anything is written."""
    out = tmp_path / "out"
    with pytest.raises(ScenarioError, match="filename: must be a file name without"):
        SyntheticGenerator().generate(
            synth.SEA(seed=1), 50, filename=filename, output_dir=out, save_dataset=True
        )
    with pytest.raises(ScenarioError, match="filename: must be a file name without"):
        SyntheticBlockGenerator().generate_blocks_simple(
            output_path=str(out), filename=filename, n_blocks=2, total_samples=100, methods="sea"
        )
    assert sorted(p.name for p in tmp_path.rglob("*")) == []


def test_a_file_name_too_long_for_a_file_system_is_refused_first(tmp_path):
    """A 300-byte name published the dataset, then failed with the system's OSError."""
    out = tmp_path / "out"
    with pytest.raises(ScenarioError, match="filename: a file name of 304 bytes"):
        SyntheticBlockGenerator().generate_blocks_simple(
            output_path=str(out), filename="a" * 300 + ".csv", n_blocks=2, total_samples=100,
            methods="sea",
        )  # fmt: skip
    assert not out.exists()
    with pytest.raises(ScenarioError, match="filename: holds characters no file name can hold"):
        SyntheticBlockGenerator().generate_blocks_simple(
            output_path=str(out), filename="a\ud800.csv", n_blocks=2, total_samples=100,
            methods="sea",
        )  # fmt: skip
    assert not out.exists()


def test_block_generator_with_instances_and_labels(tmp_path):
    path = SyntheticBlockGenerator().generate(
        output_dir=tmp_path, filename="blocks.csv", n_blocks=3, total_samples=900,
        generators=[synth.SEA(variant=v, seed=1) for v in (0, 1, 3)],
        block_labels=["jan", "feb", "mar"],
    )  # fmt: skip
    df = read_csv_exact(path)
    assert df["block"].tolist() == ["jan"] * 300 + ["feb"] * 300 + ["mar"] * 300
    for label, variant in (("jan", 0), ("feb", 1), ("mar", 3)):
        part = df[df["block"] == label]
        assert (part["target"] == _sea_rule(part, variant)).all()


def test_block_generator_single_instance_blocks_differ(tmp_path):
    # The seed repeated one seeded instance's rows in every block; each block draws anew.
    path = SyntheticBlockGenerator().generate(
        output_dir=tmp_path, filename="same.csv", n_blocks=3, total_samples=300,
        generators=synth.SEA(seed=7),
    )  # fmt: skip
    df = read_csv_exact(path)
    firsts = [tuple(df[df["block"] == b].iloc[0][["x0", "x1"]]) for b in (1, 2, 3)]
    assert len(set(firsts)) == 3


def test_block_generator_balance_is_exact(tmp_path):
    path = SyntheticBlockGenerator().generate_blocks_simple(
        output_path=tmp_path, filename="bal.csv", n_blocks=2, total_samples=2000,
        methods="sea", method_params={"function": 3}, balance=True,
    )  # fmt: skip
    counts = pd.read_csv(path).groupby("block")["target"].value_counts()
    assert counts.tolist() == [500, 500, 500, 500]


def test_block_generator_fills_omitted_parameters_with_the_seeds_defaults(tmp_path):
    """The seed built every block from a GeneratorConfig: omitted method_params take its
    defaults (SEA noise 0.1, Agrawal balanced, RandomTree first leaf level 1)."""
    gen = SyntheticBlockGenerator()
    for kind, key, value in (
        ("sea", "noise", 0.1),
        ("agrawal", "balance_classes", True),
        ("random_tree", "first_leaf_level", 1),
    ):
        gen.generate_blocks_simple(
            output_path=tmp_path, filename=f"{kind}.csv", n_blocks=2, total_samples=200,
            methods=kind,
        )  # fmt: skip
        assert gen.last_manifest is not None
        blocks = gen.last_manifest.config["schedule"]["block_params"]
        assert [blocks[i][key] for i in ("0", "1")] == [value, value], kind
    path = gen.generate_blocks_simple(
        output_path=tmp_path, filename="agr.csv", n_blocks=2, total_samples=400, methods="agrawal"
    )
    assert pd.read_csv(path).groupby("block")["target"].mean().tolist() == [0.5, 0.5]


@pytest.mark.parametrize(("kind", "field"), [("random_tree", "seed_tree"), ("hyperplane", "seed"),
                                             ("random_rbf", "seed_model")])  # fmt: skip
def test_block_generator_draws_a_new_random_concept_per_block(tmp_path, kind, field):
    """As the seed's random_state + i per block: block i's tree, hyperplane or centroids come
    from model seed random_state + i (a concept change at every block boundary), unless
    method_params pin one."""
    gen = SyntheticBlockGenerator()
    gen.generate_blocks_simple(
        output_path=tmp_path, filename=f"{kind}.csv", n_blocks=3, total_samples=300,
        methods=kind, random_state=5,
    )  # fmt: skip
    m = gen.last_manifest
    assert m is not None
    assert [m.config["schedule"]["block_params"][i][field] for i in "012"] == [5, 6, 7]
    assert len(m.concepts) == 3 and len(m.concept_changes) == 2
    if field == "seed":  # Hyperplane's seed: refused in method_params (it is random_state's)
        return
    gen.generate_blocks_simple(
        output_path=tmp_path, filename=f"{kind}_pinned.csv", n_blocks=3, total_samples=300,
        methods=kind, random_state=5, method_params={field: 11},
    )  # fmt: skip
    assert len(gen.last_manifest.concepts) == 1


def test_block_generator_keeps_each_instances_concept(tmp_path):
    """Two RandomRBF streams that differ only by their seed have different centroids; each
    block keeps its instance's: block 2's rows follow stream b's concept, not stream a's."""
    a = GeneratorFactory.create_generator("random_rbf", GeneratorConfig(random_state=1))
    b = GeneratorFactory.create_generator("random_rbf", GeneratorConfig(random_state=2))
    gen = SyntheticBlockGenerator()
    gen.generate(output_dir=tmp_path, filename="rbf.csv", n_blocks=2, total_samples=400,
                 generators=[a, b])  # fmt: skip
    m = gen.last_manifest
    assert m is not None and len(m.concepts) == 2
    models = [m.config["schedule"]["block_params"][i]["seed_model"] for i in "01"]
    assert models == [a.concept_params["seed_model"], b.concept_params["seed_model"]]
    assert models[0] != models[1]
    with pytest.raises(ScenarioError, match="same engine"):
        two = [SyntheticStream("sea"), SyntheticStream("sea", engine="river")]
        gen.generate(output_dir=tmp_path, filename="mix.csv", n_blocks=2, total_samples=400,
                     generators=two)  # fmt: skip


def _facade_call(which: str, out, **kwargs):
    if which == "one":
        stream = kwargs.pop("stream", SyntheticStream("sea"))
        return SyntheticGenerator().generate(stream, 5, output_dir=out, **kwargs)
    blocks = SyntheticBlockGenerator()
    common = {"filename": "d.csv", "n_blocks": 2, "total_samples": 100}
    if which == "simple":
        return blocks.generate_blocks_simple(output_path=out, **{**common, **kwargs})
    return blocks.generate(
        output_dir=out, generators=SyntheticStream("sea"), **{**common, **kwargs}
    )


@pytest.mark.parametrize(
    ("which", "kwargs", "path", "says"),
    [
        ("one", {"target_col": "x1"}, "target_col", "'x1' is already"),
        ("one", {"target_col": "timestamp", "date_start": "2024"}, "date_col", "is the target"),
        ("one", {"target_col": None}, "target_col", "non-empty"),
        ("one", {"stream": SyntheticStream("logical"), "target_col": "y"}, "target_col", "OR, XOR"),
        ("simple", {"date_start": "2024-01-01", "date_col": "target"}, "date_col", "is the target"),
        ("simple", {"target_col": "block"}, "target_col", "'block' is already"),
        ("blocks", {"block_labels": ["a"]}, "block_labels", "give 2 labels"),
    ],
)  # fmt: skip
def test_facade_column_clashes_are_refused_before_writing(tmp_path, which, kwargs, path, says):
    """A target named like another column (or the date column) would duplicate or drop a
    column; the seed appended the target under its own name. Refused, nothing written."""
    out = tmp_path / "out"
    with pytest.raises(ScenarioError, match=says) as err:
        _facade_call(which, out, **kwargs)
    assert err.value.path == path
    assert not out.exists()


@pytest.mark.parametrize(
    ("which", "kwargs", "path", "says"),
    [
        ("one", {"drift_point": 3}, "drift_point", "use position_of_drift"),
        ("one", {"target_column": "t"}, "target_column", "use target_col"),
        ("one", {"drift_injection_config": []}, "drift_injection_config", "DriftInjector"),
        ("one", {"posiiton_of_drift": 3}, "posiiton_of_drift", "did you mean 'position_of_drift'"),
        ("simple", {"instances_per_block": [50, 50]}, "instances_per_block", "n_samples_block"),
        ("blocks", {"resample_rule": "D"}, "resample_rule", "not supported"),
        ("one", {"drift_options": {"missing_fraction": 0.5}}, "drift_options", "virtual_drift"),
        ("one", {"date_config": DateConfig(), "date_start": "2030"}, "date_start", "not both"),
        ("simple", {"output_dir": "elsewhere"}, "output_dir", "not both"),
        ("simple", {"n_blocks": 0}, "n_blocks", "must be > 0"),
        ("one", {"date_start": "not a date"}, "date_start", "not a date"),
        ("simple", {"date_start": "2024-01-01", "date_step": {"dayz": 1}}, "date_step", "dayz"),
        ("one", {"stream": iter([({"a": 1}, 0)])}, "generator", "calmops_gen.inject"),
        ("one", {"stream": synth.ConceptDriftStream(seed=1)}, "generator", "generator_instance"),
    ],
)  # fmt: skip
def test_facades_name_the_users_argument_and_what_replaces_it(tmp_path, which, kwargs, path, says):
    """The seed's old argument names, conflicting aliases, arguments a drift type would
    ignore and engine errors all name the facade's own argument (not an engine config key)
    and say what to do; nothing is written."""
    out = tmp_path / "out"
    with pytest.raises(ScenarioError, match=says) as err:
        _facade_call(which, out, **kwargs)
    assert err.value.path == path
    assert not out.exists()


def test_gradual_window_past_the_ends_is_refused(tmp_path):
    """The seed cut a window that ran past the stream's ends short (or moved it); refused."""
    gen = SyntheticGenerator()
    drifted = SyntheticStream("sea", {"variant": 3})
    for position, width, end in ((50, 400, "start"), (950, 400, "end"), (50, None, "start")):
        with pytest.raises(ScenarioError, match=f"runs past the {end}") as err:
            gen.generate(SyntheticStream("sea"), 1000, drift_type="gradual", output_dir=tmp_path,
                         generator_instance_drift=drifted, position_of_drift=position,
                         transition_width=width)  # fmt: skip
        assert err.value.path == "transition_width"
    assert not tmp_path.joinpath("synthetic_data").exists()


def test_random_state_seeds_the_dataset_whatever_the_stream(tmp_path):
    """random_state, when given, replaces the stream's own seed (a SyntheticStream's too);
    without it the stream's seed decides. Non-integer seeds are refused."""
    stream = SyntheticStream("sea", seed=3)

    def make(random_state):
        return SyntheticGenerator(random_state=random_state).generate(
            stream, 200, output_dir=tmp_path, drift_type="virtual_drift"
        )

    a, b, again = make(1), make(2), make(1)
    pd.testing.assert_frame_equal(a, again)
    assert not a.equals(b) and not a.isna().equals(b.isna())
    pd.testing.assert_frame_equal(make(None), make(3))  # the stream's own seed
    for bad in (1.5, "1", True):
        with pytest.raises(ScenarioError) as err:
            SyntheticGenerator(random_state=bad)
        assert err.value.path == "random_state"


def test_seed_column_order(tmp_path):
    """As the seed appended them: features, target, date (and block last in block CSVs)."""
    df = SyntheticGenerator().generate(SyntheticStream("sea"), 5, output_dir=tmp_path,
                                       date_start="2024-01-01")  # fmt: skip
    assert list(df.columns) == ["x0", "x1", "x2", "target", "timestamp"]
    path = SyntheticBlockGenerator().generate_blocks_simple(
        output_path=tmp_path, filename="o.csv", n_blocks=2, total_samples=10,
        date_start="2024-01-01",
    )  # fmt: skip
    assert list(pd.read_csv(path).columns) == ["x0", "x1", "x2", "target", "timestamp", "block"]


def test_drift_between_streams_that_differ_only_by_seed_keeps_both_concepts(tmp_path):
    """Each stream's own seed defines its concept (the seed's behaviour): two Hyperplane or
    RandomRBF streams that differ only by their seed are two concepts, and every row follows
    its stream's concept exactly."""
    from calmops_gen.generators.hyperplane import (
        HyperplaneParams,
        hyperplane_label,
        initial_weights,
    )

    make = GeneratorFactory.create_generator
    a = make("hyperplane", seed=1, n_features=3, noise_percentage=0.0)
    b = make("hyperplane", seed=2, n_features=3, noise_percentage=0.0)
    gen = SyntheticGenerator()
    df = gen.generate(a, 1000, output_dir=tmp_path, drift_type="abrupt",
                      generator_instance_drift=b, position_of_drift=500)  # fmt: skip
    m = gen.last_manifest
    assert [c.params["seed"] for c in m.concepts] == [a.concept_params["seed"],
                                                      b.concept_params["seed"]]  # fmt: skip
    assert [(c.row, c.from_concept, c.to_concept) for c in m.concept_changes] == [(500, 0, 1)]
    x = [df[c].to_numpy() for c in ("x0", "x1", "x2")]
    rule_a, rule_b = (hyperplane_label(x, initial_weights(HyperplaneParams(**s.concept_params)))
                      for s in (a, b))  # fmt: skip
    expected = np.where(np.arange(1000) < 500, rule_a, rule_b)
    np.testing.assert_array_equal(df["target"].to_numpy(), expected)
    assert (rule_a[500:] != rule_b[500:]).any()  # the two concepts label rows differently
    rbf = [make("random_rbf", random_state=s) for s in (1, 2)]
    gen.generate(rbf[0], 1000, output_dir=tmp_path, drift_type="gradual",
                 generator_instance_drift=rbf[1], position_of_drift=500)  # fmt: skip
    m = gen.last_manifest
    models = [c.params["seed_model"] for c in m.concepts]
    assert models == [s.concept_params["seed_model"] for s in rbf] and models[0] != models[1]
    assert [c.row for c in m.concept_changes] == [450]  # n // 10 rows centred on 500


@pytest.mark.parametrize("make", [lambda s: synth.Hyperplane(seed=s, n_features=3),
                                  lambda s: synth.LEDDrift(seed=s)])  # fmt: skip
def test_a_river_instances_seed_drives_its_rows(tmp_path, make):
    """Where river's single seed draws the concept and the rows (Hyperplane, LEDDrift), it is
    the stream's seed and its model seed: seeds 1 and 2 give other rows, seed 1 twice the
    same."""
    assert (as_stream(make(1)).seed, as_stream(make(1)).params["seed"]) == (1, 1)

    def rows(seed):
        df = SyntheticGenerator().generate(make(seed), 300, output_dir=tmp_path)
        return df.drop(columns="target")

    one, two = rows(1), rows(2)
    pd.testing.assert_frame_equal(one, rows(1))
    assert not one.equals(two) and (one.to_numpy() != two.to_numpy()).any(axis=1).mean() > 0.5


def test_drift_streams_seed_changes_the_rows(tmp_path):
    """Without random_state the drift stream's seed is honoured: the dataset's seed is the
    base stream's when both agree, else one derived from both (the engine draws a dataset
    from one seed). random_state, when given, replaces both."""
    seeds = []

    def make(drift_seed, random_state=None):
        gen = SyntheticGenerator(random_state=random_state)
        frame = gen.generate(
            synth.SEA(seed=1), 200, output_dir=tmp_path, drift_type="abrupt",
            generator_instance_drift=synth.SEA(variant=3, seed=drift_seed),
        )  # fmt: skip
        seeds.append(gen.last_manifest.seed)
        return frame

    same, other = make(1), make(99)
    pd.testing.assert_frame_equal(other, make(99))
    assert seeds[0] == 1 and seeds[1] == seeds[2] and seeds[1] not in (1, 99)
    assert (same.iloc[100:].to_numpy() != other.iloc[100:].to_numpy()).any(axis=1).all()
    for df in (same, other):
        assert (df["target"] == _sea_rule(df, 0).where(df.index < 100, _sea_rule(df, 3))).all()
    pd.testing.assert_frame_equal(make(1, random_state=5), make(99, random_state=5))


def test_block_rows_come_from_the_first_instances_seed(tmp_path):
    """As documented: later instances' seeds decide their concepts only, not the rows."""
    gen = SyntheticBlockGenerator()

    def make(seed):
        path = gen.generate(output_dir=tmp_path, filename=f"s{seed}.csv", n_blocks=2,
                            total_samples=100, generators=[synth.SEA(seed=1),
                                                           synth.SEA(seed=seed)])  # fmt: skip
        return pd.read_csv(path)

    pd.testing.assert_frame_equal(make(1), make(99))
    assert gen.last_manifest.seed == 1


@pytest.mark.parametrize(
    ("kwargs", "path", "message"),
    [
        ({"drift_type": "gradual", "transition_width": -10}, "transition_width",
         "must be at least 1 (got -10)"),
        ({"drift_type": "gradual", "transition_width": 0}, "transition_width",
         "must be at least 1 (got 0)"),
        ({"drift_type": "abrupt", "position_of_drift": "50"}, "position_of_drift",
         "must be an integer, got '50'"),
        ({"drift_type": "abrupt", "position_of_drift": 50.5}, "position_of_drift",
         "must be an integer, got 50.5"),
        ({"drift_type": "virtual_drift", "position_of_drift": 100}, "position_of_drift",
         "must be inside (0, 100), got 100"),
        ({"drift_type": "virtual_drift", "drift_options": [("missing_fraction", 0.2, 1)]},
         "drift_options",
         "must be a mapping of option names to values, got [('missing_fraction', 0.2, 1)]"),
        ({"drift_type": "incremental", "n": 1}, "n_samples",
         "drift_type 'incremental' needs at least 2 rows, got 1"),
        ({"drift_type": "abrupt", "n": 1}, "n_samples",
         "drift_type 'abrupt' needs at least 2 rows, got 1"),
        ({"drift_type": "abrupt", "generator_instance_drift": synth.SEA(seed=7)},
         "generator_instance_drift", "has generator_instance's concept ({'variant': 0, "
         "'noise': 0.0}): there is no drift; change a parameter (or, for a concept drawn at "
         "random, the seed)"),
        ({"date_step": {"hours": 1}, "date_every": 2, "date_col": "when"}, "date_step",
         "needs date_start (no dates are made without it)"),
        ({"date_every": 2}, "date_every", "needs date_start (no dates are made without it)"),
        ({"date_col": "when"}, "date_col", "needs date_start (no dates are made without it)"),
        ({"date_config": DateConfig(step={"days": 2}, frequency=5)}, "date_config.step",
         "needs date_config.start_date (no dates are made without it)"),
        ({"date_config": DateConfig(frequency=5)}, "date_config.frequency",
         "needs date_config.start_date (no dates are made without it)"),
        ({"filename": "data.xlsx", "save_dataset": True}, "filename",
         "must end in .csv or .parquet, got 'data.xlsx'"),
        ({"date_start": "2024-01-01", "date_step": "1D"}, "date_step",
         "must be a mapping of units to counts, got '1D'"),
        ({"drift_type": "incremental", "balance": True}, "balance",
         "cannot balance an incremental transition (each row of its window has its own "
         "concept); use a gradual transition, or balance: false"),
    ],
)  # fmt: skip
def test_synthetic_generator_refuses_bad_arguments_by_name(tmp_path, kwargs, path, message):
    """Each bad argument is a ScenarioError naming it (never a raw TypeError, an engine key
    or another argument); nothing is written."""
    kwargs = dict(kwargs)
    n = kwargs.pop("n", 100)
    if kwargs.get("drift_type") in ("abrupt", "gradual", "incremental"):
        kwargs.setdefault("generator_instance_drift", synth.SEA(variant=3, seed=1))
    out = tmp_path / "out"
    with pytest.raises(ScenarioError) as err:
        SyntheticGenerator(random_state=1).generate(synth.SEA(seed=1), n, output_dir=out,
                                                    **kwargs)  # fmt: skip
    assert (err.value.path, err.value.message) == (path, message)
    assert not out.exists()


@pytest.mark.parametrize(
    ("which", "kwargs", "path", "message"),
    [
        ("blocks", {"n_blocks": 0}, "n_blocks", "must be > 0, got 0"),
        ("blocks", {"n_blocks": -2}, "n_blocks", "must be > 0, got -2"),
        ("blocks", {"n_blocks": "2"}, "n_blocks", "must be a number, got '2'"),
        ("simple", {"n_blocks": 5, "total_samples": 3}, "total_samples",
         "must be at least n_blocks (5: a row per block), got 3"),
        ("simple", {"date_step": {"days": 7}, "date_col": "when"}, "date_step",
         "needs date_start (no dates are made without it)"),
        ("blocks", {"date_col": "when"}, "date_col",
         "needs date_start (no dates are made without it)"),
        ("simple", {"filename": "d.json"}, "filename",
         "must end in .csv or .parquet, got 'd.json'"),
        ("simple", {"methods": "friedman", "method_params": {"n_features_friedman": 5}},
         "method_params.0.n_features_friedman", "river's Friedman always has 10 features (got 5)"),
        ("simple", {"methods": "sine",
                    "method_params": {"has_noise": False, "noise_percentage_sine": 0.1}},
         "method_params.0.noise_percentage_sine",
         "sets has_noise too, which is given; give one of the two"),
        # the block's index and the user's own key (the seed's "function" is SEA's variant)
        ("simple", {"method_params": [{"function": 7}, {}]}, "method_params.0.function",
         "must be 0 to 3 (got 7)"),
        ("simple", {"method_params": [{}, {"variant": 9}]}, "method_params.1.variant",
         "must be 0 to 3 (got 9)"),
        ("simple", {"methods": "tabel"}, "methods",
         "unknown synthetic generator 'tabel'. Known: agrawal, anomaly_sine, friedman, "
         "friedman_drift, hyperplane, led, led_drift, logical, mixed, mv, planes2d, random_rbf, "
         "random_rbf_drift, random_tree, sea, sine, stagger, waveform"),
    ],
)  # fmt: skip
def test_block_generator_refuses_bad_arguments_by_name(tmp_path, which, kwargs, path, message):
    out = tmp_path / "out"
    with pytest.raises(ScenarioError) as err:
        _facade_call(which, out, **kwargs)
    assert (err.value.path, err.value.message) == (path, message)
    assert not out.exists()


@pytest.mark.parametrize(
    ("call", "path", "message"),
    [
        (lambda: GeneratorFactory.create_preset_concept_drift("sea", seed="7"), "seed",
         "must be an integer, got '7'"),
        (lambda: GeneratorFactory.create_preset_concept_drift("sea", seed=-1), "seed",
         "must be in [0, 2**63), got -1"),
        (lambda: GeneratorFactory.create_preset_concept_drift("sea", drift_magnitude=-5),
         "drift_magnitude", "must be at least 0 (got -5)"),
        (lambda: GeneratorFactory.create_preset_concept_drift("sea", drift_magnitude="x"),
         "drift_magnitude", "must be a number, got 'x'"),
        (lambda: GeneratorFactory.create_preset_concept_drift("hyperplane", drift_magnitude=2),
         "drift_magnitude", "must be at least 0 and at most 1 for hyperplane (got 2)"),
        (lambda: GeneratorFactory.create_generator("sea", GeneratorConfig(random_state=2.5)),
         "random_state", "must be an integer, got 2.5"),
        (lambda: GeneratorFactory.create_generator("sea", GeneratorConfig(seed=-3)), "seed",
         "must be in [0, 2**63), got -3"),
        (lambda: SyntheticStream("sea", seed=-1), "seed", "must be in [0, 2**63), got -1"),
        (lambda: SyntheticStream("sea", seed=1.0), "seed", "must be an integer, got 1.0"),
        (lambda: GeneratorFactory.create_generator("sea", random_state=1, seed=2), "seed",
         "is an alias of random_state; give one of the two"),
    ],
)  # fmt: skip
def test_seeds_and_magnitudes_are_checked_when_given(call, path, message):
    """Checked at construction, naming the argument (not a TypeError at iteration)."""
    with pytest.raises(ScenarioError) as err:
        call()
    assert (err.value.path, err.value.message) == (path, message)


def test_parquet_file_names_write_parquet(tmp_path):
    """A .parquet file name gets Parquet (not CSV text under that name)."""
    df = SyntheticGenerator().generate(synth.SEA(seed=1), 50, output_dir=tmp_path,
                                       filename="data.parquet", save_dataset=True,
                                       date_start="2024-01-01")  # fmt: skip
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "data.parquet"), df)
    path = SyntheticBlockGenerator().generate_blocks_simple(
        output_path=tmp_path, filename="blocks.parquet", n_blocks=2, total_samples=10
    )
    saved = pd.read_parquet(path)
    assert saved["block"].tolist() == [1] * 5 + [2] * 5
    assert list(saved.columns) == ["x0", "x1", "x2", "target", "block"]


def test_seed_only_config_fields_translate_the_same_in_method_params(tmp_path):
    """noise_percentage_sine and n_features_friedman mean in method_params what they mean in
    a GeneratorConfig (one translation serves both)."""
    make = GeneratorFactory.create_generator
    assert make("sine", GeneratorConfig(noise_percentage_sine=0.1)).params["has_noise"] is True
    gen = SyntheticBlockGenerator()
    gen.generate_blocks_simple(output_path=tmp_path, filename="sine.csv", n_blocks=2,
                               total_samples=10, methods="sine",
                               method_params={"noise_percentage_sine": 0.1})  # fmt: skip
    blocks = gen.last_manifest.config["schedule"]["block_params"]
    assert [blocks[i]["has_noise"] for i in "01"] == [True, True]
    path = gen.generate_blocks_simple(output_path=tmp_path, filename="fr.csv", n_blocks=2,
                                      total_samples=10, methods="friedman",
                                      method_params={"n_features_friedman": 10})  # fmt: skip
    saved = pd.read_csv(path)
    assert list(saved.columns) == [f"x{i}" for i in range(10)] + ["target", "block"]
    assert len(saved) == 10


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("random_tree", lambda: synth.RandomTree(seed_tree=1, seed_sample=1)),
        ("hyperplane", lambda: synth.Hyperplane(seed=1)),
        ("random_rbf", lambda: synth.RandomRBF(seed_model=1, seed_sample=1)),
    ],
)
def test_the_factorys_random_state_seeds_the_concept_as_rivers_seed(kind, make):
    """``create_generator(kind, random_state=1)`` is river's generator with seed 1 (as the
    seed's factory built it): the same 300 rows as ``as_stream`` of that river instance,
    and the preset pair's model seeds are ``seed`` and ``seed + 1``."""
    ours = GeneratorFactory.create_generator(kind, random_state=1)
    assert list(itertools.islice(ours, 300)) == list(itertools.islice(as_stream(make()), 300))
    field = GENERATORS.get(kind, "kind").Params.seed_fields[0]
    base, drifted = GeneratorFactory.create_preset_concept_drift(kind, seed=1)
    assert (base.concept_params[field], drifted.concept_params[field]) == (1, 2)


def test_synthetic_generator_may_name_its_target_block(tmp_path):
    """SyntheticGenerator's frame has no block column, so ``block`` is a free name for the
    target (the seed allowed it): the labels are SEA's, under that name."""
    df = SyntheticGenerator().generate(synth.SEA(), 200, target_col="block", output_dir=tmp_path)
    assert df.columns.tolist() == ["x0", "x1", "x2", "block"]
    assert (df["block"] == (df["x0"] + df["x1"] > 8.0)).all()
