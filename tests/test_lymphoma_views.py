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
    assert judge.outcome.text == (
        "Relapse after complete response on day 52 after infusion: CD19-positive lymphoma"
    )
    partial = LymphomaOutcomeJudge(scenario=LYMPHOMA)
    for day in range(39):
        partial.end_of_day(day, PLAN, _counts(1000 if day < 10 else 400))
    assert partial.outcome.text.startswith("Day 28 scan: partial response (40 %")
    assert partial.outcome.state == "remission"
    for day in range(39, 60):
        partial.end_of_day(day, PLAN, _counts(400 + 30 * (day - 38)))
    assert partial.outcome.text.startswith("Progression after partial response on day")
    assert not any("emission" in text or "last" in text for text in texts)


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


def test_the_batch_table_counts_a_lymphoma_run_by_its_overall_response(tmp_path) -> None:
    import batch_fakes
    import pandas as pd
    from batch_helpers import TWO_BY_TWO, run_fake_batch

    from study.batch.executors import SerialExecutor
    from study.batch.plan import build_plan
    from study.batch.store import RUNS_PARQUET, BatchDirectory
    from study.batch.summary import format_cell_table, summarise_cells

    run_fake_batch(TWO_BY_TWO, tmp_path, SerialExecutor())
    runs = pd.read_parquet(tmp_path / RUNS_PARQUET)
    lymphoma = runs["scenario"] == "beta"
    runs["lymphoma_overall_response"] = pd.Series([None] * len(runs), dtype=object)
    runs.loc[lymphoma, "lymphoma_overall_response"] = True
    runs["remission_day28"] = runs["remission_day28"].astype(object)
    runs.loc[lymphoma, "remission_day28"] = None
    best = iter(["CR", "PR", "PR", "CR", "SD", "PD"])
    runs["lymphoma_best_response"] = [next(best) if b else None for b in lymphoma]
    responded = runs["lymphoma_best_response"].isin(["CR", "PR"])
    runs["lymphoma_progression"] = list(lymphoma & responded)
    runs["lymphoma_progression_cause"] = [
        "car_t_loss" if p else None for p in runs["lymphoma_progression"]
    ]
    runs["lymphoma_not_cleared_cause"] = [
        "outgrowth" if r in ("PR", "SD", "PD") else None for r in runs["lymphoma_best_response"]
    ]
    runs.to_parquet(tmp_path / RUNS_PARQUET)
    plan = build_plan(TWO_BY_TWO, batch_fakes.fake_load)
    cells = summarise_cells(plan, BatchDirectory(tmp_path))
    assert cells is not None
    for cell in cells:
        assert cell.lymphoma == (cell.scenario == "beta")
        if cell.lymphoma:
            assert cell.successes == cell.runs == 3 and cell.unobserved == 0
    assert "counted by lymphoma_overall_response" in format_cell_table(cells)
    from study.batch.lymphoma_table import lymphoma_lines

    lines = lymphoma_lines(plan, tmp_path / RUNS_PARQUET)
    assert len(lines) == 2  # the two sweep cells of the lymphoma scenario "beta"
    assert all(line.startswith("beta [") for line in lines)
    joined = " ".join(lines)
    for word in ("CR ", "PR ", "SD ", "PD ", "relapse after CR", "progression after PR"):
        assert word in joined
    assert "outgrowth" in joined and "car_t_loss" in joined


def test_every_lymphoma_label_replaces_a_row_of_the_comparison() -> None:
    from study.analysis.comparison import LYMPHOMA_LABELS, NUMBER_ROWS, SHARE_ROWS

    keys = {row[0] for row in SHARE_ROWS} | {row[0] for row in NUMBER_ROWS}
    assert set(LYMPHOMA_LABELS) <= keys
    assert "Lugano" in LYMPHOMA_LABELS["remission_day28"]


def test_a_lymphoma_report_speaks_of_response_and_progression_never_remission(tmp_path) -> None:
    from test_compare import _record, write_fake_batch

    from study.analysis.arms import load_arms
    from study.analysis.comparison import compare_arms
    from study.analysis.comparison_table import format_text_table, main_table
    from study.analysis.narrative import plain_words
    from viz.comparison_figures import SHORT_LABELS
    from viz.comparison_report import write_markdown

    def lymphoma(k: int) -> dict:
        scan = ("CR", "PR", "SD")[k % 3]
        return _record(
            k, None, remission_day28=None, relapse=None, mrd_negative_day28=None,
            lymphoma_detection_limit=10.0, lymphoma_response_day28=scan,
            lymphoma_overall_response=scan != "SD", lymphoma_progression=k % 3 == 1,
            lymphoma_progression_day=40 if k % 3 == 1 else None,
            lymphoma_progression_cause="outgrowth" if k % 3 == 1 else None,
        )  # fmt: skip

    arms = {"a": [lymphoma(k) for k in range(12)], "b": [lymphoma(k + 1) for k in range(12)]}
    comparison = compare_arms(load_arms(write_fake_batch(tmp_path / "b", arms)))
    assert comparison.lymphoma and comparison.shares["relapse"].trials == (8, 8)
    report = write_markdown(comparison, {}, tmp_path).read_text()
    labels = [SHORT_LABELS[k] for k in SHORT_LABELS if k not in comparison.words.short_labels]
    texts = [plain_words(comparison), format_text_table(main_table(comparison)), report]
    for text in [*texts, *labels, *comparison.words.short_labels.values()]:
        assert "remission" not in text.lower() and "blast" not in text.lower(), text
    assert "progression-free" in texts[1] and "complete response" in texts[1]
    assert "progression-free" in report and "Progressions or relapses" in report


def test_the_live_views_chooser_gives_a_lymphomas_burden_as_tumour() -> None:
    from viz.live.controls import scenario_facts

    assert "% tumour" in scenario_facts("lymphoma") and "blasts" not in scenario_facts("lymphoma")
    assert "% blasts" in scenario_facts("autologous")


def test_the_live_view_names_a_lymphomas_cells_tumour_in_legend_chart_and_sliders() -> None:
    """The legend, the chart's series, the hover readout, the growth slider and the arm's
    title say tumour for a lymphoma run, and still say blasts for a leukaemia run."""
    import pygame
    from live_helpers import open_view

    from viz.live.app import LiveConfig
    from viz.live.palette import legend, series
    from viz.live.readout import hover_lines
    from viz.live.render import arm_titles

    def shown_words(scenario: str) -> list[str]:
        app = open_view(LiveConfig(scenarios=[scenario], seed=3))
        try:
            words = app.arms[0].words
            growth = app.controls.slider_labels["leukaemia.division_rate_per_day"].text
            return [
                *(label for label, _, _ in legend(words)),
                *(label for label, _ in series(app.plot.words).values()),
                *(text for text, _ in hover_lines(app, 1.0)),
                growth,
                arm_titles(app, 0)[0],
            ]
        finally:
            pygame.quit()

    lymphoma = shown_words("lymphoma")
    assert not [text for text in lymphoma if "blast" in text.lower()], lymphoma
    assert "Tumour cell CD19+" in lymphoma and "Tumour growth /day" in lymphoma
    assert any("Tumour cells CD19-" in text for text in lymphoma)
    leukaemia = shown_words("classroom")
    assert "Blast CD19+" in leukaemia and "Blast growth /day" in leukaemia
