"""The comparison report: arms read from a batch directory, the plain-words paragraph
follows the numbers, bad --from folders give one line and exit 2, and a small end-to-end
compare writes report.md, report.html and the figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from batch_seal import seal_fake_batch

import main
from sim.errors import UserInputError
from study.analysis.arms import load_arms
from study.analysis.comparison import compare_arms
from study.analysis.narrative import plain_words, survival_verdict
from viz.comparison_figures import FIGURES

DAYS = 80


def _record(replicate: int, remission: bool, **changes: Any) -> dict[str, Any]:
    record = {
        "replicate": replicate,
        "seed": 1000 + replicate,
        "infused": True,
        "infusion_day": 5,
        "blast_pct_at_infusion": 10.0,
        "remission_day28": remission,
        "mrd_negative_day28": False,
        "relapse": False,
        "relapse_day": None,
        "relapse_cd19_negative": False,
        "cart_peak": 300,
        "cart_peak_day": 7,
        "cart_persistence_days": 20,
        "b_cell_aplasia_days": 0,
        "crs_grade": 1,
        "gvhd": False,
        "rejection_kills": 0,
        "days_simulated": DAYS,
        "manufacturing_days": None,
    }
    record.update(changes)
    return record


def write_fake_batch(directory: Path, arms: dict[str, list[dict[str, Any]]]) -> Path:
    """A batch directory (manifest, runs.parquet, timeseries.parquet) of made-up runs."""
    directory.mkdir(parents=True, exist_ok=True)
    rows, days = [], []
    for name, records in arms.items():
        for record in records:
            rows.append({"scenario": name, **record})
            remission = record["remission_day28"]
            for day in range(DAYS + 1):
                after = day - record["infusion_day"]
                blast_pct = 2.0 if remission and after >= 10 else 20.0
                days.append(
                    {
                        "scenario": name,
                        "replicate": record["replicate"],
                        "day": day,
                        "blast_pct": blast_pct,
                        "car_t": max(0, 100 - abs(after - 7) * 10) if after >= 0 else 0,
                    }
                )
    pd.DataFrame(rows).to_parquet(directory / "runs.parquet")
    pd.DataFrame(days).to_parquet(directory / "timeseries.parquet")
    manifest = {
        "format": "cartsim-batch/1",
        "command_line": "made up for a test",
        "scenario_names": list(arms),
        "sweeps": [],
        "complete": True,
    }
    seal_fake_batch(directory, manifest)  # as cartsim writes it: it passes verification
    return directory


def _arms(n: int, good: int, bad: int) -> dict[str, list[dict[str, Any]]]:
    """Arm "good" in remission in ``good`` of n runs, arm "bad" in ``bad``; the good arm
    is infused later, at a higher burden, with a higher, longer-lasting peak."""
    return {
        "good": [
            _record(k, k < good, infusion_day=40, blast_pct_at_infusion=60.0 + k,
                    cart_peak=1500 + k, cart_persistence_days=35 + k % 3)
            for k in range(n)
        ],
        "bad": [_record(k, k < bad, rejection_kills=50) for k in range(n)],
    }  # fmt: skip


def test_arms_are_paired_and_outcomes_derived(tmp_path: Path) -> None:
    batch = write_fake_batch(tmp_path / "b", _arms(10, 9, 2))
    pairs = load_arms(batch)
    assert pairs.paired and "McNemar" in pairs.pairing_note
    comparison = compare_arms(pairs)
    remission = comparison.shares["remission_day28"]
    assert remission.successes == (9, 2) and remission.trials == (10, 10)
    assert remission.test == "McNemar exact"
    assert remission.table is not None and remission.table.only_a == 7
    assert remission.difference.value == pytest.approx(0.7)
    assert remission.difference.excludes_zero
    # Remission onset is day 10 after infusion, runs are censored at the end: 80 - 40 - 10.
    assert set(pairs.a.outcomes["rfs_days"].dropna()) == {30.0}
    assert any("Few replicates" in w for w in comparison.warnings)
    assert any("Best response is not recorded" in w for w in comparison.warnings)


def test_unobserved_day28_is_left_out_of_the_denominator(tmp_path: Path) -> None:
    arms = _arms(6, 3, 3)
    arms["good"][0]["infusion_day"] = DAYS - 10  # day 28 after infusion is never reached
    comparison = compare_arms(load_arms(write_fake_batch(tmp_path / "b", arms)))
    remission = comparison.shares["remission_day28"]
    assert remission.trials == (5, 6) and remission.missing == (1, 0)
    assert remission.table is not None and remission.table.incomplete == 1


@pytest.mark.parametrize("order", [("good", "bad"), ("bad", "good")])
def test_paragraph_states_the_direction_the_numbers_show(tmp_path: Path, order: tuple) -> None:
    batch = write_fake_batch(tmp_path / "b", _arms(12, 11, 1))
    text = plain_words(compare_arms(load_arms(batch, *order)))
    assert "Remission at day 28 was more common with good (92%) than with bad (8%)" in text
    assert "a clear difference" in text
    assert "went in later with good" in text or "went in earlier with bad" in text
    assert "persistence was longer with good" in text or "persistence was shorter with bad" in text
    assert "rejection" in text and "No run had graft-versus-host disease" in text


def test_paragraph_says_when_the_runs_do_not_settle_it(tmp_path: Path) -> None:
    batch = write_fake_batch(tmp_path / "b", _arms(10, 5, 4))
    text = plain_words(compare_arms(load_arms(batch)))
    assert "somewhat more common with good (50%) than with bad (40%)" in text
    assert "do not settle it" in text


def _run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main.main(argv)
    return status, capsys.readouterr().err


def test_from_a_folder_that_is_not_a_batch_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    status, err = _run_main(["compare", "--from", str(tmp_path)], capsys)
    assert status == 2
    assert err.count("\n") == 1 and "not a batch directory" in err
    status, err = _run_main(["compare", "--from", str(tmp_path / "missing")], capsys)
    assert status == 2 and "no such directory" in err


def test_from_a_batch_lacking_an_arm_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = write_fake_batch(tmp_path / "b", _arms(4, 2, 2))
    status, err = _run_main(["compare", "good", "donor", "--from", str(batch)], capsys)
    assert status == 2
    assert err.count("\n") == 1 and "lacks arm 'donor'" in err
    single = write_fake_batch(tmp_path / "one", {"good": _arms(4, 2, 2)["good"]})
    status, err = _run_main(["compare", "--from", str(single)], capsys)
    assert status == 2 and "holds 1 scenario (good); a comparison needs a batch of two" in err
    status, err = _run_main(["compare", "--from", str(batch), "--replicates", "5"], capsys)
    assert status == 2 and "--replicates" in err


def test_from_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = write_fake_batch(tmp_path / "b", _arms(10, 9, 2))
    assert main.main(["compare", "--from", str(batch), "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "remission at day 28" in out and "McNemar exact" in out
    assert (tmp_path / "r" / "report.md").exists()


def test_small_end_to_end_compare_on_the_classroom_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    donor = tmp_path / "classroom_donor.toml"
    donor.write_text(
        'base = "classroom"\n[therapy]\narm = "donor"\nbridging_days = []\n'
        "[lymphodepletion]\nalemtuzumab = true\n"
    )
    out = tmp_path / "cmp"
    argv = ["compare", "classroom", str(donor), "--replicates", "2", "--days", "30",
            "--serial", "--no-progress", "--set", "grid.width=20", "--set", "grid.height=20",
            "--out", str(out)]  # fmt: skip
    assert main.main(argv) == 0
    printed = capsys.readouterr().out
    assert "remission at day 28" in printed and "classroom" in printed
    report = (out / "report.md").read_text()
    assert "In plain words" in report and "How to read this" in report
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == len(FIGURES)
    for name in FIGURES.values():
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert name in report


def test_load_arms_refuses_a_batch_with_sweeps(tmp_path: Path) -> None:
    batch = write_fake_batch(tmp_path / "b", _arms(4, 2, 2))
    manifest = json.loads((batch / "manifest.json").read_text())
    manifest["sweeps"] = [{"key": "car_t.dose_cells", "values": ["10", "20"]}]
    (batch / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UserInputError, match="sweeps"):
        load_arms(batch)


def test_the_report_names_whose_patients_the_arms_enrolled(tmp_path: Path) -> None:
    from sim.loader import load_scenario
    from sim.population import shared_population

    batch = write_fake_batch(tmp_path / "b", _arms(4, 3, 1))
    assert "its own scenario's population" in load_arms(batch).pairing_note
    manifest = json.loads((batch / "manifest.json").read_text())
    manifest["sets"] = [
        {"key": o.dotted_key, "value": o.value, "source": o.source}
        for o in shared_population(load_scenario("autologous"))
    ]
    (batch / "manifest.json").write_text(json.dumps(manifest))
    assert "patients of autologous's population" in load_arms(batch).pairing_note


@pytest.mark.parametrize(
    ("mean_clear", "p_value", "says"),
    [
        (True, 0.19, "though the log-rank test over the whole curves does not resolve one"),
        (True, 0.01, "a clear difference, log-rank p = 0.01"),
        (False, 0.01, "the curves differ"),
        (False, 0.4, "not a clear difference"),
    ],
)
def test_the_relapse_verdict_never_calls_a_difference_clear_that_a_test_does_not(
    mean_clear: bool, p_value: float, says: str
) -> None:
    assert says in survival_verdict(mean_clear, p_value)


def test_a_run_that_ends_before_its_infusion_is_not_infused_and_has_no_infusion_day() -> None:
    from study.analysis.arms import derive_outcomes

    before = derive_outcomes(_record(0, False, infusion_day=DAYS + 10), None)
    assert before["infused"] is False and before["days_to_infusion"] is None
    assert before["remission_day28"] is None  # not observed, not a failure
    reached = derive_outcomes(_record(1, True, infusion_day=12), None)
    assert reached["infused"] is True and reached["days_to_infusion"] == 12
