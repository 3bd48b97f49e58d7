"""Every command of ``main.py``, registered from one list.

Each module of this package is one command: it adds its subparser in ``register`` and
sets ``func``, which takes the parsed arguments and returns the exit status. A command
module imports only the standard library and :mod:`commands.options` at import time;
the model, the studies, pandas, matplotlib or pygame are imported inside the function
that runs the command, so ``main.py --help`` starts fast. Shared options (``--set``,
seeds, executors) are in :mod:`commands.options`.

To add a command: write ``commands/NAME.py`` with ``register(subparsers)`` and add the
module to :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse

from commands import animate, batch, compare, run, scenarios, sensitivity, validate

COMMANDS = (run, scenarios, batch, compare, validate, sensitivity, animate)
"""The command modules, in the order ``--help`` lists them."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add every command of :data:`COMMANDS` to ``subparsers``."""
    for command in COMMANDS:
        command.register(subparsers)
