"""A lymphoma run in lymphoma's words: the live view's outcome banner and `compare`."""

from __future__ import annotations

from sim.loader import load_scenario
from sim.run import run_simulation
from sim.snapshot import DayCounts, LymphomaOutcomeJudge, PlanFacts
from study.analysis.arms import derive_outcomes

LYMPHOMA = load_scenario("lymphoma")
PLAN = PlanFacts(
    arm="autologous",
    collection_day=0,
    manufacturing_end_day=5.0,
    manufacturing_failed=False,
    lymphodepletion_days=(),
    infusion_day=10,
    assessment_day=38,
    infused=True,
)


def _counts(tumour: int) -> DayCounts:
    return DayCounts(tumour, 0, 10, 0, 0, 0.0, 0, 0.0)


def test_the_banner_reads_the_scans_then_progression() -> None:
    judge = LymphomaOutcomeJudge(scenario=LYMPHOMA)
    sizes = {day: 1000 for day in range(10)}
    sizes |= {day: max(0, 1000 - 100 * (day - 9)) for day in range(10, 60)}
    sizes |= {day: 5 * (day - 60) for day in range(60, 120)}
    texts = []
    for day in range(120):
        judge.end_of_day(day, PLAN, _counts(sizes[day]))
        texts.append(judge.outcome.text)
    assert texts[38].startswith("Day 28 scan: complete response")
    assert judge.outcome.state == "relapse"
    assert judge.outcome.text == "Progression on day 52 after infusion: CD19-positive lymphoma"
    partial = LymphomaOutcomeJudge(scenario=LYMPHOMA)
    for day in range(39):
        partial.end_of_day(day, PLAN, _counts(1000 if day < 10 else 400))
    assert partial.outcome.text.startswith("Day 28 scan: partial response (40 %")
    assert partial.outcome.state == "remission"


def test_compare_reads_a_lymphoma_run_by_its_own_readout() -> None:
    scenario = load_scenario(
        "lymphoma", ["grid.width=40", "grid.height=40", "car_t.dose_per_10k_sites=24.0"]
    )
    for seed in range(1, 6):
        record = run_simulation(scenario, seed, 130).summary
        if record["lymphoma_response_day28"] is not None:
            break
    outcomes = derive_outcomes(record, None)
    assert outcomes["lymphoma"] is True
    assert outcomes["remission_day28"] == (record["lymphoma_response_day28"] in ("CR", "PR"))
    assert outcomes["mrd_negative_day28"] == (record["lymphoma_response_day28"] == "CR")
    assert record["remission_day28"] is None and record["relapse"] is None
