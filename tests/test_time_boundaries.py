"""Time at its edges: a start on a repeated hour, windows and origins at clock changes or in
the wrong kind of zone, blocks too long to space rows over, and exact label delays."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

import calmops_gen
from calmops_gen.errors import ScenarioError
from calmops_gen.scenario import LabelDelay

MADRID = ZoneInfo("Europe/Madrid")
# 2024-10-27 in Madrid: 02:00-03:00 happens twice, first at +02:00 (00:00-01:00 UTC), then
# at +01:00 (01:00-02:00 UTC)
SECOND_0230 = pd.Timestamp("2024-10-27T01:30Z")  # 02:30+01:00, the second 02:30


def scenario(schedule: dict[str, Any], **drift: dict[str, Any]) -> dict[str, Any]:
    return {"name": "t", "generator": {"kind": "sea"}, "schedule": schedule, "drift": drift}


def utc_times(manifest: calmops_gen.Manifest) -> list[pd.Timestamp]:
    return list(calmops_gen.read_frame(manifest)["timestamp"].dt.tz_convert("UTC"))


@pytest.mark.parametrize(
    ("step", "spread"), [({"days": 1}, "even"), ({"days": 1}, "rows"), ({"hours": 24}, "even")]
)
def test_a_start_at_the_second_of_two_equal_wall_times_keeps_its_offset(
    tmp_path: Path, step: dict[str, int], spread: str
) -> None:
    """The offset given for a repeated wall time decides the first row's instant, whatever
    the step's unit (a day step used to read the wall time again: the first 02:30)."""
    schedule = {"sizes": [2, 2], "start": "2024-10-27T02:30+01:00[Europe/Madrid]", "step": step}
    if spread == "rows":
        schedule |= {"spread": "rows", "rows_per_step": 2}
    manifest = calmops_gen.run(scenario(schedule), root=tmp_path)
    times = utc_times(manifest)
    assert times[0] == SECOND_0230
    # the next day's 02:30 is not repeated: +01:00, 24 wall hours and 25 elapsed ones later
    assert times[2] == pd.Timestamp("2024-10-28T01:30Z")
    assert pd.Timestamp(manifest.blocks[0].time_start) == SECOND_0230


@pytest.mark.parametrize(
    "t0",
    [
        datetime(2024, 10, 27, 2, 0, fold=1, tzinfo=MADRID),
        pd.Timestamp("2024-10-27T01:00Z").tz_convert("Europe/Madrid"),
        "2024-10-27T02:00+01:00",
    ],
    ids=["fold", "timestamp", "text"],
)
def test_a_window_from_a_repeated_wall_time_selects_from_that_instant(
    tmp_path: Path, t0: Any
) -> None:
    """A zoned start of ``where.time`` at the second 02:00 selects from 01:00 UTC: rows every
    30 minutes from 00:00 UTC, so rows 2-5 of [01:00, 03:00) UTC (it was pandas' error about
    an ambiguous time, a pytz traceback on pandas 2)."""
    schedule = {
        "sizes": [8],
        "start": "2024-10-27T02:00+02:00[Europe/Madrid]",
        "step": {"hours": 4},
    }
    window = {"time": [t0, "2024-10-27T04:00+01:00"]}
    event = {"kind": "shift", "features": ["x0"], "amount": 1.0, "where": window}
    manifest = calmops_gen.run(scenario(schedule, s=event), root=tmp_path)
    truth = calmops_gen.read_ground_truth(manifest)
    assert np.flatnonzero(truth["s"].to_numpy() > 0).tolist() == [2, 3, 4, 5]


def test_numbers_are_not_times(tmp_path: Path) -> None:
    """A bare number would be read as nanoseconds since 1970: refused in a window and as a
    trend's origin, naming the key."""
    schedule = {"sizes": [4], "start": "2024-01-01", "step": {"days": 1}}
    cases = {
        "drift.s.where.time": {
            "kind": "shift",
            "features": ["x0"],
            "amount": 1.0,
            "where": {"time": [1704067200000000000, 1704153600000000000]},
        },
        "drift.s.origin": {
            "kind": "trend",
            "features": ["x0"],
            "slope": 1.0,
            "over": "time",
            "origin": 1704067200,
        },
    }
    for path, event in cases.items():
        with pytest.raises(ScenarioError, match="is a number; give dates/times as text") as err:
            calmops_gen.run(scenario(schedule, s=event), root=tmp_path / "out")
        assert err.value.path == path
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("start", "origin", "says"),
    [
        (
            "2024-03-30T00:00[Europe/Madrid]",
            "2024-03-30T00:00",
            r"have a timezone \(Europe/Madrid\)",
        ),
        ("2024-03-30T00:00", "2024-03-30T00:00+05:00", "have no timezone"),
    ],
)
def test_a_trend_origin_must_agree_with_the_data_on_having_a_zone(
    tmp_path: Path, start: str, origin: str, says: str
) -> None:
    """A naive origin on zoned data was read as UTC, a zoned one on naive data compared in
    UTC with local times: the curve off by the offset. Refused, as ``where.time`` is."""
    schedule = {"sizes": [6], "start": start, "step": {"days": 1}}
    event = {"kind": "trend", "features": ["x0"], "slope": 1.0, "over": "time", "origin": origin}
    with pytest.raises(ScenarioError, match=says) as err:
        calmops_gen.run(scenario(schedule, t=event), root=tmp_path)
    assert err.value.path == "drift.t.origin"


def test_a_zoned_trend_counts_days_from_its_origin_and_records_it_in_the_zone(
    tmp_path: Path,
) -> None:
    """Midnight in Madrid is the origin: the first row, at that midnight, moves by 0 and the
    row a day later by ``slope``; the recorded origin is that midnight, in the zone."""
    schedule = {"sizes": [3], "start": "2024-01-10T00:00[Europe/Madrid]", "step": {"days": 3}}
    origin = "2024-01-10T00:00+01:00"
    event = {"kind": "trend", "features": ["x0"], "slope": 2.0, "over": "time", "origin": origin}
    plain = calmops_gen.read_frame(calmops_gen.run(scenario(schedule), root=tmp_path / "a"))
    manifest = calmops_gen.run(scenario(schedule, t=event), root=tmp_path / "b")
    moved = calmops_gen.read_frame(manifest)["x0"] - plain["x0"]
    assert np.allclose(moved.to_numpy(), [0.0, 2.0, 4.0], atol=1e-12)
    assert manifest.events[0].prepared["_trend"]["origin"] == "2024-01-10T00:00:00+01:00"


def test_a_block_too_long_to_space_rows_over_is_refused(tmp_path: Path) -> None:
    """Rows of a 500-year block went back in time (an int64 overflow) with only a numpy
    warning; ``spread: none`` (one stamp per block) still works."""
    schedule = {"sizes": [4], "start": "1700-01-01", "step": {"years": 500}}
    with pytest.raises(ScenarioError, match="longer than spread: even spaces rows") as err:
        calmops_gen.run(scenario(schedule), root=tmp_path / "out")
    assert err.value.path == "schedule.step"
    assert not (tmp_path / "out").exists()
    manifest = calmops_gen.run(scenario(schedule | {"spread": "none"}), root=tmp_path / "ok")
    assert set(calmops_gen.read_frame(manifest)["timestamp"]) == {pd.Timestamp("1700-01-01")}


def test_a_block_of_146_years_spaces_its_rows_evenly(tmp_path: Path) -> None:
    schedule = {"sizes": [4], "start": "1700-01-01", "step": {"years": 146}}
    times = calmops_gen.read_frame(calmops_gen.run(scenario(schedule), root=tmp_path))["timestamp"]
    gaps = np.diff(times.to_numpy().astype(np.int64))
    length = (pd.Timestamp("1846-01-01") - pd.Timestamp("1700-01-01")).value
    assert (gaps > 0).all() and abs(gaps.sum() - 3 * length / 4) <= 4


@pytest.mark.parametrize(
    ("value", "ns"),
    [(1.005, 1_005_000_000), ("1000D 1ns", 1000 * 86_400 * 10**9 + 1), (0.1, 100_000_000)],
)
def test_a_fixed_time_delay_is_exact_to_the_nanosecond(value: Any, ns: int) -> None:
    """Seconds as a float are rounded to the nearest nanosecond (1.005 s was 1,004,999,999
    ns) and a duration past 2**53 ns keeps its last nanosecond."""
    delay = LabelDelay(unit="time", value=value)
    drawn = delay.draw(3, np.random.default_rng(0))
    assert drawn.dtype == np.int64 and drawn.tolist() == [ns] * 3


def test_a_window_that_holds_no_row_says_where_the_rows_are(tmp_path: Path) -> None:
    schedule = {"sizes": [4, 4], "start": "2024-01-01", "step": {"days": 1}}
    window = {"time": ["2025-01-01", "2025-02-01"]}
    event = {"kind": "shift", "features": ["x0"], "amount": 1.0, "where": window}
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(scenario(schedule, s=event), root=tmp_path)
    assert err.value.path == "drift.s.where.time"
    assert err.value.message == (
        "no selected row has a timestamp in [2025-01-01 00:00:00, 2025-02-01 00:00:00) "
        "(theirs run from 2024-01-01 00:00:00 to 2024-01-02 18:00:00)"
    )


def test_a_window_takes_a_named_zone_as_schedule_start_does(tmp_path: Path) -> None:
    """``[Europe/Madrid]`` after a time was refused in ``where.time`` ("unknown datetime
    string format") though ``schedule.start`` takes it: the same rows as the offset form."""
    schedule = {
        "sizes": [8],
        "start": "2024-10-27T02:00+02:00[Europe/Madrid]",
        "step": {"hours": 4},
    }
    picked = []
    for t0 in ("2024-10-27T02:00+01:00[Europe/Madrid]", "2024-10-27T02:00+01:00"):
        window = {"time": [t0, "2024-10-27T04:00[Europe/Madrid]"]}
        event = {"kind": "shift", "features": ["x0"], "amount": 1.0, "where": window}
        manifest = calmops_gen.run(scenario(schedule, s=event), root=tmp_path)
        truth = calmops_gen.read_ground_truth(manifest)
        picked.append(np.flatnonzero(truth["s"].to_numpy() > 0).tolist())
    assert picked == [[2, 3, 4, 5]] * 2


def test_a_condition_on_a_zoned_time_column_takes_the_named_zone_form(tmp_path: Path) -> None:
    """Conditions compared text times with pandas' parser, which refused the
    ``[Europe/Madrid]`` form that where.time and schedule.start take."""
    schedule = {
        "sizes": [8],
        "start": "2024-10-27T02:00+02:00[Europe/Madrid]",
        "step": {"hours": 4},
    }
    picked = []
    for value in ("2024-10-27T02:00+01:00[Europe/Madrid]", "2024-10-27T02:00+01:00"):
        condition = [{"column": "timestamp", "op": ">=", "value": value}]
        event = {
            "kind": "shift",
            "features": ["x0"],
            "amount": 1.0,
            "where": {"condition": condition},
        }
        truth = calmops_gen.read_ground_truth(
            calmops_gen.run(scenario(schedule, s=event), root=tmp_path)
        )
        picked.append(np.flatnonzero(truth["s"].to_numpy() > 0).tolist())
    assert picked == [[2, 3, 4, 5, 6, 7]] * 2


def test_a_huge_time_delay_is_refused_not_an_overflow() -> None:
    """Seconds rounded to nanoseconds overflowed (OverflowError, a traceback) past 1.8e299."""
    schedule = {"rows_per_block": 10, "start": "2024-01-01", "step": {"hours": 1}}
    with pytest.raises(ScenarioError, match="time delays must be at most 36525 days") as err:
        calmops_gen.load_scenario(
            scenario(schedule) | {"label_delay": {"unit": "time", "value": 1e300}}
        )
    assert err.value.path == "label_delay"


def test_a_condition_at_a_repeated_wall_time_says_to_give_the_offset(tmp_path: Path) -> None:
    schedule = {
        "sizes": [8],
        "start": "2024-10-27T02:00+02:00[Europe/Madrid]",
        "step": {"hours": 4},
    }
    condition = [{"column": "timestamp", "op": ">=", "value": "2024-10-27T02:30[Europe/Madrid]"}]
    event = {"kind": "shift", "features": ["x0"], "amount": 1.0, "where": {"condition": condition}}
    with pytest.raises(ScenarioError, match=r"repeats .*give its UTC offset") as err:
        calmops_gen.run(scenario(schedule, s=event), root=tmp_path)
    assert err.value.path.startswith("drift.s.where.condition")
