"""sim's own commands (``run``, ``scenarios``, ``batch``) and the shared argument helpers.

``main.py`` calls :func:`register` with its subparsers; each command sets ``func``, which
takes the parsed arguments and returns the exit status. Other parts' commands reuse the
helpers of :mod:`sim.commands.options` (``--set``, executor options, seeds).
"""

from __future__ import annotations

import argparse

from sim.commands import batch, run, scenarios


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add sim's commands to ``subparsers``: ``run``, ``scenarios``, ``batch``."""
    run.register(subparsers)
    scenarios.register(subparsers)
    batch.register(subparsers)
