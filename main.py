"""cartsim's command line: ``uv run main.py [COMMAND]`` (also installed as ``cartsim``).

Commands: ``run`` one simulation headless, ``scenarios`` lists the scenario files,
``batch`` runs replicates and sweeps. With no command it prints the usage (the live
animation will start here once the front end lands).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sim import batch_cli
from sim.batch import MAX_SEED
from sim.errors import UserInputError

PROGRAM = "cartsim"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_SEED}, got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand."""
    parser = _Parser(
        prog=PROGRAM,
        description="Simulate CAR T-cell therapy of B-cell leukaemia (a Mesa agent-based model).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = commands.add_parser(
        "run",
        help="run one simulation headless and write summary.json and timeseries.csv",
        description="Run one simulation headless: print a summary, and write DIR/summary.json "
        "and DIR/timeseries.csv.",
    )
    run.add_argument("scenario", metavar="SCENARIO", help="a scenario name or a .toml file")
    run.add_argument("--seed", type=_seed, default=1, help="random seed (default: 1)")
    run.add_argument(
        "--days", type=_positive_int, help="days to simulate (default: the scenario's)"
    )
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter, e.g. --set leukaemia.division_rate_per_day=0.1 (repeatable)",
    )
    run.add_argument("--out", type=Path, default=Path("out"), metavar="DIR", help="output folder")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.set_defaults(func=command_run)

    listing = commands.add_parser(
        "scenarios", help="list the scenarios", description="List the shipped scenarios."
    )
    listing.set_defaults(func=command_scenarios)

    batch_cli.register(commands)
    return parser


def command_run(args: argparse.Namespace) -> int:
    """``run``: one simulation headless."""
    from sim.loader import load_scenario
    from sim.outputs import prepare_output_dir, write_result

    scenario = load_scenario(args.scenario, args.overrides)
    prepare_output_dir(args.out)
    from sim.run import run_simulation  # imports the model: only once the input is checked

    result = run_simulation(scenario, args.seed, args.days, progress=not args.quiet)
    summary_path, timeseries_path = write_result(result, args.out)
    if not args.quiet:
        print(format_summary(result.summary))
        print(f"\nwrote {summary_path} and {timeseries_path}")
    return 0


def format_summary(summary: dict[str, object]) -> str:
    """A readable block of the summary record."""
    width = max(len(key) for key in summary)
    lines = [f"{key:<{width}}  {json.dumps(value)}" for key, value in summary.items()]
    return "\n".join(lines)


def command_scenarios(args: argparse.Namespace) -> int:
    """``scenarios``: name and description of each scenario."""
    from sim.loader import list_scenarios

    entries = list_scenarios()
    width = max(len(name) for name, _ in entries)
    for name, description in entries:
        print(f"{name:<{width}}  {description}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the command; bad input gives one line and status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args))
    except UserInputError as error:
        sys.stderr.write(f"{PROGRAM}: error: {error}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROGRAM}: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
