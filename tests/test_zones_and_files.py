"""Named time zones come from the tzdata package, never from the host's zone files; the
facades' seed-style file is written under a temporary name and renamed onto its own, and
names that are no plain file name are refused before anything is written."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from datetime import datetime, timedelta
from importlib import metadata, resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import pytest
from conftest import REPO, dataset_bytes, listing, sea

import calmops_gen
from calmops_gen._version import __version__
from calmops_gen.errors import ScenarioError
from calmops_gen.scenario import content_id, load_scenario
from calmops_gen.synthetic import SyntheticBlockGenerator, SyntheticGenerator, SyntheticStream
from calmops_gen.synthetic.common import write_file
from calmops_gen.times import TzdataZone, tzdata_version
from calmops_gen.verify import verify_dataset

MADRID_START = "2024-03-30T12:00[Europe/Madrid]"  # the clocks move on 2024-03-31 at 02:00


def zoned(fmt: str = "parquet") -> dict[str, Any]:
    """Four daily blocks across Madrid's move to summer time, with time-unit label delays."""
    return sea(
        name=f"zoned_{fmt}",
        schedule={"blocks": 4, "rows_per_block": 6, "start": MADRID_START, "step": {"days": 1}},
        label_delay={"unit": "time", "kind": "exponential", "value": "6h"},
        output={"format": fmt},
    )


def seed_style_files(out: Path) -> dict[str, bytes]:
    """The facades' CSV files of dates in Madrid across the change of clocks."""
    SyntheticBlockGenerator().generate_blocks_simple(
        output_path=out, filename="blocks.csv", n_blocks=3, total_samples=30, methods="sea",
        date_start=MADRID_START, date_step={"hours": 12},
    )  # fmt: skip
    SyntheticGenerator().generate(
        SyntheticStream("sea", seed=3), 20, filename="one.csv", output_dir=out,
        save_dataset=True, date_start=MADRID_START, date_step={"hours": 6},
    )  # fmt: skip
    return {name: (out / name).read_bytes() for name in ("blocks.csv", "one.csv")}


# A run in another interpreter whose zone files say Europe/Madrid is UTC+1 all year.
_DOCTORED_RUN = """
import json, sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo
import calmops_gen
sys.path.insert(0, sys.argv[2])
from test_zones_and_files import seed_style_files, zoned

host = ZoneInfo("Europe/Madrid").utcoffset(datetime(2024, 7, 1)).total_seconds()
out = {"host_offset": host}
for fmt in ("parquet", "csv"):
    m = calmops_gen.run(zoned(fmt), root=sys.argv[1])
    out[fmt] = [str(m.directory), m.version,
                [(b.time_start, b.time_end) for b in m.blocks], m.environment["tzdata"]]
seed_style_files(Path(sys.argv[1]) / "facades")
print(json.dumps(out))
"""


def test_a_named_zone_gives_the_same_bytes_whatever_the_hosts_zone_files(tmp_path: Path) -> None:
    """Europe/Madrid replaced in the host's zone files (PYTHONTZPATH) by a copy of Etc/GMT-1
    (UTC+1 all year) gave the same version id but other timestamps after the clocks moved."""
    doctored = tmp_path / "zones" / "Europe"
    doctored.mkdir(parents=True)
    gmt1 = resources.files("tzdata.zoneinfo").joinpath("Etc", "GMT-1").read_bytes()
    (doctored / "Madrid").write_bytes(gmt1)
    env = {**os.environ, "PYTHONTZPATH": str(tmp_path / "zones")}
    proc = subprocess.run(
        [sys.executable, "-c", _DOCTORED_RUN, str(tmp_path / "doctored"), str(REPO / "tests")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    there = json.loads(proc.stdout)
    assert there["host_offset"] == 3600.0  # the host's Madrid really is UTC+1 in July
    for fmt in ("parquet", "csv"):
        here = calmops_gen.run(zoned(fmt), root=tmp_path / "normal")
        directory, version, times, tzdata = there[fmt]
        assert version == here.version
        assert times == [[b.time_start, b.time_end] for b in here.blocks]
        assert tzdata == here.environment["tzdata"] == metadata.version("tzdata")
        assert dataset_bytes(Path(directory)) == dataset_bytes(here.directory)
        assert verify_dataset(Path(directory)) == []
    facades = seed_style_files(tmp_path / "normal" / "facades")
    assert facades == {
        name: (tmp_path / "doctored" / "facades" / name).read_bytes() for name in facades
    }
    # the third block 24 hours after the first: 12:00+01:00 then 13:00+02:00
    assert facades["blocks.csv"].splitlines()[-1].endswith(b",2024-03-31 13:00:00+02:00,3")
    # the second block starts a day after the first, at noon of summer time
    assert times[:2] == [
        ["2024-03-30T12:00:00+01:00", "2024-03-31T08:10:00+02:00"],
        ["2024-03-31T12:00:00+02:00", "2024-04-01T08:00:00+02:00"],
    ]


def test_the_tzdata_version_is_part_of_the_version_only_with_a_named_zone() -> None:
    named = load_scenario(zoned())
    assert named.version() == content_id(named.canonical(), __version__, None, tzdata_version())
    assert named.version() != content_id(named.canonical(), __version__, None, "2020.1")
    assert named.version() != content_id(named.canonical(), __version__)
    for start in (None, "2024-03-30T12:00:00+01:00", "2024-03-30T12:00"):
        schedule = {"start": start, "step": {"days": 1}} if start else {}
        other = load_scenario(sea(schedule=schedule))
        # ids made before tzdata counted stay what they were
        assert other.version() == content_id(other.canonical(), __version__)
        assert other.version() == content_id(other.canonical(), __version__, None, "2020.1")


def test_the_manifest_records_tzdata_and_verify_reads_it(tmp_path: Path) -> None:
    m = calmops_gen.run(zoned(), root=tmp_path)
    assert m.environment["tzdata"] == tzdata_version() == metadata.version("tzdata")
    assert verify_dataset(m.directory) == []
    # the version holds for the tzdata recorded, not another
    assert content_id(m.config, m.calmops_gen_version, m.inputs, "2020.1") != m.version
    manifest = m.directory / "manifest.json"
    raw = json.loads(manifest.read_text(encoding="utf-8"))
    raw["environment"]["tzdata"] = "2020.1"
    manifest.write_text(json.dumps(raw), encoding="utf-8")
    assert verify_dataset(m.directory) == [
        f"manifest.json: its config does not hash to its version {m.version!r} (the config "
        "or the version was edited)",
        "manifest.json: its records were edited after the run (they no longer hash to "
        "records_sha256)",
    ]


def test_zones_are_read_from_tzdata_once_per_key_and_pickle_by_key() -> None:
    madrid = TzdataZone("Europe/Madrid")
    assert madrid is TzdataZone("Europe/Madrid") is pickle.loads(pickle.dumps(madrid))
    assert (madrid.key, str(madrid), repr(madrid)) == (
        "Europe/Madrid", "Europe/Madrid", "TzdataZone(key='Europe/Madrid')"
    )  # fmt: skip
    assert madrid.utcoffset(datetime(2024, 3, 31, 1, 59)) == timedelta(hours=1)
    assert madrid.utcoffset(datetime(2024, 3, 31, 3, 0)) == timedelta(hours=2)
    start = load_scenario(zoned()).schedule.start
    assert start is not None and start.tzinfo is madrid
    assert start.isoformat() == "2024-03-30T12:00:00+01:00"


def _start(given: datetime) -> datetime:
    start = load_scenario(sea(schedule={"start": given, "step": {"days": 1}})).schedule.start
    assert start is not None
    return start


def test_a_zoneinfo_start_is_read_again_from_tzdata() -> None:
    start = _start(datetime(2024, 3, 30, 12, tzinfo=ZoneInfo("Europe/Madrid")))
    assert start.tzinfo is TzdataZone("Europe/Madrid")
    assert start.isoformat() == "2024-03-30T12:00:00+01:00"
    with resources.files("tzdata.zoneinfo").joinpath("UTC").open("rb") as fh:
        mars = ZoneInfo.from_file(fh, key="Mars/Olympus")
    unknown = datetime(2024, 3, 30, 12, tzinfo=mars)
    with pytest.raises(ScenarioError) as err:  # (sea() would deep-copy: a file zone cannot)
        load_scenario({"name": "mars", "generator": {"kind": "sea"},
                       "schedule": {"start": unknown, "step": {"days": 1}}})  # fmt: skip
    assert str(err.value).startswith(
        f"schedule.start: no time zone 'Mars/Olympus' in tzdata {tzdata_version()} (got "
    )


def test_a_pytz_start_is_read_again_from_tzdata() -> None:
    pytz = pytest.importorskip("pytz")  # pandas 2 brings it
    start = _start(pytz.timezone("Europe/Madrid").localize(datetime(2024, 3, 30, 12)))
    assert start.tzinfo is TzdataZone("Europe/Madrid")
    assert start.isoformat() == "2024-03-30T12:00:00+01:00"


@pytest.mark.parametrize(
    "zone", ["Europe/Nowhere", "Europe", "/etc/localtime", "__init__", "Etc/../UTC", ".."]
)
def test_a_zone_tzdata_does_not_list_is_refused_by_name(zone: str) -> None:
    text = f"2024-03-30T12:00[{zone}]"
    expected = (  # a key with a dot is no zone name the schedule reads
        f"schedule.start: not a date/time: {text!r}"
        if "." in zone
        else f"schedule.start: unknown time zone {zone!r} in {text!r} "
        f"(tzdata {metadata.version('tzdata')} has no such zone)"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(sea(schedule={"start": text, "step": {"days": 1}}))
    assert str(err.value) == expected
    with pytest.raises(ZoneInfoNotFoundError):
        TzdataZone(zone)


# ---------------------------------------------------------------------------------------------
# The seed-style file
# ---------------------------------------------------------------------------------------------


def _write_with_facade(which: str, out: Path, filename: str) -> pd.DataFrame:
    if which == "one":
        return SyntheticGenerator().generate(
            SyntheticStream("sea", seed=3), 20, filename=filename, output_dir=out,
            save_dataset=True,
        )  # fmt: skip
    path = SyntheticBlockGenerator().generate_blocks_simple(
        output_path=out, filename=filename, n_blocks=2, total_samples=20, methods="sea"
    )
    return pd.read_csv(path) if filename.endswith(".csv") else pd.read_parquet(path)


@pytest.mark.parametrize("which", ["one", "simple"])
@pytest.mark.parametrize("filename", ["d.csv", "d.parquet"])
def test_a_link_at_the_file_name_is_replaced_not_followed(
    tmp_path: Path, which: str, filename: str
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"not yours")
    out = tmp_path / "out"
    out.mkdir()
    (out / filename).symlink_to(victim)
    frame = _write_with_facade(which, out, filename)
    assert victim.read_bytes() == b"not yours"
    path = out / filename
    assert not path.is_symlink() and path.is_file()
    written = pd.read_csv(path) if filename.endswith(".csv") else pd.read_parquet(path)
    pd.testing.assert_frame_equal(written, frame, check_dtype=filename.endswith(".parquet"))
    assert [p.name for p in out.iterdir() if p.is_file()] == [filename]  # no temporary left


@pytest.mark.parametrize("which", ["one", "simple"])
@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("a\x00.csv", "must hold no control character (NUL, newline, ...), got 'a\\x00.csv'"),
        ("\n.csv", "must hold no control character (NUL, newline, ...), got '\\n.csv'"),
        ("a\tb.parquet", "must hold no control character (NUL, newline, ...), got 'a\\tb.parquet'"),
        ("x\x7f.csv", "must hold no control character (NUL, newline, ...), got 'x\\x7f.csv'"),
        ("a\\b.csv", "must be a file name without directories (it is written inside the output "
                     "directory), got 'a\\\\b.csv'"),
    ],
)  # fmt: skip
def test_a_name_that_is_no_plain_file_name_is_refused_before_anything_is_written(
    tmp_path: Path, which: str, filename: str, message: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        _write_with_facade(which, tmp_path / "out", filename)
    assert (err.value.path, err.value.message) == ("filename", message)
    assert listing(tmp_path) == []


def test_write_file_writes_what_pandas_writes_and_leaves_nothing_when_it_fails(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    frame.to_csv(tmp_path / "direct.csv", index=False)
    frame.to_parquet(tmp_path / "direct.parquet", index=False)
    out = tmp_path / "out"
    for suffix in (".csv", ".parquet"):
        path = write_file(frame, out, f"d{suffix}")
        assert path == out / f"d{suffix}"
        assert path.read_bytes() == (tmp_path / f"direct{suffix}").read_bytes()
        assert path.stat().st_mode == (tmp_path / f"direct{suffix}").stat().st_mode
    # a frame Parquet cannot hold: the file already there stays, and no temporary is left
    with pytest.raises(Exception, match="object"):
        write_file(pd.DataFrame({"a": [1, "x"]}), out, "d.parquet")
    assert sorted(p.name for p in out.iterdir()) == ["d.csv", "d.parquet"]
    pd.testing.assert_frame_equal(pd.read_parquet(out / "d.parquet"), frame)


def test_csv_writes_named_zone_times_in_utc_and_reads_them_back(tmp_path: Path) -> None:
    """pyarrow's CSV writer prints a zone's local time by the host's zone files; a named
    zone's times are written in UTC (``...Z``) instead, and read back as the same instants
    in the zone, equal to the Parquet dataset's."""
    csv = calmops_gen.run(zoned("csv"), root=tmp_path)
    parquet = calmops_gen.run(zoned("parquet"), root=tmp_path)
    text = (csv.directory / csv.blocks[1].file).read_text(encoding="utf-8").splitlines()
    stamp = text[1].split(",")[text[0].split(",").index('"timestamp"')]
    assert stamp == "2024-03-31 10:00:00.000000000Z"  # 12:00 in Madrid, summer time (UTC+2)
    got = calmops_gen.read_frame(csv.directory)["timestamp"]
    want = calmops_gen.read_frame(parquet.directory)["timestamp"]
    assert str(got.dt.tz) == "Europe/Madrid" and got.tolist() == want.tolist()


@pytest.mark.parametrize(
    ("start", "step", "path", "says"),
    [
        (
            "2024-10-27T02:30[Europe/Madrid]",
            {"days": 1},
            "schedule.start",
            "is a wall time Europe/Madrid repeats (the clocks go back); give its UTC offset "
            "(for example 2024-10-27T02:30:00+02:00[Europe/Madrid])",
        ),
        (
            "2024-03-10T02:30[America/New_York]",
            {"days": 1},
            "schedule.start",
            "is a wall time America/New_York skips (the clocks go forward)",
        ),
        (
            "2024-10-26T02:30[Europe/Madrid]",
            {"years": 1, "nanoseconds": 1},
            "schedule.step",
            "falls on a wall time the zone repeats or skips",
        ),
    ],
    ids=["repeated", "skipped", "a_later_block"],
)
def test_a_start_on_a_clock_change_is_a_schedule_error(
    tmp_path: Path, start: str, step: dict, path: str, says: str
) -> None:
    """A wall time a zone repeats or skips names no single instant: one line naming the key
    (pandas 2 let pytz's exceptions escape; pandas 3 passed on advice about an argument)."""
    scenario = {
        "name": "t",
        "generator": {"kind": "sea"},
        "schedule": {"blocks": 2, "rows_per_block": 5, "start": start, "step": step},
    }
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(scenario, root=tmp_path / "out")
    assert err.value.path == path
    assert says in err.value.message
    assert not (tmp_path / "out").exists()
