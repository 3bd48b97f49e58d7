"""The ranges a sensitivity analysis samples: from the parameter models, narrowed.

Each sampled key gets a :class:`ParameterRange`: its low and high value, whether it is
sampled on a linear or a log scale (for rates spanning a decade or more), and whether it
is a whole number. A range comes from, in this order:

1. ``--range KEY=LOW,HIGH[,log|linear]`` on the command line;
2. :data:`DEFAULT_RANGES`, the study ranges of the default parameters (each inside the
   model's allowed range; tests check it);
3. the allowed range of the parameter model itself (its pydantic ``ge``/``gt``/``le``/
   ``lt`` bounds), when both ends are closed and finite.

Every range must lie within the model's allowed range, and both of its ends must be valid
in the scenario (with its ``--set`` overrides): cross-field rules of the scenario, such as
``manufacturing_min_days <= manufacturing_median_days``, narrow what may be sampled.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic.fields import FieldInfo

from sim.errors import UserInputError
from sim.loader import Override, load_scenario
from sim.parameters import Scenario, iter_parameters

Scale = Literal["linear", "log"]
RANGE_OPTION = "--range"
LOG_SCALE_RATIO = 10.0
"""Without a stated scale, a range with ``high / low`` at least this wide is sampled on a
log scale (a rate spanning a decade or more), any other on a linear scale."""


@dataclass(frozen=True)
class ParameterRange:
    """One sampled parameter: ``low <= value <= high`` on a linear or log scale.

    Attributes:
        key: the dotted scenario key, ``"car_t.kill_rate_per_day"``.
        low: the smallest value sampled (in the parameter's own unit).
        high: the largest value sampled.
        scale: ``"linear"`` or ``"log"`` (uniform in the logarithm; needs ``low > 0``).
        integer: the parameter is a whole number: values are rounded, each whole number
            in ``[low, high]`` getting an equal share of the unit interval.
        source: where the range came from (``--range``, ``default``, ``model bounds``).
    """

    key: str
    low: float
    high: float
    scale: Scale = "linear"
    integer: bool = False
    source: str = "default"

    def value_at(self, unit: float) -> int | float:
        """The parameter value at ``unit`` in [0, 1] (0 gives ``low``, 1 gives ``high``)."""
        unit = min(max(float(unit), 0.0), 1.0)
        low, high = (self.low - 0.5, self.high + 0.5) if self.integer else (self.low, self.high)
        if self.scale == "log":
            value = math.exp(math.log(low) + unit * (math.log(high) - math.log(low)))
        else:
            value = low + unit * (high - low)
        if self.integer:
            return int(min(max(math.floor(value + 0.5), self.low), self.high))
        rounded = float(f"{value:.6g}")  # readable sample files; far below any effect
        return min(max(rounded, self.low), self.high)

    def describe(self) -> str:
        """``car_t.kill_rate_per_day in [1, 20] (log)``."""
        kind = f"{self.scale}, whole numbers" if self.integer else self.scale
        return f"{self.key} in [{self.low:g}, {self.high:g}] ({kind})"


DEFAULT_RANGES: dict[str, tuple[float, float, Scale]] = {
    "car_t.kill_rate_per_day": (1.0, 20.0, "log"),
    "car_t.division_prob_per_kill": (0.1, 0.9, "linear"),
    "car_t.exhaustion_engaged_hours": (15.0, 240.0, "log"),
    "car_t.memory_fraction": (0.002, 0.1, "log"),
    "car_t.memory_budding_rate_per_day": (0.1, 10.0, "log"),
    "car_t.memory_exhaustion_engaged_hours": (10.0, 400.0, "log"),
    "car_t.dose_per_10k_sites": (6.0, 96.0, "log"),
    "therapy.product_fitness": (0.3, 1.0, "linear"),
    "leukaemia.initial_blast_fraction": (0.05, 0.6, "linear"),
    "teaching.prob_per_hour": (0.002, 0.2, "log"),
    "rejection.prob_per_hour": (0.002, 0.2, "log"),
    "leukaemia.division_rate_per_day": (0.035, 0.14, "log"),
}
"""The default parameters and their study ranges: CAR T-cell killing, expansion,
exhaustion, memory (share of daughters, budding of effectors, its own exhaustion) and
dose (per 10,000 sites, so the same on any grid), two patient traits held fixed at a
sampled value (product quality and the leukaemia burden at enrolment: a sampled value
replaces the patient's draw), teaching, rejection, and the leukaemia's growth (doubling
5-20 days). The other patient distributions (``[patient]``) vary between replicates and
so enter as replicate noise."""

DEFAULT_KEYS: tuple[str, ...] = tuple(DEFAULT_RANGES)


def numeric_type(field: FieldInfo) -> type | None:
    """``int`` or ``float`` for a numeric field (``float | None`` too), else None."""
    annotation = field.annotation
    if annotation in (int, float):
        return annotation  # type: ignore[return-value]
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return None
    members = [item for item in typing.get_args(annotation) if item is not type(None)]
    if len(members) == 1 and members[0] in (int, float):
        return members[0]
    return None


def all_keys() -> dict[str, FieldInfo]:
    """Every scenario key ``table.key`` and its field."""
    return {f"{table}.{key}": field for table, key, field in iter_parameters(Scenario)}


@dataclass(frozen=True)
class ModelBounds:
    """The allowed range of a parameter model's field (None: no bound on that side)."""

    low: float | None
    low_inclusive: bool
    high: float | None
    high_inclusive: bool

    def allows(self, value: float) -> bool:
        """Whether ``value`` is inside the bounds."""
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return False
        return not (
            self.high is not None
            and (value > self.high or (value == self.high and not self.high_inclusive))
        )

    def describe(self) -> str:
        """``[0, 500]``, ``(0, 3650]``."""
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        left = "[" if self.low_inclusive else "("
        right = "]" if self.high_inclusive else ")"
        return f"{left}{low}, {high}{right}"


def model_bounds(field: FieldInfo) -> ModelBounds:
    """The ``ge``/``gt``/``le``/``lt`` bounds declared on a parameter's field."""
    low: float | None = None
    high: float | None = None
    low_inclusive = high_inclusive = True
    for item in field.metadata:
        for name, inclusive, is_low in (
            ("ge", True, True),
            ("gt", False, True),
            ("le", True, False),
            ("lt", False, False),
        ):
            bound = getattr(item, name, None)
            if bound is None:
                continue
            if is_low:
                low, low_inclusive = float(bound), inclusive
            else:
                high, high_inclusive = float(bound), inclusive
    return ModelBounds(low, low_inclusive, high, high_inclusive)


def check_key(key: str, option: str) -> FieldInfo:
    """The field of a numeric scenario key, or a one-line UserInputError."""
    fields = all_keys()
    if key not in fields:
        raise UserInputError(
            f"{option} {key}: unknown key; give table.key as in `main.py scenarios` and "
            f"docs/model.md, e.g. {', '.join(DEFAULT_KEYS[:3])}"
        )
    field = fields[key]
    if numeric_type(field) is None:
        raise UserInputError(
            f"{option} {key}: not a number; "
            "only numeric parameters can be sampled (pin others with --set)"
        )
    return field


def parse_range(text: str) -> ParameterRange:
    """Parse ``KEY=LOW,HIGH[,log|linear]`` (one ``--range``) and check it against the model.

    Without a scale, a range with ``HIGH / LOW >= 10`` (and ``LOW > 0``) is sampled on a
    log scale, any other linearly.
    """
    key_text, sep, rest = text.partition("=")
    example = "car_t.kill_rate_per_day=2,12 or car_t.memory_fraction=0.005,0.2,log"
    parts = [part.strip() for part in rest.split(",")]
    if not sep or not key_text.strip() or len(parts) not in (2, 3) or not all(parts):
        raise UserInputError(
            f"{RANGE_OPTION} {text!r}: expected KEY=LOW,HIGH[,log|linear] such as {example}"
        )
    key = key_text.strip()
    field = check_key(key, RANGE_OPTION)
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise UserInputError(f"{RANGE_OPTION} {text!r}: LOW and HIGH must be numbers") from None
    scale: Scale
    if len(parts) == 3:
        if parts[2] not in ("log", "linear"):
            raise UserInputError(
                f"{RANGE_OPTION} {text!r}: the scale must be log or linear (got {parts[2]!r})"
            )
        scale = "log" if parts[2] == "log" else "linear"
    else:
        scale = "log" if low > 0 and high >= LOG_SCALE_RATIO * low else "linear"
    return make_range(key, field, low, high, scale, f"{RANGE_OPTION} {text!r}", RANGE_OPTION)


def make_range(
    key: str, field: FieldInfo, low: float, high: float, scale: Scale, where: str, source: str
) -> ParameterRange:
    """A checked :class:`ParameterRange`; ``where`` names the input in error messages."""
    integer = numeric_type(field) is int
    if not (math.isfinite(low) and math.isfinite(high)):
        raise UserInputError(f"{where}: LOW and HIGH must be finite numbers")
    if not low < high:
        raise UserInputError(
            f"{where}: LOW must be below HIGH (got {low:g}, {high:g}); to fix a value, use --set"
        )
    if integer and not (low.is_integer() and high.is_integer()):
        raise UserInputError(f"{where}: {key} is a whole number; give whole LOW and HIGH")
    bounds = model_bounds(field)
    if not (bounds.allows(low) and bounds.allows(high)):
        raise UserInputError(f"{where}: {key} must lie within {bounds.describe()}")
    if scale == "log" and low <= 0:
        raise UserInputError(f"{where}: a log scale needs LOW > 0 (got {low:g})")
    return ParameterRange(key, low, high, scale, integer, source)


def default_range(key: str, field: FieldInfo) -> ParameterRange:
    """The range of ``key`` without ``--range``: its study range, else the model's bounds."""
    if key in DEFAULT_RANGES:
        low, high, scale = DEFAULT_RANGES[key]
        return make_range(
            key, field, float(low), float(high), scale, f"default range of {key}", "default"
        )
    bounds = model_bounds(field)
    if (
        bounds.low is None
        or bounds.high is None
        or not (bounds.low_inclusive and bounds.high_inclusive)
    ):
        raise UserInputError(
            f"--params {key}: the model allows {bounds.describe()}, which has an open end; "
            f"give the range with --range {key}=LOW,HIGH"
        )
    return make_range(
        key, field, bounds.low, bounds.high, "linear", f"model range of {key}", "model bounds"
    )


def parse_params(text: str | None) -> tuple[str, ...]:
    """``--params a.b,c.d`` as keys (None: :data:`DEFAULT_KEYS`); each key checked."""
    if text is None:
        return DEFAULT_KEYS
    keys = tuple(part.strip() for part in text.split(","))
    if not text.strip() or any(not key for key in keys):
        raise UserInputError(
            f"--params {text!r}: give comma-separated keys such as {DEFAULT_KEYS[0]}"
        )
    seen: set[str] = set()
    for key in keys:
        check_key(key, "--params")
        if key in seen:
            raise UserInputError(f"--params {key}: given twice")
        seen.add(key)
    return keys


def resolve_ranges(
    scenario: str,
    keys: Sequence[str] | None,
    ranges: Sequence[ParameterRange] = (),
    sets: Sequence[Override] = (),
) -> tuple[ParameterRange, ...]:
    """The range of every sampled key, checked against the scenario.

    Args:
        scenario: the scenario name or path the samples derive from.
        keys: the sampled keys (None: :data:`DEFAULT_KEYS`, plus any ``--range`` key).
        ranges: ranges given with ``--range``; a key given there but missing from
            ``keys`` is an error when ``keys`` was given.
        sets: ``--set`` overrides of every run; a sampled key may not be among them.

    Raises:
        UserInputError: an unknown or non-numeric key, a key given twice, a range outside
            the model's bounds, a key both set and sampled, or a range end the scenario
            refuses (a cross-field rule).
    """
    given = {item.key: item for item in ranges}
    if len(given) != len(ranges):
        twice = next(item.key for item in ranges if sum(r.key == item.key for r in ranges) > 1)
        raise UserInputError(f"{RANGE_OPTION} {twice}: given twice")
    if keys is None:
        keys = (*DEFAULT_KEYS, *(key for key in given if key not in DEFAULT_KEYS))
    else:
        for key in given:
            if key not in keys:
                raise UserInputError(f"{RANGE_OPTION} {key}: not among --params; add it there")
    set_keys = {override.dotted_key: override for override in sets}
    result: list[ParameterRange] = []
    for key in keys:
        if key in set_keys:
            raise UserInputError(f"{set_keys[key].label}: {key} is also sampled; drop it from one")
        field = check_key(key, "--params")
        result.append(given.get(key) or default_range(key, field))
    if not result:
        raise UserInputError("--params: give at least one parameter to sample")
    load_scenario(scenario, sets)  # the scenario and --set errors surface as themselves
    for item in result:  # both ends must pass the scenario's own (cross-field) rules
        for end in (item.low, item.high):
            value = int(end) if item.integer else float(end)
            try:
                load_scenario(
                    scenario, [*sets, Override(tuple(item.key.split(".")), value, RANGE_OPTION)]
                )
            except UserInputError as error:
                raise UserInputError(
                    f"{error} (an end of the sampled range, in scenario {scenario})"
                ) from None
    return tuple(result)
