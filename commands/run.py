"""The ``run`` command: one simulation headless, written to summary.json and timeseries.csv."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from commands.options import add_engine_option, add_override_option, days, output_dir, seed
from sim.engine_choice import DEFAULT_ENGINE


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``run`` to ``subparsers``; it sets ``func`` to :func:`command_run`."""
    parser = subparsers.add_parser(
        "run",
        help="run one simulation headless and write summary.json and timeseries.csv",
        description="Run one simulation headless: print a summary, and write DIR/summary.json "
        "and DIR/timeseries.csv.",
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="a scenario name or a .toml file")
    parser.add_argument("--seed", type=seed, default=1, help="random seed (default: 1)")
    parser.add_argument("--days", type=days, help="days to simulate (default: the scenario's)")
    add_override_option(parser)
    parser.add_argument(
        "--out", type=output_dir, default=Path("out"), metavar="DIR", help="output folder"
    )
    add_engine_option(parser, default=DEFAULT_ENGINE)  # one run starts without numba
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.set_defaults(func=command_run)


def command_run(args: argparse.Namespace) -> int:
    """``run``: one simulation headless; returns the exit status (0)."""
    from sim.loader import load_scenario
    from sim.outputs import prepare_output_dir, write_result

    scenario = load_scenario(args.scenario, args.overrides)
    prepare_output_dir(args.out)
    from sim.engine_setup import prepare_engine
    from sim.run import run_simulation  # imports the model: only once the input is checked

    prepare_engine(args.engine, say=lambda line: args.quiet or print(line, file=sys.stderr))
    result = run_simulation(
        scenario, args.seed, args.days, progress=not args.quiet, engine=args.engine
    )
    summary_path, timeseries_path = write_result(result, args.out)
    if not args.quiet:
        print(format_summary(result.summary))
        print(f"\nwrote {summary_path} and {timeseries_path}")
    return 0


def format_summary(summary: dict[str, object]) -> str:
    """A readable block of the summary record: one ``key  value`` line per field."""
    width = max(len(key) for key in summary)
    lines = [f"{key:<{width}}  {json.dumps(value)}" for key, value in summary.items()]
    return "\n".join(lines)
