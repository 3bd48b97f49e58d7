"""The ``sensitivity`` command: a global sensitivity analysis through the batch runner.

``uv run main.py sensitivity SCENARIO [--method morris|sobol] [--params KEY,...]
[--range KEY=LOW,HIGH[,log|linear] ...] [--samples N] [--replicates R] [--seed S]
[--days N] [--set ...] [--out DIR] [--workers W | --dask-local W | --scheduler ADDR |
--serial]`` draws the points with SALib (:mod:`study.sensitivity`), writes each as a
scenario file in DIR/samples/, runs them (R replicates each) as one resumable batch in
DIR/runs/, then writes DIR/indices.csv, DIR/indices.md and DIR/sensitivity.png and prints
the markdown. Running the same command again resumes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from study.batch.defaults import DEFAULT_ROOT_SEED

DEFAULT_REPLICATES = 3
EXIT_INTERRUPTED = 130
EXAMPLES = """\
examples:
  uv run main.py sensitivity classroom --params car_t.kill_rate_per_day,car_t.dose_per_10k_sites \\
      --samples 4 --replicates 2 --days 40 --out runs/sens_quick
  uv run main.py sensitivity autologous --samples 10 --replicates 3 --out runs/sens_auto
  uv run main.py sensitivity autologous --method sobol --samples 64 --dask-local 4 \\
      --range car_t.kill_rate_per_day=2,12 --range car_t.memory_fraction=0.01,0.1,log

Runs: Morris, samples x (parameters + 1) points; Sobol', samples x (parameters + 2);
each point times --replicates. Ranges: --range, else the study range of a default
parameter, else the parameter model's allowed range (see docs/sensitivity.md).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sensitivity`` subcommand."""
    from commands.options import (
        add_engine_option,
        add_execution_options,
        add_override_option,
        positive_int,
        seed,
    )

    parser = subparsers.add_parser(
        "sensitivity",
        help="global sensitivity analysis (Morris or Sobol', SALib) through the batch runner",
        description="Which parameters drive which outcome: sample parameter points with "
        "SALib, run each R times through the batch runner (resumable, Dask), and write the "
        "indices with intervals and the replicate noise (indices.csv, indices.md) and a "
        "figure (sensitivity.png) in DIR.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="a scenario name or a .toml file")
    parser.add_argument(
        "--method",
        choices=("morris", "sobol"),
        default="morris",
        help="morris (screening, default) or sobol (variance shares)",
    )
    parser.add_argument(
        "--params",
        metavar="KEY,...",
        help="the sampled parameters (default: the main ones, see docs/sensitivity.md)",
    )
    parser.add_argument(
        "--range",
        dest="ranges",
        action="append",
        default=[],
        metavar="KEY=LOW,HIGH[,log|linear]",
        help="the range of a sampled parameter (repeatable); log by default when HIGH/LOW >= 10",
    )
    parser.add_argument(
        "--samples",
        type=positive_int,
        metavar="N",
        help="Morris trajectories (default 10) or Sobol' base samples, a power of 2 (default 64)",
    )
    parser.add_argument(
        "--replicates",
        type=positive_int,
        metavar="R",
        help=f"runs per point (default {DEFAULT_REPLICATES})",
    )
    parser.add_argument(
        "--seed",
        type=seed,
        default=DEFAULT_ROOT_SEED,
        help=f"seed of the points and replicates (default {DEFAULT_ROOT_SEED})",
    )
    parser.add_argument("--days", type=positive_int, help="days per run (default: the scenario's)")
    add_override_option(
        parser, "pin a parameter in every run, e.g. teaching.enabled=false (repeatable)"
    )
    add_execution_options(parser)
    add_engine_option(parser, default=None)  # a new batch: compiled; a resumed one: its own
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default runs/sensitivity_SCENARIO_METHOD)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=command_sensitivity)


def command_sensitivity(args: argparse.Namespace) -> int:
    """``sensitivity``: design, batch, indices, figure; returns the exit status."""
    from commands.options import execution_from_args
    from study.batch import BatchSpec, execute_batch
    from study.sensitivity import (
        RUNS_DIR,
        design_record,
        make_design,
        parse_params,
        parse_range,
        resolve_ranges,
        write_design,
    )

    keys = None if args.params is None else parse_params(args.params)
    given = [parse_range(text) for text in args.ranges]
    ranges = resolve_ranges(args.scenario, keys, given, args.overrides)
    execution = execution_from_args(args)
    design = make_design(args.method, args.scenario, ranges, args.samples, args.seed)
    replicates = args.replicates or DEFAULT_REPLICATES
    out = args.out or Path("runs") / f"sensitivity_{Path(args.scenario).stem}_{args.method}"
    paths = write_design(out, design, design_record(design, args.days, args.overrides))
    _say(
        f"{design.method}: {len(ranges)} parameters, {design.n_points} points x "
        f"{replicates} replicates = {design.n_points * replicates} runs; design in {out}"
    )
    spec = BatchSpec(
        scenarios=tuple(str(path) for path in paths),
        replicates=replicates,
        root_seed=args.seed,
        days=args.days,
        sets=tuple(args.overrides),
        engine=args.engine,
    )
    status = execute_batch(
        spec,
        out / RUNS_DIR,
        execution,
        progress=not args.no_progress,
        command_line=["main.py", *sys.argv[1:]] if sys.argv else None,
        show_table=False,
    )
    if status not in (0, EXIT_INTERRUPTED):  # interrupted: the batch said so itself
        _say("the batch is not complete, so no indices yet; run the same command again")
    if status != 0:
        return status
    return write_outputs(out)


def write_outputs(out: Path) -> int:
    """Analyse the finished batch in ``out``; write the tables and the figure; print them."""
    import pandas as pd

    from sim.atomic_files import write_text_atomically
    from study.batch import RUNS_PARQUET
    from study.batch.verify import verify_batch_dir
    from study.sensitivity import (
        INDICES_CSV,
        INDICES_MD,
        RUNS_DIR,
        analyse,
        indices_frame,
        indices_markdown,
        read_design,
    )
    from viz.sensitivity_figures import draw_sensitivity

    design, _ = read_design(out)
    verify_batch_dir(out / RUNS_DIR, "sensitivity: batch")
    runs = pd.read_parquet(out / RUNS_DIR / RUNS_PARQUET)
    results = analyse(design, runs)
    table = indices_frame(results).to_csv(index=False, float_format="%.6g")
    write_text_atomically(out / INDICES_CSV, table)
    markdown = indices_markdown(design, results)
    write_text_atomically(out / INDICES_MD, markdown)
    figure = draw_sensitivity(design, results, out)
    print(markdown)
    _say(f"wrote {out / INDICES_CSV}, {out / INDICES_MD} and {figure}; runs in {out / RUNS_DIR}")
    return 0


def _say(message: str) -> None:
    print(f"sensitivity: {message}", file=sys.stderr, flush=True)
