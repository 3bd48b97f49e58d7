"""Before a finished batch is read (``compare --from``, validation, sensitivity): verify it.

A batch's tables are rebuilt from its checksummed parts at the end of every invocation,
and their SHA-256 checksums are recorded in the manifest then. A reader checks, before
it trusts a number:

- the manifest's plan: its fingerprint recomputed from its own contents (the resolved
  scenarios, sweeps, seeds, days), each replicate's seed against the root seed, and
  ``runs_planned`` against the scenarios, sweep cells and replicates;
- the tables against the checksums recorded when they were written (a hand-edited or
  truncated row, a table copied from another batch);
- the rows against the parts: one row per part file, each row's seed the seed of its
  replicate, and as many rows as ``runs_finished``.

A mismatch is one line (:class:`~sim.errors.UserInputError`, exit status 2) naming what
does not match and the fix: run the batch's command again, which verifies every part and
rebuilds the tables and manifest from them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from sim.errors import UserInputError
from study.batch.plan import manifest_fingerprint
from study.batch.schema import TABLE_SCHEMA_VERSION
from study.batch.store import (
    RUNS_PARQUET,
    TIMESERIES_PARQUET,
    BatchDirectory,
    expected_replicate_seeds,
    file_checksum,
)

IDENTITY_COLUMNS = ["scenario", "replicate", "seed", "run_id"]
Refuse = Callable[[str], UserInputError]
"""Makes the one-line refusal of a problem (with the batch and the fix)."""


def verify_batch(batch_dir: Path, manifest: dict[str, Any], label: str) -> None:
    """Check ``batch_dir``'s manifest, tables and parts agree (see the module docstring).

    ``label`` starts each message (``compare --from``). Raises UserInputError on the
    first mismatch, with the command that rebuilds the tables.
    """
    fix = _fix(manifest)

    def refuse(problem: str) -> UserInputError:
        return UserInputError(f"{label} {batch_dir}: {problem}; {fix}")

    _check_plan(manifest, refuse)
    checksums = manifest.get("table_checksums")
    if manifest.get("table_schema") != TABLE_SCHEMA_VERSION or not isinstance(checksums, dict):
        checksums = {}
    if not checksums:
        raise refuse(
            "the tables were written without a checksum (by an older cartsim, or while "
            "being rebuilt), so they cannot be verified"
        )
    for name in (RUNS_PARQUET, TIMESERIES_PARQUET):
        try:
            actual = file_checksum(batch_dir / name)
        except OSError as error:
            raise refuse(f"cannot read {name} ({error.strerror or error})") from None
        if checksums.get(name) != actual:
            raise refuse(f"{name} changed after the batch wrote it (its checksum differs)")
    _check_rows(batch_dir, manifest, refuse)


def verify_batch_dir(batch_dir: Path, label: str) -> dict[str, Any]:
    """Read ``batch_dir``'s manifest and :func:`verify_batch` it; return the manifest."""
    manifest = BatchDirectory(batch_dir).read_manifest()
    verify_batch(batch_dir, manifest, label)
    return manifest


def _fix(manifest: dict[str, Any]) -> str:
    command = manifest.get("command_line")
    how = f" ({command})" if isinstance(command, str) and command else ""
    return f"run the batch's command again{how} to verify its saved runs and rebuild the tables"


def _check_plan(manifest: dict[str, Any], refuse: Refuse) -> None:
    try:
        fingerprint = manifest_fingerprint(manifest)
        root_seed, replicates = int(manifest["root_seed"]), int(manifest["replicates"])
        cells = math.prod(len(sweep["values"]) for sweep in manifest["sweeps"])
        planned = len(manifest["scenario_names"]) * cells * replicates
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise refuse(f"manifest.json lacks what it should hold ({error!r})") from None
    if manifest.get("fingerprint") != fingerprint:
        raise refuse("manifest.json's fingerprint does not match the batch it describes")
    if manifest.get("replicate_seeds") != expected_replicate_seeds(root_seed, replicates):
        raise refuse("manifest.json's replicate_seeds do not follow from its root_seed")
    if manifest.get("runs_planned") != planned:
        raise refuse(
            f"manifest.json's runs_planned ({manifest.get('runs_planned')}) is not "
            f"scenarios x sweep cells x replicates ({planned})"
        )


def _check_rows(batch_dir: Path, manifest: dict[str, Any], refuse: Refuse) -> None:
    try:
        rows = pq.read_table(batch_dir / RUNS_PARQUET, columns=IDENTITY_COLUMNS).to_pylist()
    except (OSError, ValueError, KeyError) as error:
        raise refuse(f"{RUNS_PARQUET} is not readable ({type(error).__name__})") from None
    if len(rows) != manifest.get("runs_finished"):
        raise refuse(
            f"{RUNS_PARQUET} holds {len(rows)} runs, manifest.json's runs_finished "
            f"says {manifest.get('runs_finished')}"
        )
    if manifest.get("complete") != (len(rows) == manifest.get("runs_planned")):
        raise refuse(f"manifest.json's complete ({manifest.get('complete')}) is wrong")
    seeds = manifest["replicate_seeds"]
    for row in rows:
        if seeds.get(str(row["replicate"])) != row["seed"]:
            raise refuse(
                f"{RUNS_PARQUET}: {row['scenario']} replicate {row['replicate']} has seed "
                f"{row['seed']}, not the batch's {seeds.get(str(row['replicate']))}"
            )
    in_table = {row["run_id"] for row in rows}
    saved = BatchDirectory(batch_dir).finished_run_ids()
    if in_table != saved:
        missing, extra = len(saved - in_table), len(in_table - saved)
        raise refuse(
            f"{RUNS_PARQUET} does not match the saved runs in parts/ (saved but not in it: "
            f"{missing}; in it but not saved: {extra})"
        )
