"""The ``compare`` command: two arms through the batch runner, then the report.

``uv run main.py compare A B [--replicates N] [--seed S] [--days N] [--set ...]
[--workers W | --dask-local W | --scheduler ADDR | --serial] [--out DIR]`` runs (or
resumes) the batch of both arms into DIR, then writes DIR/report.md, DIR/report.html and
the PNG figures, and prints the main table. ``compare --from BATCH_DIR [A B] [--out DIR]``
reports on a finished batch (the report goes into BATCH_DIR unless --out is given).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import UserInputError
from study.batch.defaults import DEFAULT_ROOT_SEED

DEFAULT_REPLICATES = 20
EXAMPLES = """\
examples:
  uv run main.py compare autologous donor --replicates 40 --out runs/compare
  uv run main.py compare autologous donor --replicates 40 --dask-local 4
  uv run main.py compare --from runs/arms                  # a finished two-scenario batch
  uv run main.py compare autologous donor --from runs/library --out runs/report

Replicate k runs on the same seed in both arms (a paired design) and, by default, on the
same virtual patient: both arms enrol A's patient population (--patients shared; the
product's fitness and alemtuzumab's effect stay with each arm). --patients own lets each
arm enrol its own trial population. Running the same command again resumes the batch
(finished runs are skipped) and rewrites the report.

--from verifies the batch first (manifest, tables and saved runs agree): a batch whose
tables or manifest were edited is refused in one line (exit 2), naming the fix.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``compare`` subcommand."""
    from commands.options import (
        add_engine_option,
        add_execution_options,
        add_override_option,
        positive_int,
        seed,
    )

    parser = subparsers.add_parser(
        "compare",
        help="compare two arms (e.g. autologous donor): batch, report.md/html and figures",
        description="Run two scenarios as paired replicates through the batch runner (or "
        "read a finished batch with --from) and write a comparison report: report.md, a "
        "self-contained report.html and PNG figures in DIR; print the main table.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "arms", nargs="*", metavar="SCENARIO", help="the two arms, A then B (names or .toml)"
    )
    parser.add_argument(
        "--replicates",
        type=positive_int,
        help=f"runs per arm (default {DEFAULT_REPLICATES})",
    )
    parser.add_argument(
        "--seed",
        type=seed,
        help=f"root seed of the replicates (default {DEFAULT_ROOT_SEED})",
    )
    parser.add_argument("--days", type=positive_int, help="days per run (default: scenario's)")
    add_override_option(parser)
    add_execution_options(parser)
    add_engine_option(parser, default=None)  # a new batch: compiled; a resumed one: its own
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="output folder (default runs/compare_A_B)"
    )
    parser.add_argument(
        "--from",
        dest="from_dir",
        type=Path,
        metavar="BATCH_DIR",
        help="report on a finished batch instead of running one (verified first: exit 2 when "
        "its tables or manifest were edited)",
    )
    parser.add_argument(
        "--patients",
        choices=("shared", "own"),
        help="'shared' (default): both arms enrol the patients of A's population, so "
        "replicate k is one patient treated two ways; 'own': each arm its own population",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=command_compare)


def _batch_options_given(args: argparse.Namespace) -> list[str]:
    given = [
        option
        for option, value in (
            ("--replicates", args.replicates),
            ("--seed", args.seed),
            ("--days", args.days),
            ("--workers", args.workers),
            ("--dask-local", args.dask_local),
            ("--scheduler", args.scheduler),
            ("--patients", args.patients),
        )
        if value is not None
    ]
    if args.overrides:
        given.append("--set")
    if args.serial:
        given.append("--serial")
    if args.engine is not None:
        given.append("--engine")
    return given


def command_compare(args: argparse.Namespace) -> int:
    """``compare``: run or read the batch, write the report, print the main table."""
    if len(args.arms) not in (0, 2):
        raise UserInputError(
            f"compare: give two scenarios, A and B (got {len(args.arms)}: {' '.join(args.arms)})"
        )
    status = 0
    if args.from_dir is not None:
        given = _batch_options_given(args)
        if given:
            raise UserInputError(
                f"compare --from: {', '.join(given)} describe a new batch; with --from the "
                "batch is already made (drop them, or drop --from)"
            )
        batch_dir = args.from_dir
        out_dir = args.out or batch_dir
        arm_a, arm_b = args.arms or (None, None)
    else:
        if not args.arms:
            raise UserInputError("compare: give two scenarios, A and B, or --from BATCH_DIR")
        arm_a, arm_b = args.arms
        batch_dir = out_dir = (
            args.out or Path("runs") / f"compare_{Path(arm_a).stem}_{Path(arm_b).stem}"
        )
        status = _run_batch(args, batch_dir)
        if status not in (0, 1):
            return status
    out_option = "--out" if args.out is not None else "--from"  # where the report goes
    return _report(batch_dir, out_dir, out_option, arm_a, arm_b) or status


def _run_batch(args: argparse.Namespace, batch_dir: Path) -> int:
    from commands.options import execution_from_args
    from sim.loader import load_scenario
    from sim.population import shared_population
    from study.batch import BatchSpec, execute_batch

    sets = list(args.overrides)
    if args.patients != "own":
        sets += shared_population(load_scenario(args.arms[0], sets))
    spec = BatchSpec(
        scenarios=tuple(args.arms),
        replicates=args.replicates or DEFAULT_REPLICATES,
        root_seed=DEFAULT_ROOT_SEED if args.seed is None else args.seed,
        days=args.days,
        sets=tuple(sets),
        engine=args.engine,
    )
    return execute_batch(
        spec,
        batch_dir,
        execution_from_args(args),
        progress=not args.no_progress,
        command_line=["main.py", *sys.argv[1:]] if sys.argv else None,
        show_table=False,
    )


def _report(
    batch_dir: Path, out_dir: Path, out_option: str, arm_a: str | None, arm_b: str | None
) -> int:
    """Write the report of ``batch_dir`` into ``out_dir`` (named by ``out_option``).

    Every file is written whole or not at all; a full disk stops with one line naming
    the file (exit status 1), and the batch itself is never touched.
    """
    from sim.errors import FaultError, describe_os_error
    from sim.outputs import prepare_output_dir
    from study.analysis.arms import load_arms
    from study.analysis.comparison import compare_arms
    from study.analysis.comparison_table import format_text_table, main_table
    from viz.comparison_figures import draw_all
    from viz.comparison_report import write_html, write_markdown

    pairs = load_arms(batch_dir, arm_a, arm_b)
    comparison = compare_arms(pairs)
    try:
        prepare_output_dir(out_dir, f"compare {out_option}")
    except UserInputError as error:
        hint = "; give --out DIR for the report" if out_option == "--from" else ""
        raise UserInputError(f"{error}{hint}") from None
    try:
        figures = draw_all(comparison, out_dir)
        markdown = write_markdown(comparison, figures, out_dir)
        page = write_html(comparison, figures, out_dir)
    except OSError as error:
        raise FaultError(
            f"compare: cannot write the report: {describe_os_error(error)}; no file was left "
            f"half-written and the batch is unchanged; free space, then run `compare --from "
            f"{batch_dir}` again"
        ) from None
    print(format_text_table(main_table(comparison)))
    for warning in comparison.warnings:
        print(f"\nnote: {warning}")
    sys.stderr.write(f"compare: wrote {markdown}, {page} and {len(figures)} figures in {out_dir}\n")
    return 0
