"""The sensitivity analysis: ranges, sample files, indices with noise, and a quick run."""

from __future__ import annotations

import errno
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import main
import study.sensitivity.design as design_module
from sim.errors import FaultError, UserInputError
from sim.loader import load_scenario, parse_override
from study.sensitivity import (
    DEFAULT_KEYS,
    DESIGN_FILE,
    INDICES_CSV,
    INDICES_MD,
    RUNS_DIR,
    ParameterRange,
    analyse,
    make_design,
    model_bounds,
    parse_params,
    parse_range,
    resolve_ranges,
    write_design,
)
from study.sensitivity.design import design_record
from study.sensitivity.ranges import all_keys, default_range

QUICK_PARAMS = "car_t.kill_rate_per_day,car_t.dose_per_10k_sites,teaching.prob_per_hour"


def value_of(scenario_dump: dict, key: str) -> object:
    table, name = key.split(".")
    return scenario_dump[table][name]


# ---- ranges ---------------------------------------------------------------------------


def test_model_bounds_come_from_the_pydantic_fields() -> None:
    fields = all_keys()
    kill = model_bounds(fields["car_t.kill_rate_per_day"])
    assert (kill.low, kill.low_inclusive, kill.high, kill.high_inclusive) == (
        0.0,
        True,
        500.0,
        True,
    )
    half_life = model_bounds(fields["car_t.effector_half_life_days"])
    assert half_life.low == 0.0 and not half_life.low_inclusive
    assert not half_life.allows(0.0) and half_life.allows(1e-3)


def test_every_default_range_is_inside_the_model_and_covers_the_autologous_value() -> None:
    autologous = load_scenario("autologous").model_dump()
    assert 8 <= len(DEFAULT_KEYS) <= 12
    for key in DEFAULT_KEYS:
        item = default_range(key, all_keys()[key])  # raises if outside the model's bounds
        value = value_of(autologous, key)
        assert value is not None and item.low <= value <= item.high, (key, value, item)


def test_a_range_narrows_the_model_and_picks_log_for_a_decade_or_more() -> None:
    narrow = parse_range("car_t.kill_rate_per_day=2,12")
    assert (narrow.low, narrow.high, narrow.scale, narrow.integer) == (2.0, 12.0, "linear", False)
    assert parse_range("car_t.kill_rate_per_day=1,20").scale == "log"
    assert parse_range("car_t.kill_rate_per_day=1,20,linear").scale == "linear"
    whole = parse_range("native_t.taught_kill_rate_per_day = 0.5, 4 ,log")
    assert whole.scale == "log" and whole.key == "native_t.taught_kill_rate_per_day"


def test_a_parameter_without_a_study_range_gets_the_models_closed_range() -> None:
    item = default_range("car_t.chemotaxis_bias", all_keys()["car_t.chemotaxis_bias"])
    assert (item.low, item.high, item.source) == (0.0, 1.0, "model bounds")
    with pytest.raises(UserInputError, match="open end"):  # (0, 3650]: give --range
        default_range("car_t.effector_half_life_days", all_keys()["car_t.effector_half_life_days"])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("nope.kill_rate_per_day=1,2", "unknown key"),
        ("teaching.enabled=0,1", "not a number"),
        ("therapy.bridging_days=1,5", "not a number"),
        ("car_t.kill_rate_per_day=-1,5", "within"),
        ("car_t.kill_rate_per_day=1,600", "within"),
        ("car_t.effector_half_life_days=0,5", "within"),
        ("car_t.kill_rate_per_day=5,5", "below HIGH"),
        ("car_t.kill_rate_per_day=9,5", "below HIGH"),
        ("car_t.dose_cells=2.5,10", "whole number"),
        ("car_t.chemotaxis_bias=0,1,log", "LOW > 0"),
        ("car_t.kill_rate_per_day=1,5,cubic", "log or linear"),
        ("car_t.kill_rate_per_day=a,b", "numbers"),
        ("car_t.kill_rate_per_day=1,nan", "finite"),
        ("car_t.kill_rate_per_day", "expected KEY=LOW,HIGH"),
        ("car_t.kill_rate_per_day=1", "expected KEY=LOW,HIGH"),
        ("=1,2", "expected KEY=LOW,HIGH"),
    ],
)
def test_a_bad_range_is_one_clear_error(text: str, match: str) -> None:
    with pytest.raises(UserInputError, match=match) as caught:
        parse_range(text)
    assert "\n" not in str(caught.value) and "--range" in str(caught.value)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ("car_t.kill_rate_per_day,,x", "comma-separated"),
        ("a.b", "unknown key"),
        ("car_t.kill_rate_per_day,car_t.kill_rate_per_day", "twice"),
    ],
)
def test_bad_params_are_one_clear_error(params: str, match: str) -> None:
    with pytest.raises(UserInputError, match=match):
        parse_params(params)


def test_whole_numbers_are_rounded_with_an_equal_share_each() -> None:
    item = ParameterRange("car_t.dose_cells", 1, 3, "linear", integer=True)
    values = [item.value_at(u) for u in np.linspace(0, 1, 3001)]
    assert all(isinstance(v, int) for v in values)
    shares = [values.count(v) / len(values) for v in (1, 2, 3)]
    assert shares == pytest.approx([1 / 3] * 3, abs=0.01)
    log_item = ParameterRange("car_t.kill_rate_per_day", 1.0, 100.0, "log")
    assert (log_item.value_at(0), log_item.value_at(1)) == (1.0, 100.0)
    assert log_item.value_at(0.5) == pytest.approx(10.0, rel=1e-5)  # geometric middle


def test_resolving_checks_set_conflicts_and_the_scenarios_own_rules() -> None:
    keys = ("car_t.kill_rate_per_day",)
    with pytest.raises(UserInputError, match="also sampled"):
        resolve_ranges("classroom", keys, (), [parse_override("car_t.kill_rate_per_day=3")])
    with pytest.raises(UserInputError, match="not among --params"):
        resolve_ranges("classroom", keys, [parse_range("car_t.dose_cells=6,20")])
    sets = [
        parse_override(f"therapy.manufacturing_{end}_days={value}")
        for end, value in (("min", 8.0), ("max", 20.0))
    ]
    ranges = [parse_range("therapy.manufacturing_median_days=10,30")]
    with pytest.raises(UserInputError, match="end of the sampled range, in scenario classroom"):
        resolve_ranges("classroom", ("therapy.manufacturing_median_days",), ranges, sets)
    default = resolve_ranges("classroom", None, [parse_range("car_t.chemotaxis_bias=0,0.5")])
    assert [item.key for item in default] == [*DEFAULT_KEYS, "car_t.chemotaxis_bias"]


# ---- the design and its scenario files ------------------------------------------------


def test_each_sample_file_loads_to_its_points_values(tmp_path: Path) -> None:
    keys = ("car_t.kill_rate_per_day", "car_t.dose_cells")
    ranges = resolve_ranges("classroom", keys, [parse_range("car_t.dose_cells=6,40")])
    design = make_design("morris", "classroom", ranges, 3, seed=5)
    assert design.n_points == 3 * 3
    paths = write_design(tmp_path, design, design_record(design, 15, []))
    for path, point in zip(paths, design.points(), strict=True):
        loaded = load_scenario(path).model_dump()
        assert loaded["name"] == path.stem
        for key, value in point.items():
            assert value_of(loaded, key) == value
            assert type(value_of(loaded, key)) is type(value)
    assert write_design(tmp_path, design, design_record(design, 15, [])) == paths  # same: resumes
    other = make_design("morris", "classroom", ranges, 3, seed=6)
    with pytest.raises(UserInputError, match="different sensitivity analysis"):
        write_design(tmp_path, other, design_record(other, 15, []))


def test_a_full_disk_while_writing_the_design_is_a_fault_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = ("car_t.kill_rate_per_day", "car_t.dose_cells")
    ranges = resolve_ranges("classroom", keys, [parse_range("car_t.dose_cells=6,40")])
    design = make_design("morris", "classroom", ranges, 2, seed=5)

    def full_disk(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(design_module, "write_text_atomically", full_disk)
    with pytest.raises(FaultError, match=r"sample-0001\.toml: No space left on device") as caught:
        write_design(tmp_path, design, design_record(design, 15, []))
    assert "\n" not in str(caught.value)


def test_sobol_needs_a_power_of_two() -> None:
    ranges = resolve_ranges("classroom", ("car_t.kill_rate_per_day",))
    with pytest.raises(UserInputError, match="power of 2"):
        make_design("sobol", "classroom", ranges, 6, seed=0)
    assert make_design("sobol", "classroom", ranges, 4, seed=0).n_points == 4 * 3


# ---- the indices, from a known function with noise ------------------------------------


def fake_runs(design, function, replicates: int, noise: float, seed: int = 1) -> pd.DataFrame:
    """Runs of a made-up model: ``function(unit point) + noise`` per replicate."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, unit in zip(design.sample_names(), design.unit, strict=True):
        for replicate in range(replicates):
            value = function(unit) + noise * rng.standard_normal()
            rows.append(
                {
                    "scenario": name,
                    "replicate": replicate,
                    "cart_peak": value,
                    "crs_grade": value,
                    "relapse": False,
                    "remission_day28": None,
                    "cart_persistence_days": value,
                }
            )
    return pd.DataFrame(rows)


def morris_design(trajectories: int = 20):
    ranges = [
        ParameterRange(f"car_t.{key}", 0.1, 0.9)
        for key in ("division_prob_per_kill", "memory_fraction", "chemotaxis_bias")
    ]
    return make_design("morris", "classroom", ranges, trajectories, seed=3)


def test_morris_ranks_a_strong_parameter_and_flags_the_inert_ones_as_noise() -> None:
    design = morris_design()
    runs = fake_runs(design, lambda u: 10.0 * u[0] + 1.0 * u[1], replicates=3, noise=1.0)
    results = {result.output: result for result in analyse(design, runs)}
    peak = results["cart_peak"]
    frame = peak.indices.set_index("parameter")
    assert frame.loc["car_t.division_prob_per_kill", "mu_star"] == pytest.approx(10.0, rel=0.2)
    assert list(frame["above_noise"]) == [True, False, False]
    assert peak.noise_se == pytest.approx(1.0 / math.sqrt(3), rel=0.2)
    assert results["relapse"].note.startswith("the output is the same")
    assert results["remission"].indices is None and results["remission"].null_runs == len(runs)


def test_nulls_are_excluded_and_counted_and_incomplete_trajectories_dropped() -> None:
    design = morris_design()
    runs = fake_runs(design, lambda u: 5.0 * u[0], replicates=2, noise=0.1)
    first_point = runs["scenario"] == design.sample_names()[0]
    one_null = runs.index[runs["scenario"] == design.sample_names()[5]][:1]
    runs["cart_persistence_days"] = runs["cart_persistence_days"].astype(object)
    runs.loc[first_point, "cart_persistence_days"] = None
    runs.loc[one_null, "cart_persistence_days"] = None
    result = next(r for r in analyse(design, runs) if r.output == "cart_persistence_days")
    assert result.null_runs == 3
    assert result.groups_dropped == 1  # the trajectory of point 1; point 6 keeps one replicate
    assert result.runs_used == len(runs) - 2 * design.group_size - 1
    assert result.indices is not None


def test_sobol_total_indices_rank_the_parameters() -> None:
    ranges = [
        ParameterRange(f"car_t.{key}", 0.1, 0.9)
        for key in ("division_prob_per_kill", "memory_fraction", "chemotaxis_bias")
    ]
    design = make_design("sobol", "classroom", ranges, 128, seed=2)
    runs = fake_runs(design, lambda u: 4.0 * u[0] + 1.0 * u[1], replicates=2, noise=0.2)
    peak = next(r for r in analyse(design, runs) if r.output == "cart_peak")
    frame = peak.indices.set_index("parameter")
    assert frame.loc["car_t.division_prob_per_kill", "ST"] == pytest.approx(16 / 17, abs=0.15)
    assert list(frame["ST_above_noise"]) == [True, True, False]
    assert 0 < peak.noise_share < 0.1


# ---- end to end ------------------------------------------------------------------------


def test_a_quick_morris_run_of_classroom_writes_table_figure_and_runs(tmp_path: Path) -> None:
    out = tmp_path / "sens"
    argv = [
        "sensitivity",
        "classroom",
        "--params",
        QUICK_PARAMS,
        "--samples",
        "2",
        "--replicates",
        "1",
        "--days",
        "15",
        "--serial",
        "--no-progress",
        "--out",
        str(out),
    ]
    assert main.main(argv) == 0
    design = json.loads((out / DESIGN_FILE).read_text())
    runs = pd.read_parquet(out / RUNS_DIR / "runs.parquet")
    assert (
        list(runs["scenario"]) == design["sample_names"] == [f"sample-{i:04d}" for i in range(1, 9)]
    )
    manifest = json.loads((out / RUNS_DIR / "manifest.json").read_text())
    resolved = {item["scenario"]: item["parameters"] for item in manifest["resolved_scenarios"]}
    for name, point in zip(design["sample_names"], design["points"], strict=True):
        for key, value in point.items():
            assert value_of(resolved[name], key) == value  # the sample's values reached the run
    assert len({row["car_t"]["kill_rate_per_day"] for row in resolved.values()}) > 1
    table = pd.read_csv(out / INDICES_CSV)
    assert set(table["parameter"]) == set(QUICK_PARAMS.split(","))
    assert {"mu_star", "mu_star_conf", "sigma", "noise_se", "null_runs"} <= set(table.columns)
    assert "### cart_peak" in (out / INDICES_MD).read_text()
    assert (out / "sensitivity.png").stat().st_size > 20_000
    assert main.main(argv) == 0  # the same command resumes (nothing to run) and rewrites
    assert pd.read_csv(out / INDICES_CSV).equals(table)


def test_bad_input_on_the_command_line_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sensitivity", "classroom", "--params", "car_t.nope", "--out", str(tmp_path / "x")]
    assert main.main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("cartsim: error: --params car_t.nope: unknown key")
    assert "\n" not in error and not (tmp_path / "x").exists()
