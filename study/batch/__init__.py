"""Headless batches: replicates and sweeps of many runs, resumable, on any executor.

A batch is every combination of scenario x sweep cell x replicate. One concept per module:

- :mod:`study.batch.spec`: what a batch is (:class:`BatchSpec`, :class:`Sweep`) and the
  replicate seeds (:func:`replicate_seed`): replicate ``k`` gets
  ``SeedSequence(root_seed, spawn_key=(k,))`` in every scenario and sweep cell;
- :mod:`study.batch.plan`: every run laid out, scenarios loaded, the fingerprint
  (:func:`build_plan`);
- :mod:`study.batch.executors`: where runs execute (:class:`ExecutionChoice`,
  :func:`open_executor`, :class:`SerialExecutor`, a process pool, Dask);
- :mod:`study.batch.store`: the output directory (:class:`BatchDirectory`), its manifest,
  part files and atomic writes;
- :mod:`study.batch.parts`: what a part file claims to be, and the check that it is
  (:func:`read_verified_part`);
- :mod:`study.batch.runner`: running the unfinished runs with retries and a progress bar
  (:func:`run_batch`);
- :mod:`study.batch.consolidate`: the part files gathered into ``runs.parquet``,
  ``runs.csv`` and ``timeseries.parquet`` in plan order (:func:`consolidate`);
- :mod:`study.batch.schema`: the declared type of every column of the tables;
- :mod:`study.batch.verify`: what a reader checks before it trusts a batch
  (:func:`verify_batch_dir`);
- :mod:`study.batch.memory`: the memory estimate of a run, checked before a batch starts;
- :mod:`study.batch.summary`: the end-of-batch table (:func:`summarise_cells`);
- :mod:`study.batch.execute`: all of it in one call, :func:`execute_batch`, which the
  ``batch`` command and other commands (compare, validate, sensitivity) use.

The command line is in :mod:`commands.batch`; experiment files in :mod:`study.experiment`.

The names below are loaded from their module on first use (PEP 562), so that importing
one module of the package (say :mod:`study.batch.executors`) does not import them all. No
name is also a module's name: once a submodule is imported, the package's attribute of
that name is the module (so ``consolidate`` is imported from
:mod:`study.batch.consolidate` itself).
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE: dict[str, str] = {
    "BatchDirectory": "study.batch.store",
    "BatchOutcome": "study.batch.runner",
    "BatchPlan": "study.batch.plan",
    "BatchSpec": "study.batch.spec",
    "CONSOLIDATION_CHUNK_RUNS": "study.batch.consolidate",
    "CellSummary": "study.batch.summary",
    "ConsolidationReport": "study.batch.consolidate",
    "DEFAULT_ROOT_SEED": "study.batch.defaults",
    "EXIT_FAILED_RUNS": "study.batch.execute",
    "EXIT_INTERRUPTED": "study.batch.execute",
    "EXIT_OK": "study.batch.execute",
    "ExecutionChoice": "study.batch.executors",
    "ExecutorHandle": "study.batch.executors",
    "FAILURES_FILE": "study.batch.store",
    "LOCK_FILE": "study.batch.store",
    "LoadScenario": "study.batch.plan",
    "MANIFEST_FILE": "study.batch.store",
    "MANIFEST_FORMAT": "study.batch.plan",
    "MAX_ATTEMPTS": "study.batch.defaults",
    "MAX_SEED": "study.batch.spec",
    "OUTCOME_FIELD": "study.batch.summary",
    "PARTS_DIR": "study.batch.store",
    "PlannedRun": "study.batch.plan",
    "REJECTED_DIR": "study.batch.store",
    "RUNS_CSV": "study.batch.store",
    "RUNS_PARQUET": "study.batch.store",
    "RUN_METADATA_KEY": "study.batch.store",
    "RunFailure": "study.batch.runner",
    "RunResultLike": "study.batch.store",
    "RunTask": "study.batch.runner",
    "SUMMARY_METADATA_KEY": "study.batch.store",
    "ScenarioLike": "study.batch.plan",
    "SerialExecutor": "study.batch.executors",
    "Simulate": "study.batch.runner",
    "Sweep": "study.batch.spec",
    "TEMP_MARKER": "study.batch.store",
    "TIMESERIES_PARQUET": "study.batch.store",
    "available_cores": "study.batch.executors",
    "build_plan": "study.batch.plan",
    "content_checksum": "study.batch.parts",
    "execute_batch": "study.batch.execute",
    "execute_run": "study.batch.runner",
    "execution_choice": "study.batch.executors",
    "format_cell_table": "study.batch.summary",
    "make_run_id": "study.batch.plan",
    "open_executor": "study.batch.executors",
    "package_versions": "study.batch.store",
    "parse_sweep": "study.batch.spec",
    "read_verified_part": "study.batch.parts",
    "replicate_seed": "study.batch.spec",
    "run_batch": "study.batch.runner",
    "split_sweep_values": "study.batch.spec",
    "summarise_cells": "study.batch.summary",
    "verify_batch_dir": "study.batch.verify",
}
"""Each exported name and the module that defines it."""

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """Load ``name`` from its module the first time it is asked for."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
