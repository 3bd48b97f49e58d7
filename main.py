"""cartsim's command line: ``uv run main.py [COMMAND]`` (also installed as ``cartsim``).

main.py only assembles the command line from the one list of commands in
:mod:`commands` and dispatches. With no command it starts the live view
(``animate``) when that is registered, and prints the usage otherwise; options given
without a command (``main.py --projector --size 1024x768``) are the live view's.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Sequence
from types import FrameType

import commands as command_list
from sim.errors import FaultError, UserInputError, describe_os_error

PROGRAM = "cartsim"
DEFAULT_COMMAND = "animate"
"""The command run when none is given (the live view), if a part registered it."""
EXIT_FAULT = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(EXIT_BAD_INPUT)


def build_parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """The top parser, with every command registered; and its subparsers."""
    parser = _Parser(
        prog=PROGRAM,
        description="Simulate CAR T-cell therapy of B-cell leukaemia (a Mesa agent-based model).",
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    command_list.register(subcommands)
    return parser, subcommands


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (a job scheduler, ``kill``) stops a command exactly as Ctrl-C does."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the command; bad input gives one line and status 2.

    Ctrl-C and SIGTERM give one line and status 130 (a batch keeps its finished runs; a
    file being written is not left half-written); a fault of the machine, such as a full
    disk, gives one line naming the file and status 1.
    """
    parser, subcommands = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if _options_only(argv) and DEFAULT_COMMAND in subcommands.choices:
        argv = [DEFAULT_COMMAND, *argv]  # `main.py --projector`: options of the live view
    # Kept installed until the process ends: a SIGTERM arriving just after the command
    # finished would otherwise kill it without a word (status 143).
    with contextlib.suppress(ValueError):  # ValueError: not the main thread
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            if DEFAULT_COMMAND not in subcommands.choices:
                parser.print_help()
                return 0
            args = parser.parse_args([DEFAULT_COMMAND])
        return int(args.func(args))
    except UserInputError as error:
        sys.stderr.write(f"{PROGRAM}: error: {error}\n")
        return EXIT_BAD_INPUT
    except FaultError as error:
        sys.stderr.write(f"{PROGRAM}: error: {error}\n")
        return EXIT_FAULT
    except OSError as error:  # a fault no command turned into its own message
        sys.stderr.write(
            f"{PROGRAM}: error: {describe_os_error(error)}; "
            "no file was left half-written (an older copy, if any, is unchanged)\n"
        )
        return EXIT_FAULT
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROGRAM}: interrupted; no file was left half-written\n")
        return EXIT_INTERRUPTED


def _options_only(argv: Sequence[str]) -> bool:
    """Whether the command line starts with an option other than help (no command)."""
    return bool(argv) and argv[0].startswith("-") and argv[0] not in ("-h", "--help")


if __name__ == "__main__":
    sys.exit(main())
