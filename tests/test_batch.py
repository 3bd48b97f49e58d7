"""Headless batches (issue 4): plan and seeds, executors, resume after a kill, outputs.

Most tests use the fast fakes of ``batch_fakes``; one runs the real model briefly.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import batch_fakes
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from scipy.stats import binomtest

from sim.batch import (
    FAILURES_FILE,
    MANIFEST_FILE,
    RUN_METADATA_KEY,
    RUNS_CSV,
    RUNS_PARQUET,
    TEMP_MARKER,
    TIMESERIES_PARQUET,
    BatchDirectory,
    BatchSpec,
    ExecutionChoice,
    SerialExecutor,
    Sweep,
    build_plan,
    consolidate,
    format_cell_table,
    make_run_id,
    parse_sweep,
    replicate_seed,
    run_batch,
    summarise_cells,
)
from sim.commands import batch as batch_command_line
from sim.errors import UserInputError
from sim.experiment import load_experiment
from sim.loader import Override

ENTRY = Path(__file__).resolve().parent / "batch_entry.py"
TWO_BY_TWO = BatchSpec(
    scenarios=("alpha", "beta"),
    replicates=3,
    root_seed=7,
    days=12,
    sweeps=(Sweep("car_t.dose_cells", (20, 40)),),
)


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def batch_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="test")
    batch_command_line.register(parser.add_subparsers(dest="command", required=True))
    return parser


def batch_command(argv: list[str]) -> int:
    """Run ``batch ARGV`` in this process with the fakes; returns the exit status."""
    args = batch_parser().parse_args(["batch", *argv])
    return batch_command_line.run_batch_command(
        args,
        simulate=batch_fakes.fake_simulate,
        load=batch_fakes.fake_load,
        command=["test", *argv],
    )


def run_fake_batch(spec: BatchSpec, out: Path, executor: Executor, in_flight: int = 4) -> None:
    plan = build_plan(spec, batch_fakes.fake_load)
    directory = BatchDirectory(out)
    try:
        directory.open(plan, ["test"])
        outcome = run_batch(
            plan,
            directory,
            executor,
            max_in_flight=in_flight,
            simulate=batch_fakes.fake_simulate,
            progress=False,
        )
        assert not outcome.failures and not outcome.interrupted
        consolidate(plan, directory)
    finally:
        directory.close()


def read_runs(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / RUNS_PARQUET)


def part_keys(out: Path) -> dict[str, str]:
    """Part file path -> the log key of its run."""
    keys = {}
    for path in sorted((out / "parts").glob("run-*.parquet")):
        run = json.loads(pq.read_schema(path).metadata[RUN_METADATA_KEY])
        dose = dict(run["sweep"])["car_t.dose_cells"]
        keys[str(path)] = batch_fakes.computation_key(run["scenario"], dose, run["seed"])
    return keys


def spawn_pool(workers: int = 2) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


# --------------------------------------------------------------------------------------
# plan and seeds
# --------------------------------------------------------------------------------------


def test_replicate_seeds_come_from_the_root_seed_sequence() -> None:
    for replicate in range(4):
        state = np.random.SeedSequence(7, spawn_key=(replicate,)).generate_state(1, np.uint64)
        assert replicate_seed(7, replicate) == int(state[0] >> np.uint64(1))
        assert 0 <= replicate_seed(7, replicate) < 2**63
    assert replicate_seed(7, 0) != replicate_seed(8, 0)


def test_replicate_k_has_the_same_seed_in_every_scenario_and_sweep_cell() -> None:
    plan = build_plan(TWO_BY_TWO, batch_fakes.fake_load)
    runs = list(plan.runs)
    assert len(runs) == plan.n_runs == 2 * 2 * 3
    seeds_by_replicate: dict[int, set[int]] = {}
    for run in runs:
        seeds_by_replicate.setdefault(run.replicate, set()).add(run.seed)
    assert all(len(seeds) == 1 for seeds in seeds_by_replicate.values())
    assert len({seeds.pop() for seeds in seeds_by_replicate.values()}) == 3
    # output order: scenario, then sweep cell, then replicate
    order = [(run.scenario, run.sweep_values[0][1], run.replicate) for run in runs]
    assert order == sorted(order, key=lambda item: (item[0] != "alpha", item[1], item[2]))
    assert [run.index for run in runs] == list(range(len(runs)))


def test_run_ids_are_stable_unique_and_use_resolved_sweep_values() -> None:
    plan = build_plan(TWO_BY_TWO, batch_fakes.fake_load)
    ids = [run.run_id for run in plan.runs]
    assert len(set(ids)) == len(ids)
    assert ids == [run.run_id for run in build_plan(TWO_BY_TWO, batch_fakes.fake_load).runs]
    assert ids[0] == make_run_id("alpha", [("car_t.dose_cells", 20)], 0)
    assert plan.cell_values == ((("car_t.dose_cells", 20),), (("car_t.dose_cells", 40),))


def test_sweep_cells_are_the_product_of_the_sweeps_first_key_outermost() -> None:
    spec = BatchSpec(
        scenarios=("alpha",),
        replicates=1,
        sweeps=(
            Sweep("car_t.dose_cells", (20, 40)),
            Sweep("car_t.kill_rate_per_day", (1, 2.5, 4)),
        ),
    )
    plan = build_plan(spec, batch_fakes.fake_load)
    assert [tuple(v for _, v in cell) for cell in plan.cell_values] == [
        (20, 1.0),
        (20, 2.5),
        (20, 4.0),
        (40, 1.0),
        (40, 2.5),
        (40, 4.0),
    ]
    assert plan.scenario_for(plan.runs[0]).car_t.kill_rate_per_day == 1.0


def test_the_fingerprint_depends_on_results_not_on_spelling() -> None:
    spec = BatchSpec(("alpha",), 2, sweeps=(parse_sweep("car_t.kill_rate_per_day=1e-3,2"),))
    same = BatchSpec(("alpha",), 2, sweeps=(parse_sweep("car_t.kill_rate_per_day=0.001,2.0"),))
    other = BatchSpec(("alpha",), 3, sweeps=(parse_sweep("car_t.kill_rate_per_day=0.001,2"),))
    fingerprints = [build_plan(s, batch_fakes.fake_load).fingerprint for s in (spec, same, other)]
    assert fingerprints[0] == fingerprints[1] != fingerprints[2]


# --------------------------------------------------------------------------------------
# bad input: one-line UserInputError
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("car_t.dose_cells", "expected KEY=V1,V2"),
        ("car_t.dose_cells=", "expected KEY=V1,V2"),
        ("=1,2", "expected KEY=V1,V2"),
        ("car_t.dose_cells=1,,2", "empty value"),
        ("car_t.dose_cells=1,2,", "empty value"),
        ("car_t..dose=1", "has an empty part"),
        (" . dose=1", "has an empty part"),
    ],
)
def test_bad_sweep_syntax_is_a_user_input_error(text: str, expected: str) -> None:
    with pytest.raises(UserInputError, match=expected) as error:
        parse_sweep(text)
    assert "\n" not in str(error.value) and str(error.value).startswith("--sweep ")


def test_sweep_keys_are_normalised_like_set_keys() -> None:
    assert parse_sweep(" car_t . dose_cells =20,40") == Sweep("car_t.dose_cells", (20, 40))


def test_sweep_values_may_be_lists_and_quoted_strings() -> None:
    sweep = parse_sweep('therapy.bridging_days=[],[5, 12],"a,b"')
    assert sweep == Sweep("therapy.bridging_days", ([], [5, 12], "a,b"))


def test_sweep_values_are_typed_once_like_set_values() -> None:
    sweep = parse_sweep("x.y=20,2.5,true,donor,'40'")
    assert sweep.values == (20, 2.5, True, "donor", "40")
    assert [type(value) for value in sweep.values] == [int, float, bool, str, str]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["alpha", "--replicates", "0", "--out", "x"], "--replicates: must be a whole number"),
        (["alpha", "--replicates", "2", "--out", "x", "--days", "0"], "--days: must be"),
        (["alpha", "--replicates", "2", "--out", "x", "--seed", "-1"], "--seed: must be"),
        (["alpha", "--replicates", "2", "--out", "x", "--seed", str(2**63)], "--seed: must be"),
        (["alpha", "--out", "x"], "--replicates: required"),
        (["alpha", "--replicates", "2"], "--out: required"),
        (["--replicates", "2", "--out", "x"], "name at least one SCENARIO"),
        (["alpha", "alpha", "--replicates", "2", "--out", "x"], "given twice"),
        (["alpha", "--replicates", "2", "--out", "x", "--sweep", "a.b"], "expected KEY=V1,V2"),
        (
            ["alpha", "--replicates", "2", "--out", "x", "--sweep", "a.b=1", "--sweep", "a.b=2"],
            "swept twice",
        ),
        (
            ["alpha", "--replicates", "2", "--out", "x", "--sweep", "a.b=1", "--set", "a.b=2"],
            "also given with --set",
        ),
        (
            [
                *("alpha", "--replicates", "2", "--out", "x"),
                *("--set", "car_t. dose_cells=30", "--sweep", "car_t.dose_cells=20,40"),
            ],
            "also given with --set",
        ),
        (
            ["alpha", "--replicates", "2", "--out", "x", "--sweep", "a.b=1", "--sweep", "a .b=2"],
            "swept twice",
        ),
        (["alpha", "--replicates", "2", "--out", "x", "--set", "car_t.dose_cells"], "KEY=VALUE"),
        (["alpha", "--replicates", "2", "--out", "x", "--set", "car_t..dose=1"], "empty part"),
        (
            ["alpha", "--replicates", "2", "--out", "x", "--sweep", "car_t.dose_cells=20,20.0"],
            "same value|given twice",
        ),
        (["delta", "--replicates", "2", "--out", "x"], "no such scenario"),
    ],
)
def test_bad_command_lines_are_one_line_user_input_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserInputError, match=expected) as error:
        batch_command(argv)
    assert "\n" not in str(error.value)
    assert not (tmp_path / "x").exists()


def test_a_different_command_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    base = ["alpha", "--days", "5", "--out", str(out), "--serial", "--no-progress"]
    assert batch_command([*base, "--replicates", "2"]) == 0
    with pytest.raises(UserInputError, match="holds a different batch") as error:
        batch_command([*base, "--replicates", "3"])
    assert "\n" not in str(error.value)
    with pytest.raises(UserInputError, match="holds a different batch"):
        batch_command([*base, "--replicates", "2", "--set", "car_t.dose_cells=41"])
    # the executor is not part of the batch: another one resumes the same directory
    assert batch_command([*base[:-2], "--workers", "1", "--replicates", "2"]) == 0


def test_a_directory_with_other_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserInputError, match="not empty"):
        batch_command(["alpha", "--replicates", "1", "--out", str(tmp_path), "--serial"])


@pytest.mark.parametrize("where", ["under a file", "unwritable"])
def test_an_out_directory_that_cannot_be_made_is_one_line_and_status_2(
    tmp_path: Path, where: str
) -> None:
    if where == "under a file":
        (tmp_path / "afile").write_text("")
        out = tmp_path / "afile" / "sub"
    else:
        out = Path("/proc/nope")  # not even root may create it
        if not Path("/proc").is_dir():
            pytest.skip("no /proc here")
    argv = ["alpha", "--replicates", "1", "--out", str(out), "--serial", "--no-progress"]
    done = subprocess.run(
        [sys.executable, str(ENTRY), *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: --out {out}: ")
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


def test_a_directory_in_use_by_another_batch_is_refused(tmp_path: Path) -> None:
    plan = build_plan(TWO_BY_TWO, batch_fakes.fake_load)
    first, second = BatchDirectory(tmp_path), BatchDirectory(tmp_path)
    first.open(plan, ["first"])
    try:
        with pytest.raises(UserInputError, match="another batch is running"):
            second.open(plan, ["second"])
    finally:
        first.close()


# --------------------------------------------------------------------------------------
# executors: identical outputs
# --------------------------------------------------------------------------------------


def test_serial_pool_and_dask_give_identical_outputs(tmp_path: Path) -> None:
    from dask.distributed import Client, LocalCluster

    run_fake_batch(TWO_BY_TWO, tmp_path / "serial", SerialExecutor())
    with spawn_pool() as pool:
        run_fake_batch(TWO_BY_TWO, tmp_path / "pool", pool)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        run_fake_batch(TWO_BY_TWO, tmp_path / "dask", client.get_executor(pure=False))
    reference = read_runs(tmp_path / "serial")
    assert len(reference) == 12
    assert list(reference.columns[:5]) == [
        "scenario",
        "car_t.dose_cells",
        "replicate",
        "seed",
        "run_id",
    ]
    for name in ("pool", "dask"):
        pd.testing.assert_frame_equal(read_runs(tmp_path / name), reference)
        for file in (RUNS_PARQUET, RUNS_CSV, TIMESERIES_PARQUET):
            assert (tmp_path / name / file).read_bytes() == (
                tmp_path / "serial" / file
            ).read_bytes()


def test_the_command_line_runs_on_a_dask_local_cluster(tmp_path: Path) -> None:
    argv = ["alpha", "--replicates", "4", "--days", "5", "--no-progress", "--out"]
    assert batch_command([*argv, str(tmp_path / "dask"), "--dask-local", "1"]) == 0
    assert batch_command([*argv, str(tmp_path / "serial"), "--serial"]) == 0
    pd.testing.assert_frame_equal(read_runs(tmp_path / "dask"), read_runs(tmp_path / "serial"))
    manifest = json.loads((tmp_path / "dask" / MANIFEST_FILE).read_text())
    assert manifest["invocations"][0]["executor"].startswith("Dask LocalCluster, 1 worker")


def test_outputs_hold_every_run_and_day_with_typed_columns(tmp_path: Path) -> None:
    run_fake_batch(TWO_BY_TWO, tmp_path, SerialExecutor())
    runs = read_runs(tmp_path)
    plan = build_plan(TWO_BY_TWO, batch_fakes.fake_load)
    assert list(runs["run_id"]) == [run.run_id for run in plan.runs]
    for row, run in zip(runs.itertuples(), plan.runs, strict=True):
        summary, _ = batch_fakes.fake_outputs(plan.scenario_for(run), run.seed, 12)
        assert row.seed == summary["seed"] and row.remission_day28 == summary["remission_day28"]
    schema = pq.read_schema(tmp_path / RUNS_PARQUET)
    assert str(schema.field("relapse_day").type) == "int64"  # None and ints unify
    assert str(schema.field("car_t.dose_cells").type) == "int64"
    timeseries = pd.read_parquet(tmp_path / TIMESERIES_PARQUET)
    assert len(timeseries) == 12 * 13
    assert list(timeseries.columns[:6]) == [
        "scenario",
        "car_t.dose_cells",
        "replicate",
        "seed",
        "run_id",
        "day",
    ]
    csv = pd.read_csv(tmp_path / RUNS_CSV)
    assert list(csv.columns) == list(runs.columns) and len(csv) == 12


def test_paired_replicates_share_their_random_stream(tmp_path: Path) -> None:
    spec = BatchSpec(("alpha", "beta"), replicates=3, root_seed=1, days=5)
    run_fake_batch(spec, tmp_path, SerialExecutor())
    timeseries = pd.read_parquet(tmp_path / TIMESERIES_PARQUET)
    alpha = timeseries[timeseries.scenario == "alpha"].reset_index(drop=True)
    beta = timeseries[timeseries.scenario == "beta"].reset_index(drop=True)
    # the fake scenarios differ only by name: same seed, same stream, same numbers
    pd.testing.assert_series_equal(alpha["blasts"], beta["blasts"])


def test_the_real_model_gives_the_same_runs_serially_and_on_a_pool(tmp_path: Path) -> None:
    from sim.run import run_simulation

    spec = BatchSpec(("classroom",), replicates=2, root_seed=3, days=3)
    plan = build_plan(spec)
    for name, executor in (("serial", SerialExecutor()), ("pool", spawn_pool(1))):
        directory = BatchDirectory(tmp_path / name)
        directory.open(plan, ["test"])
        with executor:
            outcome = run_batch(
                plan, directory, executor, max_in_flight=4, simulate=run_simulation, progress=False
            )
        assert outcome.completed == 2 and not outcome.failures
        consolidate(plan, directory)
        directory.close()
    pd.testing.assert_frame_equal(read_runs(tmp_path / "pool"), read_runs(tmp_path / "serial"))
    assert {"remission_day28", "infused", "seed"} <= set(read_runs(tmp_path / "serial").columns)


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
    env = {**os.environ, "BATCH_FAKE_SLEEP": "0.1", "BATCH_FAKE_LOG": str(log)}
    # A new session, killed as a whole: like Ctrl-C in a terminal, or kill -9 of the job.
    process = subprocess.Popen(
        [*command, *first_executor],
        env=env,
        start_new_session=True,
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
        "runs",
        "remission_day28",
    ]
    assert len(table.splitlines()) == 5
