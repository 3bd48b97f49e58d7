"""A batch's output directory: manifest, one part file per run, atomic writes.

Every finished run is written to its own small file in ``DIR/parts/`` (to a temporary
name, then renamed, so a crash never leaves a half-written run). ``manifest.json`` holds
the batch's fingerprint, so a different batch on the same directory is refused; ``.lock``
keeps two batches from running in one directory at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.atomic_files import TEMP_MARKER, write_bytes_atomically, write_text_atomically
from sim.errors import UserInputError
from study.batch.parts import (
    RUN_METADATA_KEY,
    SUMMARY_METADATA_KEY,
    content_checksum,
    read_verified_part,
    run_identity,
)
from study.batch.plan import MANIFEST_FORMAT, BatchPlan, PlannedRun, manifest_fingerprint
from study.batch.spec import replicate_seed

if TYPE_CHECKING:
    from study.batch.spec import BatchSpec

MANIFEST_FILE = "manifest.json"
PARTS_DIR = "parts"
REJECTED_DIR = "rejected"
"""Under ``parts/``: part files that failed verification, set aside (then recomputed)."""
RUNS_PARQUET = "runs.parquet"
RUNS_CSV = "runs.csv"
TIMESERIES_PARQUET = "timeseries.parquet"
FAILURES_FILE = "failures.json"
LOCK_FILE = ".lock"
PART_PREFIX = "run-"
PART_SUFFIX = ".parquet"

PACKAGES_RECORDED = (
    "cartsim",
    "mesa",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "pydantic",
    "dask",
    "distributed",
)


class RunResultLike(Protocol):
    """What the batch needs of one run's result (see :class:`sim.run.RunResult`)."""

    summary: dict[str, Any]
    timeseries: Any  # a pandas DataFrame, one row per day


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, date | time):  # TOML dates and times in overrides
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON-able")


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape a batch's results."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES_RECORDED:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def spec_overrides(spec: BatchSpec) -> dict[str, Any]:
    """The batch's overrides and sweeps as JSON-able records for the manifest."""
    return {
        "sets": [
            {"key": override.dotted_key, "value": override.value, "source": override.source}
            for override in spec.sets
        ],
        "sweeps": [
            {"key": sweep.key, "values": list(sweep.values), "source": sweep.source}
            for sweep in spec.sweeps
        ],
    }


def file_checksum(path: Path) -> str:
    """SHA-256 of a file's bytes, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def plan_fields(plan: BatchPlan) -> dict[str, Any]:
    """The manifest's record of the plan: root seed, replicates, runs, each replicate's seed."""
    return {
        "root_seed": plan.spec.root_seed,
        "replicates": plan.spec.replicates,
        "runs_planned": plan.n_runs,
        "replicate_seeds": expected_replicate_seeds(plan.spec.root_seed, plan.spec.replicates),
    }


def fingerprint_fields(plan: BatchPlan) -> dict[str, Any]:
    """The manifest's fields the fingerprint is recomputed from, as JSON would hold them."""
    fields = {
        "fingerprint": plan.fingerprint,
        "days": plan.spec.days,
        "scenarios": list(plan.spec.scenarios),
        "scenario_names": list(plan.scenario_names),
        **spec_overrides(plan.spec),
        "resolved_scenarios": plan.resolved_scenarios(),
    }
    return json.loads(json.dumps(fields, default=_json_default))


def expected_replicate_seeds(root_seed: int, replicates: int) -> dict[str, int]:
    """Each replicate's seed as the manifest records it (replicate index as text)."""
    return {str(k): replicate_seed(root_seed, k) for k in range(replicates)}


class BatchDirectory:
    """The output directory of a batch: manifest, one part file per run, consolidated tables."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.parts = self.path / PARTS_DIR
        self._lock_handle: TextIO | None = None
        self.is_open = False
        """True once :meth:`open` succeeded (until :meth:`close`)."""

    # -- opening ------------------------------------------------------------------------

    def open(
        self,
        plan: BatchPlan,
        command: Sequence[str],
        experiment: dict[str, Any] | None = None,
    ) -> bool:
        """Create or reopen the directory for ``plan``; return True when resuming.

        Raises:
            UserInputError: the directory holds a different batch, or other files, or is
                in use by another batch right now.
        """
        from sim.outputs import prepare_output_dir  # imports pandas: late

        self.check(plan)
        prepare_output_dir(self.path, "--out")
        self._lock()
        if self.check(plan):
            resuming = True
            self._restore_plan_fields(plan)
        else:
            manifest = {
                "format": MANIFEST_FORMAT,
                "fingerprint": plan.fingerprint,
                "command": list(command),
                "command_line": shlex.join(command),
                "experiment": experiment,
                "created": _now(),
                "days": plan.spec.days,
                "scenarios": list(plan.spec.scenarios),
                "scenario_names": list(plan.scenario_names),
                **spec_overrides(plan.spec),
                "engine": plan.spec.engine,
                **plan_fields(plan),
                "versions": package_versions(),
                "resolved_scenarios": plan.resolved_scenarios(),
                "invocations": [],
            }
            self.write_manifest(manifest)
            resuming = False
        self.parts.mkdir(exist_ok=True)
        self._remove_temporaries()
        self.is_open = True
        return resuming

    def check(self, plan: BatchPlan) -> bool:
        """Check, without changing anything, that the directory may hold ``plan``.

        Returns True when it already holds this batch (a resume), False when it is new or
        empty.

        Raises:
            UserInputError: the directory holds a different batch, or other files, or
                is not a directory.
        """
        from sim.limits import check_path
        from sim.outputs import check_output_link

        check_path("--out", str(self.path))
        check_output_link(self.path, "--out")
        if not self.path.exists():
            return False
        if not self.path.is_dir():
            raise UserInputError(f"--out {self.path}: exists and is not a directory")
        if (self.path / MANIFEST_FILE).exists():
            manifest = self.read_manifest()
            if manifest.get("fingerprint") != plan.fingerprint:
                started_by = manifest.get("command_line", "another command")
                raise UserInputError(
                    f"--out {self.path}: holds a different batch (started by: {started_by}); "
                    "re-run that command to resume it, or choose another --out"
                )
            plan.check_manifest_engine(manifest, f"--out {self.path}")
            return True
        others = [p.name for p in self.path.iterdir() if p.name != LOCK_FILE]
        if others:
            raise UserInputError(
                f"--out {self.path}: the directory is not empty and holds no "
                f"{MANIFEST_FILE} (found {others[0]}); choose a new or empty directory"
            )
        return False

    def _restore_plan_fields(self, plan: BatchPlan) -> None:
        """On resume: a manifest whose seeds or plan were edited is put right, with a warning.

        The fingerprint matched, so the batch is this one; its seeds and run count come
        from the command, and every part is verified against them. When the manifest's
        fingerprint no longer follows from its contents (``days`` edited, say), every field
        the fingerprint is built from is rewritten from the command too.
        """
        manifest = self.read_manifest()
        expected = plan_fields(plan)
        try:
            rebuilt = manifest_fingerprint(manifest) == plan.fingerprint
        except (KeyError, TypeError, ValueError, AttributeError):
            rebuilt = False
        if not rebuilt:
            expected = {**fingerprint_fields(plan), **expected}
        changed = [key for key, value in expected.items() if manifest.get(key) != value]
        if changed:
            manifest.update(expected)
            self.write_manifest(manifest)
            print(
                f"batch: warning: {self.path / MANIFEST_FILE}: {', '.join(changed)} did not "
                "match this batch (edited?); rewritten from the command",
                file=sys.stderr,
                flush=True,
            )

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, the user keeps one batch per directory
            return
        handle = (self.path / LOCK_FILE).open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise UserInputError(
                f"--out {self.path}: another batch is running in this directory right now"
            ) from None
        self._lock_handle = handle

    def close(self) -> None:
        """Release the directory's lock."""
        self.is_open = False
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    def _remove_temporaries(self) -> None:
        """Delete temporary files left by a batch that was killed while writing."""
        for folder in (self.path, self.parts):
            for entry in os.scandir(folder):
                if TEMP_MARKER in entry.name and entry.is_file():
                    os.unlink(entry.path)

    # -- manifest -----------------------------------------------------------------------

    def read_manifest(self) -> dict[str, Any]:
        """The manifest as a dict (UserInputError if it is not a batch manifest)."""
        manifest_path = self.path / MANIFEST_FILE
        try:
            manifest = json.loads(manifest_path.read_bytes().decode("utf-8"))
        except (OSError, ValueError, RecursionError) as error:
            reason = str(error).splitlines()[0][:80] if str(error) else type(error).__name__
            raise UserInputError(
                f"{manifest_path}: not a readable batch manifest ({reason}); choose another "
                "--out, or delete the directory to start the batch again"
            ) from None
        if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
            raise UserInputError(f"{manifest_path}: not a {MANIFEST_FORMAT} manifest")
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write the manifest atomically."""
        text = json.dumps(manifest, indent=2, default=_json_default) + "\n"
        write_text_atomically(self.path / MANIFEST_FILE, text)

    # -- parts --------------------------------------------------------------------------

    def part_path(self, run_id: str) -> Path:
        """Where the part file of run ``run_id`` lives."""
        return self.parts / f"{PART_PREFIX}{run_id}{PART_SUFFIX}"

    def finished_run_ids(self) -> set[str]:
        """Ids of the runs whose part file exists (listed, not opened: fast)."""
        if not self.parts.is_dir():
            return set()
        finished = set()
        for entry in os.scandir(self.parts):
            name = entry.name
            if name.startswith(PART_PREFIX) and name.endswith(PART_SUFFIX):
                finished.add(name[len(PART_PREFIX) : -len(PART_SUFFIX)])
        return finished

    def reject_part(self, run: PlannedRun, reason: str) -> Path:
        """Move ``run``'s part file to ``parts/rejected/`` (a new name each time), and warn.

        The run counts as unfinished afterwards, so it is computed again.
        """
        rejected = self.parts / REJECTED_DIR
        rejected.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        target = rejected / f"{PART_PREFIX}{run.run_id}-{stamp}{PART_SUFFIX}"
        os.replace(self.part_path(run.run_id), target)
        print(
            f"batch: warning: the saved part of {run.label} (seed {run.seed}) cannot be "
            f"used, {reason}; "
            f"moved to {target.relative_to(self.path)}, it will be computed again",
            file=sys.stderr,
            flush=True,
        )
        return target

    def verified_run_ids(self, plan: BatchPlan) -> set[str]:
        """Ids of the runs whose part file is verified; the others are set aside.

        Reads every part (:func:`read_verified_part`); a part that is unreadable,
        damaged or holds another run is moved to ``parts/rejected/`` with a warning.
        """
        listed = self.finished_run_ids()
        verified: set[str] = set()
        for run in plan.runs:
            if run.run_id not in listed:
                continue
            try:
                read_verified_part(self.part_path(run.run_id), run)
            except ValueError as problem:
                self.reject_part(run, str(problem))
            else:
                verified.add(run.run_id)
        return verified

    def write_part(self, run: PlannedRun, result: RunResultLike) -> None:
        """Store one finished run: its time series as a table, its summary as metadata.

        The file appears under its final name only once complete (temp file + rename).
        """
        summary_text = json.dumps(result.summary, default=_json_default, allow_nan=True)
        table = pa.Table.from_pandas(result.timeseries, preserve_index=False)
        run_text = json.dumps(
            {**run_identity(run), "checksum": content_checksum(summary_text, table)}
        )
        table = table.replace_schema_metadata(
            {SUMMARY_METADATA_KEY: summary_text.encode(), RUN_METADATA_KEY: run_text.encode()}
        )
        buffer = pa.BufferOutputStream()
        pq.write_table(table, buffer)
        write_bytes_atomically(self.part_path(run.run_id), buffer.getvalue().to_pybytes())
