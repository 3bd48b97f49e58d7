"""Headless batches: replicates and sweeps of many runs, resumable, on any executor.

A batch is every combination of scenario x sweep cell x replicate. One concept per module:

- :mod:`sim.batch.spec`: what a batch is (:class:`BatchSpec`, :class:`Sweep`) and the
  replicate seeds (:func:`replicate_seed`): replicate ``k`` gets
  ``SeedSequence(root_seed, spawn_key=(k,))`` in every scenario and sweep cell;
- :mod:`sim.batch.plan`: every run laid out, scenarios loaded, the fingerprint
  (:func:`build_plan`);
- :mod:`sim.batch.executors`: where runs execute (:class:`ExecutionChoice`,
  :func:`open_executor`, :class:`SerialExecutor`, a process pool, Dask);
- :mod:`sim.batch.store`: the output directory (:class:`BatchDirectory`), its manifest,
  part files and atomic writes;
- :mod:`sim.batch.parts`: what a part file claims to be, and the check that it is
  (:func:`read_verified_part`);
- :mod:`sim.batch.runner`: running the unfinished runs with retries and a progress bar
  (:func:`run_batch`);
- :mod:`sim.batch.consolidate`: the part files gathered into ``runs.parquet``,
  ``runs.csv`` and ``timeseries.parquet`` in plan order (:func:`consolidate`);
- :mod:`sim.batch.summary`: the end-of-batch table (:func:`summarise_cells`);
- :mod:`sim.batch.execute`: all of it in one call, :func:`execute_batch`, which the
  ``batch`` command and other commands (compare, validate, sensitivity) use.

The command line is in :mod:`sim.commands.batch`; experiment files in :mod:`sim.experiment`.
"""

from sim.batch.consolidate import CONSOLIDATION_CHUNK_RUNS, ConsolidationReport, consolidate
from sim.batch.execute import EXIT_FAILED_RUNS, EXIT_INTERRUPTED, EXIT_OK, execute_batch
from sim.batch.executors import (
    ExecutionChoice,
    ExecutorHandle,
    SerialExecutor,
    available_cores,
    execution_choice,
    open_executor,
)
from sim.batch.parts import content_checksum, read_verified_part
from sim.batch.plan import (
    MANIFEST_FORMAT,
    BatchPlan,
    LoadScenario,
    PlannedRun,
    ScenarioLike,
    build_plan,
    make_run_id,
)
from sim.batch.runner import (
    MAX_ATTEMPTS,
    BatchOutcome,
    RunFailure,
    RunTask,
    Simulate,
    execute_run,
    run_batch,
)
from sim.batch.spec import (
    DEFAULT_ROOT_SEED,
    MAX_SEED,
    BatchSpec,
    Sweep,
    parse_sweep,
    replicate_seed,
    split_sweep_values,
)
from sim.batch.store import (
    FAILURES_FILE,
    LOCK_FILE,
    MANIFEST_FILE,
    PARTS_DIR,
    REJECTED_DIR,
    RUN_METADATA_KEY,
    RUNS_CSV,
    RUNS_PARQUET,
    SUMMARY_METADATA_KEY,
    TEMP_MARKER,
    TIMESERIES_PARQUET,
    BatchDirectory,
    RunResultLike,
    atomic_write_bytes,
    package_versions,
)
from sim.batch.summary import OUTCOME_FIELD, CellSummary, format_cell_table, summarise_cells

__all__ = [
    "CONSOLIDATION_CHUNK_RUNS",
    "DEFAULT_ROOT_SEED",
    "EXIT_FAILED_RUNS",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "FAILURES_FILE",
    "LOCK_FILE",
    "MANIFEST_FILE",
    "MANIFEST_FORMAT",
    "MAX_ATTEMPTS",
    "MAX_SEED",
    "OUTCOME_FIELD",
    "PARTS_DIR",
    "REJECTED_DIR",
    "RUNS_CSV",
    "RUNS_PARQUET",
    "RUN_METADATA_KEY",
    "SUMMARY_METADATA_KEY",
    "TEMP_MARKER",
    "TIMESERIES_PARQUET",
    "BatchDirectory",
    "BatchOutcome",
    "BatchPlan",
    "BatchSpec",
    "CellSummary",
    "ConsolidationReport",
    "ExecutionChoice",
    "ExecutorHandle",
    "LoadScenario",
    "PlannedRun",
    "RunFailure",
    "RunResultLike",
    "RunTask",
    "ScenarioLike",
    "SerialExecutor",
    "Simulate",
    "Sweep",
    "atomic_write_bytes",
    "available_cores",
    "build_plan",
    "consolidate",
    "content_checksum",
    "execute_batch",
    "execute_run",
    "execution_choice",
    "format_cell_table",
    "make_run_id",
    "open_executor",
    "package_versions",
    "parse_sweep",
    "read_verified_part",
    "replicate_seed",
    "run_batch",
    "split_sweep_values",
    "summarise_cells",
]
