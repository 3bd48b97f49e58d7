"""The live view's read interface (sim/snapshot.py): copies, counts, events, outcome."""

from __future__ import annotations

import numpy as np

from sim.loader import load_scenario
from sim.metrics import DAILY_REPORTERS
from sim.model import CarTModel
from sim.snapshot import (
    DayCounts,
    OutcomeJudge,
    PlanFacts,
    SnapshotTaker,
    describe_site,
    take_snapshot,
)


def _model() -> CarTModel:
    return CarTModel(load_scenario("classroom"), 3)


def test_snapshot_is_a_copy_with_the_day_counts() -> None:
    model = _model()
    snapshot = take_snapshot(model)
    assert snapshot.resident.dtype == np.uint8 and snapshot.cytokine.dtype == np.float32
    assert snapshot.resident.shape == (40, 40)
    assert snapshot.counts.b_cells == DAILY_REPORTERS["b_cells"](model)
    assert int((snapshot.resident == 3).sum()) == snapshot.counts.b_cells
    snapshot.resident[:] = 0  # changing the copy leaves the model alone
    assert take_snapshot(model).counts.b_cells == snapshot.counts.b_cells


def test_taker_reports_each_event_once() -> None:
    model = _model()
    model.infuse_now()
    taker = SnapshotTaker(model)
    taker.take()
    seen = 0
    for _ in range(48):
        taker.step()
        events = taker.take().events
        assert all(event.step == model.step_count for event in events)
        seen += len(events)
    assert seen > 0
    assert taker.take().events == ()


def test_describe_site_names_the_cells() -> None:
    model = _model()
    model.infuse_now()
    snapshot = take_snapshot(model)
    xs, ys = np.nonzero(snapshot.mobile == 1)  # an autologous CAR T effector
    info = describe_site(model, int(xs[0]), int(ys[0]))
    assert info["t_cell"]["kind"] == "CAR T-cell"
    assert info["t_cell"]["origin"] == "autologous"
    assert info["t_cell"]["kills"] == 0
    assert info["t_cell"]["age_days"] == 0.0


def _plan(infusion: int | None = 10) -> PlanFacts:
    return PlanFacts(
        "autologous",
        0,
        9.5,
        False,
        (5, 6, 7, 8, 9),
        infusion,
        None if infusion is None else infusion + 28,
        infusion is not None,
    )


def _counts(positive: int, negative: int = 0, sites: int = 1600) -> DayCounts:
    return DayCounts(positive, negative, 0, 0, 0, 0.0, 0, 100.0 * (positive + negative) / sites)


def test_outcome_follows_the_summary_rules() -> None:
    judge = OutcomeJudge()
    judge.end_of_day(37, _plan(), _counts(0))
    assert not judge.outcome.decided
    judge.end_of_day(38, _plan(), _counts(0))
    assert judge.outcome.state == "mrd_negative"
    judge.end_of_day(60, _plan(), _counts(10, 100))
    assert judge.outcome.state == "relapse" and "CD19-negative" in judge.outcome.text
    refractory = OutcomeJudge()
    refractory.end_of_day(38, _plan(), _counts(400))
    assert refractory.outcome.state == "refractory"
    failed = OutcomeJudge()
    failed.end_of_day(20, PlanFacts("autologous", 0, 12.0, True, (), None, None, False), _counts(9))
    assert failed.outcome.state == "not_infused"


def test_stepping_through_the_taker_equals_run_day() -> None:
    by_day = _model()
    by_step = _model()
    by_day.infuse_now()
    by_step.infuse_now()
    taker = SnapshotTaker(by_step)
    for _ in range(3):
        by_day.run_day()
        for _ in range(by_step.steps_per_day):
            taker.step()
        assert take_snapshot(by_day).counts == take_snapshot(by_step).counts
        assert np.array_equal(take_snapshot(by_day).mobile, take_snapshot(by_step).mobile)
