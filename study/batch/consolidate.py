"""Gathering a batch's part files into its tables, in plan order.

:func:`consolidate` writes ``runs.parquet``, ``runs.csv`` and ``timeseries.parquet`` from
the part files, in plan order whatever the order the runs finished in, so the outputs do
not depend on which worker ran what, or when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from sim.atomic_files import atomic_path
from study.batch.plan import BatchPlan, PlannedRun, column_value
from study.batch.schema import (
    DAILY_COLUMN_TYPES,
    KEY_COLUMN_TYPES,
    SUMMARY_COLUMN_TYPES,
    declared_type,
    sweep_column_type,
    with_version,
)
from study.batch.store import (
    RUNS_CSV,
    RUNS_PARQUET,
    TIMESERIES_PARQUET,
    BatchDirectory,
    file_checksum,
    read_verified_part,
)

CONSOLIDATION_CHUNK_RUNS = 256
"""Runs gathered per write while consolidating: bounds the memory of consolidation."""


def _run_row(run: PlannedRun, summary: dict[str, Any]) -> dict[str, Any]:
    """One row of ``runs``: scenario, sweep values, replicate, seed, run id, summary fields."""
    row: dict[str, Any] = {"scenario": run.scenario}
    row.update(run.sweep_values)
    row.update(replicate=run.replicate, seed=run.seed, run_id=run.run_id)
    for key, value in summary.items():
        if key not in row:
            row[key] = column_value(value)
    return row


def _run_key_table(run: PlannedRun, rows: int) -> dict[str, pa.Array]:
    columns: dict[str, pa.Array] = {"scenario": pa.array([run.scenario] * rows, pa.string())}
    for key, value in run.sweep_values:
        columns[key] = pa.array([value] * rows, pa.scalar(value).type)
    columns["replicate"] = pa.array([run.replicate] * rows, pa.int64())
    columns["seed"] = pa.array([run.seed] * rows, pa.int64())
    columns["run_id"] = pa.array([run.run_id] * rows, pa.string())
    return columns


def _timeseries_with_keys(run: PlannedRun, table: pa.Table) -> pa.Table:
    keys = _run_key_table(run, table.num_rows)
    columns = dict(keys)
    for name in table.column_names:
        if name not in columns:
            columns[name] = table.column(name)
    return pa.table(columns)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``'s columns, in order (missing ones as nulls)."""
    columns = []
    for schema_field in schema:
        if schema_field.name in table.column_names:
            columns.append(table.column(schema_field.name).cast(schema_field.type))
        else:
            columns.append(pa.nulls(table.num_rows, schema_field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _unify(current: pa.Schema | None, new: pa.Schema) -> pa.Schema:
    new = new.remove_metadata()
    if current is None:
        return new
    return pa.unify_schemas([current, new], promote_options="permissive")


def _key_fields(plan: BatchPlan) -> list[pa.Field]:
    """The columns saying which run a row is: scenario, swept keys, replicate, seed, run id."""
    sweeps = [
        pa.field(key, sweep_column_type(values[position][1] for values in plan.cell_values))
        for position, (key, _) in enumerate(plan.cell_values[0])
    ]
    keys = [pa.field(name, kind) for name, kind in KEY_COLUMN_TYPES.items()]
    return [keys[0], *sweeps, *keys[1:]]


def _declared_schema(
    keys: list[pa.Field], found: pa.Schema, declared: dict[str, pa.DataType]
) -> pa.Schema:
    """The key columns, then every column found in the parts with its declared type."""
    fields = list(keys)
    names = {key.name for key in keys}
    for column in found:
        if column.name not in names:
            names.add(column.name)
            fields.append(pa.field(column.name, declared_type(column.name, declared, column.type)))
    return with_version(pa.schema(fields))


@dataclass(frozen=True)
class ConsolidationReport:
    """What :func:`consolidate` wrote."""

    runs: int
    corrupt_parts: tuple[str, ...]
    """Ids of the runs whose parts failed verification and were set aside."""
    checksums: dict[str, str] = field(default_factory=dict)
    """SHA-256 of each table written (file name to hex digest); empty when none was."""


def consolidate(plan: BatchPlan, directory: BatchDirectory) -> ConsolidationReport:
    """Gather the part files into ``runs.parquet``, ``runs.csv`` and ``timeseries.parquet``.

    Rows are in plan order whatever the order the runs finished in. Two passes over the
    parts (verification and schemas first, then data, a chunk of runs at a time) keep
    memory flat. Every part is verified against the run it claims to be
    (:func:`~study.batch.store.read_verified_part`); one that fails (unreadable, damaged,
    another run's) is moved to ``parts/rejected/`` and reported, so that run is computed
    again, and the tables hold exactly the verified runs.
    """
    finished_ids = directory.finished_run_ids()
    runs_found: pa.Schema | None = None
    series_found: pa.Schema | None = None
    corrupt: list[str] = []
    good_ids: set[str] = set()
    for run in plan.runs:
        if run.run_id not in finished_ids:
            continue
        try:
            summary, part = read_verified_part(directory.part_path(run.run_id), run)
        except ValueError as problem:
            directory.reject_part(run, str(problem))
            corrupt.append(run.run_id)
            continue
        part_schema = part.schema
        del part
        good_ids.add(run.run_id)
        runs_found = _unify(runs_found, pa.Table.from_pylist([_run_row(run, summary)]).schema)
        series_found = _unify(series_found, part_schema)
    if runs_found is None or series_found is None:
        return ConsolidationReport(runs=0, corrupt_parts=tuple(corrupt))

    keys = _key_fields(plan)
    runs_schema = _declared_schema(keys, runs_found, SUMMARY_COLUMN_TYPES)
    timeseries_schema = _declared_schema(keys, series_found, DAILY_COLUMN_TYPES)
    rows: list[dict[str, Any]] = []
    series: list[pa.Table] = []
    # Contexts close in reverse: the writers first, then each file is renamed into place.
    with (
        atomic_path(directory.path / RUNS_PARQUET) as runs_parquet_path,
        atomic_path(directory.path / RUNS_CSV) as runs_csv_path,
        atomic_path(directory.path / TIMESERIES_PARQUET) as timeseries_path,
        pq.ParquetWriter(runs_parquet_path, runs_schema) as runs_writer,
        pa_csv.CSVWriter(runs_csv_path, runs_schema) as csv_writer,
        pq.ParquetWriter(timeseries_path, timeseries_schema) as timeseries_writer,
    ):

        def flush() -> None:
            if rows:
                chunk = pa.Table.from_pylist(rows, schema=runs_schema)
                runs_writer.write_table(chunk)
                csv_writer.write_table(chunk)
                rows.clear()
            if series:
                timeseries_writer.write_table(pa.concat_tables(series))
                series.clear()

        for run in plan.runs:
            if run.run_id not in good_ids:
                continue
            try:
                summary, part = read_verified_part(directory.part_path(run.run_id), run)
            except ValueError as problem:  # changed since the first pass: nothing is written
                raise OSError(f"{directory.part_path(run.run_id)} changed: {problem}") from None
            rows.append(_run_row(run, summary))
            series.append(_conform(_timeseries_with_keys(run, part), timeseries_schema))
            if len(rows) >= CONSOLIDATION_CHUNK_RUNS:
                flush()
        flush()
    checksums = {
        name: file_checksum(directory.path / name) for name in (RUNS_PARQUET, TIMESERIES_PARQUET)
    }
    return ConsolidationReport(len(good_ids), tuple(corrupt), checksums)
