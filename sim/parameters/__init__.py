"""Every parameter of the model, with its unit, its allowed range, its meaning and source.

A scenario file (TOML) is validated against :class:`Scenario`: unknown keys, wrong types
and values out of range are errors. Rates are per day, durations in days or hours as the
name says, probabilities in [0, 1]. The defaults here are the calibrated defaults of the
``base`` scenario; a scenario file states only what differs. Each parameter records where
its value comes from (``source``, see :func:`source_of`); docs/model.md's parameter table
is generated from these models by docs/make_parameter_table.py.

Modules: ``base`` (the table base class, the ``parameter`` helper, step conversions),
``tissue_tables`` (grid, time, leukaemia, B-cells, fields), ``cells`` (CAR T-cells, native
T-cells, teaching, rejection), ``treatment`` (lymphodepletion, therapy, tocilizumab),
``scenario`` (the whole scenario).
"""

from sim.parameters.base import (
    CALIBRATED,
    Section,
    half_life_to_rate_per_day,
    hourly_to_step_probability,
    iter_parameters,
    parameter,
    source_of,
    step_probability,
)
from sim.parameters.cells import (
    CarTParameters,
    NativeTParameters,
    RejectionParameters,
    TeachingParameters,
)
from sim.parameters.scenario import Scenario
from sim.parameters.tissue_tables import (
    BCellParameters,
    FieldParameters,
    GridParameters,
    LeukaemiaParameters,
    TimeParameters,
)
from sim.parameters.treatment import (
    LymphodepletionParameters,
    TherapyParameters,
    TocilizumabParameters,
)

__all__ = [
    "CALIBRATED",
    "BCellParameters",
    "CarTParameters",
    "FieldParameters",
    "GridParameters",
    "LeukaemiaParameters",
    "LymphodepletionParameters",
    "NativeTParameters",
    "RejectionParameters",
    "Scenario",
    "Section",
    "TeachingParameters",
    "TherapyParameters",
    "TimeParameters",
    "TocilizumabParameters",
    "half_life_to_rate_per_day",
    "hourly_to_step_probability",
    "iter_parameters",
    "parameter",
    "source_of",
    "step_probability",
]
