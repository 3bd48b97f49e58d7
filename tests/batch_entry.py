"""``python tests/batch_entry.py ARGS...``: the ``batch`` command with the fake model.

Used by the tests that interrupt a batch in a subprocess. It builds the command line with
:func:`commands.batch.register`, like main.py, and injects the fakes of ``batch_fakes``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(TESTS_DIR.parent), str(TESTS_DIR)]

import batch_fakes  # noqa: E402

from commands import batch as batch_command_line  # noqa: E402
from sim.errors import FaultError, UserInputError  # noqa: E402


def main(argv: list[str]) -> int:
    """Parse ``batch ARGS`` and run it with the fake loader and model."""
    parser = argparse.ArgumentParser(prog="batch_entry")
    register_into = parser.add_subparsers(dest="command", required=True)
    batch_command_line.register(register_into)
    try:
        args = parser.parse_args(["batch", *argv])
        return batch_command_line.run_batch_command(
            args,
            simulate=batch_fakes.fake_simulate,
            load=batch_fakes.fake_load,
            command=["batch_entry.py", *argv],
        )
    except UserInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except FaultError as error:  # a full disk, a permission: as main.py does
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
