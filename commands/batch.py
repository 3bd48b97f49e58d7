"""The ``batch`` command: replicates and sweeps, serial, on a process pool or on Dask.

:func:`register` adds it to main's subparsers; ``args.func(args)`` returns the exit
status: 0 all runs done; 1 the batch is not complete: some runs failed on every attempt
(listed, with their errors in ``DIR/failures.json``), the executor broke (a dead pool, a
lost cluster), or saved runs were unreadable and set aside; 130 interrupted by Ctrl-C or
SIGTERM; 2 bad input (a :class:`~sim.errors.UserInputError`, printed by ``main.py``). In
every case but 2 the finished runs are kept and the same command resumes. The work is done
by :func:`study.batch.execute_batch`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from commands.options import (
    add_engine_option,
    add_execution_options,
    add_override_option,
    execution_from_args,
    output_dir,
    whole_number,
)
from sim.errors import UserInputError
from study.batch.defaults import DEFAULT_ROOT_SEED, MAX_ATTEMPTS
from study.batch.executors import ExecutionChoice, execution_choice

if TYPE_CHECKING:
    from study.batch.plan import LoadScenario
    from study.batch.runner import Simulate
    from study.batch.spec import BatchSpec, Sweep

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
Before anything is made, a batch whose workers (--workers, --dask-local) need more
memory than the machine has available is refused in one line (exit 2) naming the largest
worker count that fits.

exit status:
  0    all runs done
  1    not complete: some runs failed on every attempt, the executor broke (a dead
       worker pool, a lost cluster), or saved runs were unreadable and set aside;
       the same command computes what is missing
  2    bad input (one line saying what is wrong)
  130  interrupted (Ctrl-C or SIGTERM); the same command resumes
"""


def sweep(text: str) -> Sweep:
    """Argument type: one ``--sweep KEY=V1,V2,...``, parsed by
    :func:`study.batch.spec.parse_sweep` (imported when a value is read)."""
    from study.batch.spec import parse_sweep

    return parse_sweep(text)


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
    parser.add_argument(
        "--replicates", type=whole_number, metavar="N", help="runs per scenario and cell"
    )
    parser.add_argument(
        "--out", type=output_dir, metavar="DIR", help="output directory (resumed if it exists)"
    )
    parser.add_argument(
        "--seed",
        type=whole_number,
        metavar="S",
        help=f"root seed, 0 <= S < 2**63; replicate seeds derive from it "
        f"(default {DEFAULT_ROOT_SEED})",
    )
    parser.add_argument(
        "--days", type=whole_number, metavar="N", help="days per run (default: each scenario's own)"
    )
    add_override_option(
        parser, "override a parameter in every run, e.g. car_t.dose_cells=40 (repeatable)"
    )
    parser.add_argument(
        "--sweep",
        action="append",
        default=[],
        type=sweep,
        dest="sweeps",
        metavar="KEY=V1,V2,...",
        help="sweep a parameter over values (repeatable; cells are all combinations)",
    )
    add_execution_options(parser)
    add_engine_option(parser, default=None)  # a new batch: compiled; a resumed one: its own
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


def request_from_args(args: argparse.Namespace) -> BatchRequest:
    """Turn parsed arguments (and the experiment file, if any) into a :class:`BatchRequest`."""
    progress = not args.no_progress
    if args.experiment is not None:
        from study.experiment import load_experiment

        given = [
            option
            for option, value in (
                ("SCENARIO", args.scenarios),
                ("--replicates", args.replicates),
                ("--seed", args.seed),
                ("--days", args.days),
                ("--set", args.overrides),
                ("--sweep", args.sweeps),
            )
            if value not in (None, [])
        ]
        if given:
            raise UserInputError(
                f"--experiment {args.experiment}: give {given[0]} in the experiment file, "
                "not on the command line (only --out, --engine and executor options may be "
                "added)"
            )
        experiment = load_experiment(args.experiment)
        out = args.out or experiment.out
        if not out:
            raise UserInputError(
                f"--experiment {args.experiment}: no output directory; give --out DIR "
                'or out = "DIR" in the file'
            )
        contents = experiment.contents
        execution = execution_from_args(args) or execution_choice(  # the command line wins
            serial=contents.serial,
            workers=contents.workers,
            dask_local=contents.dask_local,
            scheduler=contents.scheduler,
            source=str(experiment.path),
        )
        return BatchRequest(
            spec=replace(experiment.spec, engine=args.engine),
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
    from study.batch.spec import BatchSpec

    spec = BatchSpec(  # checks --replicates, --seed, --days (sim.limits), --set and --sweep
        scenarios=tuple(args.scenarios),
        replicates=args.replicates,
        root_seed=DEFAULT_ROOT_SEED if args.seed is None else args.seed,
        days=args.days,
        sets=tuple(args.overrides),
        sweeps=tuple(args.sweeps),
        engine=args.engine,
    )
    return BatchRequest(
        spec=spec,
        out=Path(args.out),
        execution=execution_from_args(args) or ExecutionChoice("pool"),
        progress=progress,
    )


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
    from study.batch.execute import execute_batch

    request = request_from_args(args)
    return execute_batch(
        request.spec,
        request.out,
        request.execution,
        progress=request.progress,
        command_line=None if command is None else list(command),
        experiment=request.experiment,
        simulate=simulate,
        load=load,
    )
