"""One part file per finished run: what it claims to be, and the check that it is.

A part file is a Parquet table of the run's days; its metadata holds the run's summary
record and its identity (run id, scenario, sweep values, replicate, seed) with a
checksum of the contents. :func:`read_verified_part` refuses a part that is unreadable,
damaged or holds another run, so the batch sets it aside and computes the run again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from study.batch.plan import PlannedRun

SUMMARY_METADATA_KEY = b"cartsim.summary"
RUN_METADATA_KEY = b"cartsim.run"


def run_identity(run: PlannedRun) -> dict[str, Any]:
    """What a part file says about the run it holds: id, scenario, sweep, replicate, seed."""
    return {
        "run_id": run.run_id,
        "scenario": run.scenario,
        "sweep": [list(item) for item in run.sweep_values],
        "replicate": run.replicate,
        "seed": run.seed,
    }


def content_checksum(summary_text: str, table: pa.Table) -> str:
    """SHA-256 of a part's contents: its summary text and every column's name, type, values."""
    digest = hashlib.sha256(summary_text.encode())
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        digest.update(f"\x00{name}\x00{column.type}\x00".encode())
        numeric = pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
        if numeric and column.null_count == 0:
            digest.update(column.to_numpy(zero_copy_only=False).tobytes())
        else:
            digest.update(json.dumps(column.to_pylist(), default=str).encode())
    return digest.hexdigest()


def read_verified_part(path: Path, run: PlannedRun) -> tuple[dict[str, Any], pa.Table]:
    """Read a part file and check it is the run it claims to be; return (summary, table).

    The run id, scenario, sweep values, replicate and seed in its metadata must be
    ``run``'s, and the checksum of its contents must match the one stored when it was
    written.

    Raises:
        ValueError: the part is unreadable, damaged, or holds another run (the message
            says which); never another exception for damaged bytes.
    """
    try:
        table = pq.read_table(path)
        metadata = table.schema.metadata or {}
        stored = json.loads(metadata[RUN_METADATA_KEY].decode("utf-8"))
        summary_text = metadata[SUMMARY_METADATA_KEY].decode("utf-8")
        summary = json.loads(summary_text)
    except (OSError, KeyError, ValueError, RecursionError, pa.ArrowException) as error:
        raise ValueError(f"unreadable ({type(error).__name__})") from None
    if not isinstance(stored, dict) or not isinstance(summary, dict):
        raise ValueError("no run metadata")
    expected = run_identity(run)
    for key, value in expected.items():
        if json.dumps(stored.get(key), sort_keys=True) != json.dumps(value, sort_keys=True):
            raise ValueError(f"holds another run ({key} {stored.get(key)!r}, not {value!r})")
    bare = table.replace_schema_metadata(None)
    if stored.get("checksum") != content_checksum(summary_text, bare):
        raise ValueError("damaged: its checksum does not match its contents")
    return summary, bare
