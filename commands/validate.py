"""The ``validate`` command: run what the clinical targets need, measure, judge, report.

``uv run main.py validate [--quick] [--replicates N] [--days N] [--seed S] [--out DIR]
[--workers W | --dask-local W | --scheduler ADDR | --serial]`` runs one batch per
scenario the targets read (:func:`study.validation.evaluation.validation_batches`; resumable)
into DIR/batches, prints the table of targets, writes DIR/validation.csv,
DIR/validation.md and the figures, and exits 1 when a target is outside its tolerance
(full mode: also when one is unresolved), or the batch did not complete (runs failed on
every attempt, the executor broke: a :class:`~sim.errors.FaultError`; the same command
resumes). ``--quick`` runs small, short batches on a 50 x 50 grid and fails only on what
it can resolve.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from study.batch.defaults import DEFAULT_ROOT_SEED

EXIT_OK, EXIT_OUTSIDE, EXIT_INTERRUPTED = 0, 1, 130
EXAMPLES = """\
examples:
  uv run main.py validate --quick                        # a few minutes
  uv run main.py validate --replicates 200 --out runs/validation --dask-local 8

Running the same command again resumes the batches (finished runs are skipped).

exit status:
  0    every target within its tolerance (quick: or unresolved)
  1    a target is outside (full mode: or unresolved), or the batch did not complete;
       the same command computes what is missing
  2    bad input (one line saying what is wrong)
  130  interrupted (Ctrl-C or SIGTERM); the same command resumes
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate`` subcommand."""
    from commands.options import add_engine_option, add_execution_options, positive_int, seed

    parser = subparsers.add_parser(
        "validate",
        help="check the model against the clinical targets T1-T15",
        description="Run the batches the clinical targets need, measure each target with "
        "its 95% interval, and judge it within / outside / unresolved.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small, short batches on a 50 x 50 grid (12 replicates); unresolved targets"
        " do not fail",
    )
    parser.add_argument(
        "--replicates",
        type=positive_int,
        metavar="N",
        help="runs per scenario (default: what each scenario's targets need, listed in"
        " study/validation/batches.toml, 40-240; quick 12)",
    )
    parser.add_argument(
        "--days",
        type=positive_int,
        metavar="N",
        help="days per run (default: enough for every target; quick 120)",
    )
    parser.add_argument(
        "--seed",
        type=seed,
        default=DEFAULT_ROOT_SEED,
        metavar="S",
        help=f"root seed (default {DEFAULT_ROOT_SEED})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default runs/validation, or runs/validation_quick)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_execution_options(parser)
    add_engine_option(parser, default=None)  # a new batch: compiled; a resumed one: its own
    parser.set_defaults(func=validate_command)


def validate_command(args: argparse.Namespace) -> int:
    """Run the validation; 0 when it passes, 1 when a target fails.

    A batch that ends incomplete raises FaultError (exit status 1, printed by ``main.py``).
    """
    from commands.options import execution_from_args
    from sim.atomic_files import write_text_atomically
    from sim.outputs import prepare_output_dir
    from study.validation.evaluation import (
        ValidationInterrupted,
        csv_text,
        evaluate,
        failed,
        markdown_table,
        run_validation,
        text_table,
        validation_batches,
    )
    from study.validation.targets import load_targets
    from viz.validation_figures import all_figures

    quick = bool(args.quick)
    out_dir = args.out or Path("runs/validation_quick" if quick else "runs/validation")
    prepare_output_dir(out_dir)  # one line naming --out as typed, before any batch
    execution = execution_from_args(args)
    targets = load_targets()
    specs = validation_batches(
        targets, args.replicates, quick, args.seed, args.days, engine=args.engine
    )
    try:
        tables = run_validation(specs, out_dir, execution, progress=not args.no_progress)
    except ValidationInterrupted:  # the batch said so in one line; the same command resumes
        return EXIT_INTERRUPTED
    results = evaluate(targets, tables)
    write_text_atomically(out_dir / "validation.csv", csv_text(results))
    mode = "quick" if quick else "full"
    sizes = ", ".join(f"{name} {spec.replicates} x {spec.days} d" for name, spec in specs.items())
    header = f"# Validation ({mode}: {sizes}; root seed {args.seed})\n\n"
    write_text_atomically(out_dir / "validation.md", header + markdown_table(results) + "\n")
    figures = all_figures(results, tables, out_dir)
    print(text_table(results))
    outcome = failed(results, quick)
    verdict = "FAILED" if outcome else "passed"
    print(
        f"validate: {verdict} ({mode}); table in {out_dir / 'validation.md'}, "
        f"{len(figures)} figures in {out_dir}",
        file=sys.stderr,
    )
    return EXIT_OUTSIDE if outcome else EXIT_OK
