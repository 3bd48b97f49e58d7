"""The declared schema of a batch's tables: one fixed type per column, whatever the runs hold.

Without it a column's type would follow its values: a field that is ``null`` in every run
would become text, an integer column holding a missing value a float, and two batches of
the same scenarios could not be concatenated or compared. Every field of the summary
record (``sim.metrics``, ``sim.patient``) and every daily count has its type here; all are
nullable (a value not observed is null). Key columns: ``scenario`` and ``run_id`` text,
``replicate`` and ``seed`` 64-bit integers, a swept key the type of its values in the plan.
A field this table does not know (a summary from another simulate function) keeps the
type of its values.

:data:`TABLE_SCHEMA_VERSION` is written in the manifest and in the tables' metadata; it
changes whenever a declared type changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

TABLE_SCHEMA_VERSION = 1
"""The version of the declared schema of ``runs.parquet`` and ``timeseries.parquet``."""
SCHEMA_METADATA_KEY = b"cartsim.table_schema"

_INT = pa.int64()
_FLOAT = pa.float64()
_BOOL = pa.bool_()
_TEXT = pa.string()

KEY_COLUMN_TYPES: dict[str, pa.DataType] = {
    "scenario": _TEXT,
    "replicate": _INT,
    "seed": _INT,
    "run_id": _TEXT,
}
"""The columns that say which run a row belongs to (swept keys come after ``scenario``)."""

SUMMARY_COLUMN_TYPES: dict[str, pa.DataType] = {
    "seed": _INT,
    "scenario": _TEXT,
    "infused": _BOOL,
    "infusion_day": _INT,
    "blast_pct_at_enrolment": _FLOAT,
    "blast_pct_at_infusion": _FLOAT,
    "cart_infused": _INT,
    "remission_day28": _BOOL,
    "remission_day28_or_42": _BOOL,
    "mrd_negative_day28": _BOOL,
    "remission_within_3_months": _BOOL,
    "mrd_negative_within_3_months": _BOOL,
    "remission_sustained_within_3_months": _BOOL,
    "unobserved_reason": _TEXT,
    "relapse": _BOOL,
    "relapse_day": _INT,
    "relapse_cd19_negative": _BOOL,
    "relapse_cause": _TEXT,
    "cart_peak": _INT,
    "cart_peak_day": _INT,
    "cart_persistence_days": _INT,
    "b_cell_aplasia_days": _INT,
    "crs_grade": _INT,
    "crs_onset_day": _INT,
    "gvhd": _BOOL,
    "rejection_kills": _INT,
    "teaching_events": _INT,
    "taught_peak": _INT,
    "days_simulated": _INT,
    "manufacturing_days": _FLOAT,
    "blast_pct_final": _FLOAT,
    "kills_by_car_t": _INT,
    "kills_by_taught": _INT,
    "cd19_negative_blasts_killed": _INT,
    "gvhd_score": _FLOAT,
    "residual_final": _FLOAT,
    "lymphoma_tumour_at_infusion": _FLOAT,
    "lymphoma_detection_limit": _FLOAT,
    "lymphoma_response_day28": _TEXT,
    "lymphoma_response_month3": _TEXT,
    "lymphoma_best_response": _TEXT,
    "lymphoma_overall_response": _BOOL,
    "lymphoma_progression": _BOOL,
    "lymphoma_progression_day": _INT,
    "lymphoma_progression_cause": _TEXT,
    "patient_product_fitness": _FLOAT,
    "patient_blast_fraction_at_enrolment": _FLOAT,
    "patient_bridging_blast_kill_fraction": _FLOAT,
    "patient_cd19_negative_subclone": _BOOL,
    "patient_cd19_negative_fraction": _FLOAT,
    "patient_cytokine_amplification": _FLOAT,
    "patient_host_t_suppression_days": _FLOAT,
    "patient_alemtuzumab_level_at_infusion": _FLOAT,
    "patient_memory_share_factor": _FLOAT,
    "patient_residual_cd19_negative_frequency": _FLOAT,
    "patient_dose_factor": _FLOAT,
    "patient_microenvironment_hostility": _FLOAT,
    "patient_tumour_growth_factor": _FLOAT,
    "patient_sanctuary_disease": _BOOL,
}
"""Every field of a run's summary record (README, "summary.json"), with its type."""

_COUNTS = (
    "blasts_cd19_positive",
    "blasts_cd19_negative",
    "blasts",
    "b_cells",
    "car_t_effector",
    "car_t_memory",
    "car_t_exhausted",
    "car_t_autologous",
    "car_t_donor",
    "car_t",
    "native_naive",
    "native_taught",
    "native_alloreactive",
    "crs_grade",
    "kills_by_car_t",
    "b_cells_killed_by_car_t",
    "kills_by_taught",
    "cd19_negative_blasts_killed",
    "rejection_kills",
    "teaching_events",
    "residual_seeded",
)
DAILY_COLUMN_TYPES: dict[str, pa.DataType] = {
    "day": _INT,
    **dict.fromkeys(_COUNTS, _INT),
    "blast_pct": _FLOAT,
    "cytokine_systemic": _FLOAT,
    "cytokine_peak": _FLOAT,
    "gvhd_score": _FLOAT,
    "residual_cd19_positive": _FLOAT,
    "residual_cd19_negative": _FLOAT,
}
"""Every daily column of a run (README, "timeseries.csv"), with its type."""


def declared_type(name: str, declared: dict[str, pa.DataType], found: pa.DataType) -> pa.DataType:
    """The column's declared type; for an undeclared column, the type its values had."""
    return declared.get(name, pa.string() if pa.types.is_null(found) else found)


def sweep_column_type(values: Iterable[Any]) -> pa.DataType:
    """The type of a swept key's column, from its values in the plan (never from the runs)."""
    try:
        found = pa.array(list(values)).type
    except (pa.ArrowException, TypeError, ValueError):  # values of different kinds
        return _TEXT
    return _TEXT if pa.types.is_null(found) else found


def with_version(schema: pa.Schema) -> pa.Schema:
    """``schema`` carrying :data:`TABLE_SCHEMA_VERSION` in its metadata."""
    return schema.with_metadata({SCHEMA_METADATA_KEY: str(TABLE_SCHEMA_VERSION).encode()})
