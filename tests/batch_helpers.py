"""Helpers shared by the batch tests: a small spec, the command, fake batches, outputs."""

from __future__ import annotations

import argparse
import json
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import batch_fakes
import pandas as pd
import pyarrow.parquet as pq

from commands import batch as batch_command_line
from study.batch import (
    RUN_METADATA_KEY,
    RUNS_PARQUET,
    BatchDirectory,
    BatchSpec,
    Sweep,
    build_plan,
    run_batch,
)
from study.batch.consolidate import consolidate

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
