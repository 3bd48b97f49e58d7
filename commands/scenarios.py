"""The ``scenarios`` command: the name and one-line description of every shipped scenario."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``scenarios`` to ``subparsers``; it sets ``func`` to :func:`command_scenarios`."""
    parser = subparsers.add_parser(
        "scenarios", help="list the scenarios", description="List the shipped scenarios."
    )
    parser.set_defaults(func=command_scenarios)


def command_scenarios(args: argparse.Namespace) -> int:
    """``scenarios``: print each scenario's name and description; returns 0.

    A file that does not load is listed with its error instead of its description, so
    one bad file does not hide the others.
    """
    from sim.loader import list_scenarios

    entries = list_scenarios()
    width = max((len(name) for name, _, _ in entries), default=0)
    for name, description, error in entries:
        print(f"{name:<{width}}  {description if error is None else 'cannot load: ' + error}")
    return 0
