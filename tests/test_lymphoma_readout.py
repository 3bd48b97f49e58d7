"""Lymphoma's readout (sim/lymphoma.py), the T15 measure and the lymphoma patient."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.loader import load_scenario
from sim.lymphoma import category, lymphoma_fields, progression_cause
from sim.patient import effective_scenario
from study.validation.evaluation import measure, quick_days, validation_batches
from study.validation.measures import lymphoma_overall_response
from study.validation.targets import load_targets

LYMPHOMA = load_scenario("lymphoma")
RULES = LYMPHOMA.lymphoma
INFUSION = 10


def _run(sizes_after: list[float], days: int = 120, infusion: int = INFUSION, **columns):
    """A fake lymphoma run: tumour ``1000`` until infusion, then ``sizes_after[d]`` on day
    ``d`` after it (the last value held), all CD19-positive on the grid."""
    after = np.array(sizes_after + [sizes_after[-1]] * (days - infusion + 1 - len(sizes_after)))
    sizes = np.concatenate([np.full(infusion, 1000.0), after[: days - infusion + 1]])
    daily = pd.DataFrame(
        {
            "day": np.arange(days + 1),
            "blasts": sizes,
            "blasts_cd19_positive": sizes,
            "blasts_cd19_negative": np.zeros(days + 1),
            "residual_cd19_positive": np.zeros(days + 1),
            "residual_cd19_negative": np.zeros(days + 1),
            "car_t_effector": np.full(days + 1, columns.get("effectors", 0)),
            "car_t_memory": np.zeros(days + 1),
        }
    )
    model = SimpleNamespace(parameters=LYMPHOMA, plan=SimpleNamespace(infusion_day=infusion))
    return lymphoma_fields(model, daily)  # type: ignore[arg-type]


def _path(points: dict[int, float], days: int = 110) -> list[float]:
    """Sizes after infusion, linear between the given (day after infusion, size) points."""
    keys = sorted(points)
    return list(np.interp(np.arange(days + 1), keys, [points[k] for k in keys]))


def test_the_lugano_categories() -> None:
    limit = 10.0
    assert category(5.0, 1000.0, 1000.0, limit, RULES) == "CR"
    assert category(400.0, 1000.0, 1000.0, limit, RULES) == "PR"
    assert category(800.0, 1000.0, 1000.0, limit, RULES) == "SD"
    assert category(1500.0, 1000.0, 1000.0, limit, RULES) == "PD"
    assert category(300.0, 1000.0, 100.0, limit, RULES) == "PD"  # >= 1.5 x the nadir


def test_complete_response_then_relapse_with_day_and_cause() -> None:
    record = _run(_path({0: 1000.0, 20: 0.0, 60: 0.0, 80: 50.0, 110: 500.0}))
    assert record["lymphoma_response_day28"] == "CR"
    assert record["lymphoma_response_month3"] == "PD"
    assert record["lymphoma_best_response"] == "CR"
    assert record["lymphoma_overall_response"] is True
    assert record["lymphoma_progression"] is True
    assert 60 < record["lymphoma_progression_day"] < 80  # detectable (10 agents) again
    assert record["lymphoma_progression_cause"] == "car_t_loss"
    assert record["lymphoma_not_cleared_cause"] is None  # a complete response: cleared
    assert record["lymphoma_tumour_at_infusion"] == 1000.0


def test_partial_response_and_stable_and_progressive_disease() -> None:
    partial = _run(_path({0: 1000.0, 28: 300.0, 110: 300.0}), effectors=3)
    assert partial["lymphoma_best_response"] == "PR" and partial["lymphoma_overall_response"]
    assert partial["lymphoma_progression"] is False
    assert partial["lymphoma_not_cleared_cause"] == "outgrowth"  # CAR T-cells there, mass held
    stable = _run(_path({0: 1000.0, 28: 800.0, 110: 900.0}))
    assert stable["lymphoma_best_response"] == "SD"
    assert stable["lymphoma_not_cleared_cause"] == "car_t_loss"
    assert stable["lymphoma_overall_response"] is False
    assert stable["lymphoma_progression"] is None  # no response to progress from
    growing = _run(_path({0: 1000.0, 28: 1600.0, 110: 3000.0}))
    assert growing["lymphoma_best_response"] == "PD"


def test_a_scan_the_run_did_not_reach_is_not_observed() -> None:
    short = _run(_path({0: 1000.0, 28: 800.0}, days=40), days=60)
    assert short["lymphoma_response_day28"] == "SD"
    assert short["lymphoma_response_month3"] is None
    assert short["lymphoma_best_response"] is None
    assert short["lymphoma_overall_response"] is None


def test_progression_cause_reads_antigen_escape_and_functional_cells() -> None:
    row = pd.Series(
        {
            "blasts_cd19_negative": 30,
            "residual_cd19_negative": 50.0,
            "blasts_cd19_positive": 20,
            "residual_cd19_positive": 10.0,
            "car_t_effector": 0,
            "car_t_memory": 0,
        }
    )
    assert progression_cause(row) == "cd19_negative"
    positive = row.copy()
    positive["residual_cd19_negative"] = 0.0
    positive["blasts_cd19_negative"] = 0
    assert progression_cause(positive) == "car_t_loss"
    positive["car_t_memory"] = 2
    assert progression_cause(positive) == "outgrowth"


def test_a_leukaemia_run_has_null_lymphoma_fields() -> None:
    model = SimpleNamespace(
        parameters=load_scenario("autologous"), plan=SimpleNamespace(infusion_day=10)
    )
    record = lymphoma_fields(model, pd.DataFrame({"day": [0]}))  # type: ignore[arg-type]
    assert set(record.values()) == {None}


def test_lymphoma_patients_differ_in_bulk_growth_and_hostility() -> None:
    patients = [effective_scenario(LYMPHOMA, seed) for seed in range(40)]
    hostility = [p.microenvironment_hostility for _, p in patients]
    growth = [p.tumour_growth_factor for _, p in patients]
    bulk = [p.blast_fraction_at_enrolment for _, p in patients]
    assert min(hostility) < 0.25 and max(hostility) > 0.75
    assert np.std(np.log(growth)) > 0.3 and np.std(np.log(bulk)) > 0.6
    for scenario, patient in patients[:5]:
        assert scenario.microenvironment.hostility == patient.microenvironment_hostility
        assert scenario.leukaemia.division_rate_per_day == pytest.approx(
            LYMPHOMA.leukaemia.division_rate_per_day * patient.tumour_growth_factor
        )
    marrow, patient = effective_scenario(load_scenario("autologous"), 1)
    assert marrow.microenvironment.hostility == 0.0 and patient.tumour_growth_factor == 1.0


def test_t15_reads_the_overall_response_of_infused_runs() -> None:
    runs = pd.DataFrame(
        {
            "run_id": list("abcde"),
            "infused": [True, True, True, True, False],
            "lymphoma_overall_response": [True, False, None, True, None],
        }
    )
    per_run = lymphoma_overall_response(runs)
    assert per_run.to_dict() == {"a": True, "b": False, "c": None, "d": True}
    t15 = next(t for t in load_targets() if t.id == "T15")
    tables = {"lymphoma": SimpleNamespace(runs=runs, series=pd.DataFrame())}
    measured = measure(t15, tables)  # type: ignore[arg-type]
    assert measured.runs == 3 and measured.value == pytest.approx(200 / 3)


def test_quick_validation_follows_lymphoma_to_its_month_3_scan() -> None:
    t15 = [t for t in load_targets() if t.id == "T15"]
    assert quick_days()["lymphoma"] >= 200
    assert validation_batches(t15, None, quick=True)["lymphoma"].days == quick_days()["lymphoma"]
    assert validation_batches(t15, None, quick=False)["lymphoma"].replicates >= 100
