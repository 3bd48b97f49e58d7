"""Headless batches: plan and seeds, bad input, executors giving identical outputs.

Most tests use the fast fakes of ``batch_fakes``; one runs the real model briefly. Resume,
failures, experiment files and the summary table: ``test_batch_resume.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import batch_fakes
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from batch_helpers import (
    ENTRY,
    TWO_BY_TWO,
    batch_command,
    read_runs,
    run_fake_batch,
    spawn_pool,
)

from sim.errors import UserInputError
from study.batch import (
    MANIFEST_FILE,
    RUNS_CSV,
    RUNS_PARQUET,
    TIMESERIES_PARQUET,
    BatchDirectory,
    BatchSpec,
    SerialExecutor,
    Sweep,
    build_plan,
    make_run_id,
    parse_sweep,
    replicate_seed,
    run_batch,
)
from study.batch.consolidate import consolidate

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
