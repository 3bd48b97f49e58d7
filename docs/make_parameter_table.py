"""Print the parameter table of docs/model.md (Markdown), generated from sim/parameters.py.

One row per parameter: ``table.key``, its default, the allowed range, the unit and meaning
(the field's description), where the number comes from (TARGETS.md), and which shipped
scenarios change it. Run ``uv run python docs/make_parameter_table.py`` and paste the
output into docs/model.md after a change to the parameters or the scenario files.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.loader import load_scenario, scenario_names
from sim.parameters import Scenario

# Where a default comes from: an id of TARGETS.md, or the fact (and paper) it rests on.
SOURCES: dict[str, str] = {
    "leukaemia.division_rate_per_day": "T9: untreated doubling ~10 d (Br J Haematol 1997)",
    "leukaemia.death_rate_per_day": "T9 (net growth = division - death)",
    "leukaemia.cd19_loss_prob": "assumption (CD19-negative relapse exists; no rate)",
    "b_cells.lifespan_days": "B-cell life ~60 d (León-Triana 2021)",
    "b_cells.aplasia_threshold": "MODEL.md: aplasia below 10% of baseline",
    "car_t.dose_cells": "scaled dose (TARGETS: grid cannot hold 3,900-fold)",
    "car_t.motility_sites_per_hour": "effectors 1-10 µm/min (TARGETS cell-scale facts)",
    "car_t.kill_rate_per_day": "2-16 kills/d (Halle 2016); 1-20 (Weigelin 2021)",
    "car_t.division_prob_per_kill": "calibrated: T4 peak day, T5 doubling ~19 h (Stein 2019)",
    "car_t.exhaustion_kills": "3-20, no direct measure (Davenport 2015)",
    "car_t.effector_half_life_days": "T6: contraction half-life 4.3 d (Stein 2019)",
    "car_t.memory_fraction": "T7: long-term phase ~0.8% of peak (Stein 2019)",
    "car_t.memory_half_life_days": "T7: ~217 d (Stein 2019)",
    "car_t.homeostatic_division_rate_per_day": "calibrated: T4, T5",
    "native_t.motility_sites_per_hour": "naive T 18 µm/min in node (Textor 2011)",
    "teaching.enabled": "hypothesis: epitope spreading (Lai 2020; Kuhn 2020)",
    "teaching.prob_per_hour": "hypothesis, not calibrated (no clinical number)",
    "teaching.secondary_prob_per_hour": "hypothesis, not calibrated",
    "fields.crs_grade_thresholds": "calibrated: T8 CRS any grade 79% (Levine 2021)",
    "lymphodepletion.days": "flu 30 mg/m² x 4 d + cy x 2 d (TARGETS)",
    "lymphodepletion.alemtuzumab": "UCART19 (Qasim 2017; Benjamin 2020)",
    "lymphodepletion.alemtuzumab_recovery_delay_days": "assumption (host T-cells absent ~4 wk)",
    "therapy.manufacturing_median_days": "T3: median 43 d (Levine 2021)",
    "therapy.manufacturing_min_days": "T3: range 24-133 d",
    "therapy.manufacturing_max_days": "T3: range 24-133 d",
    "therapy.manufacturing_failure_prob": "T2: 8 of 97 (ELIANA update, ASH 2019)",
    "therapy.tcr_knockout_efficiency": "UCART19 TRAC knockout (Qasim 2017)",
    "therapy.cd52_knockout": "UCART19 CD52 knockout (Qasim 2017)",
    "therapy.product_fitness": "assumption (1 = healthy donor)",
}


def allowed(field: FieldInfo) -> str:
    """The allowed values: a range from the field's bounds, or the choices of a Literal."""
    if typing.get_origin(field.annotation) is typing.Literal:
        return ", ".join(f'"{choice}"' for choice in typing.get_args(field.annotation))
    if field.annotation is bool:
        return "true / false"
    low = high = ""
    for item in field.metadata:
        if getattr(item, "ge", None) is not None:
            low = f"{item.ge} ≤"
        if getattr(item, "gt", None) is not None:
            low = f"{item.gt} <"
        if getattr(item, "le", None) is not None:
            high = f"≤ {item.le}"
        if getattr(item, "lt", None) is not None:
            high = f"< {item.lt}"
    if not (low or high):
        return "see description" if field.annotation is not str else "text"
    return " ".join(part for part in (low, "x", high) if part)


def toml_value(value: Any) -> str:
    """A default written the way a scenario file would write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return repr(value)


def changed_by() -> dict[str, list[str]]:
    """For each ``table.key``, the shipped scenarios whose value differs from the default."""
    defaults = Scenario().model_dump()
    changes: dict[str, list[str]] = {}
    for name in scenario_names():
        values = load_scenario(name).model_dump()
        for table, fields in values.items():
            if not isinstance(fields, dict):
                continue
            for key, value in fields.items():
                if value != defaults[table][key]:
                    changes.setdefault(f"{table}.{key}", []).append(name)
    return changes


def parameter_rows() -> list[list[str]]:
    """One row per parameter, in the order of sim/parameters.py."""
    changes = changed_by()
    rows = []
    for table, section in Scenario.model_fields.items():
        model = section.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        defaults = model()
        for key, field in model.model_fields.items():
            name = f"{table}.{key}"
            rows.append(
                [
                    f"`{name}`",
                    f"`{toml_value(getattr(defaults, key))}`",
                    allowed(field),
                    field.description or "",
                    SOURCES.get(name, ""),
                    ", ".join(changes.get(name, [])),
                ]
            )
    return rows


def markdown_table() -> str:
    """The whole table as Markdown."""
    header = ["parameter", "default", "allowed", "unit / meaning", "source", "changed by"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in parameter_rows():
        cells = [cell.replace("|", "\\|") for cell in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
