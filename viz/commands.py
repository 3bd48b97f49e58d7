"""viz's commands: the live view (``animate``) and the comparison report (``compare``).

``main.py`` calls :func:`register` after sim's own commands; each viz command adds its
subparser here (one line each, e.g. ``live.commands.register(subparsers)``).
"""

from __future__ import annotations

import argparse

import viz.live.cli
import viz.report.command
import viz.sensitivity.command
import viz.validation.command


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add viz's commands to ``subparsers``: the live view ``animate``, and ``compare``.

    ``animate`` is also what ``main.py`` runs when no command is given (it takes an
    optional scenario, default ``classroom``).
    """
    viz.live.cli.register(subparsers)
    viz.report.command.register(subparsers)
    viz.validation.command.register(subparsers)
    viz.sensitivity.command.register(subparsers)
    return
