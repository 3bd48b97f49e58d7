"""What a run leaves behind: its result, and the folder it is written to.

Kept apart from :mod:`sim.run` so that code handling results (batches, command-line
checks) does not import the model.
"""

from __future__ import annotations

import errno
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.atomic_files import write_bytes_atomically
from sim.errors import FaultError, UserInputError, describe_os_error
from sim.limits import check_path


@dataclass(frozen=True)
class RunResult:
    """What one run produces.

    Attributes:
        summary: the summary record of docs/model.md (JSON-able values, fixed field names).
        timeseries: one row per simulated day (column ``day`` first), the per-day counts.
    """

    summary: dict[str, Any]
    timeseries: pd.DataFrame


def prepare_output_dir(out_dir: Path, option: str = "--out") -> None:
    """Create ``out_dir`` (before any work is done) or say in one line why it cannot be."""
    out_dir = check_path(option, str(out_dir))
    check_output_link(out_dir, option)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError(f"{option} {out_dir}: exists and is not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserInputError(f"{option} {out_dir}: cannot create it: {error.strerror}") from None
    if not os.access(out_dir, os.W_OK):
        raise UserInputError(f"{option} {out_dir}: not writable")


def check_output_link(path: Path, option: str) -> None:
    """Refuse an output folder that is a symbolic link looping or pointing nowhere.

    Says which in one line, instead of the "File exists" of creating it.
    """
    if not path.is_symlink():
        return
    try:
        path.stat()
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UserInputError(
                f"{option} {path}: a symbolic link that loops (it points back to itself); "
                "remove it or choose another folder"
            ) from None
        raise UserInputError(
            f"{option} {path}: a symbolic link to {os.readlink(path)}, which does not exist; "
            "create that folder, or remove the link"
        ) from None


def write_result(result: RunResult, out_dir: Path) -> tuple[Path, Path]:
    """Write ``summary.json`` and ``timeseries.csv`` into ``out_dir``; return their paths.

    Each file is written whole or not at all (:func:`sim.atomic_files.write_bytes_atomically`).

    Raises:
        FaultError: the disk is full or the folder not writable (one line; exit status 1).
    """
    prepare_output_dir(out_dir)
    summary_path = out_dir / "summary.json"
    timeseries_path = out_dir / "timeseries.csv"
    summary = (json.dumps(result.summary, indent=2) + "\n").encode()
    table = result.timeseries.to_csv(index=False, float_format="%.6g").encode()
    try:
        write_bytes_atomically(timeseries_path, table)
        write_bytes_atomically(summary_path, summary)
    except OSError as error:
        raise FaultError(
            f"--out {out_dir}: cannot write the results ({describe_os_error(error)}); "
            "nothing was left half-written"
        ) from None
    return summary_path, timeseries_path
