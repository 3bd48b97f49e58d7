"""The validate pipeline: each measure on made-up tables, the verdicts, and the command
end to end on tiny settings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from study.validation import measures
from study.validation.evaluation import (
    OUTSIDE,
    QUICK_REPLICATES,
    UNRESOLVED,
    WITHIN,
    full_batch_sizes,
    judge,
    target_scenarios,
    validation_batches,
)
from study.validation.measures import Measured
from study.validation.targets import load_targets

TARGETS = {target.id: target for target in load_targets()}


def _runs(n: int, **columns: object) -> pd.DataFrame:
    table = {
        "run_id": [f"r{i}" for i in range(n)],
        "infused": [True] * n,
        "infusion_day": [10] * n,
        "days_simulated": [300] * n,
    }
    table.update(columns)  # type: ignore[arg-type]
    return pd.DataFrame(table)


def _series(runs: pd.DataFrame, days: int, **per_run: object) -> pd.DataFrame:
    """One row per run and day; each keyword gives a function (run index, day) -> value."""
    rows = []
    for index, run_id in enumerate(runs["run_id"]):
        for day in range(days + 1):
            row = {"run_id": run_id, "day": day}
            row.update({name: fn(index, day) for name, fn in per_run.items()})  # type: ignore[operator]
            rows.append(row)
    return pd.DataFrame(rows)


def test_share_has_a_wilson_interval_and_leaves_out_the_unobserved() -> None:
    measured = measures.share(pd.Series([True] * 8 + [False] * 2 + [None] * 5))
    assert measured.value == 80.0 and measured.runs == 10
    assert 44 < measured.low < 50 and 94 < measured.high < 98  # Wilson 8/10


def test_median_has_an_order_statistic_interval() -> None:
    measured = measures.median(pd.Series(np.arange(1.0, 21.0)))
    assert measured.value == 10.5
    assert measured.low == 6.0 and measured.high == 15.0


def test_doubling_and_half_life_are_recovered_from_exact_curves() -> None:
    runs = _runs(3, cart_infused=[10] * 3)

    # 10 cells infused at the start of day 10, doubling every 18 h to the end of day 8
    # after infusion (day 18: 9 days in), then a half-life of 4 days
    def car_t(index: int, day: int) -> float:
        after = day - 10
        if after < 0:
            return 0
        if after <= 8:
            return 10 * 2 ** ((after + 1) * 24 / 18)
        return 10 * 2 ** (9 * 24 / 18) * 0.5 ** ((after - 8) / 4)

    series = _series(runs, 60, car_t=car_t)
    doubling = measures.kinetics(runs, series, "expansion_doubling_hours")
    half_life = measures.kinetics(runs, series, "contraction_half_life_days")
    assert doubling.value == pytest.approx(18.0, rel=1e-6)
    assert half_life.value == pytest.approx(4.0, rel=1e-6)


def test_doubling_is_not_observed_without_the_dose() -> None:
    runs = _runs(2)
    series = _series(runs, 40, car_t=lambda i, d: 0 if d < 10 else 2 ** (d - 10))
    assert measures.kinetics(runs, series, "expansion_doubling_hours").runs == 0


def test_growth_doubling_is_fitted_while_blasts_are_few() -> None:
    runs = _runs(2)
    series = _series(
        runs,
        80,
        blasts=lambda i, d: min(1000 * 2 ** (d / 9), 8000),
        blast_pct=lambda i, d: min(1000 * 2 ** (d / 9), 8000) / 100,
    )
    assert measures.growth(series).value == pytest.approx(9.0, rel=1e-6)


def test_remission_mrd_and_aplasia_from_the_series() -> None:
    runs = _runs(4)
    series = _series(
        runs,
        250,
        blast_pct=lambda i, d: 50.0 if (i == 3 or d < 20) else 1.0,
        blasts=lambda i, d: 0 if (i == 0 and d >= 30) else 100,
        b_cells=lambda i, d: 1000 if d == 0 or i >= 2 else 20,
    )
    assert list(measures.remission_within(runs, series)) == [True, True, True, False]
    assert list(measures.mrd_negative_within(runs, series)) == [True, False, False, False]
    assert list(measures.aplasia_at(runs, series)) == [True, True, False, False]


def test_sustained_remission_must_last_28_days_from_a_start_within_3_months() -> None:
    # infused on day 10; remission from day 20 after it: for 40 days (run 0), for 20 days
    # (run 1: relapses, not the trial's endpoint), from day 95 (run 2: too late)
    runs = _runs(3)
    spans = [(20, 60), (20, 40), (95, 200)]
    series = _series(
        runs,
        250,
        blast_pct=lambda i, d: 1.0 if spans[i][0] <= d - 10 < spans[i][1] else 50.0,
    )
    assert list(measures.sustained_remission_within(runs, series)) == [True, False, False]
    assert list(measures.remission_within(runs, series)) == [True, True, False]


@pytest.mark.parametrize(
    ("remission_days", "length", "expected"),
    [
        ((10, 38), 200, True),  # exactly 28 days
        ((10, 37), 200, False),  # 27 days, then relapse
        ((91, 200), 200, True),  # starts on the last day of the window
        ((92, 200), 200, False),  # starts too late
        ((80, 200), 100, None),  # still in remission when the run ends
        (None, 60, None),  # a remission could still start
        (None, 120, False),
    ],
)
def test_sustained_remission_rule(
    remission_days: tuple[int, int] | None, length: int, expected: bool | None
) -> None:
    from sim.metrics import sustained_remission

    in_remission = np.zeros(length, dtype=bool)
    if remission_days is not None:
        in_remission[remission_days[0] : remission_days[1]] = True
    assert sustained_remission(in_remission) is expected


def test_remission_is_unobservable_when_the_run_ends_early() -> None:
    runs = _runs(1)
    series = _series(runs, 40, blast_pct=lambda i, d: 50.0, blasts=lambda i, d: 100)
    assert list(measures.remission_within(runs, series)) == [None]


def test_persistence_is_censored_not_guessed() -> None:
    runs = _runs(3, cart_persistence_days=[250, 100, 120], days_simulated=[300, 300, 130])
    assert list(measures.persistence_beyond(runs)) == [True, False, None]


def test_burden_comparison_holds_only_when_both_directions_are_significant() -> None:
    def arm(remissions: int, crs: int, n: int = 40) -> tuple[pd.DataFrame, pd.DataFrame]:
        runs = _runs(
            n,
            remission_sustained_within_3_months=[i < remissions for i in range(n)],
            crs_grade=[3 if i < crs else 1 for i in range(n)],
        )
        return runs, pd.DataFrame(columns=["run_id", "day"])

    high, ref = arm(15, 35), arm(35, 5)
    assert measures.burden_comparison(*high, *ref).holds is True
    assert measures.burden_comparison(*ref, *high).holds is False
    assert measures.burden_comparison(*arm(33, 8), *arm(35, 5)).holds is None


@pytest.mark.parametrize(
    ("target", "measured", "expected"),
    [
        ("T1", Measured(80.0, 76.0, 84.0, 400), WITHIN),
        ("T1", Measured(95.0, 92.0, 97.0, 400), OUTSIDE),
        ("T1", Measured(80.0, 50.0, 95.0, 10), UNRESOLVED),  # wider than 71-89
        ("T1", Measured(100.0, 91.0, 100.0, 10), OUTSIDE),  # whole interval above
        ("T12", Measured(99.0, 95.0, 100.0, 90), WITHIN),
        ("T12", Measured(95.0, 80.0, 99.0, 20), UNRESOLVED),
        ("T12", Measured(50.0, 40.0, 60.0, 90), OUTSIDE),
        ("T3", Measured(43.0, math.nan, math.nan, 3), UNRESOLVED),
        ("T13", Measured(-30.0, -50.0, -10.0, 40, holds=True), WITHIN),
        ("T13", Measured(0.0, -10.0, 10.0, 40, holds=False), OUTSIDE),
    ],
)
def test_verdicts(target: str, measured: Measured, expected: str) -> None:
    assert judge(TARGETS[target], measured) == expected


def test_validate_command_end_to_end(tmp_path) -> None:
    from main import main

    out = tmp_path / "v"
    argv = ["validate", "--quick", "--replicates", "2", "--days", "12", "--serial"]
    status = main([*argv, "--no-progress", "--out", str(out)])
    assert status in (0, 1)
    table = pd.read_csv(out / "validation.csv")
    assert list(table["id"]) == list(TARGETS)
    assert set(table["status"]) <= {WITHIN, OUTSIDE, UNRESOLVED}
    assert (out / "validation.md").read_text().count("| T") == len(TARGETS)
    for name in ("kinetics.png", "shares.png", "growth.png", "b_cell_aplasia.png"):
        assert (out / name).stat().st_size > 1000
    # the same command resumes: nothing is run again, the same table comes out
    assert main([*argv, "--no-progress", "--out", str(out)]) == status
    assert pd.read_csv(out / "validation.csv").equals(table)


def test_full_batches_take_their_sizes_from_batches_toml() -> None:
    targets = load_targets()
    sizes = full_batch_sizes()
    assert set(sizes) == set(target_scenarios(targets))
    specs = validation_batches(targets, None, quick=False)
    for name, spec in specs.items():
        assert (spec.replicates, spec.days) == sizes[name]
        assert spec.sets == ()


def test_replicates_and_days_given_replace_every_scenarios_own() -> None:
    specs = validation_batches(load_targets(), 7, quick=False, days=55)
    assert {(spec.replicates, spec.days) for spec in specs.values()} == {(7, 55)}


def test_quick_batches_are_small_on_a_50_by_50_grid() -> None:
    specs = validation_batches(load_targets(), None, quick=True)
    assert {spec.replicates for spec in specs.values()} == {QUICK_REPLICATES}
    for spec in specs.values():
        keys = {override.key: override.value for override in spec.sets}
        assert keys[("grid", "width")] == keys[("grid", "height")] == 50


def test_validate_help_states_the_quick_batch_size() -> None:
    """The command line keeps its imports light, so its help states the quick size as
    text; it must be the size the quick validation runs."""
    from main import build_parser

    _, commands = build_parser()
    help_text = commands.choices["validate"].format_help()
    assert f"({QUICK_REPLICATES} replicates)" in " ".join(help_text.split())


def test_a_batch_that_did_not_finish_is_a_fault_not_bad_input(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sim.errors import FaultError
    from study.validation import evaluation

    monkeypatch.setattr(evaluation, "execute_batch", lambda *args, **kwargs: 1)
    specs = validation_batches(load_targets()[:1], replicates=1, quick=True, days=2)
    with pytest.raises(FaultError, match="did not finish"):
        evaluation.run_validation(specs, tmp_path, progress=False)
