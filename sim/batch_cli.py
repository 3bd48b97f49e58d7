"""The ``batch`` subcommand: replicates and sweeps, serial, on a process pool or on Dask.

``main.py`` calls :func:`register` on its subparsers and then ``args.func(args)``, which
returns the exit status: 0 all runs done; 1 the batch is not complete: some runs failed on
every attempt (listed, with their errors in ``DIR/failures.json``), the executor broke (a
dead pool, a lost cluster), or saved runs were unreadable and set aside; 130 interrupted
by Ctrl-C or SIGTERM; 2 bad input (a :class:`~sim.errors.UserInputError`, printed by
``main.py``). In every case but 2 the finished runs are kept and the same command resumes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import multiprocessing
import os
import shlex
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Literal

from sim.batch import (
    DEFAULT_ROOT_SEED,
    FAILURES_FILE,
    MAX_ATTEMPTS,
    OUTCOME_FIELD,
    RUNS_CSV,
    RUNS_PARQUET,
    TIMESERIES_PARQUET,
    BatchDirectory,
    BatchOutcome,
    BatchSpec,
    LoadScenario,
    SerialExecutor,
    Simulate,
    atomic_write_bytes,
    build_plan,
    consolidate,
    format_cell_table,
    parse_sweep,
    run_batch,
    summarise_cells,
)
from sim.errors import UserInputError

EXIT_OK = 0
EXIT_FAILED_RUNS = 1
EXIT_INTERRUPTED = 130

EXAMPLES = f"""\
examples:
  uv run main.py batch autologous donor --replicates 20 --out runs/arms
  uv run main.py batch autologous --replicates 10 --days 120 --out runs/dose \\
      --sweep car_t.dose_cells=20,40,80 --set teaching.enabled=false
  uv run main.py batch --experiment experiments/dose.toml --dask-local 4
  uv run main.py batch --experiment experiments/dose.toml --scheduler tcp://10.0.0.5:8786

Running the same command again on the same --out resumes it: finished runs are skipped.
The executor is not part of the batch, so another one may finish it. --out refuses a
directory that holds a different batch, a non-empty one without manifest.json, and one
in use by a batch running right now.

Outputs in DIR: runs.parquet, runs.csv (one row per run), timeseries.parquet (one row
per run and day), manifest.json (command, resolved scenarios, versions, seeds), and
failures.json (only when runs failed: each run's error and traceback).

A failing run is tried {MAX_ATTEMPTS} times in all; then it is reported and the rest go on.

exit status:
  0    all runs done
  1    not complete: some runs failed on every attempt, the executor broke (a dead
       worker pool, a lost cluster), or saved runs were unreadable and set aside;
       the same command computes what is missing
  2    bad input (one line saying what is wrong)
  130  interrupted (Ctrl-C or SIGTERM); the same command resumes
"""


# --------------------------------------------------------------------------------------
# Executors
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutionChoice:
    """Where the runs execute: here, a local process pool, a new or an existing Dask cluster."""

    kind: Literal["serial", "pool", "dask-local", "scheduler"]
    workers: int | None = None
    address: str | None = None


class ExecutorHandle:
    """An open executor, how many tasks to keep in flight, and how to stop it at once."""

    def __init__(
        self,
        executor: Executor,
        max_in_flight: int,
        description: str,
        abort: Callable[[], None] | None = None,
    ) -> None:
        self.executor = executor
        self.max_in_flight = max_in_flight
        self.description = description
        self._abort = abort

    def abort(self) -> None:
        """Stop now: used on Ctrl-C, so running tasks do not delay the exit."""
        if self._abort is not None:
            self._abort()


def available_cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def ignore_sigint() -> None:
    """Pool worker initializer: Ctrl-C is the main process's business (it stops the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def dask_setup(worker: object) -> None:
    """Dask preload hook of our LocalCluster's workers: leave Ctrl-C to the main process.

    A terminal sends Ctrl-C to every process of the job; the main process stops the batch
    and closes the cluster, so the workers need not print their own KeyboardInterrupt.
    """
    ignore_sigint()


def _terminate_pool(pool: ProcessPoolExecutor) -> None:
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
    else:
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def open_executor(choice: ExecutionChoice, runs_left: int) -> Iterator[ExecutorHandle]:
    """Start the chosen executor (and stop it on leaving the block).

    The process pool uses the ``spawn`` start method: workers start from a fresh
    interpreter, so nothing of the parent (threads of tqdm, pyarrow or Dask, open files)
    is copied into them, which ``fork`` can deadlock on; it is also what macOS and Windows
    use, so the batch behaves the same everywhere. The cost, importing the model once per
    worker, is paid once per batch.
    """
    if choice.kind == "serial":
        yield ExecutorHandle(SerialExecutor(), 1, "serial (in this process)")
        return
    if choice.kind == "pool":
        workers = max(1, min(choice.workers or available_cores(), runs_left))
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=ignore_sigint,
        )
        try:
            yield ExecutorHandle(
                pool, 2 * workers, f"process pool, {workers} workers", lambda: _terminate_pool(pool)
            )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as error:  # pragma: no cover - dask is a dependency
        raise UserInputError(f"--dask-local/--scheduler: Dask is not installed ({error})") from None
    if choice.kind == "dask-local":
        workers = max(1, choice.workers or 1)
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            preload=["sim.batch_cli"],  # its dask_setup runs in each worker
        )
        client = Client(cluster)
        try:
            yield ExecutorHandle(
                client.get_executor(pure=False),
                2 * workers,
                f"Dask LocalCluster, {workers} worker processes",
            )
        finally:
            client.close()
            cluster.close()
        return
    address = choice.address or ""
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as error:
        raise UserInputError(
            f"--scheduler {address}: cannot connect ({type(error).__name__}: {error}); "
            "is `dask scheduler` running there, and the port open?"
        ) from None
    try:
        threads = sum(client.nthreads().values())
        if threads == 0:
            print(
                f"batch: the scheduler at {address} has no workers yet; waiting for some",
                file=sys.stderr,
            )
        yield ExecutorHandle(
            client.get_executor(pure=False),
            max(2 * threads, 4),
            f"Dask cluster at {address}, {len(client.nthreads())} workers, {threads} threads",
        )
    finally:
        client.close()


# --------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``batch`` subcommand to ``subparsers``; it sets ``func`` to run it."""
    parser = subparsers.add_parser(
        "batch",
        help="run replicates and parameter sweeps headless, resumable, on one or many machines",
        description=(
            "Run every combination of scenario x sweep values x replicate headless.\n"
            "Replicate k gets the same seed in every scenario and sweep cell (paired\n"
            "comparisons); results do not depend on the executor or the order of runs."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help="scenario names (see `main.py scenarios`) or paths to scenario .toml files",
    )
    parser.add_argument(
        "--experiment",
        metavar="FILE",
        help="read the batch from a TOML experiment file instead (see docs/batch.md)",
    )
    parser.add_argument("--replicates", type=int, metavar="N", help="runs per scenario and cell")
    parser.add_argument("--out", metavar="DIR", help="output directory (resumed if it exists)")
    parser.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help=f"root seed, 0 <= S < 2**63; replicate seeds derive from it "
        f"(default {DEFAULT_ROOT_SEED})",
    )
    parser.add_argument(
        "--days", type=int, metavar="N", help="days per run (default: each scenario's own)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=None,
        dest="sets",
        metavar="KEY=VALUE",
        help="override a parameter in every run, e.g. car_t.dose_cells=40 (repeatable)",
    )
    parser.add_argument(
        "--sweep",
        action="append",
        default=None,
        dest="sweeps",
        metavar="KEY=V1,V2,...",
        help="sweep a parameter over values (repeatable; cells are all combinations)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="W",
        help=f"local process pool of W workers (default: the number of cores, {available_cores()})",
    )
    where.add_argument(
        "--dask-local",
        type=int,
        metavar="W",
        help="start a Dask LocalCluster of W worker processes on this machine",
    )
    where.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="join a running Dask cluster (`dask scheduler` + `dask worker`)",
    )
    where.add_argument("--serial", action="store_true", help="run in this process, one by one")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run_batch_command)


@dataclass(frozen=True)
class BatchRequest:
    """A parsed ``batch`` command: what to run, where to write, where to execute."""

    spec: BatchSpec
    out: Path
    execution: ExecutionChoice
    progress: bool
    experiment: dict[str, Any] | None = None


def _check_count(option: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise UserInputError(f"{option}: must be a whole number >= 1 (got {value})")


def execution_choice(
    *, serial: bool, workers: int | None, dask_local: int | None, scheduler: str | None
) -> ExecutionChoice | None:
    """The executor these options choose, or None when none is given.

    Called with the command line's options and with an experiment file's (both checked
    before, with at most one given).
    """
    if serial:
        return ExecutionChoice("serial")
    if workers is not None:
        return ExecutionChoice("pool", workers=workers)
    if dask_local is not None:
        return ExecutionChoice("dask-local", workers=dask_local)
    if scheduler is not None:
        return ExecutionChoice("scheduler", address=scheduler)
    return None


def _execution_from_args(args: argparse.Namespace) -> ExecutionChoice | None:
    _check_count("--workers", args.workers)
    _check_count("--dask-local", args.dask_local)
    if args.scheduler is not None and not args.scheduler.strip():
        raise UserInputError("--scheduler: give the address, such as tcp://10.0.0.5:8786")
    return execution_choice(
        serial=args.serial,
        workers=args.workers,
        dask_local=args.dask_local,
        scheduler=args.scheduler,
    )


def request_from_args(args: argparse.Namespace) -> BatchRequest:
    """Turn parsed arguments (and the experiment file, if any) into a :class:`BatchRequest`."""
    progress = not args.no_progress
    if args.experiment is not None:
        from sim.experiment import load_experiment

        given = [
            option
            for option, value in (
                ("SCENARIO", args.scenarios),
                ("--replicates", args.replicates),
                ("--seed", args.seed),
                ("--days", args.days),
                ("--set", args.sets),
                ("--sweep", args.sweeps),
            )
            if value not in (None, [])
        ]
        if given:
            raise UserInputError(
                f"--experiment {args.experiment}: give {given[0]} in the experiment file, "
                "not on the command line (only --out and executor options may be added)"
            )
        experiment = load_experiment(args.experiment)
        out = args.out or experiment.out
        if not out:
            raise UserInputError(
                f"--experiment {args.experiment}: no output directory; give --out DIR "
                'or out = "DIR" in the file'
            )
        contents = experiment.contents
        execution = _execution_from_args(args) or execution_choice(  # the command line wins
            serial=contents.serial,
            workers=contents.workers,
            dask_local=contents.dask_local,
            scheduler=contents.scheduler,
        )
        return BatchRequest(
            spec=experiment.spec,
            out=Path(out),
            execution=execution or ExecutionChoice("pool"),
            progress=progress,
            experiment=experiment.for_manifest(),
        )
    if not args.scenarios:
        raise UserInputError("batch: name at least one SCENARIO, or give --experiment FILE")
    if args.replicates is None:
        raise UserInputError("--replicates: required; how many runs per scenario and cell")
    if not args.out:
        raise UserInputError("--out: required; the directory for the results")
    spec = BatchSpec(  # checks --replicates, --seed, --days, --set and --sweep
        scenarios=tuple(args.scenarios),
        replicates=args.replicates,
        root_seed=DEFAULT_ROOT_SEED if args.seed is None else args.seed,
        days=args.days,
        sets=tuple(args.sets or ()),
        sweeps=tuple(parse_sweep(text) for text in args.sweeps or ()),
    )
    return BatchRequest(
        spec=spec,
        out=Path(args.out),
        execution=_execution_from_args(args) or ExecutionChoice("pool"),
        progress=progress,
    )


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------


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
    atomic_write_bytes(path, (json.dumps(records, indent=2) + "\n").encode())


def run_batch_command(
    args: argparse.Namespace,
    *,
    simulate: Simulate | None = None,
    load: LoadScenario | None = None,
    command: Sequence[str] | None = None,
) -> int:
    """Run ``main.py batch``; return the exit status (see the module docstring).

    ``simulate`` and ``load`` default to the project's model and scenario loader; tests
    inject fakes (module-level functions, since the executors pickle them).
    """
    command = list(command if command is not None else sys.argv)
    request = request_from_args(args)
    plan = build_plan(request.spec, load)
    directory = BatchDirectory(request.out)
    started = time.time()
    outcome = BatchOutcome(planned=plan.n_runs, already_finished=0)
    executor_description = "none (nothing left to run)"
    try:
        with _sigterm_as_interrupt():
            directory.open(plan, command, request.experiment)
            finished_ids = directory.finished_run_ids()
            already = sum(run.run_id in finished_ids for run in plan.runs)
            spec = plan.spec
            _say(
                f"{plan.n_runs} runs ({_count(len(spec.scenarios), 'scenario')} x "
                f"{_count(spec.cells_per_scenario, 'sweep cell')} x "
                f"{_count(spec.replicates, 'replicate')}) into {directory.path}"
                + (f"; resuming, {already} already finished" if already else "")
            )
            outcome = BatchOutcome(planned=plan.n_runs, already_finished=already)
            if already < plan.n_runs:
                with open_executor(request.execution, plan.n_runs - already) as handle:
                    executor_description = handle.description
                    _say(f"running on: {handle.description}")
                    outcome = run_batch(
                        plan,
                        directory,
                        handle.executor,
                        max_in_flight=handle.max_in_flight,
                        simulate=simulate,
                        progress=request.progress,
                        finished_ids=finished_ids,
                    )
                    if outcome.interrupted:
                        handle.abort()
            _record_invocation(directory, command, executor_description, started, outcome)
            if outcome.interrupted:
                raise KeyboardInterrupt
            if outcome.executor_error:
                _say(
                    f"stopped: the executor failed ({outcome.executor_error}); "
                    f"{outcome.finished} of {plan.n_runs} runs are saved in {directory.path}; "
                    "run the same command again to finish the rest"
                )
                return EXIT_FAILED_RUNS
            return _finish(plan, directory, outcome)
    except KeyboardInterrupt:
        finished = len(directory.finished_run_ids()) if directory.parts.is_dir() else 0
        _say(
            f"interrupted: {finished} of {plan.n_runs} runs are saved in {directory.path}; "
            f"run the same command again to finish the rest"
        )
        return EXIT_INTERRUPTED
    finally:
        directory.close()


def _record_invocation(
    directory: BatchDirectory,
    command: Sequence[str],
    executor_description: str,
    started: float,
    outcome: BatchOutcome,
) -> None:
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
    manifest["runs_finished"] = outcome.finished
    manifest["complete"] = outcome.finished == outcome.planned
    directory.write_manifest(manifest)


def _finish(plan: Any, directory: BatchDirectory, outcome: BatchOutcome) -> int:
    report = consolidate(plan, directory)
    _write_failures(directory, outcome)
    if report.runs:
        _say(
            f"{report.runs} of {plan.n_runs} runs in {directory.path / RUNS_PARQUET}, "
            f"{RUNS_CSV} and {TIMESERIES_PARQUET}"
            + (f" ({outcome.runs_per_minute:.1f} runs/min)" if outcome.completed else "")
        )
    cells = summarise_cells(plan, directory)
    if cells:
        print(format_cell_table(cells))
    elif report.runs:
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
            f"{len(report.corrupt_parts)} saved runs were unreadable and set aside (*.corrupt); "
            "run the same command again to compute them"
        )
        status = EXIT_FAILED_RUNS
    return status
