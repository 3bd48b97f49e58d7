"""Make a hand-built batch directory pass verification, as if cartsim had written it.

Tests of the comparison build batch tables by hand (made-up runs, chosen outcomes).
Readers verify a batch before trusting it (:mod:`study.batch.verify`), so
:func:`seal_fake_batch` gives such a directory what a real batch has: each replicate's
seed from the root seed, run ids, one (empty) part file per row, a manifest whose
fingerprint, plan and table checksums agree with the tables.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from study.batch.plan import make_run_id, manifest_fingerprint
from study.batch.schema import TABLE_SCHEMA_VERSION
from study.batch.spec import replicate_seed
from study.batch.store import expected_replicate_seeds, file_checksum

ROOT_SEED = 0


def seal_fake_batch(directory: Path, manifest: dict[str, Any]) -> None:
    """Complete ``manifest`` and the tables in ``directory`` so that verification passes.

    The rows' seeds become each replicate's seed under :data:`ROOT_SEED` (the same in
    every arm, so the runs stay paired).
    """
    runs = pd.read_parquet(directory / "runs.parquet")
    replicates = int(runs["replicate"].max()) + 1
    runs["seed"] = [replicate_seed(ROOT_SEED, int(k)) for k in runs["replicate"]]
    runs["run_id"] = [
        make_run_id(name, (), int(k))
        for name, k in zip(runs["scenario"], runs["replicate"], strict=True)
    ]
    runs.to_parquet(directory / "runs.parquet")
    parts = directory / "parts"
    parts.mkdir(exist_ok=True)
    for run_id in runs["run_id"]:
        (parts / f"run-{run_id}.parquet").write_bytes(b"")
    names = list(manifest["scenario_names"])
    manifest.update(
        root_seed=ROOT_SEED,
        replicates=replicates,
        days=None,
        resolved_scenarios=[{"scenario": name, "sweep": {}, "parameters": {}} for name in names],
        replicate_seeds=expected_replicate_seeds(ROOT_SEED, replicates),
        runs_planned=len(names) * replicates,
        runs_finished=len(runs),
        complete=len(runs) == len(names) * replicates,
        table_schema=TABLE_SCHEMA_VERSION,
        table_checksums={
            name: file_checksum(directory / name) for name in ("runs.parquet", "timeseries.parquet")
        },
    )
    manifest["fingerprint"] = manifest_fingerprint(manifest)
    (directory / "manifest.json").write_text(json.dumps(manifest))
