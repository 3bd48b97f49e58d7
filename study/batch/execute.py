"""One call that does everything the ``batch`` command does: :func:`execute_batch`.

Other commands (compare, validate, sensitivity) run their batches through it, so they
resume, run on any executor and leave the same directory as ``main.py batch``.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from sim.atomic_files import write_text_atomically
from sim.engine_choice import ENGINES, STUDY_ENGINE
from sim.errors import FaultError, UserInputError, describe_os_error
from study.batch.consolidate import ConsolidationReport, consolidate
from study.batch.executors import ExecutionChoice, open_executor
from study.batch.memory import check_execution_memory
from study.batch.plan import BatchPlan, LoadScenario, build_plan, manifest_engine
from study.batch.runner import MAX_ATTEMPTS, BatchOutcome, Simulate, run_batch
from study.batch.schema import TABLE_SCHEMA_VERSION
from study.batch.spec import BatchSpec
from study.batch.store import (
    FAILURES_FILE,
    RUNS_CSV,
    RUNS_PARQUET,
    TIMESERIES_PARQUET,
    BatchDirectory,
)
from study.batch.summary import OUTCOME_FIELD, format_cell_table, summarise_cells

EXIT_OK = 0
EXIT_FAILED_RUNS = 1
EXIT_INTERRUPTED = 130


def execute_batch(
    spec: BatchSpec,
    out_dir: Path,
    execution: ExecutionChoice | None = None,
    *,
    progress: bool = True,
    command_line: list[str] | None = None,
    show_table: bool = True,
    experiment: dict[str, Any] | None = None,
    simulate: Simulate | None = None,
    load: LoadScenario | None = None,
) -> int:
    """Run the batch ``spec`` into ``out_dir`` (new or resumed) and return the exit status.

    It does all that ``main.py batch`` does: load and check every scenario and sweep cell,
    open (or resume) ``out_dir``, start the executor (``execution``; None: a process pool
    with one worker per core), run what is not finished yet with a progress bar (if
    ``progress``), record the invocation in the manifest, consolidate ``runs.parquet``,
    ``runs.csv`` and ``timeseries.parquet``, write ``failures.json`` when runs failed, and
    print the end-of-batch table (if ``show_table``). Messages go to stderr, the table to
    stdout.

    Args:
        spec: the batch (scenarios, replicates, root seed, days, overrides, sweeps).
        out_dir: the batch directory; a directory holding another batch is refused.
        execution: where the runs execute; None for the default process pool.
        progress: show a tqdm progress bar.
        command_line: recorded in the manifest (default: ``sys.argv``).
        show_table: print the per-cell table of :data:`OUTCOME_FIELD` shares.
        experiment: an experiment file's path and text, recorded in a new manifest.
        simulate: the run function (default: :func:`sim.run.run_simulation`); tests
            inject fakes (module-level functions: executors pickle them).
        load: the scenario loader (default: :func:`sim.loader.load_scenario`).

    Returns:
        0 when every run is done; 1 when the batch is not complete (runs failed on every
        attempt, the executor broke, or saved runs were unreadable and set aside); 130
        when interrupted by Ctrl-C or SIGTERM. Finished runs are kept in every case, and
        the same call resumes.

    Raises:
        UserInputError: bad input (a scenario, an override, ``out_dir``, the executor),
            raised before any run is simulated.
    """
    command = list(command_line if command_line is not None else sys.argv)
    spec = replace(spec, engine=engine_for(spec.engine, Path(out_dir)))
    plan = build_plan(spec, load)
    directory = BatchDirectory(out_dir)
    started = time.time()
    try:
        with _sigterm_as_interrupt(), contextlib.ExitStack() as stack:
            stack.callback(directory.close)
            # An existing batch is locked and its parts verified first; a new directory
            # is created only once the executor is known to work.
            finished_ids: set[str] = set()
            if directory.check(plan):
                directory.open(plan, command, experiment)
                finished_ids = directory.verified_run_ids(plan)
            runs_left = sum(run.run_id not in finished_ids for run in plan.runs)
            handle = None
            if runs_left:
                if simulate is None:  # the model's runs (tests inject stand-ins)
                    from sim.engine_setup import prepare_engine  # the model's imports: only here

                    prepare_engine(str(spec.engine), _say)  # before the workers start
                choice = execution or ExecutionChoice("pool")
                check_execution_memory(plan.scenarios.values(), choice, runs_left)
                handle = stack.enter_context(open_executor(choice, runs_left))
            if not directory.is_open:
                directory.open(plan, command, experiment)
            already = plan.n_runs - runs_left
            _say(
                f"{plan.n_runs} runs ({_count(len(spec.scenarios), 'scenario')} x "
                f"{_count(spec.cells_per_scenario, 'sweep cell')} x "
                f"{_count(spec.replicates, 'replicate')}) into {directory.path}"
                + (f"; resuming, {already} already finished" if already else "")
            )
            outcome = BatchOutcome(planned=plan.n_runs, already_finished=already)
            if handle is not None:
                _say(f"running on: {handle.description}")
                outcome = run_batch(
                    plan,
                    directory,
                    handle.executor,
                    max_in_flight=handle.max_in_flight,
                    simulate=simulate,
                    progress=progress,
                    finished_ids=finished_ids,
                    executor_lost=handle.lost,
                )
                if outcome.interrupted:
                    handle.abort()
            description = handle.description if handle else "none (nothing left to run)"
            if outcome.write_error is not None:
                raise outcome.write_error
            return _finish(plan, directory, outcome, show_table, command, description, started)
    except KeyboardInterrupt:
        _say(
            f"interrupted: {_saved(directory)} of {plan.n_runs} runs are saved in "
            f"{directory.path}; run the same command again to finish the rest"
        )
        return EXIT_INTERRUPTED
    except OSError as error:
        raise FaultError(
            f"batch: {describe_os_error(error)}; {_saved(directory)} of {plan.n_runs} runs "
            f"are saved in {directory.path}; free space or fix the permission, then run the "
            "same command again"
        ) from None


def _saved(directory: BatchDirectory) -> int:
    """Runs with a part file (listed, not opened; 0 when that cannot be listed)."""
    try:
        return len(directory.finished_run_ids())
    except OSError:
        return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _say(message: str) -> None:
    print(f"batch: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM (a cluster's job scheduler stopping us) like Ctrl-C."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _write_failures(directory: BatchDirectory, outcome: BatchOutcome) -> None:
    path = directory.path / FAILURES_FILE
    if not outcome.failures:
        path.unlink(missing_ok=True)
        return
    records = [
        {
            "run_id": failure.run.run_id,
            "scenario": failure.run.scenario,
            "sweep": dict(failure.run.sweep_values),
            "replicate": failure.run.replicate,
            "seed": failure.run.seed,
            "attempts": failure.attempts,
            "error": failure.error,
            "traceback": failure.traceback,
        }
        for failure in outcome.failures
    ]
    write_text_atomically(path, json.dumps(records, indent=2) + "\n")


def _mark_rebuilding(directory: BatchDirectory) -> None:
    """Before the tables are rebuilt: the manifest claims no count until they are."""
    manifest = directory.read_manifest()
    manifest["runs_finished"] = None
    manifest["complete"] = False
    manifest["table_checksums"] = {}
    directory.write_manifest(manifest)


def _record_invocation(
    directory: BatchDirectory,
    command: Sequence[str],
    executor_description: str,
    started: float,
    outcome: BatchOutcome,
    report: ConsolidationReport,
) -> None:
    """Append this invocation to the manifest; ``runs_finished`` is the tables' row count.

    The tables' SHA-256 checksums and schema version are recorded too, so whatever reads
    the batch later (``compare --from``) can tell tables changed since
    (:mod:`study.batch.verify`).
    """
    runs_in_tables = report.runs
    manifest = directory.read_manifest()
    manifest.setdefault("invocations", []).append(
        {
            "command_line": shlex.join(command),
            "executor": executor_description,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "seconds": round(time.time() - started, 3),
            "runs_completed": outcome.completed,
            "runs_failed": len(outcome.failures),
            "retries": outcome.retried,
            "interrupted": outcome.interrupted,
            "runs_per_minute": round(outcome.runs_per_minute, 3),
        }
    )
    manifest["runs_finished"] = runs_in_tables
    manifest["complete"] = runs_in_tables == outcome.planned
    manifest["table_schema"] = TABLE_SCHEMA_VERSION
    manifest["table_checksums"] = report.checksums
    directory.write_manifest(manifest)


def _finish(
    plan: BatchPlan,
    directory: BatchDirectory,
    outcome: BatchOutcome,
    show_table: bool,
    command: Sequence[str],
    executor_description: str,
    started: float,
) -> int:
    """Rebuild the tables from the verified parts, record the invocation, report."""
    _mark_rebuilding(directory)
    report = consolidate(plan, directory)
    _record_invocation(directory, command, executor_description, started, outcome, report)
    _write_failures(directory, outcome)
    if outcome.interrupted:
        raise KeyboardInterrupt
    if report.runs:
        _say(
            f"{report.runs} of {plan.n_runs} runs in {directory.path / RUNS_PARQUET}, "
            f"{RUNS_CSV} and {TIMESERIES_PARQUET}"
            + (f" ({outcome.runs_per_minute:.1f} runs/min)" if outcome.completed else "")
        )
    if outcome.executor_error:
        _say(
            f"stopped: the executor failed ({outcome.executor_error}); "
            f"{report.runs} of {plan.n_runs} runs are saved in {directory.path}; "
            "run the same command again to finish the rest"
        )
        return EXIT_FAILED_RUNS
    cells = summarise_cells(plan, directory) if show_table else None
    if cells:
        print(format_cell_table(cells))
        if any(cell.lymphoma for cell in cells):
            from study.batch.lymphoma_table import lymphoma_lines

            print("\n".join(lymphoma_lines(plan, directory.path / RUNS_PARQUET)))
    elif report.runs and show_table:
        _say(f"no {OUTCOME_FIELD} field in the summaries; no outcome table")
    status = EXIT_OK
    if outcome.failures:
        _say(
            f"{len(outcome.failures)} runs failed after {MAX_ATTEMPTS} attempts "
            f"(tracebacks in {directory.path / FAILURES_FILE}); the same command retries them:"
        )
        for failure in outcome.failures:
            _say(f"  {failure.run.label} (seed {failure.run.seed}): {failure.error}")
        status = EXIT_FAILED_RUNS
    if report.corrupt_parts:
        _say(
            f"{len(report.corrupt_parts)} saved runs failed verification while the tables were "
            "rebuilt and were set aside (parts/rejected/); run the same command again"
        )
        status = EXIT_FAILED_RUNS
    return status


def engine_for(chosen: str | None, out_dir: Path) -> str:
    """The engine a batch into ``out_dir`` runs on: ``chosen`` when the user chose one;
    else, for a batch being resumed, the one its manifest records (a manifest from before
    the choice existed was made by the reference), so that resuming needs no option;
    else :data:`sim.engine_choice.STUDY_ENGINE`. A manifest that cannot be read is left
    to the directory's own checks, which refuse it."""
    if chosen is not None:
        return chosen
    try:
        recorded = manifest_engine(BatchDirectory(out_dir).read_manifest())
    except UserInputError:  # no manifest, or not a batch's: left to the directory's checks
        return STUDY_ENGINE
    return recorded if recorded in ENGINES else STUDY_ENGINE
