"""The base of every parameter table, the ``parameter`` helper and the step conversions.

Every parameter is declared with :func:`parameter`, which keeps its unit and meaning
(``description``) and where its value comes from (``source``) beside its default and
range; docs/make_parameter_table.py builds the table of docs/model.md from them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

CALIBRATED = "calibrated (docs/model.md)"
"""The source of a value chosen to reproduce the clinical targets, with no direct measure."""


class Section(BaseModel):
    """A table of a scenario file: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)


def parameter(
    default: Any = None,
    *,
    description: str,
    source: str,
    default_factory: Callable[[], Any] | None = None,
    **bounds: float,
) -> Any:
    """A pydantic field with its meaning (unit) and its source, for a parameter table.

    Args:
        default: the default value (ignored when ``default_factory`` is given).
        description: unit and meaning, one line.
        source: the paper, clinical target (T1..T14 in study/validation/targets.toml) or
            reasoning the value rests on; :data:`CALIBRATED` when it was chosen to fit.
        default_factory: makes a fresh default (for lists).
        bounds: ``ge``, ``gt``, ``le``, ``lt``.
    """
    extra = {"source": source}
    if default_factory is not None:
        return Field(
            default_factory=default_factory,
            description=description,
            json_schema_extra=extra,
            **bounds,  # type: ignore[arg-type]
        )
    return Field(default, description=description, json_schema_extra=extra, **bounds)  # type: ignore[arg-type]


def source_of(field: FieldInfo) -> str:
    """The source recorded beside a parameter ("" when it has none)."""
    extra = field.json_schema_extra
    if isinstance(extra, dict):
        value = extra.get("source", "")
        return value if isinstance(value, str) else ""
    return ""


def iter_parameters(model: type[BaseModel]) -> Iterator[tuple[str, str, FieldInfo]]:
    """Each ``(table, key, field)`` of a scenario model's tables, in declaration order."""
    for table, section in model.model_fields.items():
        section_model = section.annotation
        if isinstance(section_model, type) and issubclass(section_model, Section):
            for key, field in section_model.model_fields.items():
                yield table, key, field


def step_probability(rate_per_day: float, hours_per_step: float) -> float:
    """Chance that an event of ``rate_per_day`` happens within one step: 1 - exp(-rate dt)."""
    return -math.expm1(-rate_per_day * hours_per_step / 24.0)


def hourly_to_step_probability(prob_per_hour: float, hours_per_step: float) -> float:
    """Chance per step of an event with chance ``prob_per_hour`` in each hour."""
    if prob_per_hour >= 1.0:
        return 1.0
    return -math.expm1(math.log1p(-prob_per_hour) * hours_per_step)


def half_life_to_rate_per_day(half_life_days: float) -> float:
    """Death rate per day of a population with ``half_life_days``."""
    return math.log(2.0) / half_life_days
