"""The clinical targets (T1-T15) as data: a strict model and its loader.

The targets live in ``study/validation/targets.toml``, one table per target. Each says what
is measured (``quantity``), in which scenario(s), how it is computed from a batch
(``measure``, ``"<kind>:<quantity>"``), the published value (``target``, in ``unit``),
the band a calibrated model must land in (``tolerance_low``/``tolerance_high``, and/or a
``rule`` in words) and the ``source``. The validation command reads them with
:func:`load_targets`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import UserInputError

TARGETS_FILE = Path(__file__).resolve().parent / "targets.toml"

MEASURE_KINDS = (
    "share_enrolled",  # % of all runs
    "share_infused",  # % of infused runs
    "share_responders",  # % of infused runs in remission within 3 months
    "median",  # median of a summary field over infused runs
    "kinetics",  # fitted from the CAR T-cell time series
    "growth",  # fitted from the untreated blast time series
    "comparison",  # a direction between two scenarios
    "survival_responders",  # Kaplan-Meier among responders (sustained remission)
)


class Target(BaseModel):
    """One clinical target: what is measured, the published value, the tolerance, the source.

    Values and tolerances are in ``unit`` ("%" for shares, "days", "hours"; "" for a target
    that is a direction only). An absent tolerance bound is open on that side.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: str = Field(pattern=r"^T[0-9]+$", description="T1, T2, ...")
    quantity: str = Field(min_length=1, description="what is measured, in words")
    scenarios: list[str] = Field(min_length=1, description="scenarios whose batch is read")
    measure: str = Field(
        pattern=r"^[a-z_]+:[a-z0-9_]+$", description='how it is computed: "<kind>:<quantity>"'
    )
    unit: Literal["%", "days", "hours", ""]
    target: list[float] = Field(description="published value(s), in unit; [] for a rule")
    target_range: list[float] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="published range or confidence interval [low, high], in unit",
    )
    tolerance_low: float | None = Field(None, description="lowest accepted value, in unit")
    tolerance_high: float | None = Field(None, description="highest accepted value, in unit")
    rule: str | None = Field(None, description="the condition in words")
    notes: str | None = None
    source: str = Field(min_length=1, description="the publication")

    @property
    def measure_kind(self) -> str:
        """The part of ``measure`` before the colon (one of MEASURE_KINDS)."""
        return self.measure.split(":", 1)[0]

    def within_tolerance(self, value: float) -> bool:
        """Whether ``value`` (in ``unit``) lies inside the tolerance band (bounds included)."""
        low_ok = self.tolerance_low is None or value >= self.tolerance_low
        high_ok = self.tolerance_high is None or value <= self.tolerance_high
        return low_ok and high_ok

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.measure_kind not in MEASURE_KINDS:
            raise ValueError(f"measure kind must be one of {', '.join(MEASURE_KINDS)}")
        if self.tolerance_low is None and self.tolerance_high is None and self.rule is None:
            raise ValueError("give a tolerance (tolerance_low and/or tolerance_high) or a rule")
        if (
            self.tolerance_low is not None
            and self.tolerance_high is not None
            and self.tolerance_low > self.tolerance_high
        ):
            raise ValueError("tolerance_low must not exceed tolerance_high")
        if not self.target and self.rule is None:
            raise ValueError("a target without a value needs a rule")
        if self.target and not self.unit:
            raise ValueError('a target value needs a unit ("%", "days" or "hours")')
        outside = [value for value in self.target if not self.within_tolerance(value)]
        if outside:
            raise ValueError(f"target value {outside[0]} lies outside its own tolerance")
        return self


def load_targets(path: Path = TARGETS_FILE) -> list[Target]:
    """The targets of ``path`` (default: the shipped targets.toml), in file order.

    Raises:
        UserInputError: the file is missing or not TOML, a table's key differs from its
            ``id``, or a table breaks the :class:`Target` model (the message names the
            file, the target and the key).
    """
    try:
        with path.open("rb") as handle:
            tables = tomllib.load(handle)
    except OSError as error:
        raise UserInputError(f"{path}: cannot read the targets file ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise UserInputError(f"{path}: not valid TOML ({error})") from None
    targets = []
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise UserInputError(f"{path}: {name}: expected a table [{name}] of one target")
        try:
            target = Target.model_validate(table)
        except ValidationError as error:
            problem = error.errors()[0]
            key = ".".join(str(part) for part in problem["loc"]) or "(table)"
            message = problem["msg"].removeprefix("Value error, ")
            if problem["type"] == "extra_forbidden":
                message = f"unknown key; allowed: {', '.join(Target.model_fields)}"
            raise UserInputError(f"{path}: {name}.{key}: {message}") from None
        if target.id != name:
            raise UserInputError(
                f"{path}: {name}.id: must equal the table name (got {target.id!r})"
            )
        targets.append(target)
    return targets
