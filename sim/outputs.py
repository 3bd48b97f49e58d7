"""What a run leaves behind: its result, and the folder it is written to.

Kept apart from :mod:`sim.run` so that code handling results (batches, command-line
checks) does not import the model.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UserInputError


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
    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError(f"{option} {out_dir}: exists and is not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserInputError(f"{option} {out_dir}: cannot create it: {error.strerror}") from None
    if not os.access(out_dir, os.W_OK):
        raise UserInputError(f"{option} {out_dir}: not writable")


def write_result(result: RunResult, out_dir: Path) -> tuple[Path, Path]:
    """Write ``summary.json`` and ``timeseries.csv`` into ``out_dir``; return their paths."""
    prepare_output_dir(out_dir)
    summary_path = out_dir / "summary.json"
    timeseries_path = out_dir / "timeseries.csv"
    summary_path.write_text(json.dumps(result.summary, indent=2) + "\n")
    result.timeseries.to_csv(timeseries_path, index=False, float_format="%.6g")
    return summary_path, timeseries_path
