"""Argument helpers shared by every command.

Argument types (``positive_int``, ``seed``) turn text into checked values; the ``add_*``
helpers add the same option, spelled and explained the same way, to any subcommand.
Values are typed here, once, at the edge: ``--set`` gives :class:`~sim.loader.Override`
objects, the executor options an :class:`~study.batch.ExecutionChoice`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sim.engine_choice import DEFAULT_ENGINE, ENGINES, STUDY_ENGINE
from sim.errors import UserInputError
from sim.limits import MAX_DAYS, MAX_REPLICATES, MAX_SEED, MAX_WORKERS, check_path, shorten

if TYPE_CHECKING:
    from sim.loader import Override

from study.batch.executors import (
    ExecutionChoice,
    available_cores,
    check_scheduler_address,
    execution_choice,
)


def _whole_number(text: str) -> int:
    try:
        if len(text) > 40:
            raise ValueError(text)
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number, got {shorten(text, 40)!r}"
        ) from None


def whole_number(text: str) -> int:
    """Argument type: any whole number (its range is checked where it is used)."""
    return _whole_number(text)


def _bounded(text: str, maximum: int) -> int:
    value = _whole_number(text)
    if not 1 <= value <= maximum:
        raise argparse.ArgumentTypeError(
            f"must be from 1 to {maximum}, got {shorten(str(value), 40)}"
        )
    return value


def positive_int(text: str) -> int:
    """Argument type: a whole number >= 1 (a count with no limit of its own)."""
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def days(text: str) -> int:
    """Argument type: days per run, 1 to :data:`~sim.limits.MAX_DAYS` (``--days``)."""
    return _bounded(text, MAX_DAYS)


def replicates(text: str) -> int:
    """Argument type: 1 to :data:`~sim.limits.MAX_REPLICATES` (``--replicates``)."""
    return _bounded(text, MAX_REPLICATES)


def workers(text: str) -> int:
    """Argument type: 1 to :data:`~sim.limits.MAX_WORKERS` (``--workers``, ``--dask-local``)."""
    return _bounded(text, MAX_WORKERS)


def output_dir(text: str) -> Path:
    """Argument type: an output folder; empty, a newline or an over-long name is refused."""
    try:
        return check_path("folder", text)
    except UserInputError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("folder: ")) from None


def seed(text: str) -> int:
    """Argument type: a random seed, a whole number from 0 to ``MAX_SEED`` (2**63 - 1)."""
    value = _whole_number(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_SEED}, got {value}")
    return value


def override(text: str) -> Override:
    """Argument type: one ``--set KEY=VALUE``, parsed by :func:`sim.loader.parse_override`
    (imported when a value is read, so that ``--help`` does not load the model)."""
    from sim.loader import parse_override

    return parse_override(text)


def add_override_option(parser: argparse.ArgumentParser, help_text: str | None = None) -> None:
    """Add ``--set KEY=VALUE`` (repeatable) to ``parser``.

    Each value is parsed once, as it is read, into an :class:`~sim.loader.Override`;
    ``args.overrides`` is their list in the order given (empty without ``--set``). A
    malformed one raises :class:`~sim.errors.UserInputError` from ``parse_args``.
    """
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        type=override,
        metavar="KEY=VALUE",
        help=help_text
        or "override a parameter, e.g. --set leukaemia.division_rate_per_day=0.1 (repeatable)",
    )


ENGINE_HELP = {
    DEFAULT_ENGINE: "reference (default): the readable rules; compiled: numba kernels for "
    "the step's array work and the rules' quiet calls. The same runs, bit for bit "
    "(docs/engine.md)",
    None: f"{STUDY_ENGINE} (default for a new batch): numba kernels for the step's array "
    "work and the rules' quiet calls; reference: the readable rules. The same runs, bit "
    "for bit (docs/engine.md). A batch keeps the engine it was started with",
}


def add_engine_option(parser: argparse.ArgumentParser, default: str | None) -> None:
    """Add ``--engine reference|compiled``: which engine steps every model the command
    makes (``args.engine``; :mod:`sim.engine`). ``default``: :data:`DEFAULT_ENGINE` for
    a single run and the live view; None for the commands that make a batch
    (``args.engine`` None: the batch's own when it is resumed, else :data:`STUDY_ENGINE`;
    :func:`study.batch.execute.engine_for`)."""
    parser.add_argument("--engine", choices=ENGINES, default=default, help=ENGINE_HELP[default])


def add_execution_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--workers W | --dask-local W | --scheduler ADDR | --serial`` (one at most).

    Read them back with :func:`execution_from_args`.
    """
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=workers,
        metavar="W",
        help=f"local process pool of W workers (default: the number of cores, {available_cores()})",
    )
    where.add_argument(
        "--dask-local",
        type=workers,
        metavar="W",
        help="start a Dask LocalCluster of W worker processes on this machine",
    )
    where.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="join a running Dask cluster (`dask scheduler` + `dask worker`)",
    )
    where.add_argument("--serial", action="store_true", help="run in this process, one by one")


def _check_count(option: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise UserInputError(f"{option}: must be a whole number >= 1 (got {value})")


def execution_from_args(args: argparse.Namespace) -> ExecutionChoice | None:
    """The executor chosen by :func:`add_execution_options`' options, or None if none was.

    Raises:
        UserInputError: ``--workers``/``--dask-local`` below 1, or an empty ``--scheduler``.
    """
    _check_count("--workers", args.workers)
    _check_count("--dask-local", args.dask_local)
    if args.scheduler is not None:
        check_scheduler_address("--scheduler", args.scheduler)
    return execution_choice(
        serial=args.serial,
        workers=args.workers,
        dask_local=args.dask_local,
        scheduler=args.scheduler,
    )
