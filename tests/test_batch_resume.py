"""Headless batches: resume after a kill, failures and retries, memory, experiment files
and the end-of-batch summary table (fast fakes of ``batch_fakes``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import batch_fakes
import pandas as pd
import pytest
from batch_helpers import (
    ENTRY,
    TWO_BY_TWO,
    batch_command,
    batch_parser,
    part_keys,
    read_runs,
    run_fake_batch,
    spawn_pool,
)
from scipy.stats import binomtest

from commands import batch as batch_command_line
from sim.errors import UserInputError
from sim.loader import Override
from study.batch import (
    FAILURES_FILE,
    MANIFEST_FILE,
    RUNS_PARQUET,
    TEMP_MARKER,
    TIMESERIES_PARQUET,
    BatchDirectory,
    BatchSpec,
    ExecutionChoice,
    SerialExecutor,
    Sweep,
    build_plan,
    format_cell_table,
    run_batch,
    summarise_cells,
)
from study.experiment import load_experiment

# --------------------------------------------------------------------------------------
# resume
# --------------------------------------------------------------------------------------


def test_rerunning_a_finished_batch_computes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "log.txt"
    monkeypatch.setenv("BATCH_FAKE_LOG", str(log))
    argv = ["alpha", "--replicates", "3", "--days", "5", "--out", str(tmp_path / "o"), "--serial"]
    assert batch_command([*argv, "--no-progress"]) == 0
    before = read_runs(tmp_path / "o")
    assert len(log.read_text().splitlines()) == 3
    assert batch_command([*argv, "--no-progress"]) == 0
    assert len(log.read_text().splitlines()) == 3
    pd.testing.assert_frame_equal(read_runs(tmp_path / "o"), before)
    manifest = json.loads((tmp_path / "o" / MANIFEST_FILE).read_text())
    assert manifest["complete"] and len(manifest["invocations"]) == 2
    assert manifest["root_seed"] == 0 and "numpy" in manifest["versions"]
    assert manifest["resolved_scenarios"][0]["parameters"]["car_t"]["dose_cells"] == 40


def test_an_unreadable_part_is_set_aside_and_computed_again(tmp_path: Path) -> None:
    argv = ["alpha", "--replicates", "3", "--days", "5", "--out", str(tmp_path), "--serial"]
    assert batch_command([*argv, "--no-progress"]) == 0
    before = read_runs(tmp_path)
    victim = sorted((tmp_path / "parts").glob("run-*.parquet"))[1]
    victim.write_bytes(b"PAR1 truncated")
    (tmp_path / "parts" / f"run-x.parquet{TEMP_MARKER}123").write_bytes(b"half")
    assert batch_command([*argv, "--no-progress"]) == 0  # set aside and computed again
    assert victim.exists() and len(list((tmp_path / "parts" / "rejected").iterdir())) == 1
    assert not list((tmp_path / "parts").glob(f"*{TEMP_MARKER}*"))
    pd.testing.assert_frame_equal(read_runs(tmp_path), before)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(
    ("stop_signal", "first_executor", "resume_executor"),
    [
        (signal.SIGINT, ["--workers", "2"], ["--serial"]),
        (signal.SIGKILL, ["--serial"], ["--workers", "2"]),
    ],
    ids=["SIGINT-pool-then-serial", "SIGKILL-serial-then-pool"],
)
def test_a_killed_batch_resumes_to_exactly_the_uninterrupted_runs(
    tmp_path: Path,
    stop_signal: signal.Signals,
    first_executor: list[str],
    resume_executor: list[str],
) -> None:
    reference, out, log = tmp_path / "reference", tmp_path / "killed", tmp_path / "log.txt"
    argv = ["alpha", "beta", "--replicates", "6", "--days", "8", "--seed", "5"]
    argv += ["--sweep", "car_t.dose_cells=20,40", "--no-progress", "--out"]
    assert batch_command([*argv, str(reference), "--serial"]) == 0
    total = 2 * 2 * 6

    command = [sys.executable, str(ENTRY), *argv, str(out)]
    env = {**os.environ, "BATCH_FAKE_SLEEP": "0.3", "BATCH_FAKE_LOG": str(log)}
    # A new session, killed as a whole: like Ctrl-C in a terminal, or kill -9 of the job.
    process = subprocess.Popen(
        [*command, *first_executor],
        env=env,
        start_new_session=True,
        # Ctrl-C reaches the batch as in a terminal, even when this test runs where
        # SIGINT is ignored (a background job of a script inherits SIG_IGN)
        preexec_fn=_default_sigint,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while len(list((out / "parts").glob("run-*.parquet"))) < 4:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the batch did not start"
        time.sleep(0.02)
    os.killpg(process.pid, stop_signal)
    _, stderr = process.communicate(timeout=60)
    if stop_signal == signal.SIGINT:
        assert process.returncode == 130, stderr.decode()
        assert b"run the same command again" in stderr
    else:
        assert process.returncode == -signal.SIGKILL
    saved = part_keys(out)  # every saved part is complete and readable
    assert 4 <= len(saved) < total
    stamps = {path: os.stat(path).st_mtime_ns for path in saved}
    lines_before = len(log.read_text().splitlines())

    resumed = subprocess.run(
        [*command, *resume_executor], env=env, capture_output=True, timeout=120
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert b"already finished" in resumed.stderr
    computed_on_resume = log.read_text().splitlines()[lines_before:]
    assert len(computed_on_resume) == len(set(computed_on_resume))  # none twice
    assert not set(computed_on_resume) & set(saved.values())  # no saved run again
    assert set(computed_on_resume) | set(saved.values()) == set(part_keys(out).values())
    assert len(part_keys(out)) == total
    assert all(os.stat(path).st_mtime_ns == stamp for path, stamp in stamps.items())
    assert not list((out / "parts").glob(f"*{TEMP_MARKER}*"))
    pd.testing.assert_frame_equal(read_runs(out), read_runs(reference))
    for file in (RUNS_PARQUET, TIMESERIES_PARQUET):
        assert (out / file).read_bytes() == (reference / file).read_bytes()


# --------------------------------------------------------------------------------------
# failures, memory, experiment files, summary table
# --------------------------------------------------------------------------------------


def test_failed_runs_are_retried_then_reported_and_the_rest_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BATCH_FAKE_FLAKY_DIR", str(tmp_path))
    out = tmp_path / "out"
    argv = ["alpha", "--replicates", "2", "--days", "4", "--out", str(out), "--serial"]
    argv += ["--sweep", "car_t.kill_rate_per_day=12,666,555", "--no-progress"]
    assert batch_command(argv) == 1
    runs = read_runs(out)
    assert sorted(set(runs["car_t.kill_rate_per_day"])) == [12.0, 555.0]  # flaky ones retried
    assert len(runs) == 4
    failures = json.loads((out / FAILURES_FILE).read_text())
    assert [(f["replicate"], f["attempts"]) for f in failures] == [(0, 3), (1, 3)]
    assert "always fails" in failures[0]["error"] and "Traceback" in failures[0]["traceback"]
    err = capsys.readouterr().err
    assert "2 runs failed after 3 attempts" in err and "kill_rate_per_day=666.0" in err
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert manifest["invocations"][-1]["retries"] == 2 * 2 + 2
    assert not manifest["complete"]


def test_a_dead_worker_stops_the_batch_with_finished_runs_saved(tmp_path: Path) -> None:
    spec = BatchSpec(
        ("alpha",), replicates=2, days=4, sweeps=(Sweep("car_t.kill_rate_per_day", (1, 777)),)
    )
    plan = build_plan(spec, batch_fakes.fake_load)
    directory = BatchDirectory(tmp_path)
    directory.open(plan, ["test"])
    with spawn_pool(1) as pool:
        outcome = run_batch(
            plan,
            directory,
            pool,
            max_in_flight=1,
            simulate=batch_fakes.fake_simulate,
            progress=False,
        )
    directory.close()
    assert outcome.executor_error is not None and "BrokenProcessPool" in outcome.executor_error
    assert outcome.completed == 2 and len(directory.finished_run_ids()) == 2


def test_results_do_not_pile_up_in_memory(tmp_path: Path) -> None:
    spec = BatchSpec(("alpha",), replicates=80, days=50)
    plan = build_plan(spec, batch_fakes.fake_load)
    directory = BatchDirectory(tmp_path)
    directory.open(plan, ["test"])

    class CountingExecutor(ThreadPoolExecutor):
        pending = 0
        peak_pending = 0

        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
            CountingExecutor.pending += 1
            CountingExecutor.peak_pending = max(CountingExecutor.pending, self.peak_pending)
            future = super().submit(fn, *args, **kwargs)
            future.add_done_callback(
                lambda _: setattr(CountingExecutor, "pending", self.pending - 1)
            )
            return future

    batch_fakes.TrackedRunResult.peak = 0
    with CountingExecutor(2) as executor:
        outcome = run_batch(
            plan,
            directory,
            executor,
            max_in_flight=4,
            simulate=batch_fakes.tracked_simulate,
            progress=False,
        )
    directory.close()
    assert outcome.completed == 80
    assert CountingExecutor.peak_pending <= 4
    assert 1 <= batch_fakes.TrackedRunResult.peak <= 4
    assert batch_fakes.TrackedRunResult.alive == 0


EXPERIMENT = """\
description = "dose against scenario"
scenarios = ["alpha", "beta"]
replicates = 2
seed = 11
days = 6
out = "{out}"
serial = true

[set]
car_t.kill_rate_per_day = 9.5

[sweep]
car_t.dose_cells = [20, 40]
"""


def test_an_experiment_file_is_the_same_batch_as_its_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    file = tmp_path / "dose.toml"
    file.write_text(EXPERIMENT.format(out=out))
    argv = ["alpha", "beta", "--replicates", "2", "--seed", "11", "--days", "6"]
    argv += ["--set", "car_t.kill_rate_per_day=9.5", "--sweep", "car_t.dose_cells=20,40"]
    from_cli = batch_command_line.request_from_args(
        batch_parser().parse_args(["batch", *argv, "--out", str(out)])
    )
    experiment = load_experiment(file)
    assert experiment.spec == from_cli.spec
    assert experiment.out == str(out)

    log = tmp_path / "log.txt"
    monkeypatch.setenv("BATCH_FAKE_LOG", str(log))
    assert batch_command(["--experiment", str(file), "--no-progress"]) == 0
    assert len(log.read_text().splitlines()) == 8
    # the command line resumes the experiment's directory: nothing left to compute
    assert batch_command([*argv, "--out", str(out), "--workers", "2", "--no-progress"]) == 0
    assert len(log.read_text().splitlines()) == 8
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert manifest["experiment"]["text"] == file.read_text()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('scenarios = ["alpha"]\nreplicates = 2\nrepeats = 3\n', "repeats: unknown key"),
        ('scenarios = ["alpha"]\n', "replicates: missing"),
        ('scenarios = ["alpha"]\nreplicates = 0\n', "replicates: Input should be greater"),
        ('scenarios = ["alpha"]\nreplicates = "2"\n', "replicates: Input should be a valid"),
        ('scenarios = ["alpha"]\nreplicates = 2\n[sweep]\ncar_t.dose_cells = 20\n', "list"),
        ('scenarios = ["alpha"]\nreplicates = 2\nworkers = 2\nserial = true\n', "at most one"),
        ("scenarios = [\n", "not valid TOML"),
        ('scenarios = ["alpha"]\nreplicates = 2\n[sweep]\nserial = true\n', "top-level key"),
        ('scenarios = ["alpha"]\nreplicates = 2\nseed = -1\n', "seed: Input should be greater"),
        (f'scenarios = ["alpha"]\nreplicates = 2\nseed = {2**63}\n', "seed: Input should be less"),
    ],
)
def test_bad_experiment_files_are_one_line_user_input_errors(
    tmp_path: Path, text: str, expected: str
) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(text)
    with pytest.raises(UserInputError, match=expected) as error:
        load_experiment(file)
    assert str(file) in str(error.value)


def test_the_experiment_file_example_in_the_docs_is_valid(tmp_path: Path) -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "batch.md").read_text()
    example = docs.split("```toml\n", 1)[1].split("```", 1)[0]
    file = tmp_path / "dose.toml"
    file.write_text(example)
    experiment = load_experiment(file)
    assert experiment.contents.workers == 2
    assert [sweep.key for sweep in experiment.spec.sweeps] == [
        "car_t.dose_cells",
        "teaching.enabled",
    ]
    assert experiment.spec.sweeps[1].values == (True, False)
    assert experiment.spec.sets == (Override(("therapy", "product_fitness"), 0.8),)
    assert experiment.spec.sets[0].source == f"{file}: [set]"
    shipped = load_experiment(Path(__file__).resolve().parent.parent / "experiments" / "dose.toml")
    assert shipped.spec == experiment.spec  # the file the help names is the docs example


@pytest.mark.parametrize(
    ("file_line", "options", "expected"),
    [
        ("", [], ExecutionChoice("pool")),
        ("workers = 3", [], ExecutionChoice("pool", workers=3)),
        ("dask_local = 2", [], ExecutionChoice("dask-local", workers=2)),
        (
            'scheduler = "tcp://h:1"',
            [],
            ExecutionChoice("scheduler", address="tcp://h:1"),
        ),
        ("serial = true", [], ExecutionChoice("serial")),
        ("serial = true", ["--workers", "2"], ExecutionChoice("pool", workers=2)),
        ("workers = 3", ["--serial"], ExecutionChoice("serial")),
    ],
)
def test_the_executor_comes_from_the_command_line_then_the_experiment_file(
    tmp_path: Path, file_line: str, options: list[str], expected: ExecutionChoice
) -> None:
    file = tmp_path / "e.toml"
    file.write_text(f'scenarios = ["alpha"]\nreplicates = 2\nout = "o"\n{file_line}\n')
    args = batch_parser().parse_args(["batch", "--experiment", str(file), *options])
    assert batch_command_line.request_from_args(args).execution == expected


def test_experiment_and_command_line_batch_options_do_not_mix(tmp_path: Path) -> None:
    file = tmp_path / "e.toml"
    file.write_text('scenarios = ["alpha"]\nreplicates = 2\n')
    with pytest.raises(UserInputError, match="give --replicates in the experiment file"):
        batch_command(["--experiment", str(file), "--replicates", "3", "--out", "x"])
    with pytest.raises(UserInputError, match="no output directory"):
        batch_command(["--experiment", str(file)])


def test_the_summary_table_gives_wilson_intervals_per_cell(tmp_path: Path) -> None:
    run_fake_batch(TWO_BY_TWO, tmp_path, SerialExecutor())
    plan = build_plan(TWO_BY_TWO, batch_fakes.fake_load)
    cells = summarise_cells(plan, BatchDirectory(tmp_path))
    assert cells is not None and len(cells) == 4
    runs = read_runs(tmp_path)
    for cell in cells:
        dose = dict(cell.sweep_values)["car_t.dose_cells"]
        chosen = runs[(runs.scenario == cell.scenario) & (runs["car_t.dose_cells"] == dose)]
        successes = int(chosen["remission_day28"].sum())
        expected = binomtest(successes, len(chosen)).proportion_ci(method="wilson")
        assert (cell.runs, cell.successes) == (len(chosen), successes)
        assert cell.low == pytest.approx(expected.low) and cell.high == pytest.approx(expected.high)
    table = format_cell_table(cells)
    assert table.splitlines()[0].split()[:4] == [
        "scenario",
        "car_t.dose_cells",
        "observed",
        "remission_day28",
    ]
    assert len(table.splitlines()) == 5
